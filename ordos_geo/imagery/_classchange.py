"""The per-pixel judgement behind ``og.disturbance.detect(..., classifier=model)``: a class map
of each year (the trained forest over that year's scenes, :mod:`ordos_geo.imagery.classify`),
and a pixel disturbed in a year when its map shows a disturbed class (``landcover.yaml``'s
``disturbed``: excavation, coal, dumps) where an earlier year's showed it undisturbed (the rule
is written out in the disturbance module's text)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.yaml_tables import load_table
from . import classify
from ._change import EVIDENCE, NONE, Judged
from .accuracy import classes

#: the most classes a map may hold (codes 1–254; 0 is "no class")
N_CODES = 256


@dataclass
class YearMaps:
    """Each year's class map of a part (``(years, rows, cols)``; 0 where the pixel was never
    seen clear that year) and its median NDVI and BSI (the evidence)."""

    classes: np.ndarray
    ndvi: np.ndarray
    bsi: np.ndarray


def disturbed_codes() -> np.ndarray:
    """The codes of ``landcover.yaml``'s ``disturbed`` classes."""
    keys = set(load_table("landcover")["disturbed"])
    return np.array([code for code, spec in classes().items() if spec["key"] in keys], int)


def read_years(years: list[list], window, forest) -> YearMaps:
    """The forest's class map of each year's scenes (``years``: a list of scene lists) over
    ``window``, with the median NDVI and BSI of the year's clear looks."""
    shape = (len(years), int(window.height), int(window.width))
    out = YearMaps(np.zeros(shape, np.uint8), np.full(shape, np.nan, np.float32),
                   np.full(shape, np.nan, np.float32))
    i_ndvi, i_bsi = classify.FEATURES.index("ndvi_median"), classify.FEATURES.index("bsi_median")
    for t, scenes in enumerate(years):
        feats = classify.features(scenes, window)
        flat = feats.reshape(-1, feats.shape[-1])
        clear = np.isfinite(flat).all(axis=1)
        if clear.any():
            out.classes[t].ravel()[clear] = classify.classes_of(forest, flat[clear])
        out.ndvi[t], out.bsi[t] = feats[..., i_ndvi], feats[..., i_bsi]
    return out


def judge(maps: YearMaps, known: np.ndarray, params: dict, cell_m: float, *,
          searched: np.ndarray | None = None) -> tuple[Judged, dict]:
    """Each year of each pixel judged in order: a run of disturbed years (a year without a
    class does not break it; an undisturbed class ends it), the evidence, and per pixel the
    class before its run and on its last disturbed year (``{"before", "after"}``), and the
    pixels each year put down to the weather in ``searched`` (default: outside every site), by
    class (``"aside"``: years × codes)."""
    n_years, h, w = maps.classes.shape
    n = h * w
    cls = maps.classes.reshape(n_years, n)
    counted = (~known if searched is None else searched).ravel()
    bad = np.zeros(N_CODES, bool)
    bad[disturbed_codes()] = True
    block = _block_index(h, w, max(8, int(round(params["reference_m"] / cell_m))))
    open_ = np.zeros(n, bool)        # seen undisturbed before: a disturbed class is new there
    run = np.zeros(n, np.int16)
    start, last = np.full(n, NONE, np.uint8), np.full(n, NONE, np.uint8)
    before, after, prev = np.zeros(n, np.uint8), np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    prev_ndvi, prev_bsi = (np.full(n, np.nan, np.float32) for _ in range(2))
    cand = np.zeros((n_years, n), bool)
    aside = np.zeros((n_years, N_CODES), np.int64)
    ev = {k: np.full(n, np.nan, np.float32) for k in EVIDENCE}
    for t in range(n_years):
        now, seen = cls[t], cls[t] > 0
        hit = seen & bad[now] & (open_ | (run > 0))
        regional, ref = _regional(hit, seen & open_ & (run == 0) & ~known.ravel(), maps, t,
                                  block, params)
        aside[t] = np.bincount(now[hit & regional & counted], minlength=N_CODES)
        hit &= ~regional
        ended = seen & ~bad[now] & ~regional
        starts = hit & (run == 0)
        run[hit] += 1
        run[ended] = 0
        start[starts], before[starts] = t, prev[starts]
        ev["ndvi_before"][starts], ev["bsi_before"][starts] = prev_ndvi[starts], prev_bsi[starts]
        last[hit], after[hit] = t, now[hit]
        ev["ndvi_after"][hit] = maps.ndvi[t].ravel()[hit]
        ev["bsi_after"][hit] = maps.bsi[t].ravel()[hit]
        ev["reference_ndvi_change"][hit] = ref[hit]
        cand[t] = hit
        open_ |= ended
        keep = ended  # the undisturbed look a later run is measured against
        prev[keep], prev_ndvi[keep] = now[keep], maps.ndvi[t].ravel()[keep]
        prev_bsi[keep] = maps.bsi[t].ravel()[keep]
    on = run > 0
    cand &= on[None, :] & (np.arange(n_years)[:, None] >= np.where(on, start, NONE)[None, :])
    shape = (h, w)
    judged = Judged(np.where(on, start, NONE).astype(np.uint8).reshape(shape),
                    np.where(on, last, NONE).astype(np.uint8).reshape(shape),
                    np.minimum(run, NONE - 1).astype(np.uint8).reshape(shape),
                    (run >= params["class_min_years"]).reshape(shape), cand,
                    {k: v.reshape(shape) for k, v in ev.items()})
    return judged, {"before": before, "after": after, "aside": aside}


def _block_index(h: int, w: int, size: int) -> np.ndarray:
    nbx = -(-w // size)
    return ((np.arange(h) // size)[:, None] * nbx + (np.arange(w) // size)[None, :]).ravel()


def _regional(hit: np.ndarray, open_now: np.ndarray, maps: YearMaps, t: int, block: np.ndarray,
              params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Pixels whose year is put down to the weather — in a block of ``reference_m`` where more
    than ``class_regional_share`` of the open ground outside every site (seen undisturbed
    before, clear now, at least 20 pixels) turned to a disturbed class at once: a drought that
    browns the steppe, not a dig — and each pixel's block's median NDVI change of the open
    ground that kept its class (the surroundings' change, for the evidence)."""
    n_blocks = int(block.max()) + 1
    total = np.bincount(block, weights=open_now, minlength=n_blocks)
    turned = np.bincount(block, weights=open_now & hit, minlength=n_blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total >= 20, turned / np.maximum(total, 1), 0.0)
    regional = (share > params["class_regional_share"])[block]
    ref = np.full(n_blocks, np.nan, np.float32)
    if t > 0:
        change = maps.ndvi[t].ravel() - maps.ndvi[t - 1].ravel()
        use = open_now & ~hit & np.isfinite(change)
        if use.any():
            med = pd.Series(change[use]).groupby(block[use]).median()
            ref[med.index.to_numpy()] = med.to_numpy()
    return regional, ref[block]


def year_counts(maps: YearMaps, masks: dict[str, np.ndarray], aside: np.ndarray) -> np.ndarray:
    """Pixels of each class each year in each mask, and last those put down to the weather
    (``years × codes × (masks + 1)``)."""
    n_years = maps.classes.shape[0]
    out = np.zeros((n_years, N_CODES, len(masks) + 1), np.int64)
    for t in range(n_years):
        for j, mask in enumerate(masks.values()):
            out[t, :, j] = np.bincount(maps.classes[t][mask], minlength=N_CODES)
    out[:, :, -1] = aside
    return out
