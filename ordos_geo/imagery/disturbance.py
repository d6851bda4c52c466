"""Findings from imagery: disturbance outside the licensed boundaries (越界开采 suspects), new
disturbance inside them, and mines' declared reclamation against what the imagery shows.

>>> found = og.disturbance.detect(sites, scenes, search_m=2000, min_ha=0.5)
>>> found.suspected     # GeoDataFrame (EPSG:4326): one row a suspected polygon outside licences
>>> found.new_inside    # one row a mine: hectares newly disturbed inside its licence since ``since``
>>> found.findings      # the suspects as register ``finding`` rows (``og.register`` imports them)
>>> og.disturbance.compare_declarations(declared, summary=progress_summary)

**Per pixel and date** (clear pixels only: clouds, shadow, snow and nodata never count, nor
clouds the SCL/QA band missed — :func:`ordos_geo.imagery.missed_cloud` — nor pixels a
``cloudprob`` band puts at 40 % or more), a pixel is judged against

* its own past: the **baseline** is the median NDVI of its clear, undisturbed observations of
  the same season (± ``season_days``) in earlier years — robust to one wet or dry year, unlike
  the maximum; a date with no such observation (the first year) is not judged;
* the ground around it: the **reference change** is the median NDVI change (against their own
  baselines) of the vegetated ground outside every site in its block of ``reference_m`` ×
  ``reference_m`` in the same scene (one pixel in 64) that shows no sign of disturbance itself
  (no new bare-soil evidence, not in a run) — a drought that dries the whole steppe moves the
  reference with it and cancels; a dig filling the ground between two licences does not.

It is **disturbed** that date when its NDVI fell at least ``ndvi_drop`` below its baseline
beyond the reference change, **and** the soil shows it: bare-like (BSI ≥ ``bsi_min``, coal-dark
or water; FVC bare where the blue or SWIR band is missing) and new for this pixel — coal-dark or
water where it rarely was before, or brighter by ``bright_rise`` than the 80th percentile of its
earlier clear observations (excavation exposes pale subsoil and rock; a fallow field is no
brighter than its own ploughed seasons). Coal-dark ground (dark, and an NDVI below 0.35: a
shadow on grass keeps the NDVI of grass) counts with bare soil's NDVI (coal holds no
vegetation). **Persistence**: a pixel is flagged when its latest run of disturbed clear dates
reaches ``min_dates`` and lasts to its last clear look. Cloudy dates do not break a run, nor a
clear date that is neither disturbed nor recovered (a dug field in the season it was always
bare); a recovered date does (no new bare-soil evidence and NDVI back within half of
``ndvi_drop`` of its baseline beyond the surroundings' change): one dry August, a field cropped
again, a cloud shadow that moves are never flagged, and ground that has recovered by its last
clear look is not a suspect. Pixels on their first disturbed date next to flagged ones (a pit
still growing) join their polygon. Observations within a run never enter a pixel's baseline or
history, so a pit stays measured against the ground it
replaced. Thresholds live in ``resources/disturbance.yaml``.

**With a classifier** (``classifier=``: a model of :mod:`ordos_geo.imagery.classify` trained on
the same grid; ``disturbance --classifier MODEL``) the thresholds step aside: the forest maps
each year from that year's scenes (the median and percentiles of its clear looks), and a pixel
is **disturbed in a year** when its map shows a disturbed class (``landcover.yaml``'s
``disturbed``: excavation and bare ground, coal and gangue, dumps) and an earlier year's map
showed it in another class (ground that was always a pit is not new). A year without a class
(never clear) does not break a run; an undisturbed class ends it (a reclaimed or misread
year); a pixel counts when its latest run reaches ``class_min_years`` (1: a year's map already
holds many looks) and lasts to its last mapped year. **The weather**: in a block of
``reference_m`` × ``reference_m``, when more than ``class_regional_share`` (0.5) of the open
ground outside every site (undisturbed before, mapped this year, at least 20 pixels) turns to a
disturbed class at once, that year of that block is put down to the weather — a drought that
browns the whole steppe — and not judged (neither starts nor ends a run); its hectares are
reported as ``weather_ha``, never as suspects. Polygons, areas, ``min_ha``, ``search_m``, the
inside table and the findings are as below; the dates are each year's last scene date,
``n_dates`` counts years, the evidence is the year's median NDVI and BSI before the run (the
last undisturbed year) and on its last year, ``reference_ndvi_change`` the change since the
year before of the ground around that kept its class; each suspect adds ``class_before``,
``class_after`` (the class most of its pixels had, and have) and ``class_ha`` (its true
hectares by class now). A suspect must show the change in its vegetation too: ``ndvi_before``
at least ``class_ndvi_drop`` (0.10) above ``ndvi_after`` (a crop field the forest misreads as
bare in a year its green season was clouded has lost nothing; a dig of bare sand, with nothing
to lose, is left to ``classes_by_year``); those that do not are counted in the result's
``parameters["unconfirmed"]`` (polygons and hectares), not listed. The result adds
``classes_by_year`` (``classes_by_year.csv``: each year's hectares by class outside the sites
within the search distance, inside the licences, and put down to the weather).

**Suspected disturbance outside licences**: flagged pixels outside every site polygon (licence
areas and their registered pits and dumps are known ground), outside the optional ``allowed``
layer (approved temporary land use, roads, towns), and within ``search_m`` of a mine boundary
(``kind`` = ``mine``); 8-connected pixels form a polygon (``rasterio.features.shapes``), kept when
its true area is at least ``min_ha`` and it holds a flagged pixel. Each polygon has
``nearest_mine_id``, ``distance_m`` (to that mine's boundary, in the metric CRS), ``area_ha``
(equal-area), ``first_seen`` (where its pixels' runs began), ``last_seen``, ``n_dates`` (the most
disturbed clear dates of any of its pixels), ``confidence`` (the share of its pixels flagged;
the rest were seen on their first date, next to them), its **evidence** — ``pixels`` (pixels
counted), ``dates`` (each date any of them was disturbed on, with the pixels that date:
``2023-08-15:412;2024-08-15:1650``), ``ndvi_before`` / ``bsi_before`` (the baselines where each
pixel's run began) and ``ndvi_after`` / ``bsi_after`` (its last disturbed date), means over its
pixels, and ``reference_ndvi_change`` (the surroundings' NDVI change on those dates: −0.2 in a
drought) — and an ``explanation`` that says all of it.

**New disturbance inside licences**: per mine, the true hectares of its flagged pixels whose
run began on or after ``since`` (default: the first date), for the spot-check weights.

The scenes of one pixel grid are read together strip by strip (one strip a Dask task, threads):
memory holds a part of every date (16 bytes a pixel and date; parts on the file's tiles —
each tile decompressed once — sized to about 192 MB), and one byte a pixel of the searched
window. Scenes on
several grids (tiles in UTM 48 and 49) are read grid by grid; suspects that overlap across grids
are merged.

**Declared vs detected** (:func:`compare_declarations`): a table ``mine_id, year,
declared_reclaimed_ha`` against the progress summary of the mine's polygon: the declarations
summed from the year after the baseline year to the year, against ``detected_gain_ha`` (vegetated
hectares gained since the baseline year). ``over_declared`` when declared exceeds detected by more
than ``max(tolerance_ha, tolerance_share × declared)``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import cluster, projection
from ..core.errors import CRSError, InputFileError, ValidationError
from ..core.messages import msg
from ..core.schema import Invalid, normalise_id
from ..core.utils import keywords_after, progress_bar
from ..core.yaml_tables import load_table
from . import _change, _classchange, grids
from .scenes import Scene, Thresholds, check_scenes

__all__ = ["load_thresholds", "detect", "findings_table", "DisturbanceResult",
           "SUSPECTED_COLUMNS", "FINDING_COLUMNS", "read_declarations", "compare_declarations",
           "DECLARATION_COLUMNS", "EVIDENCE_COLUMNS", "CLASS_COLUMNS", "CLASS_YEAR_COLUMNS"]

log = logging.getLogger("ordos_geo")

#: the evidence of a suspect: what an inspector shows the company (see the module text)
EVIDENCE_COLUMNS = ["pixels", "dates", "ndvi_before", "ndvi_after", "bsi_before", "bsi_after",
                    "reference_ndvi_change"]
SUSPECTED_COLUMNS = ["suspect_id", "nearest_mine_id", "distance_m", "area_ha", "first_seen",
                     "last_seen", "n_dates", "confidence", "explanation", *EVIDENCE_COLUMNS]
FINDING_COLUMNS = ["mine_id", "event", "date", "checked_by", "tracked_by", "responsible", "note",
                   "suspect_id", "area_ha", "distance_m", "first_seen", "last_seen", "n_dates",
                   "confidence", "lon", "lat", *EVIDENCE_COLUMNS]
#: with a classifier, what the yearly maps show of a suspect: the class its ground had before
#: (most of its pixels), the class it has now, and its hectares by class now
CLASS_COLUMNS = ["class_before", "class_after", "class_ha"]
#: with a classifier, ``classes_by_year.csv``: hectares of each class each year in the searched
#: ground outside every site, inside the licences, and of a disturbed class but put down to the
#: weather (a block that turned at once: not judged, never a suspect)
CLASS_YEAR_COLUMNS = ["year", "class_code", "class", "outside_ha", "inside_ha", "weather_ha"]
DECLARATION_COLUMNS = ["mine_id", "year", "declared_reclaimed_ha", "baseline_year",
                       "declared_since_baseline_ha", "detected_gain_ha", "excess_ha", "status",
                       "explanation"]
_NONE = _change.NONE  #: "never" in the per-pixel date indices (uint8)
_STRIP_BYTES = 192 * 2**20  #: memory a part of every date may take while it is judged
_RASTERIZE = threading.Lock()
_OUTSIDE, _INSIDE = 1, 2  #: the classes of the per-pixel result


def load_thresholds(path: str | os.PathLike | None = None) -> dict[str, float]:
    """The thresholds (``resources/disturbance.yaml``, or an edited copy at ``path``) as
    ``{name: value}``, the table checked first (every value a finite number)."""
    data = load_table("disturbance", path=path)
    if path is not None and "classes" not in data:  # a copy edited before the section came
        data["classes"] = load_table("disturbance")["classes"]
    return {name: float(item["value"]) for section in data.values()
            for name, item in section.items()}


def load_rules(path: str | os.PathLike | None = None) -> dict[str, float]:
    """Deprecated name of :func:`load_thresholds` (``og.rules.load_rules`` reads the zoning rule
    table; this one read thresholds). Removed in 1.0."""
    warnings.warn("og.disturbance.load_rules is now og.disturbance.load_thresholds (the old name "
                  "will be removed in 1.0).", DeprecationWarning, stacklevel=2)
    return load_thresholds(path)


@dataclass
class DisturbanceResult:
    """What :func:`detect` found (see the module text)."""

    suspected: gpd.GeoDataFrame
    new_inside: pd.DataFrame
    findings: pd.DataFrame
    scenes: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    #: with a classifier: :data:`CLASS_YEAR_COLUMNS` (empty without)
    classes_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Ground:
    """The vector layers a strip is checked against, in the grid's CRS."""

    known: np.ndarray  # sites and allowed land
    mines: np.ndarray
    search: np.ndarray  # mines buffered by search_m


@dataclass
class _Found:
    """Flagged pixels of one grid: the class raster of the window and, per flagged pixel
    (flat index into the window), its first and last date index, dates disturbed and clear."""

    window: object
    transform: object
    crs: object
    cls: np.ndarray
    flat: list = field(default_factory=list)
    info: list = field(default_factory=list)
    evidence: list = field(default_factory=list)  # float32 rows of _change.EVIDENCE
    bits: list = field(default_factory=list)  # packed dates × pixels: disturbed that date
    classes: list = field(default_factory=list)  # with a classifier: (before, after) rows
    counts: list = field(default_factory=list)  # with a classifier: years × codes × 2 pixels


def detect(sites: gpd.GeoDataFrame, scenes: list[Scene], *, search_m: float | None = None,
           min_ha: float | None = None, min_dates: int | None = None,
           allowed: gpd.GeoDataFrame | None = None, since: dt.date | None = None,
           rules: str | os.PathLike | None = None, thresholds: Thresholds = Thresholds(),
           show_progress: bool | None = None, client: object = None,
           classifier: object = None) -> DisturbanceResult:
    """Suspected disturbance outside licences, new disturbance inside them, register findings
    (see the module text).

    ``sites``: the sites (any CRS; ``kind`` = ``mine`` rows are the licence boundaries, every
    row is known ground). ``scenes``: :class:`~ordos_geo.imagery.Scene` (projected grids in
    metres). ``search_m``: search distance around mine boundaries, metres (default 2000);
    ``min_ha``: minimum mapping unit, true (equal-area) hectares (0.5); ``min_dates``: clear
    dates a suspect must be seen on (2); ``allowed``: permitted land (any CRS); ``since``: new
    disturbance inside licences counts from this date (default the first scene's); ``rules``:
    an edited copy of ``resources/disturbance.yaml``. The suspects come in EPSG:4326 lon/lat.
    ``client``: a ``dask.distributed.Client`` (:func:`ordos_geo.core.cluster.connect`) to judge
    the strips on its workers, which must reach the scenes by the same paths; the result is the
    same as without one. ``classifier``: a trained :class:`~ordos_geo.imagery.classify.Model`
    (same grid) — the yearly class maps judge the pixels instead of the thresholds (see the
    module text); the suspects gain :data:`CLASS_COLUMNS` and the result ``classes_by_year``."""
    params = load_thresholds(rules)
    for name, value in (("search_m", search_m), ("min_ha", min_ha), ("min_dates", min_dates)):
        if value is not None:
            params[name] = float(value)
    if not scenes:
        raise InputFileError(msg("dist_no_scenes"))
    table = check_scenes(scenes)
    mines = sites[sites["kind"].astype(str) == "mine"] if "kind" in sites.columns else sites[:0]
    if mines.empty:
        raise ValidationError(msg("dist_no_mines", n=len(sites)))
    since = since or min(s.date for s in scenes)
    by_grid: dict[tuple, list[Scene]] = {}
    for scene in sorted(scenes, key=lambda s: s.date):
        by_grid.setdefault(grids.grid_of(scene.bands["red"][0]), []).append(scene)
    outside, inside, by_year = [], [], []
    for key, group in by_grid.items():
        if len(group) >= _NONE:  # dates are kept as one byte a pixel
            raise ValidationError(msg("dist_too_many", n=len(group), limit=_NONE - 1))
        judging = _judging(group, classifier, thresholds)
        found = _scan_grid(group, key, _ground(sites, mines, allowed, key, params["search_m"]),
                           params, since, judging, show_progress, client)
        if found is None:
            continue
        outside.append(_outside_polygons(found, judging.dates, params))
        inside.append(_inside_table(found, judging.dates, mines))
        by_year.append(_classes_by_year(found, judging.dates))
    suspected = _describe(_merge(outside), mines)
    suspected = suspected[(suspected["area_ha"] >= params["min_ha"])].reset_index(drop=True)
    unconfirmed = {}
    if classifier is not None:  # the change seen in the vegetation too
        lost = (suspected["ndvi_before"] - suspected["ndvi_after"]).to_numpy(float)
        seen = np.nan_to_num(lost, nan=-np.inf) >= params["class_ndvi_drop"]
        unconfirmed = {"unconfirmed": {"n": int((~seen).sum()), "ha": round(float(
            suspected.loc[~seen, "area_ha"].sum()), 2)}}
        suspected = suspected[seen].reset_index(drop=True)
    suspected["suspect_id"] = [f"SD-{k + 1:04d}" for k in range(len(suspected))]
    columns = SUSPECTED_COLUMNS + (CLASS_COLUMNS if classifier is not None else [])
    for name in columns:
        if name not in suspected.columns:  # none found: the columns are still there
            suspected[name] = pd.Series([], dtype=object)
    new_inside = _combine_inside(inside, mines)
    return DisturbanceResult(suspected[columns + ["geometry"]], new_inside,
                             findings_table(suspected), table,
                             {**params, "since": since.isoformat(), "n_scenes": len(scenes),
                              "method": "classifier" if classifier is not None else "thresholds",
                              **unconfirmed},
                             _combine_years(by_year) if classifier is not None else pd.DataFrame())


@dataclass
class _Judging:
    """How the strips of one grid are judged: ``fn`` (a strip function) with ``shared`` (its
    arguments common to every strip), and the dates its date indices stand for."""

    fn: object
    shared: dict
    dates: list


def _judging(group: list[Scene], classifier, thresholds: Thresholds) -> _Judging:
    """The thresholds over every date; or, with a classifier, its class map of each year
    (dated by the year's last scene)."""
    if classifier is None:
        return _Judging(_strip, {"group": group, "thresholds": thresholds},
                        [s.date for s in group])
    from . import classify

    classify.check_grid(classifier, classify.scene_grid(group))
    years: dict[int, list[Scene]] = {}
    for scene in group:
        years.setdefault(scene.date.year, []).append(scene)
    return _Judging(_class_strip, {"years": list(years.values()), "forest": classifier.forest},
                    [scenes[-1].date for scenes in years.values()])


def _ground(sites, mines, allowed, key: tuple, search_m: float) -> _Ground:
    from pyproj import CRS

    crs = CRS.from_wkt(key[0])  # the grid's projected CRS, metres
    known = [sites.geometry.to_crs(crs).to_numpy()]
    if allowed is not None and len(allowed):
        if allowed.crs is None:
            raise CRSError(msg("dist_allowed_crs", n=len(allowed)))
        known.append(allowed.geometry.to_crs(crs).to_numpy())
    search = projection.to_metric(mines).geometry.buffer(search_m).to_crs(crs).to_numpy()
    return _Ground(np.concatenate(known), mines.geometry.to_crs(crs).to_numpy(), search)


def _window(ground: _Ground, key: tuple):
    """The pixel window of the grid the search zones and mines cover (None: none of it)."""
    from rasterio.windows import Window

    _, (a, _, c, _, e, f), width, height = key
    x0, y0, x1, y1 = shapely.total_bounds(np.r_[ground.search, ground.mines])
    col0, col1 = max(int(np.floor((x0 - c) / a)), 0), min(int(np.ceil((x1 - c) / a)), width)
    row0, row1 = max(int(np.floor((y1 - f) / e)), 0), min(int(np.ceil((y0 - f) / e)), height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _scan_grid(group: list[Scene], key: tuple, ground: _Ground, params: dict, since: dt.date,
               judging: _Judging, show, client=None) -> _Found | None:
    """Every strip of the window through every date of the group: on Dask threads, or on the
    workers of ``client``; the parts are kept in the same order either way."""
    import dask
    from pyproj import CRS
    from rasterio.transform import Affine
    from rasterio.windows import transform as window_transform

    win = _window(ground, key)
    if win is None:
        return None
    transform = window_transform(win, Affine(*key[1]))
    found = _Found(win, transform, CRS.from_wkt(key[0]),
                   np.zeros((int(win.height), int(win.width)), dtype=np.uint8))
    first_new = sum(d < since for d in judging.dates)  # date index from which "new" counts
    frame = (win, transform)
    parts = _parts(win, key, group)
    shared = {**judging.shared, "ground": ground, "params": params}
    if client is not None:
        done = cluster.in_order(client, judging.fn, parts, item="window", frame=frame,
                                first_new=first_new, shared=shared)
        for part in progress_bar(done, total=len(parts), desc="strips", progress=show):
            _keep(found, part)
        return found
    tasks = [dask.delayed(judging.fn)(window=part, frame=frame, first_new=first_new, **shared)
             for part in parts]
    for start in progress_bar(range(0, len(tasks), 8), desc="strips", progress=show):
        for done in dask.compute(*tasks[start:start + 8], scheduler="threads"):
            _keep(found, done)
    return found


def _keep(found: _Found, part) -> None:
    """Write one part's flags and evidence (from :func:`_strip` or :func:`_class_strip`)
    into ``found``."""
    if isinstance(part, _ClassPart):
        found.counts.append(part.counts)
        if part.flagged is not None:
            found.classes.append(part.classes)
        part = part.flagged
    if part is None:
        return
    (r0, c0), cls, flat, info, evidence, bits = part
    found.cls[r0:r0 + cls.shape[0], c0:c0 + cls.shape[1]] = cls
    found.flat.append(flat)
    found.info.append(info)
    found.evidence.append(evidence)
    found.bits.append(bits)


def _parts(win, key: tuple, group: list[Scene]) -> list:
    """The searched window cut into parts on the file's tile grid (each tile decompressed once)
    of about :data:`_STRIP_BYTES` of series each: whole rows of tiles, and as many columns of
    tiles as fit."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(group[0].bands["red"][0]) as src:
        tile_h, tile_w = src.block_shapes[group[0].bands["red"][1] - 1]
    width, height = key[2], key[3]
    per_pixel = _change.BYTES_PER_PIXEL_DATE * len(group)
    rows = grids.strip_step(tile_h)
    if tile_w >= int(win.width):  # striped, or one tile wide: whole rows, as many as fit
        rows, cols = grids.strip_step(tile_h, max(64, _STRIP_BYTES // (per_pixel * width))), width
    else:
        cols = tile_w * max(1, _STRIP_BYTES // (per_pixel * rows) // tile_w)
    r_lo, c_lo = int(win.row_off), int(win.col_off)
    r_hi, c_hi = r_lo + int(win.height), c_lo + int(win.width)
    return [Window(max(c0, c_lo), max(r0, r_lo), min(c1, c_hi) - max(c0, c_lo),
                   min(r1, r_hi) - max(r0, r_lo))
            for r0, r1 in grids.strips(r_lo, r_hi - 1, step=rows, height=height)
            for c0, c1 in grids.strips(c_lo, c_hi - 1, step=cols, height=width)]


def _strip(*, group: list[Scene], window, frame: tuple, ground: _Ground, params: dict,
           thresholds: Thresholds, first_new: int):
    """The per-pixel time series of one part of the window judged (:mod:`._change`): its
    offset in the searched window (``frame``: that window and its transform), its class
    raster, and per flagged pixel its flat index, facts, evidence and packed dates — or None
    when nothing is flagged. It writes nowhere, so a cluster's worker can run it."""
    shape = (int(window.height), int(window.width))
    known, inside, near = _masks(ground, window, frame, shape)
    series = _change.read_series(group, window, thresholds)
    judged = _change.judge(series, known, params, abs(frame[1].a))
    flagged = _flagged(judged, (known, inside, near), window, frame, first_new, len(group))
    return None if flagged is None else flagged[0]


@dataclass
class _ClassPart:
    """What :func:`_class_strip` returns: the flagged part (as :func:`_strip`'s, or None),
    the (before, after) classes of its flagged pixels, and its pixels by year and class."""

    flagged: tuple | None
    classes: np.ndarray
    counts: np.ndarray


def _class_strip(*, years: list[list[Scene]], forest, window, frame: tuple, ground: _Ground,
                 params: dict, first_new: int) -> _ClassPart:
    """One part judged on the forest's yearly class maps (:mod:`._classchange`); the same
    flagged part as :func:`_strip`, with its classes. It writes nowhere."""
    shape = (int(window.height), int(window.width))
    known, inside, near = _masks(ground, window, frame, shape)
    maps = _classchange.read_years(years, window, forest)
    judged, info = _classchange.judge(maps, known, params, abs(frame[1].a),
                                      searched=near & ~known)
    counts = _classchange.year_counts(maps, {"outside": near & ~known, "inside": inside},
                                      info["aside"])
    flagged = _flagged(judged, (known, inside, near), window, frame, first_new, len(years))
    if flagged is None:
        return _ClassPart(None, np.empty((2, 0), np.uint8), counts)
    part, at = flagged
    return _ClassPart(part, np.stack([info["before"][at], info["after"][at]]), counts)


def _flagged(judged, masks: tuple, window, frame: tuple, first_new: int, n_dates: int):
    """``(part, flat indices in the part)`` of a judged part's flagged pixels — outside every
    site within the search distance, or inside a licence and new since ``first_new`` — or None."""
    known, inside, near = masks
    win = frame[0]
    r0 = int(window.row_off - win.row_off)
    c0 = int(window.col_off - win.col_off)
    first = judged.first
    on = first != _NONE
    if not on.any():
        return None
    cls = np.where(on & ~known & near, _OUTSIDE, np.where(
        judged.persistent & inside & (first >= first_new), _INSIDE, 0)).astype(np.uint8)
    at = np.flatnonzero(cls)
    rows, cols = np.divmod(at, cls.shape[1])
    in_run = np.arange(n_dates)[:, None] >= first.ravel()[at][None].astype(int)
    return ((r0, c0), cls, (rows + r0) * int(win.width) + cols + c0,
            np.stack([first.ravel()[at], judged.last.ravel()[at], judged.count.ravel()[at],
                      judged.persistent.ravel()[at], cls.ravel()[at]]),
            np.stack([judged.evidence[k].ravel()[at] for k in _change.EVIDENCE]),
            np.packbits(judged.cand[:, at] & in_run, axis=0)), at


def _masks(ground: _Ground, window, frame: tuple, shape) -> tuple[np.ndarray, ...]:
    """Known ground, inside a mine, within the search distance — pixel centres, this part."""
    from rasterio.features import rasterize
    from rasterio.transform import Affine

    win, win_transform = frame
    transform = win_transform * Affine.translation(window.col_off - win.col_off,
                                                   window.row_off - win.row_off)
    x0, y0 = transform * (0, shape[0])
    x1, y1 = transform * (shape[1], 0)
    box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def burn(geoms: np.ndarray) -> np.ndarray:
        near = geoms[shapely.intersects(geoms, box)]
        if not len(near):
            return np.zeros(shape, dtype=bool)
        with _RASTERIZE:  # rasterio's warning filters are not thread-safe: one at a time
            return rasterize([(g, 1) for g in near], out_shape=shape, transform=transform,
                             fill=0, dtype="uint8").astype(bool)

    return burn(ground.known), burn(ground.mines), burn(ground.search)


def _pixel_info(found: _Found, cls: int, n_dates: int):
    """Flat indices (sorted), (first, last, count, persistent) rows, evidence rows, disturbed
    dates (dates × pixels, bool) and, with a classifier, (before, after) class rows (else None)
    of the pixels of class ``cls``."""
    if not found.flat:
        return (np.empty(0, np.int64), np.empty((4, 0), np.uint8),
                np.empty((len(_change.EVIDENCE), 0), np.float32), np.empty((n_dates, 0), bool),
                None)
    flat, info = np.concatenate(found.flat), np.concatenate(found.info, axis=1)
    evidence = np.concatenate(found.evidence, axis=1)
    bits = np.concatenate([np.unpackbits(b, axis=0, count=n_dates) for b in found.bits],
                          axis=1).astype(bool)
    order = np.argsort(flat)
    keep = order[info[4, order] == cls]
    classes = np.concatenate(found.classes, axis=1)[:, keep] if found.classes else None
    return flat[keep], info[:4, keep], evidence[:, keep], bits[:, keep], classes


def _outside_polygons(found: _Found, dates: list, params: dict) -> gpd.GeoDataFrame:
    """8-connected polygons of the flagged pixels outside licences (area first checked in
    pixels, then in true hectares by the caller), with their evidence."""
    from scipy import ndimage

    flat, (first, last, count, persistent), evidence, bits, classes = _pixel_info(
        found, _OUTSIDE, len(dates))
    if not len(flat):
        return _empty_suspects()
    labels, n = ndimage.label(found.cls == _OUTSIDE, structure=np.ones((3, 3), dtype=int))
    lab = labels.ravel()[flat]
    size = np.bincount(lab, minlength=n + 1)
    cell_ha = abs(found.transform.a * found.transform.e) / 10_000.0
    confirmed = np.bincount(lab, weights=persistent, minlength=n + 1)
    keep = (size * cell_ha >= 0.8 * params["min_ha"]) & (confirmed > 0)
    keep[0] = False
    if not keep.any():
        return _empty_suspects()
    f_min = np.full(n + 1, _NONE, dtype=int)
    np.minimum.at(f_min, lab, first)
    l_max = np.zeros(n + 1, dtype=int)
    np.maximum.at(l_max, lab, last)
    n_dates = np.zeros(n + 1, dtype=int)
    np.maximum.at(n_dates, lab, count)
    per_date = np.stack([np.bincount(lab, weights=b, minlength=n + 1) for b in bits])
    means = {k: _mean_by(lab, evidence[j], n + 1) for j, k in enumerate(_change.EVIDENCE)}
    kept = np.where(keep[labels], labels, 0).astype(np.int32)
    del labels
    ids, polys = _label_polygons(kept, found.transform)
    extra = {} if classes is None else {"before_px": _class_pixels(lab, classes[0], ids),
                                        "after_px": _class_pixels(lab, classes[1], ids)}
    return gpd.GeoDataFrame({**extra,
        "first": [dates[f_min[i]] for i in ids], "last": [dates[l_max[i]] for i in ids],
        "n_dates": n_dates[ids], "confidence": confirmed[ids] / size[ids],
        "pixels": size[ids],
        "dates": [{d: int(c) for d, c in zip(dates, per_date[:, i]) if c} for i in ids],
        **{k: v[ids] for k, v in means.items()}}, geometry=polys, crs=found.crs).to_crs(4326)


def _class_pixels(lab: np.ndarray, codes: np.ndarray, ids: np.ndarray) -> list[dict]:
    """Per label of ``ids``, its pixels by class code (``{code: pixels}``; 0: no class)."""
    pairs = pd.Series(1, index=pd.MultiIndex.from_arrays([lab, codes])).groupby(level=[0, 1]).sum()
    out: dict[int, dict] = {}
    for (label, code), n in pairs.items():
        out.setdefault(int(label), {})[int(code)] = int(n)
    return [out.get(int(i), {}) for i in ids]


def _classes_by_year(found: _Found, dates: list) -> pd.DataFrame:
    """With a classifier: hectares of each class each year outside every site (in the searched
    ground) and inside the licences, ground hectares (the grid's areal scale at the window's
    centre). Empty without."""
    from .accuracy import pixel_ground_ha

    if not found.counts:
        return pd.DataFrame(columns=CLASS_YEAR_COLUMNS)
    counts = np.sum(found.counts, axis=0)  # years × codes × (outside, inside, weather)
    h, w = found.cls.shape
    cell_ha = float(pixel_ground_ha(found.crs, found.transform, w // 2, h // 2))
    rows = [{"year": d.year, "class_code": code, "outside_ha": counts[t, code, 0] * cell_ha,
             "inside_ha": counts[t, code, 1] * cell_ha, "weather_ha": counts[t, code, 2] * cell_ha}
            for t, d in enumerate(dates) for code in np.flatnonzero(counts[t].sum(axis=1))]
    return pd.DataFrame(rows, columns=[c for c in CLASS_YEAR_COLUMNS if c != "class"])


def _combine_years(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The grids' class hectares added per year and class, names from the catalogue (0: no
    class — never seen clear that year)."""
    from .accuracy import class_name

    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else pd.DataFrame(columns=[c for c in CLASS_YEAR_COLUMNS
                                                          if c != "class"])
    values = ["outside_ha", "inside_ha", "weather_ha"]
    out = frame.groupby(["year", "class_code"], as_index=False)[values].sum()
    out["class"] = [class_name(c) if c else msg("dist_no_class") for c in out["class_code"]]
    for col in values:
        out[col] = out[col].astype(float).round(2)
    return out[CLASS_YEAR_COLUMNS]


def _empty_suspects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in ("first", "last", "n_dates", "confidence", "pixels",
                                             "dates", *_change.EVIDENCE)},
                            geometry=[], crs="EPSG:4326")


def _mean_by(lab: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the finite ``values`` per label (NaN where none)."""
    ok = np.isfinite(values)
    total = np.bincount(lab[ok], weights=values[ok], minlength=n)
    number = np.bincount(lab[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(number > 0, total / np.maximum(number, 1), np.nan)


def _label_polygons(kept: np.ndarray, transform) -> tuple[np.ndarray, list]:
    """The polygon of each label of ``kept`` (0 = none): ``(labels, polygons)``."""
    from rasterio.features import shapes

    geoms: dict[int, list] = {}
    for g, value in shapes(kept, mask=kept > 0, connectivity=8, transform=transform):
        geoms.setdefault(int(value), []).append(shapely.geometry.shape(g))
    ids = np.array(sorted(geoms), dtype=int)
    return ids, [shapely.make_valid(shapely.union_all(geoms[i])) for i in ids]


def _inside_table(found: _Found, dates: list, mines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per flagged pixel inside a licence (new since ``since``): its mine, dates and weight."""
    flat, (first, last, count, _), _, _, _ = _pixel_info(found, _INSIDE, len(dates))
    if not len(flat):
        return pd.DataFrame({"mine": [], "first": [], "last": [], "n_dates": [], "ha": []})
    rows, cols = np.divmod(flat, found.cls.shape[1])
    x, y = found.transform * (cols + 0.5, rows + 0.5)
    grid = mines.geometry.to_crs(found.crs).to_numpy()
    pts = shapely.points(x, y)
    pix, mine = shapely.STRtree(grid).query(pts, predicate="within")
    pix, first_of = np.unique(pix, return_index=True)  # a pixel in two licences counts once
    mine = mine[first_of]
    # true hectares of a pixel: its grid area scaled by the mine's equal-area / grid-area ratio
    factor = projection.area_ha(mines).to_numpy() / np.maximum(shapely.area(grid) / 1e4, 1e-12)
    cell_ha = abs(found.transform.a * found.transform.e) / 10_000.0
    return pd.DataFrame({"mine": mine, "first": [dates[i] for i in first[pix]],
                         "last": [dates[i] for i in last[pix]], "n_dates": count[pix],
                         "ha": cell_ha * factor[mine]})


def _combine_inside(parts: list[pd.DataFrame], mines: gpd.GeoDataFrame) -> pd.DataFrame:
    cols = ["mine_id", "new_disturbed_ha", "first_seen", "last_seen", "n_dates"]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=cols)
    per = frame.groupby("mine").agg(new_disturbed_ha=("ha", "sum"), first_seen=("first", "min"),
                                    last_seen=("last", "max"), n_dates=("n_dates", "max"))
    per.insert(0, "mine_id", mines["site_id"].astype(str).to_numpy()[per.index.to_numpy()])
    per["new_disturbed_ha"] = per["new_disturbed_ha"].round(2)
    return per.sort_values("new_disturbed_ha", ascending=False).reset_index(drop=True)[cols]


def _merge(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Suspects of several grids as one set: polygons that overlap are merged (earliest first
    seen, latest last seen, most dates, pixels and per-date pixels added and scaled to the
    union's area — ground seen on two grids counts once —, confidence and evidence weighted by
    area)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return _empty_suspects()
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    if len(parts) == 1:
        return frame
    metric = projection.to_metric(frame).geometry.to_numpy()
    a, b = shapely.STRtree(metric).query(metric, predicate="intersects")
    _, group = connected_components(coo_matrix((np.ones(len(a)), (a, b)),
                                               shape=(len(frame),) * 2), directed=False)
    area = shapely.area(metric)
    weighted = ["confidence", *_change.EVIDENCE]
    frame = frame.assign(_g=group, _a=area, **{f"_w_{k}": area * frame[k].astype(float)
                                               for k in weighted})
    grouped = frame.groupby("_g")
    out = grouped.agg(first=("first", "min"), last=("last", "max"), n_dates=("n_dates", "max"),
                      pixels=("pixels", "sum"), _a=("_a", "sum"),
                      **{f"_w_{k}": (f"_w_{k}", "sum") for k in weighted})
    geoms = grouped["geometry"].agg(lambda g: shapely.union_all(g.to_numpy()))
    # the same ground seen on two grids counts once: pixels scaled to the union's area
    share = (shapely.area(projection.to_metric(gpd.GeoSeries(geoms.to_numpy(), crs=4326))
                          .to_numpy()) / out["_a"].to_numpy())
    share = np.minimum(share, 1.0)
    dates = [{d: int(round(n * f)) for d, n in _added(list(ds)).items()}
             for ds, f in zip(grouped["dates"].agg(list), share)]
    extra = {k: [_added(list(ds)) for ds in grouped[k].agg(list)]
             for k in ("before_px", "after_px") if k in frame.columns}
    return gpd.GeoDataFrame({**extra, "first": out["first"], "last": out["last"],
                             "n_dates": out["n_dates"],
                             "pixels": np.round(out["pixels"].to_numpy() * share).astype(int),
                             "dates": dates,
                             **{k: out[f"_w_{k}"] / out["_a"] for k in weighted}},
                            geometry=geoms.to_numpy(), crs="EPSG:4326").reset_index(drop=True)


def _added(counts: list[dict]) -> dict:
    out: dict = {}
    for one in counts:
        for date, n in one.items():
            out[date] = out.get(date, 0) + n
    return dict(sorted(out.items()))


def _describe(frame: gpd.GeoDataFrame, mines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nearest mine, distance to its boundary (m), true area and an explanation per suspect."""
    if frame.empty:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in SUSPECTED_COLUMNS},
                                geometry=[], crs="EPSG:4326")
    metric = projection.to_metric(frame).geometry.to_numpy()
    mine_m = projection.to_metric(mines).geometry.to_numpy()
    near, dist = shapely.STRtree(mine_m).query_nearest(metric, return_distance=True,
                                                       all_matches=False)
    order = np.argsort(near[0], kind="stable")
    mine_idx, dist = near[1][order], dist[order]
    out = frame.copy()
    out["nearest_mine_id"] = mines["site_id"].astype(str).to_numpy()[mine_idx]
    out["distance_m"] = np.round(dist, 1)
    out["area_ha"] = projection.area_ha(frame).round(2).to_numpy()
    out["first_seen"] = [d.isoformat() for d in out["first"]]
    out["last_seen"] = [d.isoformat() for d in out["last"]]
    out["n_dates"] = out["n_dates"].astype(int)
    out["confidence"] = out["confidence"].astype(float).round(2)
    out["pixels"] = out["pixels"].astype(int)
    out["dates"] = [";".join(f"{d.isoformat()}:{n}" for d, n in sorted(ds.items()))
                    for ds in out["dates"]]
    for k in _change.EVIDENCE:
        out[k] = out[k].astype(float).round(3)
    if "after_px" in out.columns:
        out = _class_columns(out)
    out["explanation"] = [_explain(r) for r in out.itertuples()]
    out = out.sort_values(["area_ha", "first_seen"], ascending=[False, True])
    return out.drop(columns=["first", "last"]).reset_index(drop=True)


def _class_columns(out: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """:data:`CLASS_COLUMNS` from the suspects' pixels by class: the class most of its pixels
    had before and have now, and its true hectares by class now (its area shared by pixels)."""
    from .accuracy import class_name

    def top(counts: dict) -> str:
        named = {c: n for c, n in counts.items() if c}
        return class_name(max(named, key=lambda c: (named[c], -c))) if named else ""

    out["class_before"] = [top(d) for d in out["before_px"]]
    out["class_after"] = [top(d) for d in out["after_px"]]
    out["class_ha"] = ["; ".join(f"{class_name(c)} {area * n / max(sum(d.values()), 1):.2f}"
                                 for c, n in sorted(d.items(), key=lambda cn: -cn[1]) if c)
                       for d, area in zip(out["after_px"], out["area_ha"])]
    return out.drop(columns=["before_px", "after_px"])


def _explain(r) -> str:
    if hasattr(r, "class_after"):
        return msg("dist_explain_classes", mine=r.nearest_mine_id, distance=round(r.distance_m),
                   area=r.area_ha, first=r.first_seen, last=r.last_seen, n=r.n_dates,
                   before=r.class_before, after=r.class_after, classes=r.class_ha,
                   nb=r.ndvi_before, na=r.ndvi_after, ref=r.reference_ndvi_change)
    return msg("dist_explain", mine=r.nearest_mine_id, distance=round(r.distance_m),
               area=r.area_ha, first=r.first_seen, last=r.last_seen, n=r.n_dates,
               pixels=r.pixels, nb=r.ndvi_before, na=r.ndvi_after, bb=r.bsi_before,
               ba=r.bsi_after, ref=r.reference_ndvi_change)


def findings_table(suspected: gpd.GeoDataFrame, *, checked_by: str = "", tracked_by: str = "",
                   responsible: str = "") -> pd.DataFrame:
    """The suspects as register ``finding`` events (:data:`FINDING_COLUMNS`): the nearest
    mine, dated the last time seen, the explanation as the note. The three signatures the
    register requires on a finding are filled from the arguments (empty: to be signed)."""
    if suspected.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    centre = projection.to_metric(suspected.geometry).representative_point().to_crs(4326)
    return pd.DataFrame({
        "mine_id": suspected["nearest_mine_id"], "event": "finding",
        "date": suspected["last_seen"], "checked_by": checked_by, "tracked_by": tracked_by,
        "responsible": responsible, "note": suspected["explanation"],
        "suspect_id": suspected["suspect_id"], "area_ha": suspected["area_ha"],
        "distance_m": suspected["distance_m"], "first_seen": suspected["first_seen"],
        "last_seen": suspected["last_seen"], "n_dates": suspected["n_dates"],
        "confidence": suspected["confidence"], "lon": centre.x.round(6).to_numpy(),
        "lat": centre.y.round(6).to_numpy(),
        **{k: suspected[k] for k in EVIDENCE_COLUMNS}})[FINDING_COLUMNS]


# --- declared vs detected ----------------------------------------------------------------------
def read_declarations(path: str | os.PathLike) -> pd.DataFrame:
    """A declarations table (CSV in UTF-8 or GBK, or XLSX; Chinese headers through the alias
    table's ``declarations`` section): ``mine_id, year, declared_reclaimed_ha``. Ids in one
    spelling (full-width ``Ｍ０１`` → ``M01``, invisible characters dropped). Every bad row is
    named (row, field, value, why) and the table refused."""
    from ..io.tables import read_user_table

    read = read_user_table(path, table="declarations", what=msg("what_declarations"),
                           required=["mine_id", "year", "declared_reclaimed_ha"])
    table, factor = read.frame, read.factor  # 亩 columns: × 1/15 to hectares
    problems = []
    year = pd.to_numeric(table["year"], errors="coerce")
    ha = pd.to_numeric(table["declared_reclaimed_ha"], errors="coerce")
    ids = []
    for k in range(len(table)):
        row = k + 2  # row 1 is the header
        try:
            ids.append(normalise_id(table["mine_id"].iloc[k]))
        except Invalid as exc:
            ids.append(None)
            problems.append(msg("decl_bad", row=row, field="mine_id",
                                value=table["mine_id"].iloc[k], why=msg(exc.code, **exc.values)))
            continue
        if ids[-1] is None:
            problems.append(msg("decl_bad", row=row, field="mine_id", value="", why="empty"))
        if pd.isna(year.iloc[k]) or year.iloc[k] != round(year.iloc[k]):
            problems.append(msg("decl_bad", row=row, field="year", value=table["year"].iloc[k],
                                why="not a year"))
        if pd.isna(ha.iloc[k]) or ha.iloc[k] < 0:
            problems.append(msg("decl_bad", row=row, field="declared_reclaimed_ha",
                                value=table["declared_reclaimed_ha"].iloc[k],
                                why="not a number ≥ 0"))
    if problems:
        raise ValidationError(msg("decl_refused", path=path) + "\n" + "\n".join(problems))
    return pd.DataFrame({"mine_id": ids, "year": year.astype(int),
                         "declared_reclaimed_ha": ha.astype(float) *
                         factor.get("declared_reclaimed_ha", 1.0)})


@keywords_after(1, ("summary",))
def compare_declarations(declared: pd.DataFrame, *, summary: pd.DataFrame,
                         tolerance_ha: float | None = None, tolerance_share: float | None = None,
                         rules: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row a declaration (:data:`DECLARATION_COLUMNS`), status ``over_declared``,
    ``consistent``, ``baseline`` (the year is the baseline year or before it) or ``no_data``
    (the mine has no detected gain that year); see the module text."""
    params = load_thresholds(rules)
    tol_ha = params["tolerance_ha"] if tolerance_ha is None else tolerance_ha
    tol_share = params["tolerance_share"] if tolerance_share is None else tolerance_share
    spelled = {_id_key(i): str(i) for i in summary["site_id"].dropna().astype(str)}
    declared = declared.assign(mine_id=[spelled.get(_id_key(m), m) for m in declared["mine_id"]])
    summ = summary.assign(site_id=summary["site_id"].astype(str),
                          year=pd.to_numeric(summary["year"]).astype(int),
                          baseline_year=pd.to_numeric(summary["baseline_year"], errors="coerce"),
                          detected_gain_ha=pd.to_numeric(summary["detected_gain_ha"],
                                                         errors="coerce"))
    base = summ.groupby("site_id")["baseline_year"].first()
    out = declared.sort_values(["mine_id", "year"]).reset_index(drop=True)
    out["baseline_year"] = out["mine_id"].map(base)
    after = out["year"] > out["baseline_year"]
    out["declared_since_baseline_ha"] = np.where(
        after, out.assign(_d=out["declared_reclaimed_ha"].where(after, 0.0))
        .groupby("mine_id")["_d"].cumsum(), np.nan)
    gain = summ.set_index(["site_id", "year"])["detected_gain_ha"]
    out["detected_gain_ha"] = [gain.get((m, y), np.nan) for m, y in zip(out["mine_id"],
                                                                          out["year"])]
    out["excess_ha"] = (out["declared_since_baseline_ha"] - out["detected_gain_ha"]).round(2)
    allowance = np.maximum(tol_ha, tol_share * out["declared_since_baseline_ha"])
    for column in ("declared_reclaimed_ha", "declared_since_baseline_ha", "detected_gain_ha"):
        out[column] = out[column].round(2)  # 300 亩 is 20 ha, not 20.000000000000004
    out["status"] = np.select(
        [out["baseline_year"].isna() | out["detected_gain_ha"].isna(), ~after,
         out["excess_ha"] > allowance], ["no_data", "baseline", "over_declared"], "consistent")
    out["explanation"] = [_declaration_text(r) for r in out.itertuples()]
    return out[DECLARATION_COLUMNS]


def _id_key(value) -> str:
    """The comparison key of a mine id: one spelling (NFKC, no invisible characters), any case."""
    try:
        return (normalise_id(value) or "").casefold()
    except Invalid:
        return str(value)


def _declaration_text(r) -> str:
    if r.status == "no_data":
        return msg("decl_no_data", mine=r.mine_id, year=r.year)
    if r.status == "baseline":
        return msg("decl_baseline", mine=r.mine_id, year=r.year, base=int(r.baseline_year))
    return msg("decl_over" if r.status == "over_declared" else "decl_ok", mine=r.mine_id,
               year=r.year, declared=round(r.declared_since_baseline_ha, 2),
               detected=round(r.detected_gain_ha, 2), base=int(r.baseline_year))
