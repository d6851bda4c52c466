"""The vectorised Theil–Sen trajectories against scipy.stats.theilslopes, site by site."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from ordos_geo import reclamation
from ordos_geo.imagery.reclamation import PROJECTION_HORIZON_YEARS, theil_sen


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 9), st.integers(1, 20), st.integers(0, 10_000), st.booleans())
def test_theil_sen_equals_scipy_row_by_row(n, rows, seed, ties):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.choice(np.arange(2010, 2030), n, replace=False)).astype(float)
    y = rng.random((rows, n))
    if ties:  # repeated values exercise Sen's tie correction
        y = np.round(y * 3) / 3
    slope, intercept, low = theil_sen(y, x)
    for k in range(rows):
        ref = theilslopes(y[k], x, alpha=0.95)
        assert slope[k] == pytest.approx(ref.slope, abs=1e-12)
        assert intercept[k] == pytest.approx(ref.intercept, abs=1e-9)
        assert (np.isnan(low[k]) and np.isnan(ref.low_slope)) or \
            low[k] == pytest.approx(ref.low_slope, abs=1e-12)


def _reference(years: pd.DataFrame, key: str, target_share) -> pd.DataFrame:
    """The per-site reading the module text gives (0.2's loop, with scipy)."""
    rows = []
    for ident, g in years.sort_values("year").groupby(key):
        share = g["vegetated_share"].to_numpy(dtype=float)
        yr = g["year"].to_numpy(dtype=float)
        ok = np.isfinite(share)
        share, yr = share[ok], yr[ok]
        target = target_share.get(ident, 0.6) if isinstance(target_share, pd.Series) \
            else float(target_share)
        if len(share) < 3:
            rows.append((ident, "insufficient_data", np.nan, np.nan, "insufficient_data"))
            continue
        slope, intercept, low, _ = theilslopes(share, yr, alpha=0.95)
        recent = theilslopes(share[-3:], yr[-3:])[0]
        peak, last = share.max(), share[-1]
        if peak >= 0.4 and last <= peak - 0.15 and slope < -0.02:
            cls = "degrading"
        elif last >= 0.5 and abs(recent) <= 0.03:
            cls = "reclaimed_stable"
        elif slope > 0.02:
            cls = "recovering"
        else:
            cls = "still_disturbed"
        if share[-1] >= target:
            below = np.flatnonzero(share < target)
            year, why = float(yr[below[-1] + 1 if len(below) else 0]), "reached"
        elif not (slope > 0 and low > 0):
            year, why = np.nan, "no_upward_trend"
        else:
            year = max(float(np.ceil((target - intercept) / slope)), float(yr[-1]) + 1.0)
            year, why = (np.nan, "beyond_horizon") if year > yr[-1] + PROJECTION_HORIZON_YEARS \
                else (year, "trend")
        rows.append((ident, cls, float(slope), year, why))
    return pd.DataFrame(rows, columns=[key, "trajectory", "slope_per_year", "projected_year",
                                       "projection"])


@pytest.mark.parametrize("per_site_target", [False, True])
def test_trajectories_match_the_per_site_reading(per_site_target):
    rng = np.random.default_rng(3)
    frames = []
    for k in range(300):
        years = np.arange(2015, 2026)
        start, rate = rng.random() * 0.5, rng.normal(0.03, 0.05)
        share = np.clip(start + rate * (years - 2015) + rng.normal(0, 0.03, len(years)), 0, 1)
        share[rng.random(len(years)) < 0.2] = np.nan  # years without a clear observation
        if k % 50 == 0:
            share[:] = np.nan
        frames.append(pd.DataFrame({"site_id": f"S{k:03d}", "year": years,
                                    "vegetated_share": np.round(share, 2)}))
    years = pd.concat(frames, ignore_index=True)
    target = pd.Series(rng.uniform(0.4, 0.8, 300), index=[f"S{k:03d}" for k in range(300)]) \
        if per_site_target else 0.6
    got = reclamation.trajectories(years, "site_id", target)
    want = _reference(years, "site_id", target)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert set(got["projection"]) >= {"reached", "trend", "no_upward_trend", "insufficient_data"}
