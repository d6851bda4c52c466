"""Terrain of sites and zones from a DEM: slope and aspect (Horn's method), steep and flat
hectares, and pit and dump volumes against the undisturbed ground around each site.

>>> table = og.terrain.terrain_stats(sites, "dsm.tif")       # one row a site

**Slope** by Horn (1981): the 3×3 weighted differences, with the cell sizes of the DEM's
geotransform, in its own projected CRS in metres (as richdem and xarray-spatial compute it); a DEM
in degrees is refused — reproject it first (``gdalwarp -t_srs EPSG:4547``). **Per site**, the
cells are weighted by the share of each cell inside the site — the coverage fractions of
:func:`ordos_geo.reclamation.coverage` (exactextract), the same machinery as the imagery, not a
second zonal loop: ``mean_slope_deg`` (coverage-weighted), ``max_slope_deg`` (of any cell the site
touches), ``steep_ha`` (above ``steep_deg``, default 25°), ``flat_ha`` (at most ``flat_deg``,
default 6° — a local choice for farmland; PV takes up to 15°), ``south_share`` (the share facing
south, 135–225°, on slopes of 2° or more).

**Volumes.** The reference surface is a plane fitted by least squares to the DEM cells in a ring
``ring_m`` = (50, 150) m outside the site (other sites' cells left out), so a tilted ground and
noise do not bias it; ``pit_volume_m3`` sums the depth below the plane, ``dump_volume_m3`` the
height above it, over the site's cells (coverage-weighted, true cell areas). Tested on DEMs the
tests build: a frustum pit (V = πh/3·(R² + Rr + r²)) and a truncated-pyramid dump within 2 %, on
flat, tilted and noisy ground.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import CRSError, InputFileError
from ._messages import msg

__all__ = ["Dem", "read_dem", "horn_slope", "terrain_stats", "TERRAIN_COLUMNS"]

TERRAIN_COLUMNS = ["site_id", "mean_slope_deg", "max_slope_deg", "steep_ha", "flat_ha",
                   "south_share", "pit_volume_m3", "dump_volume_m3", "reference_cells"]


@dataclass(frozen=True)
class Dem:
    """Heights (float, NaN where missing) on a north-up grid in a projected CRS in metres."""

    z: np.ndarray
    transform: object
    crs: object
    path: str

    @property
    def cell(self) -> tuple[float, float]:
        return abs(self.transform.a), abs(self.transform.e)

    def grid_key(self) -> tuple:
        t = self.transform
        return (self.crs.to_wkt(), tuple(round(v, 9) for v in t[:6]), self.z.shape[1],
                self.z.shape[0])


def read_dem(path: str | os.PathLike) -> Dem:
    """A DEM (GeoTIFF/COG) as :class:`Dem`; refused without a CRS, in degrees, or rotated."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise CRSError(msg("dem_no_crs", path=path))
            if not src.crs.is_projected:
                raise CRSError(msg("dem_degrees", path=path, crs=src.crs.to_string()))
            t = src.transform
            if t.b != 0 or t.d != 0 or t.e >= 0:
                raise InputFileError(msg("dem_rotated", path=path))
            z = src.read(1, masked=True).astype("float64").filled(np.nan)
            return Dem(z, t, src.crs, str(path))
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc))) from None


def horn_slope(z: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """Slope (degrees) and aspect (degrees clockwise from north, the downhill direction) by
    Horn's 3×3 method; the outer ring of cells, and cells next to a missing one, are NaN."""
    p = np.pad(z, 1, constant_values=np.nan)
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)  # towards the east
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * dy)  # towards the south (rows down)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    aspect = (np.degrees(np.arctan2(-dzdx, dzdy)) + 360.0) % 360.0  # downhill, from north
    return slope, aspect


def terrain_stats(sites: gpd.GeoDataFrame, dem: Dem | str | os.PathLike, *,
                  steep_deg: float = 25.0, flat_deg: float = 6.0,
                  ring_m: tuple[float, float] = (50.0, 150.0)) -> pd.DataFrame:
    """One row a site (:data:`TERRAIN_COLUMNS`), aligned with ``sites``; see the module text."""
    from .reclamation import coverage

    dem = dem if isinstance(dem, Dem) else read_dem(dem)
    dx, dy = dem.cell
    slope, aspect = horn_slope(dem.z, dx, dy)
    key = dem.grid_key()
    local = sites.to_crs(dem.crs)
    cov = coverage(sites.geometry, key)
    n = len(sites)
    cells, poly, frac = cov.cell.astype(np.int64), cov.poly, cov.cov.astype(float)
    s = slope.ravel()[cells]
    ok = np.isfinite(s)
    w = frac * ok
    cell_ha = cov.ha_per_cell[poly]  # true hectares of one whole cell of that site
    mean = np.bincount(poly, weights=w * np.nan_to_num(s), minlength=n) / \
        np.maximum(np.bincount(poly, weights=w, minlength=n), 1e-12)
    top = np.full(n, np.nan)
    np.fmax.at(top, poly[ok], s[ok])
    steep = np.bincount(poly, weights=w * (s > steep_deg) * cell_ha, minlength=n)
    flat = np.bincount(poly, weights=w * (s <= flat_deg) * cell_ha, minlength=n)
    a = aspect.ravel()[cells]  # facing south (135–225°) on slopes of at least 2°
    south = np.bincount(poly, weights=w * ((a >= 135) & (a <= 225) & (s >= 2)), minlength=n) / \
        np.maximum(np.bincount(poly, weights=w, minlength=n), 1e-12)
    ref, n_ring = _reference_planes(local, dem, key, ring_m)
    pit, dump = _volumes(dem, cells, poly, frac, ref, cell_ha, n)
    has = np.bincount(poly, weights=w, minlength=n) > 0
    return pd.DataFrame({
        "site_id": sites["site_id"].astype(str).to_numpy(),
        "mean_slope_deg": np.where(has, mean, np.nan), "max_slope_deg": top,
        "steep_ha": np.where(has, steep, np.nan), "flat_ha": np.where(has, flat, np.nan),
        "south_share": np.where(has, south, np.nan),
        "pit_volume_m3": pit, "dump_volume_m3": dump,
        "reference_cells": n_ring}, index=sites.index)


def _reference_planes(local: gpd.GeoDataFrame, dem: Dem, key: tuple,
                      ring_m: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per site, the plane z = a + b·x + c·y fitted to the DEM in the ring around it (cells of
    other sites left out): coefficients (n, 3) in the DEM's CRS, and the cells used."""
    from .reclamation import coverage

    inner, outer = ring_m
    geoms = local.geometry
    ring = geoms.buffer(outer).difference(geoms.buffer(inner))
    cov = coverage(gpd.GeoSeries(ring.values, crs=local.crs), key)
    sites_cov = coverage(gpd.GeoSeries(geoms.values, crs=local.crs), key)
    disturbed = np.zeros(dem.z.size, dtype=bool)
    disturbed[sites_cov.cell.astype(np.int64)] = True
    cells = cov.cell.astype(np.int64)
    keep = ~disturbed[cells] & np.isfinite(dem.z.ravel()[cells]) & (cov.cov > 0.5)
    cells, poly = cells[keep], cov.poly[keep]
    x, y = _centres(dem, cells)
    z = dem.z.ravel()[cells]
    n = len(local)
    cols = [np.ones_like(x), x, y]
    ata = np.empty((n, 3, 3))
    atb = np.empty((n, 3))
    for i in range(3):
        atb[:, i] = np.bincount(poly, weights=cols[i] * z, minlength=n)
        for j in range(3):
            ata[:, i, j] = np.bincount(poly, weights=cols[i] * cols[j], minlength=n)
    count = np.bincount(poly, minlength=n)
    coef = np.full((n, 3), np.nan)
    ok = count >= 3
    if ok.any():
        ata[ok] += np.eye(3) * 1e-9  # a ring on a straight line would be singular
        coef[ok] = np.linalg.solve(ata[ok], atb[ok][..., None])[..., 0]
    return coef, count


def _centres(dem: Dem, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres; x and y relative to the grid origin (well conditioned)."""
    rows, cols = np.divmod(cells, dem.z.shape[1])
    t = dem.transform
    return (cols + 0.5) * t.a, (rows + 0.5) * t.e


def _volumes(dem, cells, poly, frac, ref, cell_ha, n) -> tuple[np.ndarray, np.ndarray]:
    x, y = _centres(dem, cells)
    plane = ref[poly, 0] + ref[poly, 1] * x + ref[poly, 2] * y
    diff = plane - dem.z.ravel()[cells]  # > 0: below the ground around (a pit)
    ok = np.isfinite(diff)
    area_m2 = cell_ha * 10_000.0 * frac * ok
    diff = np.nan_to_num(diff)
    pit = np.bincount(poly, weights=area_m2 * np.clip(diff, 0, None), minlength=n)
    dump = np.bincount(poly, weights=area_m2 * np.clip(-diff, 0, None), minlength=n)
    missing = ~np.isfinite(ref[:, 0])
    pit[missing], dump[missing] = np.nan, np.nan
    return pit, dump
