"""Pixel grids, shared by reclamation, disturbance and terrain: the key of a raster's grid,
coverage fractions of polygons on it (exactextract), its strips of rows, and a scene's bands read
onto the red band's grid strip by strip.

* :func:`grid_of` — a raster's grid key, the same tuple :func:`key_of` gives for an open one;
  rasters on one grid share one coverage table.
* :func:`coverage` / :class:`Coverage` — the covered cells of every polygon, computed once per grid.
* :func:`strips` — the row bands a reader walks (whole tile rows, only where polygons are).
* :func:`open_bands`, :func:`gather_strip`, :func:`read_window` — reflectance and validity of a
  scene over a window of red's grid (bands on other grids warped onto it).
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ..core import projection
from ..core.errors import CRSError, InputFileError
from .scenes import Scene, reflectance, valid_mask

__all__ = ["grid_of", "key_of", "Coverage", "coverage", "strips", "open_bands",
           "gather_strip", "read_window", "STRIP_ROWS", "COVERAGE_BATCH", "COVERAGE_PARALLEL"]

STRIP_ROWS = 512  #: rows per strip (rounded to whole rows of the file's tiles)
COVERAGE_BATCH = 2000  #: polygons per exactextract call while building a coverage table
COVERAGE_PARALLEL = 1000  #: from this many polygons on, coverage runs in worker processes


@dataclass
class Coverage:
    """Coverage fractions of polygons over one pixel grid: row-major cell ids, sorted within
    each run ``runs[i]:runs[i + 1]`` (one run a batch of polygons; ``runs=None``: one run).
    :meth:`strip` gives the cells of a band of rows; :meth:`sorted` one sorted run."""

    cell: np.ndarray
    poly: np.ndarray
    cov: np.ndarray
    n_polygons: int
    width: int
    height: int
    ha_per_cell: np.ndarray  # per polygon: true hectares of one fully covered cell
    runs: np.ndarray | None = None

    def _bounds(self) -> np.ndarray:
        return np.array([0, len(self.cell)]) if self.runs is None else self.runs

    def strip(self, r0: int, r1: int) -> np.ndarray:
        """Positions (into ``cell``, ``poly``, ``cov``) of the cells in rows ``r0:r1``."""
        b, edges = self._bounds(), np.array([r0 * self.width, r1 * self.width])
        spans = [np.searchsorted(self.cell[lo:hi], edges.astype(self.cell.dtype)) + lo
                 for lo, hi in zip(b[:-1], b[1:])]
        return np.concatenate([np.arange(a, z) for a, z in spans] + [np.empty(0, np.int64)])

    def row_range(self) -> tuple[int, int]:
        """The first and last row any polygon covers."""
        b = self._bounds()
        firsts = [self.cell[lo] for lo, hi in zip(b[:-1], b[1:]) if hi > lo]
        lasts = [self.cell[hi - 1] for lo, hi in zip(b[:-1], b[1:]) if hi > lo]
        return int(min(firsts)) // self.width, int(max(lasts)) // self.width

    def sorted(self) -> Coverage:
        """The same coverage as one run sorted by cell (polygon order kept within a cell)."""
        if self.runs is None or len(self.runs) <= 2:
            return self
        order = np.argsort(self.cell, kind="stable")  # merges the sorted runs
        return Coverage(self.cell[order], self.poly[order], self.cov[order], self.n_polygons,
                        self.width, self.height, self.ha_per_cell)

    def totals(self) -> np.ndarray:
        """Per polygon, the sum of its coverage fractions (its area in cells); the same for
        every scene on this grid, so computed once."""
        if getattr(self, "_totals", None) is None:
            total = np.zeros(self.n_polygons)
            for lo in range(0, len(self.cell), 1 << 20):  # small temporaries
                total += np.bincount(self.poly[lo:lo + (1 << 20)],
                                     weights=self.cov[lo:lo + (1 << 20)], minlength=self.n_polygons)
            self._totals = total
        return self._totals


def grid_of(path) -> tuple:
    """The grid key of a raster file: (CRS as WKT, transform rounded to 1e-9, width, height);
    refuses a raster without CRS, in degrees, rotated or south-up."""
    import rasterio

    with rasterio.open(path) as src:
        if src.crs is None:
            raise CRSError(f"Raster {str(path)!r} has no CRS; ordos_geo never guesses one.")
        if not src.crs.is_projected:
            raise CRSError(f"Raster {str(path)!r} is in {src.crs.to_string()}, not a projected CRS "
                           "in metres; reproject the scene (e.g. to its UTM zone) first.")
        t = src.transform
        if t.b != 0 or t.d != 0 or t.e >= 0:
            raise InputFileError(f"Raster {str(path)!r} is rotated or south-up; ordos_geo reads "
                                 "north-up grids only.")
        return key_of(src.crs, t, src.width, src.height)


def coverage(polygons: gpd.GeoSeries, grid_key: tuple) -> Coverage:
    """Coverage fractions of ``polygons`` (any CRS) over the grid ``grid_key`` (exactextract).

    From :data:`COVERAGE_PARALLEL` polygons on, on Linux, batches of polygons run in Dask worker
    processes (forked: exactextract holds the GIL, so threads would not help), as many as Dask's
    ``num_workers`` (default: every core); otherwise, or with ``dask.config.set(num_workers=1)``,
    batches of :data:`COVERAGE_BATCH` run one after the other in this process. Each batch gives
    one sorted run of cells (:class:`Coverage`)."""
    import dask
    import exactextract  # noqa: F401 — imported before forking, not in each worker
    from pyproj import CRS

    wkt, (a, _, _, _, e, _), width, height = grid_key
    geoms = polygons.to_crs(CRS.from_wkt(wkt))
    wkb = shapely.to_wkb(np.asarray(geoms.values))
    workers = dask.config.get("num_workers", None) or os.cpu_count() or 1
    if len(wkb) < COVERAGE_PARALLEL or not sys.platform.startswith("linux"):
        workers = 1
    starts = _part_starts(np.asarray(geoms.values), abs(a * e), workers)
    with _spill_folder(workers > 1 and len(starts) > 2) as spill:
        parts = [dask.delayed(_coverage_part)(wkb[s:z], s, grid_key, spill)
                 for s, z in zip(starts[:-1], starts[1:])]
        with dask.config.set({"multiprocessing.context": "fork"}):
            done = dask.compute(*parts, scheduler="processes" if spill else "synchronous",
                                num_workers=min(workers, len(parts)),
                                chunksize=1)  # one part at a time: Dask batches 5 by default
        if spill:  # the workers left their arrays in memory-backed files, not in a pipe
            done = [[np.load(path) for path in paths] for paths in done]
    cell_type = np.int32 if width * height < 2**31 else np.int64
    cell = np.concatenate([d[0] for d in done] or [np.empty(0, cell_type)])
    poly = np.concatenate([d[1] for d in done] or [np.empty(0, np.int32)])
    cov = np.concatenate([d[2] for d in done] or [np.empty(0, np.float32)])
    runs = np.cumsum([0] + [len(d[0]) for d in done])  # each part sorted: no global sort
    del done
    true_ha = projection.area_ha(polygons).to_numpy()
    grid_ha = shapely.area(np.asarray(geoms.values)) / 10_000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(grid_ha > 0, true_ha / grid_ha, 1.0)
    table = Coverage(cell, poly, cov, len(polygons), width, height,
                     abs(a * e) / 10_000.0 * factor, runs)
    table.totals()  # once, here, not in each scene's thread
    return table


@contextlib.contextmanager
def _spill_folder(wanted: bool):
    """A temporary folder in shared memory (``/dev/shm``, else the temporary folder) where the
    coverage workers leave their arrays — pickling tens of MB through a pipe took longer — or
    None when the batches run in this process."""
    if not wanted:
        yield None
        return
    import shutil
    import tempfile

    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    folder = tempfile.mkdtemp(prefix="ordos_geo_coverage_", dir=shm)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _part_starts(geoms: np.ndarray, cell_area: float, workers: int) -> np.ndarray:
    """Where each batch of polygons starts (and the end): one after the other, batches of
    :data:`COVERAGE_BATCH`; in worker processes, 4 batches a worker of about equal cells (by
    bounding box), so that one batch of large polygons does not keep one worker busy alone."""
    n = len(geoms)
    if workers == 1:
        return np.r_[np.arange(0, n, COVERAGE_BATCH), n]
    b = np.nan_to_num(shapely.bounds(geoms))
    cells = np.cumsum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) / cell_area + 1.0)
    cuts = np.searchsorted(cells, cells[-1] * np.arange(1, 4 * workers) / (4 * workers))
    return np.unique(np.r_[0, cuts, n])


def _coverage_part(wkb: np.ndarray, start: int, grid_key: tuple, spill: str | None = None
                   ) -> tuple:
    """Cells (sorted), polygon numbers (from ``start``) and coverage fractions of WKB polygons;
    with ``spill``, written there as ``.npy`` files and their paths returned."""
    arrays = _coverage_arrays(wkb, start, grid_key)
    if spill is None:
        return arrays
    paths = [os.path.join(spill, f"{start}_{k}.npy") for k in range(3)]
    for path, array in zip(paths, arrays):
        np.save(path, array)
    return paths


def _coverage_arrays(wkb: np.ndarray, start: int, grid_key: tuple
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    wkt, (a, _, c, _, e, f), width, height = grid_key
    # a grid without pixels: zero strides, no memory — only the cells and fractions are needed
    grid = NumPyRasterSource(np.broadcast_to(np.zeros(1, np.uint8), (height, width)), xmin=c,
                             xmax=c + a * width, ymin=f + e * height, ymax=f, srs_wkt=wkt)
    cell_type = np.int32 if width * height < 2**31 else np.int64  # 12 bytes a cell, not 16
    keep = np.flatnonzero(np.array([w is not None for w in wkb], dtype=bool))
    out = exact_extract(grid, _wkb_source(wkb[keep], keep + start, wkt), ["cell_id", "coverage"],
                        output="pandas", include_cols=["_i"]) if len(keep) else None
    if out is None or not len(out):
        return np.empty(0, cell_type), np.empty(0, np.int32), np.empty(0, np.float32)
    sizes = out["cell_id"].map(len).to_numpy()
    cell = np.concatenate(out["cell_id"].to_list() + [np.empty(0, cell_type)], dtype=cell_type,
                          casting="same_kind")
    cov = np.concatenate(out["coverage"].to_list() + [np.empty(0, np.float32)],
                         dtype=np.float32, casting="same_kind")
    poly = np.repeat(out["_i"].to_numpy(dtype=np.int32), sizes)
    order = np.argsort(cell, kind="stable")  # sorted runs: the caller's sort only merges them
    return cell[order], poly[order], cov[order]


def _wkb_source(wkb: np.ndarray, ids: np.ndarray, wkt: str):
    """An exactextract feature source over WKB polygons (no GeoJSON round trip per feature)."""
    from exactextract.feature import Feature, FeatureSource

    class WkbFeature(Feature):
        def __init__(self, geometry: bytes, number: int) -> None:
            Feature.__init__(self)
            self.wkb, self.number = geometry, number

        def geometry(self) -> bytes:
            return self.wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def get(self, name: str) -> int:
            return self.number

        def fields(self) -> list[str]:
            return ["_i"]

    class WkbSource(FeatureSource):
        def count(self) -> int:
            return len(wkb)

        def __iter__(self):
            return (WkbFeature(g, int(i)) for g, i in zip(wkb, ids))

        def srs_wkt(self) -> str:
            return wkt

    return WkbSource()


def gather_strip(datasets: dict, scene: Scene, window, local: np.ndarray | None = None
                  ) -> tuple[dict, np.ndarray]:
    """Reflectance and validity of the covered cells ``local`` (flat indices into the strip),
    or of every cell of ``window`` (``local=None``, as 2-D arrays): the whole strip is read, but
    only the cells asked for are converted and measured. A band read through a warped view
    (another grid) masks the cells its raster does not cover."""
    def pick(array: np.ndarray) -> np.ndarray:
        return array if local is None else array.ravel()[local]

    refl, nodata, qa, prob = {}, None, None, None
    for name, (src, index, warped) in datasets.items():
        values = pick(src.read(index, window=window))
        nodata = np.zeros(values.shape, dtype=bool) if nodata is None else nodata
        if warped:
            nodata |= pick(src.read_masks(index, window=window)) == 0
        if name == "qa":
            qa = values
            continue
        if name == "cloudprob":
            prob = np.where(values == src.nodata, 0, values) if src.nodata is not None else values
            continue
        if src.nodata is not None:
            nodata |= values == src.nodata
        refl[name] = reflectance(values, scene)
    return refl, valid_mask(qa, scene, nodata, cloudprob=prob)


def open_bands(scene: Scene, stack) -> dict:
    """``{band: (dataset, index, warped)}`` on the red band's pixel grid. A band on another
    grid is read through a ``WarpedVRT`` onto red's grid: nearest neighbour for ``qa`` (classes,
    bit flags), bilinear for reflectance; an alpha band marks the cells it does not cover."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    files = {}
    for path, _ in scene.bands.values():
        if str(path) not in files:
            files[str(path)] = stack.enter_context(rasterio.open(path))
    red_src = files[str(scene.bands["red"][0])]
    grid = (red_src.crs, red_src.transform, red_src.width, red_src.height)
    out = {}
    for name, (path, index) in scene.bands.items():
        src = files[str(path)]
        if (src.crs, src.transform, src.width, src.height) == grid:
            out[name] = (src, index, False)
            continue
        vrt = stack.enter_context(WarpedVRT(
            src, crs=grid[0], transform=grid[1], width=grid[2], height=grid[3], add_alpha=True,
            resampling=Resampling.nearest if name == "qa" else Resampling.bilinear))
        out[name] = (vrt, index, True)
    return out


def key_of(crs, transform, width: int, height: int) -> tuple:
    """The grid key of an open raster (see :func:`grid_of`)."""
    return (crs.to_wkt(), tuple(round(v, 9) for v in transform[:6]), width, height)


def strips(first_row: int, last_row: int, *, step: int, height: int):
    """``(r0, r1)`` row bands of ``step`` rows, aligned on multiples of ``step`` (whole tile
    rows when ``step`` is a multiple of the tile height), from the band holding ``first_row`` to
    the one holding ``last_row``, the last cut at ``height``."""
    for r0 in range(first_row - first_row % step, last_row + 1, step):
        yield r0, min(r0 + step, height)


def strip_step(tile_rows: int, rows: int | None = None) -> int:
    """Rows a strip: :data:`STRIP_ROWS` (or ``rows``) rounded to whole rows of tiles, so that
    each tile is read once."""
    rows = STRIP_ROWS if rows is None else rows
    return tile_rows * max(1, round(rows / tile_rows))


def read_window(scene: Scene, window) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reflectance per band and validity of one scene over ``window`` of its red band's grid,
    every cell (2-D arrays)."""
    import rasterio

    with contextlib.ExitStack() as stack:
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=64))
        return gather_strip(open_bands(scene, stack), scene, window)
