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



def read_dem(path: str | os.PathLike) -> Dem:
    """A DEM (GeoTIFF/COG) as :class:`Dem`; refused without a CRS, in degrees, or rotated."""
    import rasterio

    read_dem_header(path)
    with rasterio.open(path) as src:
        z = src.read(1, masked=True).astype("float64").filled(np.nan)
        return Dem(z, src.transform, src.crs, str(path))


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


class _Reader:
    """Rows of a DEM, from a file (a window at a time) or from a :class:`Dem` in memory."""

    def __init__(self, dem: Dem | str | os.PathLike) -> None:
        if isinstance(dem, Dem):
            self.mem, self.path = dem, dem.path
            self.height, self.width = dem.z.shape
            self.transform, self.crs = dem.transform, dem.crs
            return
        import rasterio

        read_dem_header(dem)  # refuses what read_dem refuses
        self.mem, self.path = None, str(dem)
        # strips are read once each: a small block cache, not GDAL's 5 % of the memory
        self.env = rasterio.Env(GDAL_CACHEMAX=64)
        self.env.__enter__()
        self.src = rasterio.open(dem)
        self.height, self.width = self.src.height, self.src.width
        self.transform, self.crs = self.src.transform, self.src.crs

    def rows(self, r0: int, r1: int) -> np.ndarray:
        """Rows ``r0`` to ``r1`` (exclusive) as float64, NaN where missing or off the grid."""
        lo, hi = max(r0, 0), min(r1, self.height)
        if self.mem is not None:
            block = self.mem.z[lo:hi]
        else:
            from rasterio.windows import Window

            block = self.src.read(1, window=Window(0, lo, self.width, hi - lo), masked=True) \
                .astype("float64").filled(np.nan)
        return np.pad(block, ((lo - r0, r1 - hi), (0, 0)), constant_values=np.nan)

    def key(self) -> tuple:
        t = self.transform
        return (self.crs.to_wkt(), tuple(round(v, 9) for v in t[:6]), self.width, self.height)

    def close(self) -> None:
        if self.mem is None:
            self.src.close()
            self.env.__exit__(None, None, None)


def read_dem_header(path: str | os.PathLike) -> None:
    """Check a DEM file without reading its heights (the checks of :func:`read_dem`)."""
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
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc))) from None


def _scan(reader: _Reader, site_cells: np.ndarray, ring_cells: np.ndarray,
          strip_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the DEM in strips of ``strip_rows`` (one row of overlap each side for
    Horn's window): heights, slope and aspect at the site cells, heights at the ring cells."""
    w = reader.width
    dx, dy = abs(reader.transform.a), abs(reader.transform.e)
    out = [np.full(len(site_cells), np.nan) for _ in range(3)]
    ring_z = np.full(len(ring_cells), np.nan)
    rows_needed = np.unique(np.r_[site_cells // w, ring_cells // w]) if len(site_cells) + \
        len(ring_cells) else np.empty(0, dtype=np.int64)
    for r0 in range(0, reader.height, strip_rows):
        r1 = min(r0 + strip_rows, reader.height)
        if not np.any((rows_needed >= r0) & (rows_needed < r1)):
            continue
        block = reader.rows(r0 - 1, r1 + 1)
        slope, aspect = horn_slope(block, dx, dy)
        z, slope, aspect = block[1:-1], slope[1:-1], aspect[1:-1]
        lo, hi = np.searchsorted(site_cells, [r0 * w, r1 * w])
        local = site_cells[lo:hi] - r0 * w
        for arr, grid in zip(out, (z, slope, aspect)):
            arr[lo:hi] = grid.ravel()[local]
        lo, hi = np.searchsorted(ring_cells, [r0 * w, r1 * w])
        ring_z[lo:hi] = z.ravel()[ring_cells[lo:hi] - r0 * w]
    return out[0], out[1], out[2], ring_z


def terrain_stats(sites: gpd.GeoDataFrame, dem: Dem | str | os.PathLike, *,
                  steep_deg: float = 25.0, flat_deg: float = 6.0,
                  ring_m: tuple[float, float] = (50.0, 150.0),
                  strip_rows: int = 256) -> pd.DataFrame:
    """One row a site (:data:`TERRAIN_COLUMNS`), aligned with ``sites``; see the module text.
    The DEM is read once, in strips: memory follows the sites' cells, not the DEM's size."""
    from .reclamation import coverage

    reader = _Reader(dem)
    try:
        key = reader.key()
        local = sites.to_crs(reader.crs)
        cov = coverage(sites.geometry, key).sorted()
        rings = local.geometry.buffer(ring_m[1]).difference(local.geometry.buffer(ring_m[0]))
        ring = coverage(gpd.GeoSeries(rings.values, crs=local.crs), key).sorted()
        cells = cov.cell.astype(np.int64)
        keep = ~np.isin(ring.cell, cov.cell) & (ring.cov > 0.5)  # undisturbed ground only
        ring_cells, ring_poly = ring.cell[keep].astype(np.int64), ring.poly[keep]
        z, s, a, ring_z = _scan(reader, cells, ring_cells, strip_rows)
    finally:
        reader.close()
    n, poly, frac = len(sites), cov.poly, cov.cov.astype(float)
    ok = np.isfinite(s)
    w = frac * ok
    cell_ha = cov.ha_per_cell[poly]  # true hectares of one whole cell of that site
    covered = np.bincount(poly, weights=w, minlength=n)
    mean = np.bincount(poly, weights=w * np.nan_to_num(s), minlength=n) / np.maximum(covered, 1e-12)
    top = np.full(n, np.nan)
    np.fmax.at(top, poly[ok], s[ok])
    steep = np.bincount(poly, weights=w * (s > steep_deg) * cell_ha, minlength=n)
    flat = np.bincount(poly, weights=w * (s <= flat_deg) * cell_ha, minlength=n)
    south = np.bincount(poly, weights=w * ((a >= 135) & (a <= 225) & (s >= 2)), minlength=n) / \
        np.maximum(covered, 1e-12)  # facing south (135–225°) on slopes of at least 2°
    ref, n_ring = _planes(reader, ring_cells, ring_poly, ring_z, n)
    pit, dump = _volumes(reader, cells, poly, frac, z, ref, cell_ha, n)
    has = covered > 0
    return pd.DataFrame({
        "site_id": sites["site_id"].astype(str).to_numpy(),
        "mean_slope_deg": np.where(has, mean, np.nan), "max_slope_deg": top,
        "steep_ha": np.where(has, steep, np.nan), "flat_ha": np.where(has, flat, np.nan),
        "south_share": np.where(has, south, np.nan),
        "pit_volume_m3": pit, "dump_volume_m3": dump,
        "reference_cells": n_ring}, index=sites.index)


def _planes(reader: _Reader, cells: np.ndarray, poly: np.ndarray, z: np.ndarray,
            n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per site, the plane z = a + b·x + c·y fitted by least squares to its ring cells:
    coefficients (n, 3) (x, y from the grid origin), and the cells used."""
    ok = np.isfinite(z)
    cells, poly, z = cells[ok], poly[ok], z[ok]
    x, y = _centres(reader, cells)
    cols = [np.ones_like(x), x, y]
    ata = np.empty((n, 3, 3))
    atb = np.empty((n, 3))
    for i in range(3):
        atb[:, i] = np.bincount(poly, weights=cols[i] * z, minlength=n)
        for j in range(3):
            ata[:, i, j] = np.bincount(poly, weights=cols[i] * cols[j], minlength=n)
    count = np.bincount(poly, minlength=n)
    coef = np.full((n, 3), np.nan)
    good = count >= 3
    if good.any():
        ata[good] += np.eye(3) * 1e-9  # a ring on a straight line would be singular
        coef[good] = np.linalg.solve(ata[good], atb[good][..., None])[..., 0]
    return coef, count


def _centres(reader, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres; x and y relative to the grid origin (well conditioned)."""
    rows, cols = np.divmod(cells, reader.width)
    t = reader.transform
    return (cols + 0.5) * t.a, (rows + 0.5) * t.e


def _volumes(reader, cells, poly, frac, z, ref, cell_ha, n) -> tuple[np.ndarray, np.ndarray]:
    x, y = _centres(reader, cells)
    plane = ref[poly, 0] + ref[poly, 1] * x + ref[poly, 2] * y
    diff = plane - z  # > 0: below the ground around (a pit)
    ok = np.isfinite(diff)
    area_m2 = cell_ha * 10_000.0 * frac * ok
    diff = np.nan_to_num(diff)
    pit = np.bincount(poly, weights=area_m2 * np.clip(diff, 0, None), minlength=n)
    dump = np.bincount(poly, weights=area_m2 * np.clip(-diff, 0, None), minlength=n)
    missing = ~np.isfinite(ref[:, 0])
    pit[missing], dump[missing] = np.nan, np.nan
    return pit, dump
