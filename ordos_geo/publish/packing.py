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

>>> packed = pack_layer(layer["geojson"])       # what the page carries
>>> unpack_layer(packed) == layer["geojson"]    # True (coordinates to 1e-5°)
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["QUANTUM", "pack_layer", "unpack_layer"]

#: coordinate step of the packed form, degrees (the display coordinates' rounding)
QUANTUM = 1e-5
_SCALE = round(1 / QUANTUM)
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
    return out


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
        values = [[_value(part, k) for part in col["list"]] for k in range(n)] \
            if "list" in col else [_value(col, k) for k in range(n)]
        absent = set(col.get("absent", []))
        for k in range(n):
            if k not in absent:
                rows[k][key] = values[k]
    return rows


def _value(col: dict, k: int):
    return col["dict"][col["i"][k]] if "dict" in col else col["v"][k]
