"""The compact form a map layer travels in inside the page, and back.

A layer's GeoJSON (``FeatureCollection``, coordinates already rounded to 1e-5°) is written as

* its geometries as one **ragged array** (the GeoArrow layout, :func:`shapely.to_ragged_array`):
  every coordinate quantised to integers of 1e-5° (lossless for the rounded display
  coordinates) and **delta-encoded** (each the difference from the one before, as TopoJSON
  does), with the number of coordinates per ring, rings per polygon and parts per multi-part
  geometry as counts;
* its properties by column, a column of few distinct values as a dictionary and indices.

Features whose geometry is missing (or empty: nothing to draw) are carried without one. A layer that mixes geometry kinds (points with
polygons) is left as GeoJSON. The page (``ordos_map.js``) decodes it back to the same GeoJSON;
:func:`unpack_layer` does the same in Python (the tests hold the two to each other).

A layer of more than :data:`TILE_OVER` polygons or lines travels **in tiles**
(:func:`tile_layer`): its features grouped by the Web-Mercator tile (at one zoom, the smallest
at which no tile holds more than :data:`TILE_FEATURES`) under the centre of their bounding box,
each tile packed as above, with a dot per feature (that centre). The page builds the shapes of
the tiles in view only, from one zoom past the tiles' own, and draws the dots on one canvas
below it: a city of 200,000 sites stays smooth.

>>> packed = pack_layer(layer["geojson"])       # what the page carries
>>> unpack_layer(packed) == layer["geojson"]    # True (coordinates to 1e-5°)
>>> untile_layer(tile_layer(layer["geojson"])) == layer["geojson"]  # True, in the same order
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["QUANTUM", "TILE_OVER", "TILE_FEATURES", "pack_layer", "unpack_layer", "tile_layer",
           "untile_layer"]

#: coordinate step of the packed form, degrees (the display coordinates' rounding)
QUANTUM = 1e-5
_SCALE = round(1 / QUANTUM)
#: a layer of more features than this travels in tiles (:func:`tile_layer`)
TILE_OVER = 20_000
#: features a tile holds at most: the tiles' zoom is the smallest at which none holds more
TILE_FEATURES = 1_000
#: nesting depth (number of count arrays) per shapely geometry type code
_DEPTH = {0: 0, 1: 1, 3: 2, 4: 1, 5: 2, 6: 3}
_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
          6: "MultiPolygon"}


def pack_layer(geojson: dict, geometry: np.ndarray | None = None) -> dict | None:
    """The packed form of a ``FeatureCollection`` (None when it cannot be packed: mixed
    geometry kinds, no features, or anything but plain features). ``geometry``: the features'
    geometries as shapely objects when the caller has them (else read from the GeoJSON)."""
    features = geojson.get("features", [])
    if geojson.get("type") != "FeatureCollection" or not features or any(
            set(f) - {"type", "properties", "geometry"} for f in features):
        return None  # an empty layer is smaller as it is
    if geometry is None or len(geometry) != len(features):
        geometry = [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None
                    for f in features]
    geoms = np.array(list(geometry), dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    missing = np.flatnonzero(~present).tolist()
    kinds = set(shapely.get_type_id(geoms[present]).tolist())
    if len(kinds) > 1 and kinds not in ({3, 6}, {1, 5}, {0, 4}):
        return None
    # a missing feature holds the place as an empty geometry of the kind laid out (the multi
    # kind when single and multi parts mix)
    fill = shapely.from_wkt(f"{_NAMES[max(kinds, default=3)].upper()} EMPTY")
    geoms[~present] = fill
    single = np.flatnonzero(present & (shapely.get_type_id(geoms) < 4)).tolist() \
        if len(kinds) > 1 else []
    kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    coords = np.nan_to_num(coords)  # an empty point's NaN: a missing feature, not drawn
    q = np.rint(coords * _SCALE).astype(np.int64)
    if len(q) and np.abs(q - coords * _SCALE).max() > 0.01:
        return None  # not rounded to the quantum: keep the GeoJSON as it is
    delta = np.diff(np.vstack([np.zeros((1, 2), np.int64), q]), axis=0).ravel()
    return {"n": len(features), "kind": int(kind), "xy": delta.tolist(),
            "counts": [np.diff(o).tolist() for o in offsets], "missing": missing,
            "single": single, "props": _columns([f.get("properties") or {} for f in features])}


def _columns(props: list[dict]) -> dict:
    """Properties by column: ``{"v": [...]}`` or ``{"dict": [...], "i": [...]}``; list-valued
    properties (the tooltip values ``t``) are split into one such column per position."""
    keys = list(dict.fromkeys(k for p in props for k in p))
    out = {}
    for key in keys:
        values = [p.get(key) for p in props]
        if values and all(isinstance(v, list) for v in values) and \
                len({len(v) for v in values}) == 1:
            out[key] = {"list": [_column([v[i] for v in values]) for i in range(len(values[0]))]}
        else:
            out[key] = _column(values)
        out[key]["absent"] = [k for k, p in enumerate(props) if key not in p]
    for key in keys:
        join = _joined(key, props, out)
        if join is not None:
            out[key] = join
    return out


def _joined(key: str, props: list[dict], columns: dict) -> dict | None:
    """A text column that is two parts of the list column ``t`` joined by a space (the search
    text: name and id, which the tooltip holds) as ``{"join": [["t", i], ["t", j]], "sep"}``:
    the page rebuilds it (a missing part as empty text)."""
    if key == "t" or "list" not in columns.get("t", {}) or columns[key]["absent"] or \
            any(not isinstance(p.get(key), str) for p in props):
        return None
    width = len(columns["t"]["list"])
    parts = []
    for i in range(width):  # only parts of text (the page's String() is not Python's str())
        part = [p["t"][i] if "t" in p else None for p in props]
        parts.append(part if all(v is None or isinstance(v, str) for v in part) else None)
    values = [p[key] for p in props]
    for i in range(width):
        for j in range(width):
            if i != j and parts[i] is not None and parts[j] is not None and all(
                    v == f"{a or ''} {b or ''}" for v, a, b in zip(values, parts[i], parts[j])):
                return {"join": [["t", i], ["t", j]], "sep": " ", "absent": []}
    return None


def _column(values: list) -> dict:
    try:
        distinct = list(dict.fromkeys(values))
    except TypeError:  # unhashable values (lists, dicts): as they are
        return {"v": values}
    if len(distinct) * 2 < len(values):
        index = {v: k for k, v in enumerate(distinct)}
        return {"dict": distinct, "i": [index[v] for v in values]}
    return {"v": values}


def unpack_layer(packed: dict) -> dict:
    """The ``FeatureCollection`` a packed layer holds (what the page rebuilds)."""
    flat = np.cumsum(np.asarray(packed["xy"], dtype=np.int64).reshape(-1, 2), axis=0)
    coords = (flat / _SCALE).tolist()
    nested = _nest(coords, packed["counts"], _DEPTH[packed["kind"]])
    missing, single = set(packed["missing"]), set(packed.get("single", []))
    props = _rows(packed["props"], packed["n"])
    name = _NAMES[packed["kind"]]

    def geometry(k: int) -> dict | None:
        if k in missing:
            return None
        if k in single:  # a Polygon the ragged layout carried as a one-part MultiPolygon
            return {"type": name.removeprefix("Multi"), "coordinates": nested[k][0]}
        return {"type": name, "coordinates": nested[k]}

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props[k], "geometry": geometry(k)}
        for k in range(packed["n"])]}


def _nest(items: list, counts: list, depth: int) -> list:
    """Group ``items`` by the count arrays, innermost first."""
    for level in range(depth):
        grouped, at = [], 0
        for c in counts[level]:
            grouped.append(items[at:at + c])
            at += c
        items = grouped
    return items


def _rows(columns: dict, n: int) -> list[dict]:
    rows: list[dict] = [{} for _ in range(n)]
    for key, col in columns.items():
        if "join" in col:  # after the columns it joins (a dict keeps the packed order)
            continue
        values = [[_value(part, k) for part in col["list"]] for k in range(n)] \
            if "list" in col else [_value(col, k) for k in range(n)]
        absent = set(col.get("absent", []))
        for k in range(n):
            if k not in absent:
                rows[k][key] = values[k]
    for key, col in columns.items():
        if "join" in col:
            for k in range(n):
                rows[k][key] = col["sep"].join(
                    rows[k][name][i] or "" if name in rows[k] else "" for name, i in col["join"])
    return rows


def _value(col: dict, k: int):
    return col["dict"][col["i"][k]] if "dict" in col else col["v"][k]


# --- tiles ----------------------------------------------------------------------------------------
def tile_of(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """The Web-Mercator (XYZ, as Leaflet numbers them) tile at ``zoom`` of each point."""
    n = 2 ** zoom
    lat = np.clip(lat, -85.0511, 85.0511)
    x = np.floor((lon + 180.0) / 360.0 * n)
    y = np.floor((1.0 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2.0 * n)
    return np.clip(x, 0, n - 1).astype(np.int64), np.clip(y, 0, n - 1).astype(np.int64)


def tile_layer(geojson: dict, geometry: np.ndarray | None = None, *,
               most: int | None = None) -> dict | None:
    """The tiled form of a ``FeatureCollection`` of polygons or lines (None when it cannot be
    tiled: points, mixed kinds, no features): ``{"n", "z", "tiles": [{"x", "y", "index",
    "packed", "dots", "reach"}]}``. ``index``: the features' positions in the collection
    (delta-encoded); ``dots``: the centre of each feature's bounding box, quantised and
    delta-encoded like ``packed``'s coordinates; ``reach``: how far (1e-5°, east–west and
    north–south) the tile's features extend beyond their centres, so that the page also builds
    a tile out of view whose features reach into it. Features without a geometry sit in a tile
    ``x = y = -1``."""
    features = geojson.get("features", [])
    if geojson.get("type") != "FeatureCollection" or not features:
        return None
    if geometry is None or len(geometry) != len(features):
        geometry = [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None
                    for f in features]
    geoms = np.array(list(geometry), dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not set(shapely.get_type_id(geoms[present]).tolist()) <= {1, 3, 5, 6}:
        return None
    bounds = np.zeros((len(geoms), 4))
    bounds[present] = shapely.bounds(geoms[present])
    centre = np.rint((bounds[:, :2] + bounds[:, 2:]) / 2.0 * _SCALE).astype(np.int64)
    zoom, tx, ty = _tile_zoom(centre / _SCALE, present, TILE_FEATURES if most is None else most)
    order = np.lexsort((np.arange(len(geoms)), ty, tx))
    cut = np.flatnonzero(np.diff(tx[order]) | np.diff(ty[order])) + 1
    tiles = []
    for idx in np.split(order, cut):
        packed = pack_layer({"type": "FeatureCollection", "features": [features[i] for i in idx]},
                            geoms[idx])
        if packed is None:
            return None
        dots = np.diff(np.vstack([np.zeros((1, 2), np.int64), centre[idx]]), axis=0).ravel()
        reach = np.ceil((bounds[idx, 2:] - bounds[idx, :2]).max(axis=0) / 2.0 * _SCALE)
        tiles.append({"x": int(tx[idx[0]]), "y": int(ty[idx[0]]),
                      "index": np.diff(np.r_[0, idx]).tolist(), "packed": packed,
                      "dots": dots.tolist(), "reach": reach.astype(int).tolist()})
    return {"n": len(features), "z": zoom, "tiles": tiles}


def _tile_zoom(centre: np.ndarray, present: np.ndarray, most: int):
    """The smallest zoom (4–18) at which no tile holds more than ``most`` features, and each
    feature's tile there (-1 for a feature without geometry)."""
    for zoom in range(4, 19):
        tx, ty = tile_of(centre[:, 0], centre[:, 1], zoom)
        tx[~present], ty[~present] = -1, -1
        if not present.any():
            break
        _, counts = np.unique(tx[present] * (2 ** zoom) + ty[present], return_counts=True)
        if counts.max() <= most:
            break
    return zoom, tx, ty


def untile_layer(tiled: dict) -> dict:
    """The ``FeatureCollection`` a tiled layer holds, in its original order."""
    features: list = [None] * tiled["n"]
    for tile in tiled["tiles"]:
        index = np.cumsum(tile["index"]).tolist()
        for i, feature in zip(index, unpack_layer(tile["packed"])["features"]):
            features[i] = feature
    return {"type": "FeatureCollection", "features": features}
