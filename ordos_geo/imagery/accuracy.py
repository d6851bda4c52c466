"""Accuracy and area of a class map, the accepted way (Olofsson et al. 2014, *Good practices for
estimating area and assessing accuracy of land change*, Remote Sensing of Environment 148: 42–57).

    sheet, design = og.accuracy.draw_sample("landcover.tif", n=600, seed=7)
    # … an interpreter fills ``reference_class`` …
    result = og.accuracy.assess("landcover.tif", filled_sheet)
    result.areas      # class, map_ha, estimated_ha, ci95_ha, users_accuracy, producers_accuracy

A *map* is a single-band GeoTIFF of integer class codes (``resources/landcover.yaml``) in a
projected CRS in metres; its declared nodata is no class. The map classes are the strata. A
*sample* is stratified random: in each class, pixels drawn without replacement (seeded), their
centres given in EPSG:4326 lon/lat (7 decimals, ~1 cm: a sheet filled by hand points back at
the same pixel). The estimates are Olofsson's: the error matrix in area proportions
``p_ij = W_i n_ij / n_i`` (W_i the mapped share of class i), overall, user's and producer's
accuracies and class areas (the map's total area × the column sums of ``p``), each with a 95 %
interval from the stratified variance estimators (their equations 5, 6, 7 and 10). Mapped areas
are the ground areas of the pixels: cell size × the projection's areal scale at each pixel (a
UTM map is off by up to 0.1 % at a zone's edge otherwise).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputFileError, ValidationError
from ..core.messages import msg
from ..core.schema import header_key, normalise_id
from ..core.yaml_tables import load_table

__all__ = ["classes", "class_code", "class_name", "read_map", "MapInfo", "map_areas",
           "allocate", "draw_sample", "estimate", "Assessment", "read_sheet", "assess",
           "ALLOCATIONS", "SHEET_COLUMNS", "AREA_COLUMNS", "write_design", "vegetated_codes",
           "pixel_ground_ha",
           "zone_regions", "vegetated_table"]

#: the columns of an interpretation sheet, in this order (``reference_class`` left empty)
SHEET_COLUMNS = ["sample_id", "lon", "lat", "map_class", "reference_class"]
#: the first columns of ``areas.csv``
AREA_COLUMNS = ["class", "map_ha", "estimated_ha", "ci95_ha", "users_accuracy",
                "producers_accuracy"]
#: how a sample's size is shared among the classes
ALLOCATIONS = ("olofsson", "proportional", "equal")
_STRIP = 512  # rows read at once


@lru_cache(maxsize=1)
def classes() -> dict[int, dict]:
    """The land-cover classes: ``{code: {key, zh, en, aliases}}`` (``resources/landcover.yaml``)."""
    return {int(k): v for k, v in load_table("landcover")["classes"].items()}


@lru_cache(maxsize=1)
def _names() -> dict[str, int]:
    out: dict[str, int] = {}
    for code, spec in classes().items():
        for name in (spec["key"], spec["zh"], spec["en"], *spec.get("aliases", [])):
            out.setdefault(header_key(name), code)
    return out


def vegetated_codes() -> list[int]:
    """The codes of the classes counted as vegetated (``landcover.yaml``'s ``vegetated``)."""
    keys = set(load_table("landcover")["vegetated"])
    return [code for code, spec in classes().items() if spec["key"] in keys]


def class_name(code: int, *, lang: str | None = None) -> str:
    """The name of class ``code`` in ``lang`` (default ``settings.lang``); ``class 9`` for a
    code the table does not hold."""
    from ..core.settings import settings

    spec = classes().get(int(code))
    if spec is None:
        return f"class {int(code)}"
    return spec["zh" if (lang or settings.lang) == "zh" else "en"]


def class_code(value) -> int | None:
    """The code a sheet's cell names: an integer code, or a class's key, Chinese or English
    name or alias (case, width and spacing ignored; invisible characters removed). ``None``
    for an empty cell; :class:`ValueError` for text that names no class."""
    text = normalise_id(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:  # a code of the table, nothing else (0 is "no class")
        if np.isfinite(number) and number == int(number) and int(number) in classes():
            return int(number)
        raise ValueError(text)
    code = _names().get(header_key(text))
    if code is None:
        raise ValueError(text)
    return code


@dataclass(frozen=True)
class MapInfo:
    """A class map's grid: path, CRS, transform, size and nodata."""
    path: Path
    crs: object
    transform: object
    width: int
    height: int
    nodata: int | None


def read_map(path: str | os.PathLike) -> MapInfo:
    """Open a class map and check it is one: one band of integers, a projected CRS in metres.
    Anything else is an :class:`InputFileError` saying what it is and what is needed."""
    import rasterio

    path = Path(path)
    try:
        src = rasterio.open(path)
    except Exception as exc:  # rasterio's errors vary by driver
        raise InputFileError(f"{path}: not a readable raster ({exc}).") from None
    with src:
        if src.count != 1 or not np.issubdtype(np.dtype(src.dtypes[0]), np.integer):
            raise InputFileError(f"{path}: a class map is one band of integer codes; this has "
                                 f"{src.count} band(s) of {src.dtypes[0]}.")
        crs = src.crs
        if crs is None or not crs.is_projected or abs(crs.linear_units_factor[1] - 1) > 1e-9:
            raise InputFileError(f"{path}: the map's CRS ({crs}) is not projected in metres; "
                                 "reproject it (e.g. to its UTM zone) first.")
        nodata = None if src.nodata is None else int(src.nodata)
        return MapInfo(path, crs, src.transform, src.width, src.height, nodata)


def pixel_ground_ha(crs, transform, cols, rows) -> np.ndarray:
    """True (ground) hectares of the pixels at ``cols``, ``rows`` (indices; arrays or numbers)
    of a grid in a projected ``crs`` with ``transform``: the cell's grid area divided by the
    projection's areal scale at its centre (a UTM cell is off by up to 0.1 % otherwise)."""
    from pyproj import Proj, Transformer

    t = transform
    c, r = np.asarray(cols, float) + 0.5, np.asarray(rows, float) + 0.5
    x, y = t.c + t.a * c + t.b * r, t.f + t.d * c + t.e * r
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    scale = Proj(crs).get_factors(lon, lat).areal_scale
    return abs(t.a * t.e - t.b * t.d) / np.asarray(scale) / 10_000.0


def _column_areas(info: MapInfo, row: int) -> np.ndarray:
    """Ground area (ha) of each pixel of one row of the map."""
    return pixel_ground_ha(info.crs, info.transform, np.arange(info.width),
                           np.full(info.width, row))


def _strips(info: MapInfo):
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(info.path) as src:
        for r0 in range(0, info.height, _STRIP):
            rows = min(_STRIP, info.height - r0)
            yield r0, src.read(1, window=Window(0, r0, info.width, rows))


def map_areas(info: MapInfo, *, regions: np.ndarray | None = None) -> pd.DataFrame:
    """Pixels and ground hectares of every class of the map (``class, pixels, map_ha``); given
    ``regions`` (an integer raster of the map's shape, 0 outside), per region as well
    (``region`` column, -1 the whole map)."""
    tally: dict[tuple[int, int], list[float]] = {}
    for r0, block in _strips(info):
        area = _column_areas(info, r0 + block.shape[0] // 2)
        good = block != info.nodata if info.nodata is not None else np.ones(block.shape, bool)
        values = block[good].astype(np.int64)
        weights = np.broadcast_to(area, block.shape)[good]
        keys = [(-1, values)]
        if regions is not None:
            keys.append((None, regions[r0:r0 + block.shape[0]][good]))
        for region, codes in keys:
            frame = pd.DataFrame({"region": -1 if region == -1 else codes, "class": values,
                                  "ha": weights})
            for (g, c), part in frame.groupby(["region", "class"])["ha"]:
                entry = tally.setdefault((int(g), int(c)), [0, 0.0])
                entry[0] += len(part)
                entry[1] += float(part.sum())
    foreign = sorted({c for _, c in tally} - set(classes()) - {0})
    if foreign:
        raise InputFileError(f"{info.path}: the map holds codes {foreign[:10]} that are no class "
                             "of landcover.yaml (1–8 and 0 for no class); recode the map, or "
                             "set those pixels to its nodata.")
    rows = [{"region": g, "class": c, "pixels": n, "map_ha": ha}
            for (g, c), (n, ha) in sorted(tally.items())]
    out = pd.DataFrame(rows, columns=["region", "class", "pixels", "map_ha"])
    out = out[(out["region"] == -1) | (out["region"] > 0)]
    return out if regions is not None else out.drop(columns="region")


def allocate(pixels: pd.Series, n: int, *, allocation: str | dict = "olofsson",
             min_per_class: int | None = None) -> pd.Series:
    """Samples per class (``pixels``: class → pixel count) summing to ``n`` (or to all the
    pixels when there are fewer): ``olofsson`` — every class at least ``min_per_class`` (50),
    the rest in proportion to area; ``proportional`` — in proportion to area (a class of some
    pixels gets at least 2, so that it has an interval); ``equal``; or a mapping class → n.
    No class gets more than its pixels; rounding by largest remainders."""
    pixels = pixels[pixels > 0].astype(np.int64)
    if isinstance(allocation, dict):
        return _given(pixels, allocation)
    if allocation not in ALLOCATIONS:
        raise ValidationError(f"allocation {allocation!r}: give one of {', '.join(ALLOCATIONS)} "
                              "or class=n pairs.")
    if n < 2 * len(pixels):
        raise ValidationError(f"n = {n}: too few for {len(pixels)} classes (at least 2 each, "
                              "so that every class has an interval).")
    floor = min_per_class if min_per_class is not None else load_table("landcover")[
        "min_per_class"]
    least = {"olofsson": floor, "proportional": 2, "equal": n // len(pixels)}[allocation]
    out = np.minimum(pixels.to_numpy(), least)
    if out.sum() > n:
        raise ValidationError(f"n = {n}: less than the {least} per class the {allocation} "
                              f"allocation gives ({int(out.sum())} in all); raise n or choose "
                              "proportional.")
    share = pixels.to_numpy() / pixels.sum() if allocation != "equal" else \
        np.full(len(pixels), 1 / len(pixels))
    while out.sum() < min(n, pixels.sum()):
        room = pixels.to_numpy() - out
        want = np.where(room > 0, share, 0.0)
        left = min(n, pixels.sum()) - out.sum()
        extra = np.minimum(room, np.floor(want / want.sum() * left).astype(np.int64))
        if extra.sum() == 0:  # the remainders: one each, largest first
            order = np.argsort(-(want / want.sum() * left - extra), kind="stable")
            extra[order[:left]] = 1
            extra = np.minimum(extra, room)
        out = out + extra
    return pd.Series(out, index=pixels.index, name="n")


def _given(pixels: pd.Series, allocation: dict) -> pd.Series:
    out = pd.Series(0, index=pixels.index, name="n", dtype=np.int64)
    for code, k in allocation.items():
        if int(code) not in pixels.index:
            raise ValidationError(f"allocation: class {code} is not in the map.")
        if int(k) < 2:
            raise ValidationError(f"allocation: class {code} = {k}; give 2 or more.")
        out[int(code)] = min(int(k), int(pixels[int(code)]))
    missing = [int(c) for c in pixels.index if out[c] == 0]
    if missing:
        raise ValidationError(f"allocation: classes {missing} are in the map but get no sample; "
                              "every mapped class needs some (its area is estimated from them).")
    return out


def draw_sample(path: str | os.PathLike, *, n: int = 600, allocation: str | dict = "olofsson", seed: int = 2026,
                min_per_class: int | None = None) -> tuple[pd.DataFrame, dict]:
    """A stratified random sample of the class map at ``path``: the interpretation sheet
    (:data:`SHEET_COLUMNS`, then ``map_class_name``, ``x``, ``y`` in the map's CRS) and its
    design (seed, allocation, pixels and samples per class, the map's CRS and size), so that
    the same call draws the same sample."""
    info = read_map(path)
    areas = map_areas(info).set_index("class")
    if areas.empty:
        raise ValidationError(f"{info.path}: the map holds no class (every pixel nodata).")
    counts = allocate(areas["pixels"], n, allocation=allocation, min_per_class=min_per_class)
    rng = np.random.default_rng(seed)
    picks = {c: np.sort(rng.choice(int(areas.at[c, "pixels"]), size=int(k), replace=False))
             for c, k in counts.items()}
    rows, cols, codes = _locate(info, picks)
    t = info.transform
    x, y = t * (cols + 0.5, rows + 0.5)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(info.crs, "EPSG:4326", always_xy=True).transform(x, y)
    order = rng.permutation(len(codes))  # interpreters should not see the strata in order
    sheet = pd.DataFrame({
        "sample_id": [f"S{k + 1:04d}" for k in range(len(codes))],
        "lon": np.round(np.asarray(lon)[order], 7), "lat": np.round(np.asarray(lat)[order], 7),
        "map_class": codes[order], "reference_class": "",
        "map_class_name": [class_name(c) for c in codes[order]],
        "x": np.asarray(x)[order], "y": np.asarray(y)[order]})
    design = {"map": str(info.path), "crs": info.crs.to_string(), "width": info.width,
              "height": info.height, "seed": int(seed), "n": int(counts.sum()),
              "allocation": allocation if isinstance(allocation, str) else
              {str(k): int(v) for k, v in allocation.items()},
              "classes": {str(c): {"pixels": int(areas.at[c, "pixels"]),
                                   "map_ha": float(areas.at[c, "map_ha"]), "n": int(counts[c])}
                          for c in counts.index}}
    return sheet, design


def _locate(info: MapInfo, picks: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and class of the k-th pixel (in reading order) of each class, for the
    sorted ranks ``picks[class]``."""
    seen = {c: 0 for c in picks}
    rows, cols, codes = [], [], []
    for r0, block in _strips(info):
        flat = block.ravel()
        for c, ranks in picks.items():
            where = np.flatnonzero(flat == c)
            lo, hi = np.searchsorted(ranks, [seen[c], seen[c] + len(where)])
            hit = where[ranks[lo:hi] - seen[c]]
            rows.append(r0 + hit // info.width)
            cols.append(hit % info.width)
            codes.append(np.full(len(hit), c, dtype=np.int64))
            seen[c] += len(where)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(codes)


@dataclass
class Assessment:
    """Olofsson's estimates for one map (or region): ``error_matrix`` (area proportions, map
    classes as rows, reference classes as columns), ``counts`` (the sample's error matrix),
    ``accuracy`` (``metric, class, estimate, ci95, n``) and ``areas`` (:data:`AREA_COLUMNS`
    then ``users_ci95, producers_ci95, n_samples, note``)."""
    error_matrix: pd.DataFrame
    counts: pd.DataFrame
    accuracy: pd.DataFrame
    areas: pd.DataFrame
    notes: list = field(default_factory=list)
    mapped_ha: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    z: float = 1.96
    #: the whole sample (``map_class, reference_class, inside``: in this region) and the
    #: strata's mapped hectares over the whole map
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    strata_ha: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    def area_of(self, codes) -> dict:
        """The estimated hectares of one or several reference classes (vegetated = grass and
        cropland) in this map or region, with the 95 % half-width: the stratified estimator of a
        domain total, ``Σ_h A_h ȳ_h`` with ``y = 1`` for a sample inside the region whose
        reference is one of ``codes`` and variance ``Σ_h A_h² s²_h / n_h`` (Stehman 2014; for the
        whole map and one class it is Olofsson's area estimator, for several classes their merged
        columns, so their covariance counts)."""
        codes = [int(c) for c in codes]
        mapped = float(self.mapped_ha.reindex(codes).fillna(0.0).sum())
        if self.samples.empty:
            return {"map_ha": mapped, "estimated_ha": np.nan, "ci95_ha": np.nan}
        s = self.samples
        y = (s["inside"].to_numpy() & s["reference_class"].isin(codes).to_numpy()).astype(float)
        frame = pd.DataFrame({"h": s["map_class"].to_numpy(), "y": y})
        by = frame.groupby("h")["y"]
        mean, var, n = by.mean(), by.var(ddof=1), by.size()
        area = self.strata_ha.reindex(mean.index).to_numpy()
        with np.errstate(invalid="ignore"):
            variance = np.sum(area ** 2 * var.to_numpy() / n.to_numpy())
        return {"map_ha": mapped, "estimated_ha": float(np.sum(area * mean.to_numpy())),
                "ci95_ha": self.z * float(np.sqrt(variance))}


def estimate(map_class: Sequence[int], reference_class: Sequence[int], *, mapped_ha: pd.Series, z: float | None = None
             ) -> Assessment:
    """Olofsson et al.'s (2014) stratified estimates from a sample's ``map_class`` and
    ``reference_class`` (codes) and the mapped area of every map class (``mapped_ha``: class →
    ha, the strata's sizes). A mapped class with no sample is refused (its area would go
    nowhere); one with a single sample has no interval (NaN, noted)."""
    z = float(load_table("landcover")["z"]) if z is None else float(z)
    m = pd.Series(np.asarray(map_class), dtype=np.int64)
    r = pd.Series(np.asarray(reference_class), dtype=np.int64)
    mapped = mapped_ha[mapped_ha > 0].astype(float)
    strays = sorted(set(m) - set(mapped.index))
    if strays:
        raise ValidationError(f"samples mapped as class {strays}, which has no mapped area.")
    empty = [int(c) for c in mapped.index if not (m == c).any()]
    if empty:
        raise ValidationError(
            f"map class {empty} ({', '.join(class_name(c) for c in empty)}) has mapped area "
            f"({mapped[empty].round(2).tolist()} ha) but no sample: its area cannot be "
            "attributed; add samples in it.")
    codes = sorted(set(mapped.index) | set(r))
    n = pd.crosstab(m, r).reindex(index=codes, columns=codes, fill_value=0).astype(float)
    n.index.name, n.columns.name = "map_class", "reference_class"
    n = n.loc[[c for c in codes if c in mapped.index]]
    return _with_samples(_olofsson(n, mapped.reindex(n.index), z), m, r, mapped)


def _olofsson(n: pd.DataFrame, mapped: pd.Series, z: float) -> Assessment:
    ni = n.sum(axis=1).to_numpy()
    W = (mapped / mapped.sum()).to_numpy()
    total = float(mapped.sum())
    share = n.to_numpy() / ni[:, None]
    p = W[:, None] * share
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.where(ni > 1, ni - 1, np.nan)[:, None]
        area_var = np.nansum(W[:, None] ** 2 * share * (1 - share) / denom, axis=0)
        single = np.isnan(denom).ravel()
        if single.any():  # a stratum of one sample: variance unknown where it counts
            area_var[(n.to_numpy()[single] > 0).any(axis=0)] = np.nan
        pk = p.sum(axis=0)
        cols = list(n.columns)
        rows = list(n.index)
        diag_col = np.array([p[rows.index(c), k] if c in rows else 0.0
                             for k, c in enumerate(cols)])
        users = np.array([share[i, cols.index(c)] for i, c in enumerate(rows)])
        users_var = users * (1 - users) / denom.ravel()
        producers = np.where(pk > 0, diag_col / pk, np.nan)
        overall = float(sum(p[i, cols.index(c)] for i, c in enumerate(rows)))
        overall_var = float(np.sum(W ** 2 * users * (1 - users) / denom.ravel()))
        prod_var = _producers_var(n, mapped, producers, users)
    matrix = pd.DataFrame(p, index=pd.Index(n.index, name="map_class"),
                          columns=pd.Index(n.columns, name="reference_class"))
    areas = pd.DataFrame({"class": cols, "map_ha": [float(mapped.get(c, 0.0)) for c in cols],
                          "estimated_ha": pk * total, "ci95_ha": z * np.sqrt(area_var) * total})
    areas["users_accuracy"] = [users[rows.index(c)] if c in rows else np.nan for c in cols]
    areas["producers_accuracy"] = producers
    areas["users_ci95"] = [z * np.sqrt(users_var[rows.index(c)]) if c in rows else np.nan
                           for c in cols]
    areas["producers_ci95"] = z * np.sqrt(prod_var)
    areas["n_samples"] = [int(ni[rows.index(c)]) if c in rows else 0 for c in cols]
    areas["note"] = [msg("acc_one_sample") if c in rows and ni[rows.index(c)] == 1 else ""
                     for c in cols]
    areas["note"] = [_certainty_note(note, est, ci) for note, est, ci in
                     zip(areas["note"], areas["estimated_ha"], areas["ci95_ha"])]
    accuracy = _accuracy_table(overall, z * np.sqrt(overall_var), areas, int(ni.sum()))
    return Assessment(matrix, n.astype(int), accuracy, areas, mapped_ha=mapped, z=z)


def _with_samples(a: Assessment, map_class, reference_class, strata_ha: pd.Series,
                  inside=None) -> Assessment:
    a.samples = pd.DataFrame({"map_class": np.asarray(map_class, dtype=np.int64),
                              "reference_class": np.asarray(reference_class, dtype=np.int64),
                              "inside": np.ones(len(map_class), bool) if inside is None
                              else np.asarray(inside, bool)})
    a.strata_ha = strata_ha
    return a


def _producers_var(n: pd.DataFrame, mapped: pd.Series, producers, users) -> np.ndarray:
    """Olofsson et al. (2014) eq. 7 (Card 1982): the variance of each producer's accuracy."""
    N = mapped.to_numpy()
    counts = n.to_numpy()
    ni = counts.sum(axis=1)
    rows, cols = list(n.index), list(n.columns)
    est = (N[:, None] / ni[:, None] * counts).sum(axis=0)  # estimated pixels of each class
    out = np.full(len(cols), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, c in enumerate(cols):
            if est[k] <= 0:
                continue
            share = counts[:, k] / ni
            others = np.array([i for i, r in enumerate(rows) if r != c], dtype=int)
            term = np.sum(N[others] ** 2 * share[others] * (1 - share[others]) /
                          (ni[others] - 1)) if len(others) else 0.0
            own = 0.0
            if c in rows:
                j = rows.index(c)
                own = N[j] ** 2 * (1 - producers[k]) ** 2 * users[j] * (1 - users[j]) / \
                    (ni[j] - 1)
            out[k] = (own + producers[k] ** 2 * term) / est[k] ** 2
    return out


def _accuracy_table(overall: float, overall_ci: float, areas: pd.DataFrame, n: int
                    ) -> pd.DataFrame:
    rows = [{"metric": "overall", "class": "", "estimate": overall, "ci95": overall_ci, "n": n}]
    for row in areas.itertuples():
        rows.append({"metric": "users", "class": row[1], "estimate": row.users_accuracy,
                     "ci95": row.users_ci95, "n": row.n_samples})
        rows.append({"metric": "producers", "class": row[1], "estimate": row.producers_accuracy,
                     "ci95": row.producers_ci95, "n": row.n_samples})
    return pd.DataFrame(rows, columns=["metric", "class", "estimate", "ci95", "n"])


def read_sheet(sheet: str | os.PathLike | pd.DataFrame, info: MapInfo, *, source: str = "sheet") -> pd.DataFrame:
    """An interpretation sheet (a table or its file, ours or one made by hand) checked against
    the map: ``sample_id``, ``lon``, ``lat`` and ``reference_class`` needed (codes or names);
    each point is placed on its pixel and its map class read from the map (a ``map_class`` the
    sheet gives must agree). Returns ``sample_id, row, col, map_class, reference_class``.
    Every problem names the file, line, sample and field."""
    from ..io.tables import read_raw

    frame = read_raw(sheet, as_text=True) if not isinstance(sheet, pd.DataFrame) else \
        sheet.astype(str).where(sheet.notna(), "")
    from ..core.schema import headers

    back = {header_key(v): k for k, v in headers()["zh"].items()}
    frame = frame.rename(columns=lambda c: back.get(header_key(c), header_key(c)))
    missing = [c for c in ("sample_id", "lon", "lat", "reference_class") if c not in frame]
    if missing:
        raise ValidationError(f"{source}: no column {missing}; a sheet has "
                              f"{', '.join(SHEET_COLUMNS)}.")
    ids = frame["sample_id"].astype(str).str.strip()
    place = lambda k: f"{source}, line {k + 2} (sample {ids.iloc[k]!r})"  # noqa: E731
    same = ids.map(lambda v: (normalise_id(v) or "").casefold())  # S0002 = Ｓ０００２ = s0002\u200b
    dup = same.duplicated() | (same == "")
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValidationError(f"{place(k)}: sample_id empty or given twice.")
    rows, cols = _pixels(frame, info, place)
    twice = pd.Series(rows * info.width + cols).duplicated().to_numpy()
    if twice.any():  # a stratified sample never draws a pixel twice: a copied row
        k = int(np.flatnonzero(twice)[0])
        first = int(np.flatnonzero((rows == rows[k]) & (cols == cols[k]))[0])
        raise ValidationError(f"{place(k)}: the same pixel as sample {ids.iloc[first]!r} "
                              f"(line {first + 2}); a pixel is sampled once.")
    mapped = _map_values(info, rows, cols)
    reference = _codes(frame["reference_class"], place, "reference_class")
    if "map_class" in frame:
        given = _codes(frame["map_class"], place, "map_class", empty_ok=True)
        for k, (a, b) in enumerate(zip(given, mapped)):
            if a is not None and a != b:
                raise ValidationError(f"{place(k)}: map_class {a} but the map has {b} there; "
                                      "the sheet was drawn from another map or its points moved.")
    nodata = [k for k, v in enumerate(mapped) if info.nodata is not None and v == info.nodata]
    if nodata:
        raise ValidationError(f"{place(nodata[0])}: the map has no class there (nodata).")
    blank = [k for k, v in enumerate(reference) if v is None]
    if blank:
        raise ValidationError(
            f"{source}: {len(blank)} of {len(frame)} samples have no reference_class (first "
            f"{ids.iloc[blank[0]]!r}, line {blank[0] + 2}); label every sample — leaving some "
            "out biases the estimates.")
    return pd.DataFrame({"sample_id": ids.to_numpy(), "row": rows, "col": cols,
                         "map_class": mapped, "reference_class": np.array(reference, int)})


def _pixels(frame: pd.DataFrame, info: MapInfo, place) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    lon = pd.to_numeric(frame["lon"].astype(str).str.strip(), errors="coerce").to_numpy()
    lat = pd.to_numeric(frame["lat"].astype(str).str.strip(), errors="coerce").to_numpy()
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{place(k)}: lon, lat = {frame['lon'].iloc[k]!r}, "
                              f"{frame['lat'].iloc[k]!r} is not a point in degrees.")
    x, y = Transformer.from_crs("EPSG:4326", info.crs, always_xy=True).transform(lon, lat)
    col, row = ~info.transform * (np.asarray(x), np.asarray(y))
    col, row = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    out = (col < 0) | (row < 0) | (col >= info.width) | (row >= info.height)
    if out.any():
        k = int(np.flatnonzero(out)[0])
        raise ValidationError(f"{place(k)}: ({lon[k]}, {lat[k]}) lies outside the map.")
    return row, col


def _map_values(info: MapInfo, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.zeros(len(rows), dtype=np.int64)
    for r0, block in _strips(info):
        inside = (rows >= r0) & (rows < r0 + block.shape[0])
        out[inside] = block[rows[inside] - r0, cols[inside]]
    return out


def _codes(values: pd.Series, place, what: str, *, empty_ok: bool = True) -> list:
    out = []
    for k, value in enumerate(values):
        try:
            out.append(class_code(value))
        except ValueError:
            known = "; ".join(f"{c} {s['zh']}/{s['en']}" for c, s in classes().items())
            raise ValidationError(f"{place(k)}: {what} = {value!r} names no class; give a code "
                                  f"or a name ({known}).") from None
    return out


def assess(path: str | os.PathLike, sheet: str | os.PathLike | pd.DataFrame, *, regions: dict | None = None, source: str = "sheet"
           ) -> dict[str, Assessment]:
    """Olofsson's estimates for the class map at ``path`` from a filled ``sheet``:
    ``{"map": Assessment}``, and with ``regions`` (``{name: (raster, ids)}`` — an integer
    raster of the map's shape, 0 outside, and the id of each value) one per region where the
    sample allows (every mapped class of the region sampled), else a note why not."""
    info = read_map(path)
    table = read_sheet(sheet, info, source=source)
    areas = map_areas(info).set_index("class")["map_ha"]
    out = {"map": estimate(table["map_class"], table["reference_class"], mapped_ha=areas)}
    for name, (raster, ids) in (regions or {}).items():
        out.update(_by_region(info, table, name, raster, ids))
    return out


def _by_region(info: MapInfo, table: pd.DataFrame, name: str, raster: np.ndarray,
               ids: dict) -> dict[str, Assessment]:
    areas = map_areas(info, regions=raster)
    strata = areas[areas["region"] == -1].set_index("class")["map_ha"]
    strata = strata[strata > 0]
    where = raster[table["row"].to_numpy(), table["col"].to_numpy()]
    least = int(load_table("landcover")["min_region_samples"])
    out = {}
    for value, region_id in ids.items():
        mapped = areas[areas["region"] == value].set_index("class")["map_ha"]
        inside = where == value
        key = f"{name}:{region_id}"
        if mapped.empty:
            out[key] = _note_only(msg("acc_outside", region=region_id))
        elif inside.sum() < least:
            out[key] = _note_only(msg("acc_few_samples", region=region_id,
                                      n=int(inside.sum()), least=least), mapped)
        else:
            out[key] = _region(table, inside, mapped, strata)
    return out


def _region(table: pd.DataFrame, inside: np.ndarray, mapped: pd.Series, strata: pd.Series
            ) -> Assessment:
    """A region's class hectares as domain totals of the map's stratified sample (every
    stratum's samples count, those outside the region as zeros), and the user's accuracy of
    each map class among the region's samples of it."""
    a = _with_samples(Assessment(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                                 pd.DataFrame(), mapped_ha=mapped,
                                 z=float(load_table("landcover")["z"])),
                      table["map_class"], table["reference_class"], strata, inside)
    here = table[inside]
    rows = []
    for code in sorted(set(mapped.index) | set(here["reference_class"])):
        got = a.area_of([code])
        mine = here[here["map_class"] == code]
        right = (mine["reference_class"] == code).mean() if len(mine) else np.nan
        ci = a.z * np.sqrt(right * (1 - right) / (len(mine) - 1)) if len(mine) > 1 else np.nan
        rows.append({"class": int(code), "map_ha": float(mapped.get(code, 0.0)),
                     "estimated_ha": got["estimated_ha"], "ci95_ha": got["ci95_ha"],
                     "users_accuracy": right, "producers_accuracy": np.nan,
                     "users_ci95": ci, "producers_ci95": np.nan, "n_samples": len(mine),
                     "note": msg("acc_none_sampled") if got["estimated_ha"] == 0 and mapped.get(code, 0.0) > 0 else _certainty_note("", got["estimated_ha"], got["ci95_ha"])})
    a.areas = pd.DataFrame(rows)
    return a


def _certainty_note(note: str, estimated: float, ci95: float) -> str:
    """``note``, and when an estimate of some hectares comes with ± 0 (no sample of its
    strata disagreed), that this is the sample's, not certainty; when it has no interval
    (a stratum of one sample), why."""
    extra = ""
    if estimated > 0 and ci95 == 0:
        extra = msg("acc_no_disagreement")
    elif estimated > 0 and not np.isfinite(ci95) and not note:
        extra = msg("acc_one_sample")
    return "; ".join(t for t in (note, extra) if t)


def _note_only(note: str, mapped: pd.Series | None = None) -> Assessment:
    """A region the sample does not allow: its mapped hectares, no estimate, the reason."""
    mapped = pd.Series({"": 0.0}) if mapped is None else mapped  # one row says why
    areas = pd.DataFrame({"class": list(mapped.index), "map_ha": mapped.to_numpy()})
    for col in AREA_COLUMNS[2:] + ["users_ci95", "producers_ci95"]:
        areas[col] = np.nan
    areas["n_samples"] = 0
    areas["note"] = note
    empty = pd.DataFrame()
    return Assessment(empty, empty, empty, areas, [note],
                      mapped_ha=mapped if len(mapped) and "" not in mapped.index else
                      pd.Series(dtype=float))


def zone_regions(zones, info: MapInfo) -> dict:
    """Zones (``zone_id``, ``banner``) burnt on the map's grid by pixel centre, for
    :func:`assess`: ``{"zone": (raster, ids), "banner": (raster, ids)}`` (a banner: its
    zones)."""
    from rasterio.features import rasterize

    zones = zones.to_crs(info.crs)
    shape = (info.height, info.width)
    zone_ids = {k + 1: z for k, z in enumerate(zones["zone_id"].astype(str))}
    raster = rasterize([(g, k) for k, g in zip(zone_ids, zones.geometry)], out_shape=shape,
                       transform=info.transform, fill=0, dtype="int32")
    banners = sorted(set(zones["banner"].astype(str)))
    of = {b: k + 1 for k, b in enumerate(banners)}
    lookup = np.r_[0, [of[str(b)] for b in zones["banner"]]].astype("int32")
    return {"zone": (raster, zone_ids), "banner": (lookup[raster], {v: b for b, v in of.items()})}


def vegetated_table(result: dict[str, Assessment]) -> pd.DataFrame:
    """Vegetated hectares (``landcover.yaml``'s vegetated classes together) of the map and of
    every region, with their 95 % half-widths: ``region, map_ha, estimated_ha, ci95_ha, note``."""
    codes = vegetated_codes()
    rows = []
    for key, a in result.items():
        row = {"region": key, **a.area_of(codes)}
        row["note"] = _certainty_note("; ".join(a.notes), row.get("estimated_ha", np.nan),
                                      row.get("ci95_ha", np.nan))
        rows.append(row)
    return pd.DataFrame(rows, columns=["region", "map_ha", "estimated_ha", "ci95_ha", "note"])


def write_design(design: dict, path: Path) -> Path:
    """The sample's design as JSON (atomic)."""
    from ..io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(design, ensure_ascii=False, indent=2), "utf-8")
    return path
