"""The per-pixel judgement behind :mod:`ordos_geo.imagery.disturbance`: the clear observations
of one strip through all its dates, each date judged against the pixel's own earlier years and
against the ground around it (the rule is written out in the disturbance module's text)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import grids
from .scenes import Thresholds, measures

NONE = 255  #: "never" in the per-pixel date indices (uint8)
#: a dark pixel is coal (bare, its NDVI that of bare soil) only below this NDVI: shadowed grass
#: is as dark but keeps the NDVI of grass (coal and burnt ground read 0.1–0.3)
DARK_MAX_NDVI = 0.35
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
    """Every date of ``group`` over ``window``: NDVI (coal-dark ground — dark, with an NDVI
    below :data:`DARK_MAX_NDVI` — counted as bare soil's NDVI: coal holds no vegetation), BSI,
    brightness (mean reflectance of the bands there are), and the coal-dark, water and bare
    (FVC) flags; clouds, shadow, snow, nodata and missed clouds NaN."""
    shape = (len(group), int(window.height), int(window.width))
    ndvi, bsi, bright = (np.empty(shape, np.float32) for _ in range(3))
    dark, water, bare = (np.empty(shape, bool) for _ in range(3))
    for t, scene in enumerate(group):
        refl, valid = grids.read_window(scene, window)
        m = measures(refl, valid, thresholds, with_bsi=True)
        cloudy = ~m["valid"]
        np.copyto(ndvi[t], m["ndvi"])
        coal = m["dark"] & (m["ndvi"] < DARK_MAX_NDVI)  # a shadow on grass keeps its NDVI
        if coal.any():
            np.copyto(ndvi[t], np.minimum(ndvi[t], thresholds.ndvi_soil), where=coal)
        if "swir1" in refl and "blue" in refl:
            np.copyto(bsi[t], m["bsi"])
        else:
            bsi[t] = np.nan
        bands = [refl[b] for b in ("blue", "green", "red", "nir", "swir1") if b in refl]
        np.add.reduce(bands, out=bright[t]) if len(bands) > 1 else np.copyto(bright[t], bands[0])
        bright[t] /= len(bands)
        for stack in (ndvi, bsi, bright):
            np.copyto(stack[t], np.nan, where=cloudy)
        dark[t], water[t], bare[t] = coal, m["water"], m["bare"]
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


#: the reference change is taken from every SAMPLE-th pixel of every SAMPLE-th row (a 1/64
#: sample: about a thousand pixels a 2.5 km block of 10 m pixels, ample for a median)
SAMPLE = 8


@dataclass
class _Blocks:
    """The fixed sample of a strip grouped by reference block: ``pixels`` (flat indices, block
    by block), ``bounds`` (each block's slice of them) and every pixel's ``block``."""

    pixels: np.ndarray
    bounds: list
    block: np.ndarray


def _blocks(h: int, w: int, block: int, known: np.ndarray) -> _Blocks:
    nbx = -(-w // block)
    of = ((np.arange(h) // block)[:, None] * nbx + (np.arange(w) // block)[None, :]).astype(
        np.int32)
    mask = np.zeros((h, w), bool)
    mask[::SAMPLE, ::SAMPLE] = True
    sample = np.flatnonzero(mask & ~known)
    order = np.argsort(of.ravel()[sample], kind="stable")
    pixels = sample[order]
    counts = np.bincount(of.ravel()[pixels], minlength=int(of.max()) + 1)
    ends = np.cumsum(counts)
    return _Blocks(pixels, [slice(e - c, e) for c, e in zip(counts, ends)], of.ravel())


def block_medians(values: np.ndarray, use: np.ndarray, bounds: list,
                  min_count: int) -> np.ndarray:
    """The median of the ``use`` ``values`` per block (``bounds``: each block's slice); a block
    with fewer than ``min_count`` takes the median of all of them, and with fewer than
    ``min_count`` in all, 0 (no reference)."""
    pooled = values[use]
    fallback = float(np.median(pooled)) if pooled.size >= min_count else 0.0
    out = np.full(len(bounds), fallback, np.float32)
    for k, part in enumerate(bounds):
        v = values[part][use[part]]
        if v.size >= min_count:
            out[k] = np.median(v)
    return out


@dataclass
class Judged:
    """Per pixel, its latest run of disturbed clear dates (cloudy dates do not break a run, a
    clear recovered one ends it): ``first`` (date index where it began, :data:`NONE` when the
    pixel was not disturbed on its last clear look), ``last`` (its last date), ``count`` (its
    disturbed dates), ``persistent`` (``count`` ≥ ``min_dates``); ``cand`` (dates × flat
    pixels: disturbed that date — from ``first`` on, the run) and the :data:`EVIDENCE`
    arrays."""

    first: np.ndarray
    last: np.ndarray
    count: np.ndarray
    persistent: np.ndarray
    cand: np.ndarray
    evidence: dict


def judge(s: Series, known: np.ndarray, params: dict, cell_m: float) -> Judged:
    """Each clear date of each pixel judged in date order (see the disturbance module text).
    Only the pixels that can change state are judged on a date — those in a run, and bare-like
    ones that are dark, wet or brighter than the darkest they have been — and the reference from
    a sample (:data:`SAMPLE`): any other pixel neither starts nor ends a run."""
    n_dates, h, w = s.ndvi.shape
    n = h * w
    blocks = _blocks(h, w, max(8, int(round(params["reference_m"] / cell_m))), known)
    flat = {k: getattr(s, k).reshape(n_dates, n) for k in
            ("ndvi", "bsi", "bright", "dark", "water", "bare")}
    cand = np.zeros((n_dates, n), bool)
    held = np.zeros((n_dates, n), bool)  # within a run that date: never a baseline
    run = np.zeros(n, np.int16)
    start, last = np.full(n, NONE, np.uint8), np.full(n, NONE, np.uint8)
    # written where a run starts or goes on, read only there: no need to fill (page faults)
    ev = {k: np.empty(n, np.float32) for k in EVIDENCE}
    darkest = np.full(n, np.inf, np.float32)  # the lowest brightness seen so far: a filter
    for t in range(n_dates):
        step = _date(s, flat, t, held, (run, darkest), params, blocks)
        np.fmin(darkest, flat["bright"][t], out=darkest)
        if step is None:
            continue
        idx, c, recovered, base, base_bsi, ref = step
        run[idx] = np.where(c, run[idx] + 1, np.where(recovered, 0, run[idx]))
        cand[t, idx[c]] = True
        held[t] = run > 0
        new_run = idx[c & (run[idx] == 1)]
        start[new_run] = t
        first_of = c & (run[idx] == 1)
        ev["ndvi_before"][new_run], ev["bsi_before"][new_run] = base[first_of], base_bsi[first_of]
        hit = idx[c]
        last[hit] = t
        ev["ndvi_after"][hit], ev["bsi_after"][hit] = flat["ndvi"][t, hit], flat["bsi"][t, hit]
        ev["reference_ndvi_change"][hit] = -ref[c]
    on = run > 0
    first = np.where(on, start, NONE).astype(np.uint8)
    shape = (h, w)
    return Judged(first.reshape(shape), np.where(on, last, NONE).astype(np.uint8).reshape(shape),
                  np.minimum(run, NONE - 1).astype(np.uint8).reshape(shape),
                  (run >= params["min_dates"]).reshape(shape), cand,
                  {k: v.reshape(shape) for k, v in ev.items()})


def _baseline(flat: dict, key: str, dates: np.ndarray, idx: np.ndarray, held: np.ndarray,
              q: float = 0.5) -> np.ndarray:
    """The ``q`` quantile of ``key`` over ``dates`` for the pixels ``idx``, leaving out the
    observations held in a run."""
    values = flat[key][np.ix_(dates, idx)]
    return nan_quantile(np.where(held[np.ix_(dates, idx)], np.nan, values), q)


def _date(s: Series, flat: dict, t: int, held: np.ndarray, state: tuple, params: dict,
          blocks: tuple):
    """One date: ``(pixels judged, disturbed, recovered, baseline NDVI, baseline BSI,
    reference drop)`` over those pixels, or None when no earlier year has a clear observation
    in this season (nothing to judge against). Recovered: clear, no new bare-soil evidence, and
    its NDVI within half of ``ndvi_drop`` of its baseline (beyond the surroundings' change): a
    field cropped again. A clear date that is neither (a dug field in the season it was always
    bare) leaves a run as it is, like a cloudy one."""
    earlier = np.flatnonzero(s.years < s.years[t])
    same = earlier[np.abs(s.doy[earlier] - s.doy[t]) <= params["season_days"]]
    if not len(same):
        return None
    run, darkest = state
    clear = np.isfinite(flat["ndvi"][t])
    with np.errstate(invalid="ignore"):
        like = flat["dark"][t] | flat["water"][t] | (flat["bsi"][t] >= params["bsi_min"]) | \
            (np.isnan(flat["bsi"][t]) & flat["bare"][t])
        # new bare-soil evidence needs dark or water, or a brightness above the 80th percentile
        # of the earlier ones by bright_rise, so above the darkest one seen by as much: no other
        # pixel can start a run, and a pixel out of a run has nothing to end
        maybe = like & (flat["dark"][t] | flat["water"][t] |
                        (flat["bright"][t] - darkest >= params["bright_rise"]))
    idx = np.flatnonzero(clear & (maybe | (run > 0)))
    ref_block = _reference(flat, t, same, held, blocks, params,
                           quiet=~maybe[blocks.pixels] & (run[blocks.pixels] == 0))
    base = _baseline(flat, "ndvi", same, idx, held)
    base_bsi = _baseline(flat, "bsi", same, idx, held)
    prior = ~held[np.ix_(earlier, idx)] & np.isfinite(flat["ndvi"][np.ix_(earlier, idx)])
    h_bright = nan_quantile(np.where(prior, flat["bright"][np.ix_(earlier, idx)], np.nan), 0.8)
    n_prior = np.maximum(prior.sum(axis=0), 1)
    h_dark = (flat["dark"][np.ix_(earlier, idx)] & prior).sum(axis=0) / n_prior
    h_water = (flat["water"][np.ix_(earlier, idx)] & prior).sum(axis=0) / n_prior
    ref = ref_block[blocks.block[idx]]
    with np.errstate(invalid="ignore"):
        rel = base - flat["ndvi"][t, idx] - ref
        new = (flat["dark"][t, idx] & (h_dark < 0.5)) | (flat["water"][t, idx] & (h_water < 0.5)) \
            | (flat["bright"][t, idx] - h_bright >= params["bright_rise"])
        ok = np.isfinite(base)
        c = ok & (rel >= params["ndvi_drop"]) & like[idx] & new
        recovered = ok & ~c & ~new & (rel < params["ndvi_drop"] / 2)
    return idx, c, recovered, base, base_bsi, ref


def _reference(flat: dict, t: int, same: np.ndarray, held: np.ndarray, blocks: _Blocks,
               params: dict, *, quiet: np.ndarray) -> np.ndarray:
    """Per block, the median NDVI drop (baseline − now) of the sampled vegetated ground that
    shows no sign of disturbance (``quiet``: no new bare-soil evidence, not in a run) — a dig
    filling the unlicensed ground between licences does not become its own reference."""
    base = _baseline(flat, "ndvi", same, blocks.pixels, held)
    drop = base - flat["ndvi"][t, blocks.pixels]
    with np.errstate(invalid="ignore"):
        use = quiet & np.isfinite(drop) & (base >= params["reference_min_ndvi"])
    return block_medians(drop, use, blocks.bounds, 20)
