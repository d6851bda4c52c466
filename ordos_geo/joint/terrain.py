"""Terrain of sites and zones from a DEM: slope and aspect (Horn's method), steep and flat
hectares, and pit and dump volumes against the undisturbed ground around each site.

>>> table = og.terrain.terrain_stats(sites, "dsm.tif")       # one row a site

**Slope** by Horn (1981): the 3×3 weighted differences, with the cell sizes of the DEM's
geotransform, in its own projected CRS in metres (as richdem and xarray-spatial compute it); a DEM
in degrees is refused — reproject it first (``gdalwarp -t_srs EPSG:4547``). **Per site**, the
cells are weighted by the share of each cell inside the site — the coverage fractions of
:func:`ordos_geo.imagery.grids.coverage` (exactextract), the same machinery as the imagery, not a
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

**Incomplete DEMs never shrink a figure silently.** ``dem_coverage`` is the share of the site's
true area that has a height (a nodata hole, or the part of the site off the DEM, has none);
``volume_status`` says what the figures are:

* ``complete`` — coverage ≥ 99.9 %: measured;
* ``filled`` — coverage from ``min_coverage`` (80 %) up: the holes are taken as deep (or as
  high) as the covered rest on average — volumes and steep/flat hectares are the covered part's
  divided by the coverage (``pit_volume_covered_m3`` / ``dump_volume_covered_m3`` keep what was
  measured);
* ``partial`` — less coverage: ``pit_volume_m3``, ``dump_volume_m3``, ``steep_ha`` and
  ``flat_ha`` are empty (only the covered part's volumes are given), never a smaller figure;
* ``no_dem`` — no height at all on the site; ``no_reference`` — fewer than 20 ring cells with
  a height, no reference surface: no volumes.

Heights no ground has — an undeclared nodata value such as −32768, ±inf, anything outside
−500…9000 m, and 0 in a DEM of high ground that declares no nodata value — are missing, with
a warning that counts them (declare the DEM's nodata value).

**Noise is not volume.** ``noise_m`` is the RMS of the ring cells about their plane (the DEM's
noise plus the ground's roughness); pure noise of σ on an area A sums to about σ·A/√(2π) below
(and as much above) a plane — ``noise_volume_m3``. A pit or dump volume that is not more than
twice that — or whose noise is unknown — is ``pit_significant`` / ``dump_significant`` = False
(reported, not balanced by :mod:`ordos_geo.joint.earthworks`). A DEM on which no site has any height is refused, with the
sites named.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import cluster
from ..core.errors import CRSError, InputFileError, ValidationError
from ..core.messages import msg
from ..core.utils import progress_bar
from ..imagery.grids import coverage, key_of, strips

__all__ = ["Dem", "read_dem", "horn_slope", "terrain_stats", "TERRAIN_COLUMNS"]

TERRAIN_COLUMNS = ["site_id", "mean_slope_deg", "max_slope_deg", "steep_ha", "flat_ha",
                   "south_share", "pit_volume_m3", "dump_volume_m3", "reference_cells",
                   "dem_coverage", "volume_status", "pit_volume_covered_m3",
                   "dump_volume_covered_m3", "noise_m", "noise_volume_m3", "pit_significant",
                   "dump_significant"]
#: coverage from which a volume counts as complete (holes of rounding size)
COMPLETE = 0.999
#: ring cells with a height a reference surface needs (3 fix a plane, not its noise)
MIN_RING_CELLS = 20


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


def _horn_in_columns(z: np.ndarray, dx: float, dy: float, cols: int = 2048
                     ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`horn_slope` of a strip computed ``cols`` columns at a time (each with its
    neighbouring column on either side): the same values, a tenth of the temporaries of a
    20,000-column strip."""
    width = z.shape[1]
    if width <= cols:
        return horn_slope(z, dx, dy)
    slope, aspect = np.empty(z.shape), np.empty(z.shape)
    for c0 in range(0, width, cols):
        c1 = min(c0 + cols, width)
        lo, hi = max(c0 - 1, 0), min(c1 + 1, width)
        s, a = horn_slope(z[:, lo:hi], dx, dy)
        slope[:, c0:c1], aspect[:, c0:c1] = s[:, c0 - lo:c1 - lo], a[:, c0 - lo:c1 - lo]
    return slope, aspect


#: heights a DEM cell may have, metres (the Dead Sea shore to Everest, with a margin)
HEIGHT_RANGE = (-500.0, 9000.0)


def _zero_is_nodata(sample: np.ndarray) -> bool:
    """A DEM without a nodata value whose ground is high (median above 100 m, as all of Ordos
    at 850–2150 m) and that holds zeros: the zeros are holes, not sea level."""
    with np.errstate(invalid="ignore"):
        ok = sample[np.isfinite(sample) & (sample > HEIGHT_RANGE[0]) & (sample < HEIGHT_RANGE[1])]
    return bool(ok.size) and float(np.median(ok)) > 100.0


class _Reader:
    """Rows of a DEM, from a file (a window at a time) or from a :class:`Dem` in memory;
    implausible heights are missing (:meth:`_plausible`)."""

    def __init__(self, dem: Dem | str | os.PathLike) -> None:
        self.implausible, self.zero_is_nodata = 0, False
        if isinstance(dem, Dem):
            self.mem, self.path = dem, dem.path
            self.height, self.width = dem.z.shape
            self.transform, self.crs = dem.transform, dem.crs
            self.zero_is_nodata = _zero_is_nodata(dem.z[::max(1, dem.z.shape[0] // 200),
                                                        ::max(1, dem.z.shape[1] // 200)])
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
        if self.src.nodata is None:  # a hole written as 0 in a DEM of high ground
            self.zero_is_nodata = _zero_is_nodata(self._sample())
        from rasterio.enums import MaskFlags

        # a nodata value (or none) is compared in place; a mask band or alpha is read as such
        self.plain = set(self.src.mask_flag_enums[0]) <= {MaskFlags.nodata, MaskFlags.all_valid}

    def _sample(self, size: int = 64, across: int = 5) -> np.ndarray:
        """Heights of ``across`` × ``across`` windows of ``size`` cells spread over the grid: a
        few blocks read, not the whole DEM (a decimated read of a DEM without overviews reads
        every block of it)."""
        from rasterio.windows import Window

        h, w = min(size, self.height), min(size, self.width)
        rows = np.unique(np.linspace(0, self.height - h, across).astype(int))
        cols = np.unique(np.linspace(0, self.width - w, across).astype(int))
        return np.concatenate([self.src.read(1, window=Window(c, r, w, h)).ravel()
                               for r in rows for c in cols]).astype("float64")

    def rows(self, r0: int, r1: int, *, halo: int = 0) -> np.ndarray:
        """Rows ``r0`` to ``r1`` (exclusive) as float64, NaN where missing or off the grid.
        Implausible heights are counted in the rows between the ``halo`` rows at each end only
        (the neighbouring strips count theirs)."""
        lo, hi = max(r0, 0), min(r1, self.height)
        if self.mem is not None:
            block = self.mem.z[lo:hi]
        else:
            from rasterio.windows import Window

            window = Window(0, lo, self.width, hi - lo)
            if self.plain:
                block = self.src.read(1, window=window).astype("float64")
                if self.src.nodata is not None:
                    block[block == self.src.nodata] = np.nan  # a NaN nodata is NaN already
            else:
                block = self.src.read(1, window=window, masked=True).astype("float64") \
                    .filled(np.nan)
        counted = (max(r0 + halo, lo) - lo, min(r1 - halo, hi) - lo)
        block = self._plausible(np.asarray(block, dtype="float64"), counted)
        return np.pad(block, ((lo - r0, r1 - hi), (0, 0)), constant_values=np.nan)

    def _plausible(self, block: np.ndarray, counted: tuple[int, int]) -> np.ndarray:
        """Heights no ground has (undeclared nodata such as −32768 or 3.4e38, ±inf; 0 in a DEM
        of high ground without a nodata value) made missing, and counted in the block's rows
        ``counted`` (start, stop)."""
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(block) | (block < HEIGHT_RANGE[0]) | (block > HEIGHT_RANGE[1])
            if self.zero_is_nodata:
                bad |= block == 0
        bad &= ~np.isnan(block)
        if bad.any():
            self.implausible += int(bad[max(counted[0], 0):max(counted[1], 0)].sum())
            block = np.where(bad, np.nan, block)
        return block

    def key(self) -> tuple:
        return key_of(self.crs, self.transform, self.width, self.height)

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


#: per-site sums gathered strip by strip (columns of :class:`_Sums`)
_SLOPE_SUMS = ("covered", "slope", "steep", "flat", "south")
#: per-site normal equations of the ring plane z = a + b·x + c·y: ΣppT (9), Σpz (3), count,
#: Σz² (for the residuals)
_PLANE_SUMS = 14


class _Sums:
    """Per-site sums accumulated strip by strip: the DEM is never held whole, nor one value
    per covered cell beyond the sites' heights (float32). One band of rows fills one (with
    ``at``/``z`` the heights of the site cells it read); the bands are added up in order."""

    def __init__(self, n: int, n_site_cells: int | None = None) -> None:
        self.slope = np.zeros((n, len(_SLOPE_SUMS)))
        self.top = np.full(n, np.nan)
        self.plane = np.zeros((n, _PLANE_SUMS))
        self.site_z = None if n_site_cells is None else \
            np.full(n_site_cells, np.nan, dtype=np.float32)
        self.at: list[np.ndarray] = []
        self.z: list[np.ndarray] = []
        self.implausible = 0

    def add(self, band: "_Sums") -> None:
        self.slope += band.slope
        self.top = np.fmax(self.top, band.top)
        self.plane += band.plane
        for at, z in zip(band.at, band.z):
            self.site_z[at] = z
        self.implausible += band.implausible


#: strips per band: the unit of work a cluster's worker takes (4 × 256 rows; the band's rings'
#: coverage is held while it is read)
BAND_STRIPS = 4


@dataclass(frozen=True)
class _Rings:
    """The sites' reference rings (in the DEM's CRS) and the DEM rows each spans: their coverage
    is computed band by band, never held for the whole DEM."""

    geoms: gpd.GeoSeries
    top: np.ndarray
    bottom: np.ndarray

    @classmethod
    def of(cls, rings: gpd.GeoSeries, reader: _Reader) -> "_Rings":
        t = reader.transform
        b = np.nan_to_num(shapely.bounds(np.asarray(rings.values)), nan=np.inf)
        top = np.floor((b[:, 3] - t.f) / t.e).clip(0, reader.height)
        bottom = np.floor((b[:, 1] - t.f) / t.e).clip(-1, reader.height - 1)
        return cls(rings, top.astype(np.int64), bottom.astype(np.int64))

    def within(self, r0: int, r1: int) -> np.ndarray:
        """Positions of the rings that reach rows ``r0:r1``."""
        return np.flatnonzero((self.top < r1) & (self.bottom >= r0) & (self.top <= self.bottom))


def _scan(reader: _Reader, cov, rings: _Rings, *, steep_deg: float, flat_deg: float,
          strip_rows: int, client=None, show: bool | None = None) -> _Sums:
    """One pass over the DEM in bands of strips of ``strip_rows`` (one row of overlap each
    side for Horn's window), only where sites or their rings lie. The bands run here, one
    after the other, or on the workers of ``client`` (each opening the DEM itself); either way
    they are added up in the same order, so the sums are the same to the bit."""
    sums = _Sums(cov.n_polygons, len(cov.cell))
    on = rings.top <= rings.bottom
    ranges = ([cov.row_range()] if len(cov.cell) else []) + \
        ([(int(rings.top[on].min()), int(rings.bottom[on].max()))] if on.any() else [])
    if not ranges:  # no site nor ring on the DEM
        return sums
    first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
    todo = [(r0, r1) for r0, r1 in strips(first, last, step=strip_rows, height=reader.height)
            if len(cov.strip(r0, r1)) or len(rings.within(r0, r1))]
    bands = [todo[k:k + BAND_STRIPS] for k in range(0, len(todo), BAND_STRIPS)]
    options = {"steep_deg": steep_deg, "flat_deg": flat_deg}
    if client is None:
        parts = (_scan_band(reader, cov, rings, band, **options) for band in bands)
    else:
        source = reader.mem if reader.mem is not None else reader.path
        parts = cluster.in_order(client, _scan_band_of, bands, item="band",
                                 shared={"source": source, "cov": cov, "rings": rings}, **options)
    for part in progress_bar(parts, total=len(bands), desc="DEM", progress=show):
        sums.add(part)
    return sums


def _scan_band_of(source, cov, rings: _Rings, band: list, **options) -> _Sums:
    """:func:`_scan_band` on a worker: it opens the DEM (a path, or a :class:`Dem`) itself."""
    reader = _Reader(source)
    try:
        return _scan_band(reader, cov, rings, band, **options)
    finally:
        reader.close()


def _band_rings(reader: _Reader, rings: _Rings, b0: int, b1: int):
    """Coverage of the rings over rows ``b0:b1`` of the DEM (cells numbered within the band,
    polygons by their position in ``rings``), computed in this process."""
    import dask
    from rasterio.transform import Affine

    which = rings.within(b0, b1)
    key = key_of(reader.crs, reader.transform * Affine.translation(0, b0), reader.width, b1 - b0)
    with dask.config.set(num_workers=1):  # a band is small; a cluster worker cannot fork
        part = coverage(rings.geoms.iloc[which], key)
    return part, which


def _scan_band(reader: _Reader, cov, rings: _Rings, band: list, *, steep_deg: float,
               flat_deg: float) -> _Sums:
    """The sums of one band of strips (``(r0, r1)`` row ranges)."""
    sums = _Sums(cov.n_polygons)
    before = reader.implausible
    dx, dy = abs(reader.transform.a), abs(reader.transform.e)
    b0 = band[0][0]
    ring, which = _band_rings(reader, rings, b0, band[-1][1])
    for r0, r1 in band:
        at_site, at_ring = cov.strip(r0, r1), ring.strip(r0 - b0, r1 - b0)
        block = reader.rows(r0 - 1, r1 + 1, halo=1)
        slope, aspect = _horn_in_columns(block, dx, dy)
        grids = (block[1:-1].ravel(), slope[1:-1].ravel(), aspect[1:-1].ravel())
        local = cov.cell[at_site].astype(np.int64) - r0 * reader.width
        sums.at.append(at_site)
        sums.z.append(grids[0][local].astype(np.float32))
        _add_slopes(sums, cov, at_site, [g[local] for g in grids[1:]], steep_deg, flat_deg)
        in_site = np.zeros(grids[0].size, dtype=bool)
        in_site[local] = True
        cells = ring.cell[at_ring].astype(np.int64) + b0 * reader.width  # on the whole DEM
        _add_ring(sums, reader, (cells, which[ring.poly[at_ring]], ring.cov[at_ring]),
                  grids[0], in_site, r0)
    sums.implausible = reader.implausible - before
    return sums


def _add_slopes(sums: _Sums, cov, at: np.ndarray, slope_aspect: list, steep_deg: float,
                flat_deg: float) -> None:
    s, a = slope_aspect
    poly, n = cov.poly[at], cov.n_polygons
    ok = np.isfinite(s)
    w = cov.cov[at].astype(np.float64) * ok
    cell_ha = cov.ha_per_cell[poly]  # true hectares of one whole cell of that site
    south = (a >= 135) & (a <= 225) & (s >= 2)  # facing south (135–225°) on slopes of 2°+
    for j, weights in enumerate((w, w * np.nan_to_num(s), w * (s > steep_deg) * cell_ha,
                                 w * (s <= flat_deg) * cell_ha, w * south)):
        sums.slope[:, j] += np.bincount(poly, weights=weights, minlength=n)
    np.fmax.at(sums.top, poly[ok], s[ok])


def _add_ring(sums: _Sums, reader: _Reader, ring: tuple, z_strip: np.ndarray,
              in_site: np.ndarray, r0: int) -> None:
    """Normal equations of each site's ring plane from the ring cells of this strip (``ring``:
    cells on the whole DEM, site numbers, coverage) that are mostly in the ring (coverage >
    0.5), not any site's ground, and have a height."""
    cells, owner, fraction = ring
    local = cells - r0 * reader.width
    z = z_strip[local]
    keep = (fraction > 0.5) & ~in_site[local] & np.isfinite(z)
    if not keep.any():
        return
    poly, z = owner[keep], z[keep]
    x, y = _centres(reader, cells[keep])
    cols = (np.ones_like(x), x, y)
    n = sums.plane.shape[0]
    for i in range(3):
        sums.plane[:, 9 + i] += np.bincount(poly, weights=cols[i] * z, minlength=n)
        for j in range(i, 3):
            sums.plane[:, 3 * i + j] += np.bincount(poly, weights=cols[i] * cols[j], minlength=n)
    sums.plane[:, 12] += np.bincount(poly, minlength=n)
    sums.plane[:, 13] += np.bincount(poly, weights=z * z, minlength=n)


def terrain_stats(sites: gpd.GeoDataFrame, dem: Dem | str | os.PathLike, *,
                  steep_deg: float = 25.0, flat_deg: float = 6.0,
                  ring_m: tuple[float, float] = (50.0, 150.0),
                  min_coverage: float = 0.8, strip_rows: int = 256, client: object = None,
                  show_progress: bool | None = None) -> pd.DataFrame:
    """One row a site (:data:`TERRAIN_COLUMNS`), aligned with ``sites``; see the module text.
    The DEM is read once, in strips, and summed per site as it is read: memory follows the
    sites' cells, not the DEM's size. Refused (the sites named) when no site has a height.

    ``client``: a ``dask.distributed.Client`` (:func:`ordos_geo.core.cluster.connect`) to read
    and sum bands of the DEM on its workers, which must reach the DEM by the same path; the
    table is the same as without one. ``show_progress``: a bar over the bands (default
    ``settings.progress``)."""
    from ..core import projection

    reader = _Reader(dem)
    try:
        key = reader.key()
        local = sites.to_crs(reader.crs)
        cov = coverage(sites.geometry, key)
        rings = local.geometry.buffer(ring_m[1]).difference(local.geometry.buffer(ring_m[0]))
        rings = _Rings.of(gpd.GeoSeries(rings.values, crs=local.crs), reader)
        sums = _scan(reader, cov, rings, steep_deg=steep_deg, flat_deg=flat_deg,
                     strip_rows=strip_rows, client=client, show=show_progress)
    finally:
        reader.close()
    if sums.implausible:
        import logging

        logging.getLogger("ordos_geo").warning(msg("dem_implausible", path=reader.path,
                                                   n=sums.implausible))
    del rings
    covered, slope_sum, steep, flat, south = sums.slope.T
    has = covered > 0
    safe = np.maximum(covered, 1e-12)
    ref, n_ring, noise = _planes(sums.plane)
    area_ha = projection.area_ha(sites).to_numpy()
    pit, dump, height_ha = _volumes(reader, cov, sums.site_z, ref)
    share = np.clip(height_ha / np.maximum(area_ha, 1e-12), 0.0, 1.0)
    ids = sites["site_id"].astype(str).to_numpy()
    if not (height_ha > 0).any():
        raise ValidationError(msg("dem_no_cover", path=reader.path, n=len(ids),
                                  ids=", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")))
    status = _status(share, n_ring, min_coverage)
    scale = np.where(status == "complete", 1.0,
                     np.where(status == "filled", 1.0 / np.maximum(share, 1e-12), np.nan))
    slope_share = np.clip(covered * cov.ha_per_cell / np.maximum(area_ha, 1e-12), 0, 1)
    slope_scale = np.where(status == "complete", 1.0,
                           np.where(status == "filled", 1.0 / np.maximum(slope_share, 1e-12),
                                    np.nan))
    noise_volume = noise * area_ha * 10_000.0 / np.sqrt(2 * np.pi)
    _warn_incomplete(ids, status)
    return pd.DataFrame({
        "site_id": ids,
        "mean_slope_deg": np.where(has, slope_sum / safe, np.nan), "max_slope_deg": sums.top,
        "steep_ha": np.where(has, steep * slope_scale, np.nan),
        "flat_ha": np.where(has, flat * slope_scale, np.nan),
        "south_share": np.where(has, south / safe, np.nan),
        "pit_volume_m3": pit * scale, "dump_volume_m3": dump * scale,
        "reference_cells": n_ring, "dem_coverage": share, "volume_status": status,
        "pit_volume_covered_m3": pit, "dump_volume_covered_m3": dump,
        "noise_m": noise, "noise_volume_m3": noise_volume,
        "pit_significant": np.isfinite(noise_volume) & (np.nan_to_num(pit * scale) >
                                                        2 * np.nan_to_num(noise_volume)),
        "dump_significant": np.isfinite(noise_volume) & (np.nan_to_num(dump * scale) >
                                                         2 * np.nan_to_num(noise_volume))},
        index=sites.index)


def _status(share: np.ndarray, n_ring: np.ndarray, min_coverage: float) -> np.ndarray:
    return np.select([share <= 0, n_ring < MIN_RING_CELLS, share >= COMPLETE,
                      share >= min_coverage],
                     ["no_dem", "no_reference", "complete", "filled"], "partial").astype(object)


def _warn_incomplete(ids: np.ndarray, status: np.ndarray) -> None:
    import logging

    log = logging.getLogger("ordos_geo")
    for name in ("filled", "partial", "no_dem", "no_reference"):
        which = ids[status == name]
        if len(which):
            log.warning(msg(f"dem_{name}", n=len(which),
                            ids=", ".join(which[:10]) + (" …" if len(which) > 10 else "")))


def _planes(plane_sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site, the least-squares plane z = a + b·x + c·y (x, y from the grid origin) from its
    ring's normal equations: coefficients (n, 3), NaN with fewer than 3 cells; cells used; the
    RMS of the ring cells about the plane (NaN with 3 cells or fewer)."""
    n = len(plane_sums)
    ata = np.zeros((n, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            ata[:, i, j] = ata[:, j, i] = plane_sums[:, 3 * i + j]
    atb = plane_sums[:, 9:12]
    count = plane_sums[:, 12].astype(np.int64)
    coef = np.full((n, 3), np.nan)
    noise = np.full(n, np.nan)
    good = count >= 3
    if good.any():
        ata[good] += np.eye(3) * 1e-9  # a ring on a straight line would be singular
        coef[good] = np.linalg.solve(ata[good], atb[good][..., None])[..., 0]
        # residual sum of squares: Σz² − 2cᵀAᵀz + cᵀAᵀAc (= Σz² − cᵀAᵀz at the optimum)
        c = coef[good]
        rss = plane_sums[good, 13] - 2 * np.einsum("ni,ni->n", c, atb[good]) + \
            np.einsum("ni,nij,nj->n", c, ata[good], c)
        dof = count[good] - 3
        noise[good] = np.where(dof > 0, np.sqrt(np.clip(rss, 0, None) / np.maximum(dof, 1)),
                               np.nan)
    return coef, count, noise


def _centres(reader, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres; x and y relative to the grid origin (well conditioned)."""
    rows, cols = np.divmod(cells, reader.width)
    t = reader.transform
    return (cols + 0.5) * t.a, (rows + 0.5) * t.e


def _volumes(reader, cov, site_z: np.ndarray, ref: np.ndarray,
             chunk: int = 1 << 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pit (below the ring plane) and dump (above it) volumes per site over its cells with a
    height, and the true hectares of those cells, in chunks of cells."""
    n = cov.n_polygons
    pit, dump, height_ha = np.zeros(n), np.zeros(n), np.zeros(n)
    for lo in range(0, len(cov.cell), chunk):
        sl = slice(lo, lo + chunk)
        poly = cov.poly[sl]
        known = np.isfinite(site_z[sl])
        height_ha += np.bincount(poly, weights=cov.ha_per_cell[poly] * cov.cov[sl] * known,
                                 minlength=n)
        x, y = _centres(reader, cov.cell[sl].astype(np.int64))
        diff = ref[poly, 0] + ref[poly, 1] * x + ref[poly, 2] * y - site_z[sl]  # > 0: a pit
        ok = np.isfinite(diff)
        area_m2 = cov.ha_per_cell[poly] * 10_000.0 * cov.cov[sl] * ok
        diff = np.nan_to_num(diff)
        pit += np.bincount(poly, weights=area_m2 * np.clip(diff, 0, None), minlength=n)
        dump += np.bincount(poly, weights=area_m2 * np.clip(-diff, 0, None), minlength=n)
    missing = ~np.isfinite(ref[:, 0]) | (height_ha <= 0)
    pit[missing], dump[missing] = np.nan, np.nan
    return pit, dump, height_ha
