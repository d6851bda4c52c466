"""Reclamation progress from multi-date imagery: per site, zone and banner, date by date.

>>> scenes = og.imagery.read_manifest("scenes.csv")          # or og.imagery.scenes_from_stac(...)
>>> result = og.reclamation.progress(sites, scenes, zones=zoned, plans=plans)
>>> result.by_date        # one row per site and date
>>> result.summary        # one row per site and year: target, detected, status, trajectory

**Zonal statistics with partial pixels.** Mine parcels are small, so each pixel counts by the
fraction of it a polygon covers (exactextract computes those fractions). Coverage fractions depend
only on the polygons and the pixel grid, so they are computed **once per grid** (from 1,000
polygons on, in forked Dask worker processes on Linux: exactextract holds the GIL) and reused for
every date and every measure; the coverage-weighted sums are sparse products, which run on
threads without the GIL. Scenes are read in full-width strips (bounded memory whatever the
scene size); scenes run in parallel through Dask (pass a ``dask.distributed`` client to use a
cluster). Hectares are true hectares: a polygon's covered pixel fractions are scaled by its
equal-area area over its area in the raster's CRS.

A banner is measured as the union of its sites: a parcel inside its mine counts once, a dump
outside its mine's licence area counts too — each piece of ground once. (Exactly: the sum of its
sites minus, for each site, the part earlier sites of the banner already cover; only those
overlaps are measured apart.)

**One count per ground cell and date.** Bands on another pixel grid than the red band
(Sentinel-2's 20 m SCL and B11, or another CRS) are read resampled onto red's grid (nearest
neighbour for the QA band, bilinear for reflectance); cells a band does not cover are masked.
Where tiles of one date and sensor overlap (Ordos lies across Sentinel-2 tiles in UTM zones 48
and 49), each polygon is measured on the tile where it has the most valid coverage — never
summed. ``result.scenes`` lists every scene: its Sentinel-2 offset and where it came from
(``stac``, ``manifest``, or ``date (assumed)`` with a warning), the bands resampled, the smallest
share of red's extent a band covers, and the number of sites it covers (a scene covering none
is listed there and warned about).

Per polygon and date: ``valid_fraction`` (cloud-free share of the polygon's covered area),
``mean_ndvi`` and ``mean_fvc`` (over valid pixels), ``vegetated_ha``, ``bare_ha``, ``water_ha``,
``dark_ha`` (valid pixels of each class), ``masked_ha`` (cloud, shadow, snow, nodata),
``covered_ha`` (inside the scene) and ``area_ha``.

**Status** (per site or zone and year, against the annual plans). The summary has one row per
polygon and year from its first to its last imaged year. One **baseline year** per polygon
(``baseline_year``): the year before the first plan year when it has a clear observation, else
the first year with one. ``detected_gain_ha`` is the year's ``vegetated_ha`` minus the
baseline's; ``target_ha`` is the planned area due from the baseline to the year (the plans'
targets summed over the plan years up to the year, minus those up to the baseline year; a year
after the last plan year keeps the last sum). ``ahead`` when gain ≥ 1.1 × target, ``on_track``
when gain ≥ 0.9 × target, else ``behind``; ``no_target`` for a year before the first plan year
(``target_ha`` empty), the baseline year itself (target 0) and polygons without plans;
``no_data`` for a year without a clear observation (planned or not). A year's ``vegetated_ha``
is the median, over its dates with ``valid_fraction`` ≥ 0.6, of the vegetated share of the valid
area times ``area_ha``. Detected vegetation and declared reclaimed area are different quantities
and are reported side by side. A mine reclaiming exactly its plan is ``on_track`` in every
planned year.

**Trajectory** (per site, over all years; Theil–Sen slope of the yearly vegetated share):
``degrading`` (once ≥ 0.4, now ≥ 0.15 lower, slope < −0.02/yr), ``reclaimed_stable`` (share ≥ 0.5
and the slope of the last three years within ±0.03/yr), ``recovering`` (slope > 0.02/yr),
``still_disturbed`` (otherwise);
``insufficient_data`` with fewer than 3 years. ``projected_year``: the year the target cover
(the zone standard's ``target_cover_pct``, else 60 %) is reached, with the reason in
``projection``: ``reached`` (the latest years are at or above it, since that year), ``trend``
(a Theil–Sen slope whose 95 % lower bound is above zero reaches it within 30 years of the last
observation), otherwise empty with ``no_upward_trend``, ``beyond_horizon`` or
``insufficient_data``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import cluster, projection
from ..core.errors import InputFileError, ValidationError
from ..core.messages import msg
from ..core.utils import progress_bar, renamed
from . import grids
from .grids import Coverage, coverage
from .scenes import Scene, Thresholds, check_scenes, measures, reflectance, valid_mask

__all__ = ["theil_sen", "read_summary", "Coverage", "coverage", "scene_sums", "polygon_stats", "progress", "ProgressResult",
           "SUMS", "yearly", "status_of", "trajectories"]

log = logging.getLogger("ordos_geo")

#: Coverage-weighted sums accumulated per polygon and scene (pixel units).
SUMS = ("total", "valid", "ndvi", "fvc", "vegetated", "bare", "water", "dark")
MIN_VALID = 0.6


def _scene_endmembers(datasets: dict, scene: Scene) -> tuple[float, float]:
    """5th/95th NDVI percentiles of the scene's valid pixels, from a decimated read."""
    src = datasets["red"][0]
    shape = (max(1, src.height // 10), max(1, src.width // 10))
    refl = {b: reflectance(datasets[b][0].read(datasets[b][1], out_shape=shape), scene)
            for b in ("red", "nir")}
    qa = datasets["qa"][0].read(datasets["qa"][1], out_shape=shape) if "qa" in datasets else None
    ok = valid_mask(qa, scene, np.zeros(shape, dtype=bool))
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (refl["nir"] - refl["red"]) / (refl["nir"] + refl["red"])
    vals = ndvi[ok & np.isfinite(ndvi)]
    if vals.size < 100:
        raise InputFileError(f"Scene {scene.scene_id}: too few clear pixels for scene end-members.")
    return float(np.percentile(vals, 5)), float(np.percentile(vals, 95))


def scene_sums(scene: Scene, cov: Coverage, thresholds: Thresholds = Thresholds(), *,
               class_map: str | None = None) -> np.ndarray:
    """Coverage-weighted sums (:data:`SUMS`) per polygon for one scene: array (n_polygons, 8).

    Reads the scene in full-width strips; only strips that polygons touch are read. A file that
    fails while being read (truncated, damaged) is refused, naming the scene and its files.
    With ``class_map`` (a class map of the scene's season on its grid, ``og.classify``), a clear
    pixel is vegetated, water, dark or bare by its class (``landcover.yaml``'s ``vegetated``
    classes, water, coal and gangue, the rest) instead of by the thresholds.
    """
    import rasterio

    out = np.zeros((cov.n_polygons, len(SUMS)))
    if not len(cov.cell):
        return out
    try:
        return _scene_sums(scene, cov, thresholds, out, class_map)
    except (rasterio.errors.RasterioError, rasterio._err.CPLE_BaseError) as exc:
        files = ", ".join(sorted({str(p) for p, _ in scene.bands.values()}))
        raise InputFileError(f"Scene {scene.scene_id}: reading failed ({str(exc).splitlines()[0]})"
                             f"; a file may be truncated or damaged: {files}.") from None


def _scene_sums(scene: Scene, cov: Coverage, thresholds: Thresholds, out: np.ndarray,
                class_map: str | None = None) -> np.ndarray:
    import contextlib

    import rasterio
    from rasterio.windows import Window

    with contextlib.ExitStack() as stack:
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=64))  # MB: strips are whole tile rows
        datasets = grids.open_bands(scene, stack)
        classes = stack.enter_context(rasterio.open(class_map)) if class_map else None
        ends = _scene_endmembers(datasets, scene) if thresholds.endmembers == "scene" else None
        w = cov.width
        step = grids.strip_step(datasets["red"][0].block_shapes[0][0])
        first_row, last_row = cov.row_range()
        for r0, r1 in grids.strips(first_row, last_row, step=step, height=cov.height):
            at = cov.strip(r0, r1)
            if not len(at):
                continue
            local = cov.cell[at].astype(np.int64) - r0 * w
            refl, valid = grids.gather_strip(datasets, scene, Window(0, r0, w, r1 - r0), local)
            m = measures(refl, valid, thresholds, ends, with_bsi=False)
            if classes is not None:
                m = _by_class(m, classes.read(1, window=Window(0, r0, w, r1 - r0)).ravel()[local])
            out[:, 1:] += _weighted_sums(cov, at, m)
    out[:, 0] = cov.totals()
    return out


def _by_class(m: dict, cls: np.ndarray) -> dict:
    """The masks of ``measures`` from a class map: clear pixels of a class are vegetated (the
    ``vegetated`` classes), water, dark (coal and gangue) or bare (the rest); a pixel the map
    left without a class is not valid."""
    from .accuracy import classes, vegetated_codes

    key = {spec["key"]: code for code, spec in classes().items()}
    ok = m["valid"] & (cls > 0)
    veg = ok & np.isin(cls, vegetated_codes())
    water = ok & (cls == key["water"])
    dark = ok & (cls == key["coal"])
    return {**m, "valid": ok, "vegetated": veg, "water": water, "dark": dark,
            "bare": ok & ~veg & ~water}


def _weighted_sums(cov: Coverage, at: np.ndarray, m: dict) -> np.ndarray:
    """Coverage-weighted sums of :data:`SUMS` but the first (``total``, the same every scene)
    over the cells ``at`` of ``cov``, per polygon:
    sparse (polygons × cells) products with each measure, which scipy computes without holding
    the GIL (``np.bincount`` took several times longer and held it)."""
    from scipy import sparse

    k = len(at)
    weights = sparse.csc_matrix((cov.cov[at].astype(np.float64), cov.poly[at],
                                 np.arange(k + 1, dtype=cov.poly.dtype)),
                                shape=(cov.n_polygons, k))
    out = np.zeros((cov.n_polygons, len(SUMS) - 1))
    col = {key: j for j, key in enumerate(SUMS[1:])}
    for key in ("ndvi", "fvc", "vegetated", "bare", "water", "dark"):
        if m[key].dtype == bool and not m[key].any():
            continue  # a class absent from the strip (no water or dark without green): 0
        out[:, col[key]] = weights @ m[key].astype(np.float64)
    # every valid pixel is vegetated, bare or water, and only one (imagery.measures)
    out[:, col["valid"]] = out[:, col["vegetated"]] + out[:, col["bare"]] + out[:, col["water"]]
    return out


def polygon_stats(sums_ha: np.ndarray, area_ha: np.ndarray) -> pd.DataFrame:
    """Per-polygon measures of one date from sums already scaled to hectares (see module text)."""
    total = sums_ha[:, 0]
    valid = np.minimum(sums_ha[:, 1], total)  # never above 1 by rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame({
            "valid_fraction": np.where(total > 0, valid / total, np.nan),
            "mean_ndvi": np.where(valid > 0, sums_ha[:, 2] / valid, np.nan),
            "mean_fvc": np.where(valid > 0, sums_ha[:, 3] / valid, np.nan),
            "vegetated_ha": sums_ha[:, 4], "bare_ha": sums_ha[:, 5], "water_ha": sums_ha[:, 6],
            "dark_ha": sums_ha[:, 7], "masked_ha": total - valid, "covered_ha": total,
            "area_ha": area_ha})


# --- the whole step -----------------------------------------------------------------------------
@dataclass
class ProgressResult:
    """Tables of one progress run (see the module text for the columns and rules)."""

    by_date: pd.DataFrame  # one row per site and date
    zones_by_date: pd.DataFrame
    banners_by_date: pd.DataFrame
    summary: pd.DataFrame  # one row per site and year
    zones_summary: pd.DataFrame
    latest: gpd.GeoDataFrame  # latest clear state per site, with geometry
    #: one row per scene: offset and its source, bands resampled, sites covered
    scenes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: with a classifier: hectares of each class per site and zone and year
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: with a reference sample: vegetated hectares ± 95 % of the map, zones and banners
    vegetated: pd.DataFrame = field(default_factory=pd.DataFrame)


def _polygons(sites: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """The polygons measured: every site, every zone's remediation area, and what a banner's
    ground needs beyond its sites — the union of its sites, so a parcel inside its mine counts
    once and a dump outside its mine's licence area counts too."""
    geoms = sites.geometry.to_crs("EPSG:4326")
    parts = [pd.DataFrame({"level": "site", "id": sites["site_id"].astype(str).to_numpy(),
                           "geometry": geoms.to_numpy()})]
    if zones is not None:
        parts.append(pd.DataFrame({"level": "zone", "id": zones["zone_id"].astype(str).to_numpy(),
                                   "geometry": zones.geometry.to_crs("EPSG:4326").to_numpy()}))
    banner = sites["banner"].astype(str) if "banner" in sites.columns else \
        pd.Series("", index=sites.index)
    # a banner's union = the sum of its sites minus, for each site, the part of it that sites
    # before it (in the table) already cover: only those overlaps are measured apart, and
    # subtracted from the sum of the banner's site figures (see _tables)
    metric = projection.to_metric(geoms)
    overlaps, names = _banner_overlaps(metric.to_numpy(), banner.to_numpy())
    ground = gpd.GeoSeries(overlaps, crs=metric.crs).to_crs("EPSG:4326")
    parts.append(pd.DataFrame({"level": "banner", "id": names, "geometry": ground.to_numpy()}))
    polys = pd.concat(parts, ignore_index=True)
    polys.attrs["banner_sites"] = pd.DataFrame({"banner": banner.to_numpy(),
                                                "row": np.arange(len(sites))})
    return polys


def _banner_overlaps(metric: np.ndarray, banner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each site that sites before it in its banner overlap, the part of it they cover
    (polygons with area), and the banner of each. The banner's union is then exactly the sum
    of its sites minus these parts: ``∪ S = Σᵢ (Sᵢ − Sᵢ ∩ ⋃_{j<i} Sⱼ)``."""
    a, b = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = (b < a) & (banner[a] == banner[b])
    a, b = a[keep], b[keep]
    if not len(a):
        return np.empty(0, dtype=object), np.empty(0, dtype=banner.dtype)
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    starts = np.flatnonzero(np.r_[True, np.diff(a) != 0])
    rows = a[starts]
    earlier = np.array([shapely.union_all(metric[g]) for g in np.split(b, starts[1:])],
                       dtype=object)
    covered = shapely.intersection(metric[rows], earlier)
    parts, at = shapely.get_parts(covered, return_index=True)
    inner, inner_at = shapely.get_parts(parts, return_index=True)  # collections hold multis
    inner_at = at[inner_at]
    area = shapely.area(inner)
    keep = (shapely.get_type_id(inner) == 3) & (area > 0)  # shared edges and corners: none
    return inner[keep], banner[rows[inner_at[keep]]]


def _best_tile(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per polygon, the tile of one date where it has the most valid coverage (then the most
    covered area): each ground cell is counted once per date, never summed over tiles."""
    pick = (b[:, 1] > a[:, 1]) | ((b[:, 1] == a[:, 1]) & (b[:, 0] > a[:, 0]))
    return np.where(pick[:, None], b, a)


def progress(sites: gpd.GeoDataFrame, scenes: list[Scene], *,
             zones: gpd.GeoDataFrame | None = None, plans: pd.DataFrame | None = None,
             thresholds: Thresholds = Thresholds(), client: object = None,
             show_progress: bool | None = None, classifier: object | None = None,
             reference: str | os.PathLike | pd.DataFrame | None = None,
             **deprecated) -> ProgressResult:
    """Measure every site (and zone and banner) on every scene; compare with the plans.

    ``show_progress``: a progress bar over the scenes (default ``settings.progress``; the 0.2
    name ``progress=`` still works, with a DeprecationWarning).

    ``client``: a ``dask.distributed.Client`` to run the scenes on a cluster; without one, the
    scenes run on local threads through Dask. Where tiles of one date and sensor overlap, each
    polygon is measured on the tile where it has the most valid coverage.

    ``classifier``: a trained land-cover model (``og.classify``) used instead of the thresholds:
    each year's scenes on each grid are classified as a season, and a clear pixel counts as
    vegetated, water, dark or bare by its class; ``result.classes`` adds every polygon's
    hectares of each class and year (the same tables otherwise). ``reference``: a filled
    interpretation sheet of the latest year's class map (``og.accuracy``; the scenes on one
    grid): ``result.vegetated`` gives the vegetated hectares of the map, of every zone and of
    every banner with their 95 % intervals where the sample allows.
    """
    if reference is not None and classifier is None:
        raise ValidationError("reference: give the classifier too; the sample is of its map.")
    show_progress = _renamed_progress(show_progress, deprecated)
    if not scenes:
        raise InputFileError("No scenes were given.")
    scene_table = check_scenes(scenes)
    polys = _polygons(sites, zones)
    series = gpd.GeoSeries(polys["geometry"], crs="EPSG:4326")
    area = projection.area_ha(series).to_numpy()
    is_site = (polys["level"] == "site").to_numpy()
    by_grid: dict[tuple, list[Scene]] = {}
    for scene in scenes:
        by_grid.setdefault(grids.grid_of(scene.bands["red"][0]), []).append(scene)
    sums: dict[tuple, np.ndarray] = {}
    covered: dict[str, int] = {}
    spare = contextlib.ExitStack()
    folder = spare.enter_context(tempfile.TemporaryDirectory()) if classifier else None
    class_rows: list[pd.DataFrame] = []
    for g, (key, group) in enumerate(by_grid.items()):
        cov = coverage(series, key)
        log.info("coverage of %d polygons over a %dx%d grid: %d cells", len(series), key[2],
                 key[3], len(cov.cell))
        maps = _class_maps(classifier, group, Path(folder), g, show_progress) \
            if classifier else {}
        class_rows += [_class_hectares(cov, path, polys, year) for year, path in maps.items()]
        if reference is not None:
            vegetated = _vegetated(maps[max(maps)], reference, zones, len(by_grid))
        for scene, result in zip(group, _run(group, cov, thresholds, client, show_progress,
                                             maps)):
            k = (scene.date, scene.sensor)
            scaled = result * cov.ha_per_cell[:, None]
            sums[k] = _best_tile(sums[k], scaled) if k in sums else scaled
            covered[scene.scene_id] = int((scaled[is_site, 0] > 0).sum())
    scene_table["n_sites_covered"] = scene_table["scene_id"].map(covered).fillna(0).astype(int)
    if not (scene_table["n_sites_covered"] > 0).any():
        raise ValidationError(msg("scenes_cover_nothing", n=len(scenes), n_sites=int(is_site.sum())))
    for sid in scene_table.loc[scene_table["n_sites_covered"] == 0, "scene_id"]:
        log.warning("scene %s covers none of the sites; it is listed in the scenes table only",
                    sid)
    spare.close()
    tables = _tables(sums, polys, area)
    site_table = tables["site"].rename(columns={"id": "site_id"})
    zone_table = tables["zone"].rename(columns={"id": "zone_id"})
    banner_table = tables["banner"].rename(columns={"id": "banner"})
    summary = _summary(site_table, "site_id", _site_targets(sites, plans), zones, sites)
    zones_summary = _summary(zone_table, "zone_id", _zone_targets(sites, plans), zones, sites) \
        if zones is not None else pd.DataFrame()
    latest = _latest(sites, site_table, summary)
    classes = _best_class_rows(class_rows) if class_rows else pd.DataFrame()
    return ProgressResult(site_table, zone_table, banner_table, summary, zones_summary, latest,
                          scene_table, classes,
                          vegetated if reference is not None else pd.DataFrame())


def _vegetated(class_map: str, reference, zones, n_grids: int) -> pd.DataFrame:
    """Vegetated hectares ± 95 % of the latest class map, its zones and banners, from a
    reference sample of it (Olofsson et al. 2014, :mod:`.accuracy`)."""
    from . import accuracy

    if n_grids > 1:
        raise ValidationError("reference: the scenes lie on several grids; a reference sample "
                              "is of one class map — give the scenes of one tile.")
    info = accuracy.read_map(class_map)
    regions = accuracy.zone_regions(zones, info) if zones is not None else None
    source = str(reference) if not isinstance(reference, pd.DataFrame) else "reference"
    return accuracy.vegetated_table(accuracy.assess(class_map, reference, regions=regions,
                                                    source=source))


def _class_maps(model, group: list[Scene], folder: Path, g: int, show) -> dict:
    """One class map per year of the scenes of one grid, classified as a season."""
    from . import classify

    out = {}
    for year in sorted({s.year for s in group}):
        season = [s for s in group if s.year == year]
        out[year] = str(classify.predict(model, season, folder / f"classes_{g}_{year}.tif",
                                         show=show))
    return out


def _class_hectares(cov: Coverage, path: str, polys: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each polygon's true hectares of each class of the class map at ``path`` (one year)."""
    import rasterio
    from scipy import sparse

    from .accuracy import class_name, classes

    codes = sorted(classes())
    ha = np.zeros((cov.n_polygons, len(codes)))
    with rasterio.open(path) as src:
        for r0, r1 in grids.strips(*cov.row_range(), step=256, height=cov.height):
            at = cov.strip(r0, r1)
            if not len(at):
                continue
            cls = src.read(1, window=rasterio.windows.Window(0, r0, cov.width, r1 - r0)).ravel()[
                cov.cell[at].astype(np.int64) - r0 * cov.width]
            weights = sparse.csc_matrix((cov.cov[at].astype(np.float64), cov.poly[at],
                                         np.arange(len(at) + 1)), shape=(cov.n_polygons, len(at)))
            ha += weights @ (cls[:, None] == np.asarray(codes)[None, :]).astype(np.float64)
    ha *= cov.ha_per_cell[:, None]
    frame = pd.DataFrame(ha, columns=codes)
    frame.insert(0, "id", polys["id"].to_numpy())
    frame.insert(0, "level", polys["level"].to_numpy())
    long = frame.melt(id_vars=["level", "id"], var_name="class", value_name="ha")
    long.insert(2, "year", year)
    long["class_name"] = [class_name(int(c)) for c in long["class"]]
    return long


def _best_class_rows(rows: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per polygon, year and class: where tiles overlap, the tile that classifies most
    of the polygon. Banners' helper pieces are left out (their sites carry the hectares), and so
    is a polygon's year that no map classifies any of (off the scenes, or never seen clear):
    no rows, not 0 ha of every class — as ``progress.csv`` leaves it out."""
    frame = pd.concat(rows, ignore_index=True)
    frame["tile"] = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    cover = frame.groupby(["level", "id", "year", "tile"])["ha"].transform("sum")
    best = frame.assign(cover=cover).sort_values("cover", ascending=False, kind="stable")
    best = best[best["cover"] > 0]
    best = best.drop_duplicates(["level", "id", "year", "class"])
    best = best[best["level"].isin(["site", "zone"])]
    return best.drop(columns=["tile", "cover"]).sort_values(
        ["level", "id", "year", "class"], kind="stable").reset_index(drop=True)


def _renamed_progress(show_progress: bool | None, deprecated: dict) -> bool | None:
    """``progress=`` (0.2) is now ``show_progress=``: the function is itself named progress."""
    if "progress" in deprecated:
        import warnings

        warnings.warn("reclamation.progress(progress=…) is now show_progress=…; the old keyword "
                      "will stop working in 1.0.", DeprecationWarning, stacklevel=3)
        value = deprecated.pop("progress")
        show_progress = value if show_progress is None else show_progress
    if deprecated:
        raise TypeError(f"progress() got unexpected keyword arguments: {', '.join(deprecated)}")
    return show_progress


def _tables(sums: dict, polys: pd.DataFrame, area: np.ndarray) -> dict[str, pd.DataFrame]:
    """Per level (site, zone, banner): one row per polygon and date it is covered on."""
    level, ids = polys["level"].to_numpy(), polys["id"].to_numpy()
    part = level == "banner"
    reuse = polys.attrs.get("banner_sites", pd.DataFrame({"banner": [], "row": []}))
    names, owner = np.unique(np.r_[ids[part], reuse["banner"].to_numpy()], return_inverse=True)
    source = np.r_[np.flatnonzero(part), reuse["row"].to_numpy(dtype=int)]
    # banners: the sum of their sites minus the overlaps already counted (_banner_overlaps)
    sign = np.r_[-np.ones(int(part.sum())), np.ones(len(reuse))]
    one = ~part  # sites and zones: one polygon each
    levels = np.r_[level[one], np.full(len(names), "banner")]
    keys = np.r_[ids[one], names]
    areas = np.r_[area[one], np.bincount(owner, weights=area[source] * sign,
                                         minlength=len(names))]
    rows = []
    for (date, sensor), arr in sorted(sums.items()):
        banner_sums = np.zeros((len(names), arr.shape[1]))
        np.add.at(banner_sums, owner, arr[source] * sign[:, None])
        banner_sums = np.clip(banner_sums, 0.0, None)  # rounding of the differences
        stats = polygon_stats(np.vstack([arr[one], banner_sums]), areas)
        stats.insert(0, "sensor", sensor)
        stats.insert(0, "date", pd.Timestamp(date))
        stats.insert(0, "id", keys)
        stats.insert(0, "level", levels)
        rows.append(stats[stats["covered_ha"] > 0])
    long = pd.concat(rows, ignore_index=True)
    return {lvl: long[long["level"] == lvl].drop(columns="level").reset_index(drop=True)
            for lvl in ("site", "zone", "banner")}


def _run(group: list[Scene], cov: Coverage, thresholds: Thresholds, client, show,
         class_maps: dict | None = None) -> list:
    """Per-scene sums through Dask: a distributed client if given, else local threads."""
    import dask

    maps = class_maps or {}
    if client is not None and not maps:
        return list(cluster.in_order(client, scene_sums, group, item="scene",
                                     shared={"cov": cov}, thresholds=thresholds))
    tasks = [dask.delayed(scene_sums)(scene, cov, thresholds, class_map=maps.get(scene.year))
             for scene in group]
    if len(tasks) == 1:
        return [tasks[0].compute(scheduler="synchronous")]
    results = []
    for start in progress_bar(range(0, len(tasks), 4), desc="scenes", progress=show):
        results += list(dask.compute(*tasks[start:start + 4], scheduler="threads"))
    return results


# --- years, status, trajectories ----------------------------------------------------------------
def read_summary(path: str | os.PathLike) -> pd.DataFrame:
    """A ``progress_summary.csv`` written by ``ordos-geo progress``: ``site_id`` as text (``0001``
    stays ``0001``), ``year`` whole, ``vegetated_share`` in 0–1 or empty. A file without these
    columns or with bad values is refused, naming the rows."""
    from ..core.errors import ValidationError
    from ..core.messages import msg
    from ..io.tables import read_raw

    table = read_raw(path, as_text=True)
    missing = [c for c in ("site_id", "year", "vegetated_share") if c not in table.columns]
    if missing:
        raise ValidationError(msg("summary_columns", path=path, missing=", ".join(missing)))
    year = pd.to_numeric(table["year"], errors="coerce")
    share = pd.to_numeric(table["vegetated_share"].replace("", np.nan), errors="coerce")
    bad = (year.isna() | (year % 1 != 0) | (year < 1900) | (year > 2200)
           | (table["vegetated_share"].ne("") & ~share.between(0, 1))
           | table["site_id"].str.strip().eq(""))
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:10])
        raise ValidationError(msg("summary_rows", path=path, rows=rows))
    out = table.assign(year=year.astype(int), vegetated_share=share)
    for column in ("status", "trajectory"):
        if column not in out.columns:
            out[column] = None
    return out


def yearly(by_date: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per polygon and year: vegetated and bare hectares (median over clear dates, scaled to the
    whole polygon), mean FVC and the number of clear dates."""
    clear = by_date[by_date["valid_fraction"] >= MIN_VALID].copy()
    valid_ha = clear["covered_ha"] - clear["masked_ha"]
    clear["veg_est"] = clear["vegetated_ha"] / valid_ha * clear["area_ha"]
    clear["bare_est"] = clear["bare_ha"] / valid_ha * clear["area_ha"]
    clear["year"] = clear["date"].dt.year
    out = clear.groupby([key, "year"]).agg(
        vegetated_ha=("veg_est", "median"), bare_ha=("bare_est", "median"),
        mean_fvc=("mean_fvc", "median"), area_ha=("area_ha", "first"),
        n_dates=("date", "size")).reset_index()
    out["vegetated_share"] = out["vegetated_ha"] / out["area_ha"]
    return out


def _site_targets(sites: gpd.GeoDataFrame, plans: pd.DataFrame | None) -> pd.DataFrame:
    """Planned hectares per mine and plan year (``id, year, target_ha``; not cumulated)."""
    if plans is None or not len(plans):
        return pd.DataFrame(columns=["id", "year", "target_ha"])
    p = plans.dropna(subset=["year"]).copy()
    p["target_ha"] = pd.to_numeric(p["target_ha"], errors="coerce").fillna(0.0)
    p["id"] = p["mine_id"].astype(str)
    p["year"] = p["year"].astype(int)
    return p.groupby(["id", "year"], as_index=False)["target_ha"].sum()


def _zone_targets(sites: gpd.GeoDataFrame, plans: pd.DataFrame | None) -> pd.DataFrame:
    """Planned hectares per zone and plan year: its member mines' plans added up."""
    t = _site_targets(sites, plans)
    if not len(t) or "zone_id" not in sites.columns:
        return pd.DataFrame(columns=["id", "year", "target_ha"])
    zone_of = sites.set_index(sites["site_id"].astype(str))["zone_id"]
    t["id"] = t["id"].map(zone_of)
    return t.dropna(subset=["id"]).groupby(["id", "year"], as_index=False)["target_ha"].sum()


def status_of(gain: float, target: float, has_data: bool) -> str:
    """The documented rule: ahead ≥ 1.1 × target > on_track ≥ 0.9 × target > behind."""
    if not has_data:
        return "no_data"
    if not np.isfinite(target) or target <= 0:
        return "no_target"
    if gain >= 1.1 * target:
        return "ahead"
    return "on_track" if gain >= 0.9 * target else "behind"


def _year_rows(by_date: pd.DataFrame, key: str, years: pd.DataFrame) -> pd.DataFrame:
    """One row per polygon and year from its first to its last imaged year; the clear years'
    figures joined, the others empty (their status is ``no_data``)."""
    seen = by_date.assign(year=by_date["date"].dt.year).groupby(key)["year"].agg(["min", "max"])
    rows = [(ident, y) for ident, lo, hi in seen.itertuples() for y in range(lo, hi + 1)]
    frame = pd.DataFrame(rows, columns=[key, "year"]).astype({"year": int})
    out = frame.merge(years, on=[key, "year"], how="left")
    out["n_dates"] = out["n_dates"].fillna(0).astype(int)
    return out


def _targets_and_gain(frame: pd.DataFrame, key: str, targets: pd.DataFrame) -> pd.DataFrame:
    """``target_ha`` and ``detected_gain_ha`` per row, from one baseline per polygon (see the
    module text): the year before the first plan year when it has a clear observation, else
    the first year with one. Vectorised: one pass over the table, whatever the polygon count."""
    out = frame.copy()
    out[key] = out[key].astype(str)
    plan = targets.rename(columns={"id": key}).astype({"year": int, "target_ha": float})
    plan[key] = plan[key].astype(str)
    plan = plan.sort_values([key, "year"])
    plan["cum"] = plan.groupby(key)["target_ha"].cumsum()
    clear = out.loc[out["n_dates"] > 0, [key, "year", "vegetated_ha"]]
    first_clear = clear.groupby(key)["year"].min()
    first_plan = plan.groupby(key)["year"].min()
    before = (first_plan - 1).rename("year").reset_index()
    seen = before.merge(clear[[key, "year"]], on=[key, "year"], how="inner")
    base = first_clear.copy()
    base.loc[seen[key].to_numpy()] = seen["year"].to_numpy()
    out["baseline_year"] = out[key].map(base)
    base_veg = clear.set_index([key, "year"])["vegetated_ha"]
    pairs = pd.MultiIndex.from_arrays([base.index, base.to_numpy()])
    out["detected_gain_ha"] = out["vegetated_ha"] - out[key].map(
        pd.Series(base_veg.reindex(pairs).to_numpy(), index=base.index))
    due = _cumulative_at(out[[key, "year"]], plan, key)
    at_base = np.nan_to_num(_cumulative_at(out[[key]].assign(year=out["baseline_year"]), plan,
                                           key), nan=0.0)
    started = out["year"] >= out[key].map(first_plan)
    out["target_ha"] = np.where(started, due - at_base, np.nan)
    return out


def _cumulative_at(rows: pd.DataFrame, plan: pd.DataFrame, key: str) -> np.ndarray:
    """The plans' cumulative hectares of each row's polygon up to the row's year (NaN before
    its first plan year or without plans)."""
    probe = rows.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    valid = probe["year"].notna()
    result = np.full(len(probe), np.nan)
    if not valid.any() or not len(plan):
        return result
    left = probe[valid].astype({"year": int}).sort_values("year")
    merged = pd.merge_asof(left, plan[[key, "year", "cum"]].sort_values("year"), on="year",
                           by=key, direction="backward")
    result[merged["_row"].to_numpy()] = merged["cum"].to_numpy()
    return result


def _summary(by_date: pd.DataFrame, key: str, targets: pd.DataFrame, zones, sites) -> pd.DataFrame:
    cols = [key, "year", "target_ha", "vegetated_ha", "detected_gain_ha", "bare_ha",
            "vegetated_share", "mean_fvc", "n_dates", "status", "baseline_year", "trajectory",
            "slope_per_year", "projected_year", "projection"]
    if not len(by_date):
        return pd.DataFrame(columns=cols)
    years = _year_rows(by_date, key, yearly(by_date, key))
    years = _targets_and_gain(years, key, targets)
    years["status"] = [status_of(g, tg, n > 0) for g, tg, n in
                       zip(years["detected_gain_ha"], years["target_ha"], years["n_dates"])]
    traj = trajectories(years.dropna(subset=["vegetated_share"]), key,
                        _target_share(key, zones, sites))
    years = years.merge(traj, on=key, how="left")
    years["baseline_year"] = years["baseline_year"].astype("Int64")
    return years[cols].sort_values([key, "year"]).reset_index(drop=True)


def _target_share(key: str, zones, sites) -> pd.Series | float:
    """Target cover per polygon: the zone standard's target_cover_pct / 100, else 0.6."""
    if zones is None or "target_cover_pct" not in zones.columns:
        return 0.6
    by_zone = zones.set_index("zone_id")["target_cover_pct"] / 100.0
    if key == "zone_id":
        return by_zone
    return sites.set_index(sites["site_id"].astype(str))["zone_id"].map(by_zone)


#: Years ahead of the last observation within which a trend is projected (else no projection).
PROJECTION_HORIZON_YEARS = 30


def trajectories(years: pd.DataFrame, key: str, target_share=0.6) -> pd.DataFrame:
    """Trajectory class, Theil–Sen slope of the yearly vegetated share, and the projected year
    of reaching the target cover with its reason (see the module text).

    Vectorised: the sites that were measured in the same years are computed together, the slope
    and its 95 % lower bound exactly as ``scipy.stats.theilslopes`` gives them (Sen 1968; tested
    against it), so 10,000 sites take a fraction of a second, not a loop per site."""
    table = years.pivot_table(index=key, columns="year", values="vegetated_share",
                              aggfunc="first", dropna=False).sort_index()
    share_all = table.to_numpy(dtype=float)
    yr_all = table.columns.to_numpy(dtype=float)
    ids = table.index
    if isinstance(target_share, pd.Series):
        target = target_share.reindex(ids).to_numpy(dtype=float)
    else:
        target = np.full(len(ids), float(target_share))
    target = np.where(np.isfinite(target), target, 0.6)
    out = pd.DataFrame({key: ids, "trajectory": "insufficient_data", "slope_per_year": np.nan,
                        "projected_year": np.nan, "projection": "insufficient_data"})
    valid = np.isfinite(share_all)
    patterns, which = np.unique(valid, axis=0, return_inverse=True)
    for k, pattern in enumerate(patterns):
        rows = np.flatnonzero(which.ravel() == k)
        if pattern.sum() < 3:
            continue
        share, yr = share_all[np.ix_(rows, np.flatnonzero(pattern))], yr_all[pattern]
        slope, intercept, low = theil_sen(share, yr)
        recent = theil_sen(share[:, -3:], yr[-3:])[0]
        peak, last = share.max(axis=1), share[:, -1]
        cls = np.select([(peak >= 0.4) & (last <= peak - 0.15) & (slope < -0.02),
                         (last >= 0.5) & (np.abs(recent) <= 0.03), slope > 0.02],
                        ["degrading", "reclaimed_stable", "recovering"], "still_disturbed")
        year, why = _projection(share, yr, target[rows], slope, intercept, low)
        out.loc[rows, ["trajectory", "projection"]] = np.c_[cls, why]
        out.loc[rows, "slope_per_year"] = slope
        out.loc[rows, "projected_year"] = year
    return out


def theil_sen(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``y`` (rows × n, no NaN) over ``x`` (n, strictly increasing): the Theil–Sen
    slope, the intercept (median(y) − slope·median(x)) and the lower end of the slope's 95 %
    confidence interval (Sen 1968, eq. 2.6, with ties in ``y``) — ``scipy.stats.theilslopes``,
    row by row, at once."""
    from statistics import NormalDist  # not scipy.stats: importing it takes seconds

    n = len(x)
    i, j = np.triu_indices(n, 1)
    slopes = np.sort((y[:, j] - y[:, i]) / (x[j] - x[i]), axis=1)
    slope = np.median(slopes, axis=1)
    intercept = np.median(y, axis=1) - slope * np.median(x)
    sigsq = (n * (n - 1) * (2 * n + 5) - _ties(y)) / 18.0
    z = NormalDist().inv_cdf(0.025)
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(np.where(sigsq >= 0, sigsq, np.nan))
    at = np.maximum(np.round((slopes.shape[1] + z * sigma) / 2.0) - 1, 0)
    ok = np.isfinite(at)
    low = np.full(len(y), np.nan)
    low[ok] = slopes[np.flatnonzero(ok), at[ok].astype(int)]
    return slope, intercept, low


def _ties(y: np.ndarray) -> np.ndarray:
    """Per row, Σ k(k−1)(2k+5) over the groups of k equal values (Sen's tie correction)."""
    s = np.sort(y, axis=1)
    total = np.zeros(len(y))
    run = np.ones(len(y))
    for col in range(1, s.shape[1] + 1):
        same = s[:, col] == s[:, col - 1] if col < s.shape[1] else np.zeros(len(y), dtype=bool)
        ended = ~same
        total += np.where(ended, run * (run - 1) * (2 * run + 5), 0.0)
        run = np.where(same, run + 1, 1.0)
    return total


def _projection(share: np.ndarray, yr: np.ndarray, target: np.ndarray, slope: np.ndarray,
                intercept: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the year the target cover is (or will be) reached, and why: ``reached`` (the
    last years are at or above it since that year), ``trend`` (a positive trend whose 95 % lower
    bound is above zero reaches it within the horizon), else no year: ``no_upward_trend`` or
    ``beyond_horizon``."""
    below = share < target[:, None]
    cols = np.arange(share.shape[1])
    start = np.where(below.any(axis=1), np.where(below, cols, -1).max(axis=1) + 1, 0)
    reached = share[:, -1] >= target
    rising = (slope > 0) & (low > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ahead = np.maximum(np.ceil((target - intercept) / slope), yr[-1] + 1.0)
    beyond = ahead > yr[-1] + PROJECTION_HORIZON_YEARS
    why = np.select([reached, ~rising, beyond], ["reached", "no_upward_trend", "beyond_horizon"],
                    "trend")
    year = np.select([reached, ~rising | beyond], [yr[np.minimum(start, len(yr) - 1)], np.nan],
                     ahead)
    return year, why


def _latest(sites: gpd.GeoDataFrame, by_date: pd.DataFrame, summary: pd.DataFrame
            ) -> gpd.GeoDataFrame:
    clear = by_date[by_date["valid_fraction"] >= MIN_VALID].sort_values("date")
    last = clear.groupby("site_id").tail(1).set_index("site_id")
    last_year = summary.sort_values("year").groupby("site_id").tail(1).set_index("site_id")
    out = sites[["site_id", "name", "banner", "kind", "status", "geometry"]].copy() \
        if "name" in sites.columns else sites[["site_id", "geometry"]].copy()
    out = out.rename(columns={"status": "site_status"})
    ids = out["site_id"].astype(str)
    for col in ("date", "valid_fraction", "mean_ndvi", "mean_fvc", "vegetated_ha", "bare_ha",
                "area_ha"):
        out[col] = ids.map(last[col]).to_numpy() if len(last) else np.nan
    for col in ("target_ha", "status", "trajectory", "projected_year", "projection"):
        out[col] = ids.map(last_year[col]).to_numpy() if len(last_year) else None
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    return out


# 0.3 names: the strip and coverage settings live with the one strip reader now
__getattr__ = renamed(__name__, {
    name: (f"og.imagery.grids.{name}", getattr(grids, name))
    for name in ("STRIP_ROWS", "COVERAGE_BATCH", "COVERAGE_PARALLEL")})
