"""Plan status over the years, on scenes whose vegetated hectares are known exactly.

A 4 ha site (20 × 20 pixels of 10 m) gains 0.4 ha (40 pixels) of vegetation a year. Its plans ask
for exactly that, so every planned year is ``on_track``; years before the plans are ``no_target``;
a cloudy year is ``no_data``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import sites_from_metric
from imagery_helpers import pixel_box, write_scene

import ordos_geo as og
from ordos_geo import reclamation
from ordos_geo.imagery import Scene

YEARS = range(2019, 2026)
PER_YEAR_PX = 40  # 0.4 ha


def _classes(year: int) -> np.ndarray:
    c = np.zeros((40, 40), dtype=int)
    n = PER_YEAR_PX * (year - 2019)
    block = c[10:30, 10:30].reshape(-1)
    block[:n] = 1
    c[10:30, 10:30] = block.reshape(20, 20)
    return c


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan_scenes")
    out = []
    for year in YEARS:
        cloudy = year == 2023
        scl = np.full((40, 40), 9 if cloudy else 4)  # 9: cloud high probability, 4: vegetation
        paths = write_scene(folder, f"y{year}", _classes(year), offset=1000, scl=scl)
        bands = {k: (p, 1) for k, p in paths.items()}
        out.append(Scene(pd.Timestamp(f"{year}-07-01").date(), "sentinel2-l2a", bands,
                         baseline="05.00", scene_id=f"y{year}"))
    return out


@pytest.fixture(scope="module")
def site():
    box = og.projection.to_metric(gpd.GeoSeries([pixel_box(10, 10, 30, 30)], crs="EPSG:32649")
                                  ).iloc[0]
    return sites_from_metric([box], ids=["M1"])


def _summary(site, scenes, plans):
    return reclamation.progress(site, scenes, plans=plans).summary.set_index("year")


def _plans(years, ha=0.4):
    return pd.DataFrame({"mine_id": "M1", "year": list(years), "target_ha": ha})


def test_a_mine_reclaiming_exactly_its_plan_is_on_track(site, scenes):
    s = _summary(site, scenes, _plans(range(2021, 2026)))
    # the baseline is the year before the first plan year (2020), which is imaged
    assert set(s["baseline_year"]) == {2020}
    assert list(s.loc[[2019, 2020], "status"]) == ["no_target", "no_target"]
    assert s.loc[[2019, 2020], "target_ha"].isna().all()
    assert s.loc[2023, "status"] == "no_data"  # planned, but only a cloudy scene
    for year in (2021, 2022, 2024, 2025):
        assert s.loc[year, "target_ha"] == pytest.approx(0.4 * (year - 2020))
        assert s.loc[year, "detected_gain_ha"] == pytest.approx(0.4 * (year - 2020), rel=0.01)
        assert s.loc[year, "status"] == "on_track", year


def test_years_before_the_first_plan_year_have_no_target(site, scenes):
    s = _summary(site, scenes, _plans(range(2024, 2027)))
    assert (s.loc[2019:2022, "status"] == "no_target").all()
    assert s.loc[2019:2022, "target_ha"].isna().all()
    # 2023, the year before the plans, is cloudy: the baseline is the first clear year, 2019
    assert set(s["baseline_year"]) == {2019}
    assert s.loc[2024, "target_ha"] == pytest.approx(0.4)
    assert s.loc[2025, "target_ha"] == pytest.approx(0.8)
    assert s.loc[2025, "detected_gain_ha"] == pytest.approx(2.4, rel=0.01)  # since 2019
    assert s.loc[2025, "status"] == "ahead"


def test_a_year_after_the_last_plan_keeps_the_last_target(site, scenes):
    s = _summary(site, scenes, _plans([2021, 2022]))
    assert s.loc[2025, "target_ha"] == pytest.approx(0.8)
    assert s.loc[2022, "status"] == "on_track"


def test_plans_covering_every_imaged_year(site, scenes):
    s = _summary(site, scenes, _plans(YEARS))
    # no year before the plans is imaged: the first imaged year is the baseline, target 0 there
    assert s.loc[2019, "target_ha"] == 0 and s.loc[2019, "status"] == "no_target"
    for year in (2020, 2021, 2022, 2024, 2025):
        assert s.loc[year, "target_ha"] == pytest.approx(0.4 * (year - 2019))
        assert s.loc[year, "status"] == "on_track", year


def test_a_year_without_any_scene_is_no_data(site, scenes):
    without_2022 = [sc for sc in scenes if sc.date.year != 2022]
    s = _summary(site, without_2022, _plans(range(2021, 2026)))
    assert s.loc[2022, "status"] == "no_data" and s.loc[2022, "n_dates"] == 0
    assert s.loc[2022, "target_ha"] == pytest.approx(0.8)


# --- projections -------------------------------------------------------------------------------
def _traj(shares, target=0.6, start=2019):
    years = pd.DataFrame({"site_id": "S", "year": range(start, start + len(shares)),
                          "vegetated_share": shares})
    row = reclamation.trajectories(years, "site_id", target).iloc[0]
    return row["projected_year"], row["projection"]


def test_a_steady_rise_is_projected_to_the_year_it_reaches_the_target():
    year, why = _traj([0.1, 0.2, 0.3, 0.4, 0.5])
    assert (year, why) == (2024.0, "trend")


def test_no_projection_without_a_significant_upward_trend():
    assert _traj([0.3, 0.1, 0.35, 0.12, 0.3, 0.1]) == (pytest.approx(np.nan, nan_ok=True),
                                                        "no_upward_trend")
    assert _traj([0.2, 0.2, 0.2, 0.2])[1] == "no_upward_trend"


def test_no_projection_beyond_the_horizon():
    year, why = _traj([0.10, 0.11, 0.12, 0.13])
    assert np.isnan(year) and why == "beyond_horizon"  # 0.01/yr: 47 years to go


def test_reached_means_still_at_the_target():
    assert _traj([0.2, 0.4, 0.65, 0.7]) == (2021.0, "reached")
    year, why = _traj([0.7, 0.7, 0.3, 0.3, 0.3])  # reached once, lost since: not reached
    assert np.isnan(year) and why == "no_upward_trend"


def test_the_demo_publishes_no_absurd_projection(tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    manifest = og.samples.write_sample_scenes(tmp_path / "img", sites=sites)
    result = reclamation.progress(sites, og.imagery.read_manifest(manifest),
                                  plans=og.plans.read_plans(og.datasets.synthetic_plans_path()))
    s = result.summary
    last = int(s["year"].max())
    projected = s["projected_year"].dropna()
    assert projected.between(2019, last + reclamation.PROJECTION_HORIZON_YEARS).all()
    latest = s.sort_values("year").groupby("site_id").tail(1)
    disturbed = latest[latest["trajectory"] == "still_disturbed"]
    assert not (disturbed["projection"] == "trend").any() or \
        (disturbed.loc[disturbed["projection"] == "trend", "projected_year"] > last).all()
    plans = og.plans.read_plans(og.datasets.synthetic_plans_path())
    first = plans.groupby("mine_id")["year"].min()
    early = s[s["site_id"].isin(first.index)]
    early = early[early["year"] < early["site_id"].map(first)]
    assert (early["status"] == "no_target").all() and early["target_ha"].isna().all()
