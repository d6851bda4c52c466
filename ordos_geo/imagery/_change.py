"""The per-pixel judgement behind :mod:`ordos_geo.imagery.disturbance`: the clear observations
of one strip through all its dates, each date judged against the pixel's own earlier years and
against the ground around it (the rule is written out in the disturbance module's text)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import grids
from .scenes import Thresholds, measures

NONE = 255  #: "never" in the per-pixel date indices (uint8)
#: bytes held a pixel and date while a strip is judged (three float32 series, four flags)
BYTES_PER_PIXEL_DATE = 16
#: evidence kept per flagged pixel, in this order (see :func:`judge`)
EVIDENCE = ("ndvi_before", "ndvi_after", "bsi_before", "bsi_after", "reference_ndvi_change")


@dataclass
class Series:
    """Clear observations of a strip: ``(dates, rows, cols)`` arrays, NaN (or False) where the
    pixel was not clear on that date."""

    ndvi: np.ndarray
    bsi: np.ndarray
    bright: np.ndarray
    dark: np.ndarray
    water: np.ndarray
    bare: np.ndarray
    years: np.ndarray
    doy: np.ndarray


def read_series(group: list, window, thresholds: Thresholds) -> Series:
    """Every date of ``group`` over ``window``: NDVI (dark ground counted as bare soil's NDVI:
    coal holds no vegetation), BSI, brightness (mean reflectance of the bands there are), and
    the dark, water and bare (FVC) flags; clouds, shadow, snow, nodata and missed clouds NaN."""
    shape = (len(group), int(window.height), int(window.width))
    ndvi, bsi, bright = (np.full(shape, np.nan, np.float32) for _ in range(3))
    dark, water, bare = (np.zeros(shape, bool) for _ in range(3))
    for t, scene in enumerate(group):
        refl, valid = grids.read_window(scene, window)
        m = measures(refl, valid, thresholds, with_bsi=True)
        ok = m["valid"]
        ndvi[t][ok] = np.where(m["dark"], np.minimum(m["ndvi"], thresholds.ndvi_soil),
                               m["ndvi"])[ok]
        bsi[t][ok] = m["bsi"][ok] if "swir1" in refl and "blue" in refl else np.nan
        bands = [refl[b] for b in ("blue", "green", "red", "nir", "swir1") if b in refl]
        bright[t][ok] = np.mean(bands, axis=0)[ok]
        dark[t], water[t], bare[t] = m["dark"], m["water"], m["bare"]
    return Series(ndvi, bsi, bright, dark, water, bare,
                  np.array([s.date.year for s in group]),
                  np.array([s.date.timetuple().tm_yday for s in group]))


def nan_quantile(stack: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile (linear) along axis 0, NaN ignored (NaN where none): a sort of the
    short date axis, vectorised (``np.nanquantile`` loops pixel by pixel)."""
    ordered = np.sort(stack, axis=0)  # NaN last
    n = np.isfinite(stack).sum(axis=0)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(ordered, lo[None], axis=0)[0]
    b = np.take_along_axis(ordered, hi[None], axis=0)[0]
    out = a + (b - a) * (pos - lo)
    return np.where(n > 0, out, np.nan).astype(np.float32)


def block_median(values: np.ndarray, use: np.ndarray, block: int) -> np.ndarray:
    """Per pixel, the median of ``values`` over the ``use`` pixels of its block of ``block`` ×
    ``block`` pixels; a block with fewer than a tenth of its pixels (at least 30) to go by
    takes the median of the whole strip, and a strip without enough takes 0 (no reference)."""
    h, w = values.shape
    pooled = values[use]
    fallback = float(np.median(pooled)) if pooled.size >= 30 else 0.0
    out = np.full((h, w), fallback, np.float32)
    for r in range(0, h, block):
        for c in range(0, w, block):
            u = use[r:r + block, c:c + block]
            if u.sum() >= max(30, u.size // 10):
                out[r:r + block, c:c + block] = np.median(values[r:r + block, c:c + block][u])
    return out


@dataclass
class Judged:
    """Per pixel, its latest run of disturbed clear dates (cloudy dates do not break a run, a
    clear recovered one ends it): ``first`` (date index where it began, :data:`NONE` when the
    pixel was not disturbed on its last clear look), ``last`` (its last date), ``count`` (its
    disturbed dates), ``persistent`` (``count`` ≥ ``min_dates``); ``cand`` (dates × pixels:
    disturbed that date, within the run) and the :data:`EVIDENCE` arrays."""

    first: np.ndarray
    last: np.ndarray
    count: np.ndarray
    persistent: np.ndarray
    cand: np.ndarray
    evidence: dict


def judge(s: Series, known: np.ndarray, params: dict, cell_m: float) -> Judged:
    """Each clear date of each pixel judged in date order (see the disturbance module text)."""
    n_dates, h, w = s.ndvi.shape
    block = max(8, int(round(params["reference_m"] / cell_m)))
    cand = np.zeros(s.ndvi.shape, bool)
    held = np.zeros(s.ndvi.shape, bool)  # within a run that date: never a baseline
    run = np.zeros((h, w), np.int16)
    start, last = (np.full((h, w), NONE, np.uint8) for _ in range(2))
    ev = {k: np.full((h, w), np.nan, np.float32) for k in EVIDENCE}
    for t in range(n_dates):
        step = _date(s, t, held, known, params, block)
        if step is None:
            continue
        c, recovered, base, base_bsi, ref = step
        cand[t] = c
        run = np.where(c, run + 1, np.where(recovered, 0, run)).astype(np.int16)
        held[t] = run > 0
        starting = c & (run == 1)
        start[starting] = t
        ev["ndvi_before"][starting], ev["bsi_before"][starting] = base[starting], \
            base_bsi[starting]
        last[c] = t
        ev["ndvi_after"][c], ev["bsi_after"][c] = s.ndvi[t][c], s.bsi[t][c]
        ev["reference_ndvi_change"][c] = -ref[c]
    on = run > 0
    first = np.where(on, start, NONE).astype(np.uint8)
    in_run = np.arange(n_dates)[:, None, None] >= np.where(on, start, n_dates)[None].astype(int)
    return Judged(first, np.where(on, last, NONE).astype(np.uint8),
                  np.minimum(run, NONE - 1).astype(np.uint8), run >= params["min_dates"],
                  cand & in_run, ev)


def _date(s: Series, t: int, held: np.ndarray, known: np.ndarray, params: dict, block: int):
    """One date: ``(disturbed, recovered, baseline NDVI, baseline BSI, reference drop)``, or
    None when no earlier year has a clear observation in this season (nothing to judge against).
    Recovered: clear, no new bare-soil evidence, and its NDVI within half of ``ndvi_drop`` of its
    baseline (beyond the surroundings' change): a field cropped again. A clear date that is neither (a dug field in
    the season it was always bare) leaves a run as it is, like a cloudy one."""
    earlier = s.years < s.years[t]
    same = earlier & (np.abs(s.doy - s.doy[t]) <= params["season_days"])
    if not same.any():
        return None
    undisturbed = ~held[same]
    base = nan_quantile(np.where(undisturbed, s.ndvi[same], np.nan), 0.5)
    base_bsi = nan_quantile(np.where(undisturbed, s.bsi[same], np.nan), 0.5)
    prior = ~held[earlier] & np.isfinite(s.ndvi[earlier])
    h_bright = nan_quantile(np.where(prior, s.bright[earlier], np.nan), 0.8)
    n_prior = np.maximum(prior.sum(axis=0), 1)
    h_dark = (s.dark[earlier] & prior).sum(axis=0) / n_prior
    h_water = (s.water[earlier] & prior).sum(axis=0) / n_prior
    ok = np.isfinite(s.ndvi[t]) & np.isfinite(base)
    drop = base - s.ndvi[t]
    with np.errstate(invalid="ignore"):
        ref = block_median(drop, ok & (base >= params["reference_min_ndvi"]) & ~known, block)
        like = s.dark[t] | s.water[t] | (s.bsi[t] >= params["bsi_min"]) | \
            (np.isnan(s.bsi[t]) & s.bare[t])
        new = (s.dark[t] & (h_dark < 0.5)) | (s.water[t] & (h_water < 0.5)) | \
            (s.bright[t] - h_bright >= params["bright_rise"])
        c = ok & (drop - ref >= params["ndvi_drop"]) & like & new
        recovered = ok & ~c & ~new & (drop - ref < params["ndvi_drop"] / 2)
    return c, recovered, base, base_bsi, ref
