"""Seeded land-cover scenes with truth, for training and judging the classifier.

    manifest = og.landscapes.write_landcover_scenes("output/landcover")

Three Sentinel-2-like dates of one year (May, August, October; 20 m, the L2A DN convention) over a
window of a priority area of the embedded synthetic sites, with every pixel's class known
(``truth_landcover.tif``, ``resources/landcover.yaml``'s codes): the area's pits hold excavation,
coal heaps and standing water; its dumps are spoil, reclaimed grass, or PV arrays (the PV end
use); outside them lie steppe grass, crop fields (bare in May and October, green in August — a
single August scene takes them for reclaimed ground), a town block (built-up) and a reservoir.
Each object carries its own brightness (± 10 %) and every pixel its own noise, and a cloud (SCL 9)
covers part of one date. ``labels.geojson`` holds training squares (3 × 3 pixels of one class,
``class`` in Chinese) drawn from the truth; every other pixel is for judging.

    manifest = og.landscapes.write_landcover_years("output/landcover_years")

The same ground over several years (three dates each, ``truth_landcover_<year>.tif`` each):
from ``dig_from`` on, a dig of steppe outside every site, within 1.5 km of a mine (excavation,
its spoil piled on one side — a dump — from the next year), and in the ``drought`` year a dry
summer that makes the steppe as pale as bare ground (grass spectra near excavation's; the truth
stays grass). ``labels.geojson`` is drawn from the first year.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from .. import sites as sites_mod
from ..io import atomic_path, datasets
from .samples import sample_grid
from .scenes import S2_OFFSET_FROM

__all__ = ["write_landcover_scenes", "write_landcover_years", "SPECTRA", "DATES",
           "DROUGHT_GRASS"]

#: reflectance (blue, green, red, NIR, SWIR1) of each class on each date (May, Aug, Oct)
SPECTRA = {
    1: [(0.13, 0.16, 0.19, 0.23, 0.32)] * 3,                       # excavation, bare
    2: [(0.03, 0.035, 0.04, 0.075, 0.06)] * 3,                     # coal and gangue
    3: [(0.15, 0.18, 0.21, 0.25, 0.35)] * 3,                       # dump spoil (brighter)
    4: [(0.08, 0.10, 0.12, 0.20, 0.27), (0.07, 0.09, 0.10, 0.23, 0.24),
        (0.08, 0.10, 0.12, 0.19, 0.26)],                           # grass and shrub
    5: [(0.11, 0.13, 0.16, 0.21, 0.29), (0.03, 0.07, 0.045, 0.40, 0.18),
        (0.12, 0.14, 0.17, 0.22, 0.28)],                           # cropland
    6: [(0.06, 0.08, 0.05, 0.03, 0.02)] * 3,                       # water
    7: [(0.09, 0.09, 0.085, 0.12, 0.13)] * 3,                      # PV arrays
    8: [(0.14, 0.15, 0.17, 0.22, 0.26)] * 3,                       # built-up
}
#: reflectance of grass on every date of a drought year: as pale as bare ground
DROUGHT_GRASS = [(0.12, 0.15, 0.18, 0.22, 0.31)] * 3
#: the dates of the scenes (month, day) in the chosen year
DATES = ((5, 15), (8, 15), (10, 10))
_SCL = {1: 5, 2: 2, 3: 5, 4: 4, 5: 4, 6: 6, 7: 5, 8: 5}
_BANDS = ("blue", "green", "red", "nir", "swir1")


def write_landcover_scenes(out: str | os.PathLike, *, area: str = "薛家湾/魏家茆", year: int = 2025,
                           size_km: float = 12.0, pixel_m: float = 20.0, seed: int = 2026,
                           labels_per_class: int = 40,
                           sites: gpd.GeoDataFrame | None = None) -> Path:
    """Write the scenes, ``manifest.csv``, ``truth_landcover.tif`` and ``labels.geojson`` into
    ``out`` (skipped when a complete set is there); return the manifest path."""
    import rasterio

    out, manifest = Path(out), Path(out) / "manifest.csv"
    if _complete(out, "truth_landcover.tif"):
        return manifest
    rng, crs, transform, truth, gain, profile = _ground(sites, area, size_km, pixel_m, seed)
    with atomic_path(out / "truth_landcover.tif") as tmp:
        with rasterio.open(tmp, "w", dtype="uint8", nodata=0, **profile) as dst:
            dst.write(truth, 1)
    rows = [_write_date(out, dt.date(year, m, d), t, truth, gain, rng, profile)
            for t, (m, d) in enumerate(DATES)]
    io.write_geojson(_labels(truth, transform, crs, rng, labels_per_class),
                     out / "labels.geojson")
    with atomic_path(manifest) as tmp:  # last: its presence means the set is complete
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return manifest


def write_landcover_years(out: str | os.PathLike, *, years: tuple = (2022, 2023, 2024, 2025),
                          drought: int | None = 2023, dig_from: int | None = 2024,
                          area: str = "薛家湾/魏家茆", size_km: float = 12.0, pixel_m: float = 20.0,
                          seed: int = 2026, labels_per_class: int = 40,
                          sites: gpd.GeoDataFrame | None = None) -> Path:
    """Write the scenes of every year, ``manifest.csv``, ``truth_landcover_<year>.tif``,
    ``dig.geojson`` (the dig's outline, EPSG:4326) and ``labels.geojson`` into ``out`` (skipped
    when a complete set is there); return the manifest path."""
    import rasterio

    out, manifest = Path(out), Path(out) / "manifest.csv"
    if _complete(out, "dig.geojson"):
        return manifest
    rng, crs, transform, truth, gain, profile = _ground(sites, area, size_km, pixel_m, seed)
    every = sites if sites is not None else sites_mod.read_sites(
        datasets.synthetic_sites_path())[0]
    dig = _dig_place(every.to_crs(crs), truth, transform, truth.shape[0])
    rows = []
    for year in years:
        now = truth.copy()
        if dig_from is not None and year >= dig_from:
            now[dig] = 1
            if year > dig_from:  # its spoil piled on the dig's western third
                now[dig & (np.cumsum(dig, axis=1) <= dig.sum(axis=1, keepdims=True) // 3)] = 3
        with atomic_path(out / f"truth_landcover_{year}.tif") as tmp:
            with rasterio.open(tmp, "w", dtype="uint8", nodata=0, **profile) as dst:
                dst.write(now, 1)
        spectra = {**SPECTRA, 4: DROUGHT_GRASS} if year == drought else SPECTRA
        rows += [_write_date(out, dt.date(year, m, d), t, now, gain, rng, profile,
                             spectra=spectra) for t, (m, d) in enumerate(DATES)]
    io.write_geojson(_dig_outline(dig, transform, crs), out / "dig.geojson")
    io.write_geojson(_labels(truth, transform, crs, rng, labels_per_class),
                     out / "labels.geojson")
    with atomic_path(manifest) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return manifest


def _complete(out: Path, made: str) -> bool:
    """Whether ``out`` holds a complete set (its manifest, labels and ``made``); if not, the
    folder is made ready for one."""
    if all((out / name).exists() for name in ("manifest.csv", "labels.geojson", made)):
        return True
    out.mkdir(parents=True, exist_ok=True)
    return False


def _ground(sites, area: str, size_km: float, pixel_m: float, seed: int):
    """The seeded ground of the sample window: ``(rng, crs, transform, truth, gain, profile)``
    — every pixel's class, each object's brightness, the GeoTIFF profile of its scenes."""
    rng = np.random.default_rng(seed)
    local, crs, transform, n = sample_grid(sites, area, size_km, pixel_m)
    truth, objects = _layout(local, transform, n, rng)
    gain = rng.uniform(0.85, 1.15, objects.max() + 1)[objects]  # each object its own brightness
    profile = dict(driver="GTiff", width=n, height=n, count=1, crs=crs, transform=transform,
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    return rng, crs, transform, truth, gain, profile


def _dig_place(every: gpd.GeoDataFrame, truth: np.ndarray, transform, n: int) -> np.ndarray:
    """A 30 × 30 pixel square of steppe (grass only) outside every site, its centre 600–1500 m
    from the nearest mine boundary: where a dig next to a licence would be."""
    from rasterio.features import rasterize
    from scipy import ndimage

    mines = every.geometry[every["kind"].to_numpy() == "mine"]
    sites = rasterize([(g, 1) for g in every.geometry], out_shape=(n, n), transform=transform,
                      fill=0, dtype="uint8") > 0
    mine = rasterize([(g.boundary, 1) for g in mines], out_shape=(n, n), transform=transform,
                     fill=0, dtype="uint8", all_touched=True) > 0
    dist = ndimage.distance_transform_edt(~mine) * abs(transform.a)
    free = ndimage.minimum_filter((truth == 4) & ~sites, size=30, mode="constant", cval=0) > 0
    ok = free & (dist >= 600) & (dist <= 1500)
    if not ok.any():
        raise ValueError("no steppe 600–1500 m from a mine for the dig")
    r, c = (int(v[len(v) // 2]) for v in np.nonzero(ok))
    square = np.zeros((n, n), bool)
    square[r - 15:r + 15, c - 15:c + 15] = True
    return square


def _dig_outline(dig: np.ndarray, transform, crs: str) -> gpd.GeoDataFrame:
    from rasterio.features import shapes
    from shapely.geometry import shape

    geoms = [shape(g) for g, v in shapes(dig.astype(np.uint8), mask=dig, transform=transform)]
    return gpd.GeoDataFrame({"what": ["dig"] * len(geoms)}, geometry=geoms, crs=crs).to_crs(4326)


def _layout(local: gpd.GeoDataFrame, transform, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """The class of every pixel and the object it belongs to (for per-object brightness)."""
    from rasterio.features import rasterize

    truth = np.full((n, n), 4, np.uint8)       # steppe grass everywhere first
    objects = np.zeros((n, n), np.int32)
    yy, xx = np.mgrid[0:n, 0:n]
    k = 1
    for _ in range(10):                        # crop fields: rectangles of 10–30 pixels a side
        r, c, h, w = rng.integers(0, n - 30), rng.integers(0, n - 30), *rng.integers(10, 30, 2)
        truth[r:r + h, c:c + w], objects[r:r + h, c:c + w], k = 5, k, k + 1
    r, c = rng.integers(0, n - 25, 2)          # a town block
    truth[r:r + 25, c:c + 25], objects[r:r + 25, c:c + 25], k = 8, k, k + 1
    cy, cx = rng.integers(20, n - 20, 2)       # a reservoir
    pond = (yy - cy) ** 2 + (xx - cx) ** 2 < 12 ** 2
    truth[pond], objects[pond], k = 6, k, k + 1
    kinds = local["kind"].to_numpy()
    for kind in ("dump", "pit"):               # pits drawn over dumps
        for geom in local.geometry[kinds == kind]:
            mask = rasterize([(geom, 1)], out_shape=(n, n), transform=transform, fill=0,
                             dtype="uint8") > 0
            if not mask.any():
                continue
            truth[mask], objects[mask], k = _site_classes(kind, mask, rng), k, k + 1
    dumps = [o for o in np.unique(objects[truth == 3])]
    if dumps:                                  # one dump carries PV arrays (its end use)
        sizes = [(int((objects == o).sum()), o) for o in dumps]
        pv = sorted(sizes)[len(sizes) // 2][1]
        truth[objects == pv] = 7
    return truth, objects


def _site_classes(kind: str, mask: np.ndarray, rng) -> np.ndarray:
    """Classes inside one site, in contiguous parts: a pit is excavation with a coal heap in one
    corner (12 %) and, in some, standing water in the opposite one (8 %); a dump is spoil with
    its reclaimed share (0–70 %, from one side) grass."""
    r, c = np.nonzero(mask)
    if kind == "pit":
        diagonal = np.argsort(np.argsort(r + c)) / max(len(r) - 1, 1)
        wet = rng.random() < 0.4
        return np.where(diagonal < 0.12, 2, np.where(wet & (diagonal > 0.92), 6, 1)
                        ).astype(np.uint8)
    side = np.argsort(np.argsort(c, kind="stable")) / max(len(c) - 1, 1)
    return np.where(side < rng.uniform(0.0, 0.7), 4, 3).astype(np.uint8)


def _write_date(out: Path, date: dt.date, t: int, truth: np.ndarray, gain: np.ndarray, rng,
                profile: dict, *, spectra: dict = SPECTRA) -> dict:
    import rasterio

    offset = 1000 if date >= S2_OFFSET_FROM else 0
    n = truth.shape[0]
    cloud = np.zeros(truth.shape, bool)
    if t == 1:                                 # a cloud over part of the August scene
        yy, xx = np.mgrid[0:n, 0:n]
        cloud = (yy - n // 3) ** 2 + (xx - n // 3) ** 2 < (n // 8) ** 2
    row = {"date": date.isoformat(), "sensor": "sentinel2-l2a",
           "baseline": "05.11" if offset else "02.14", "scene_id": f"S2_LC_{date:%Y%m%d}"}
    for b, band in enumerate((*_BANDS, "qa")):
        if band == "qa":
            data = np.zeros(truth.shape, np.uint8)
            for code, scl in _SCL.items():
                data[truth == code] = scl
            data[cloud] = 9
            dtype = "uint8"
        else:
            refl = np.zeros(truth.shape, np.float32)
            for code, values in spectra.items():
                refl[truth == code] = values[t][b]
            refl = refl * gain + rng.normal(0, 0.02, truth.shape).astype(np.float32)
            refl[cloud] = 0.45
            data = np.clip(np.round(refl * 10000) + offset, 1, 65535).astype(np.uint16)
            dtype = "uint16"
        name = f"S2_LC_{date:%Y%m%d}_{'scl' if band == 'qa' else band}.tif"
        with atomic_path(out / name) as tmp:
            with rasterio.open(tmp, "w", dtype=dtype, **profile) as dst:
                dst.write(data, 1)
        row[band] = name
    return row


def _labels(truth: np.ndarray, transform, crs: str, rng, per_class: int) -> gpd.GeoDataFrame:
    """Training squares of 3 × 3 pixels wholly of one class, ``per_class`` of each (fewer
    where a class has fewer such places), ``class`` in Chinese as an interpreter writes it."""
    from shapely.geometry import box

    from .accuracy import class_name

    n = truth.shape[0]
    same = np.ones((n - 2, n - 2), bool)
    centre = truth[1:-1, 1:-1]
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            same &= truth[1 + dr:n - 1 + dr, 1 + dc:n - 1 + dc] == centre
    rows = []
    for code in sorted(np.unique(truth)):
        r, c = np.nonzero(same & (centre == code))
        pick = rng.choice(len(r), min(per_class, len(r)), replace=False) if len(r) else []
        for k in pick:
            x0, y0 = transform * (c[k], r[k])            # the square's top-left pixel corner
            x1, y1 = transform * (c[k] + 3, r[k] + 3)
            rows.append({"class": class_name(int(code), lang="zh"),
                         "geometry": box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))})
    return gpd.GeoDataFrame(rows, crs=crs).to_crs(4326)
