"""Cut–fill balancing on small cases solvable by hand, against scipy's own HiGHS."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo.core.errors import ValidationError
from ordos_geo.joint.earthworks import balance


def test_two_dumps_two_pits_by_hand():
    # D1 next to P2 (1 km), D2 next to P1 (1 km), the crossings 5 km: each dump fills its
    # neighbour: 100 m³ × 1 km + 50 m³ × 1 km = 150 m³·km
    supply = pd.Series({"D1": 100.0, "D2": 50.0})
    demand = pd.Series({"P1": 50.0, "P2": 100.0})
    dist = pd.DataFrame({"P1": [5000.0, 1000.0], "P2": [1000.0, 5000.0]}, index=["D1", "D2"])
    out = balance(supply, demand=demand, distance_m=dist)
    got = {(r.from_site_id, r.to_site_id): r.volume_m3 for r in out.flows.itertuples()}
    assert got == pytest.approx({("D1", "P2"): 100.0, ("D2", "P1"): 50.0})
    assert out.joint_m3km == pytest.approx(150.0) and out.unbalanced_m3 == pytest.approx(0)


def test_joint_remediation_saves_against_each_mine_alone():
    # mine A has a dump and no pit, mine B a pit and no dump, 2 km apart; alone, A spoils its
    # 100 m³ 20 km away and B borrows 100 m³ from 20 km: 4000 m³·km; jointly 200 m³·km
    out = balance(pd.Series({"A-dump": 100.0}), demand=pd.Series({"B-pit": 100.0}),
                  distance_m=pd.DataFrame({"B-pit": [2000.0]}, index=["A-dump"]),
                  owner=pd.Series({"A-dump": "A", "B-pit": "B"}))
    assert out.joint_m3km == pytest.approx(200.0)
    assert out.separate_m3km == pytest.approx(4000.0)
    assert out.saving_pct == pytest.approx(95.0)


def test_surplus_is_spoiled_and_a_haul_limit_is_kept():
    supply = pd.Series({"D1": 150.0})
    demand = pd.Series({"P1": 100.0, "P2": 30.0})
    dist = pd.DataFrame({"P1": [3000.0], "P2": [9000.0]}, index=["D1"])
    out = balance(supply, demand=demand, distance_m=dist, haul_limit_m=5000)
    got = {(r.from_site_id, r.to_site_id): r.volume_m3 for r in out.flows.itertuples()}
    assert got == pytest.approx({("D1", "P1"): 100.0, ("outside", "P2"): 30.0,
                                 ("D1", "outside"): 50.0})
    assert out.borrowed_m3 == pytest.approx(30) and out.spoiled_m3 == pytest.approx(50)


def test_an_unsolvable_problem_is_explained():
    og.settings.lang = "en"
    dist = pd.DataFrame({"P1": [2000.0]}, index=["D1"])
    with pytest.raises(ValidationError, match="no solution.*haul limit"):
        balance(pd.Series({"D1": 10.0}), demand=pd.Series({"P1": 10.0}), distance_m=dist,
                haul_limit_m=1000, outside=False)
    with pytest.raises(ValidationError, match="lacks some dump"):
        balance(pd.Series({"D1": 10.0}), demand=pd.Series({"P1": 10.0}),
                distance_m=pd.DataFrame({"P1": [float("nan")]}, index=["D1"]))
    assert balance(pd.Series({"D1": 10.0}), demand=pd.Series({"P1": 10.0}), distance_m=dist,
                   outside=False).joint_m3km == pytest.approx(20.0)


def test_terrain_and_earthworks_commands_on_the_sample_dem(tmp_path, browser):
    """The seeded sample DEM over the synthetic sites, through the CLI."""
    from ordos_geo import cli

    dem = og.samples.write_sample_dem(tmp_path / "dem.tif", cell_m=20.0)
    sites = og.datasets.synthetic_sites_path()
    assert cli.main(["terrain", str(sites), "--dem", str(dem), "--out",
                     str(tmp_path / "t")]) == 0
    terrain = pd.read_csv(tmp_path / "t" / "terrain.csv")
    assert {"site_id", "mean_slope_deg", "max_slope_deg", "steep_ha", "flat_ha",
            "pit_volume_m3", "dump_volume_m3"} <= set(terrain.columns)
    measured = terrain.dropna(subset=["pit_volume_m3"])
    kinds = measured.merge(og.sites.read_sites(sites)[0][["site_id", "kind"]], on="site_id")
    pits, dumps = kinds[kinds["kind"] == "pit"], kinds[kinds["kind"] == "dump"]
    assert (pits["pit_volume_m3"] > pits["dump_volume_m3"]).all()  # dug, not heaped
    assert (dumps["dump_volume_m3"] > dumps["pit_volume_m3"]).all()
    assert cli.main(["earthworks", str(sites), "--dem", str(dem), "--out",
                     str(tmp_path / "e")]) == 0
    zones = pd.read_csv(tmp_path / "e" / "earthworks_zones.csv")
    assert {"zone_id", "joint_m3km", "separate_m3km", "saving_pct", "unbalanced_m3"} <= \
        set(zones.columns)
    assert (zones["joint_m3km"] <= zones["separate_m3km"] + 1e-6).all()  # never worse
    flows = pd.read_csv(tmp_path / "e" / "flows.csv")
    assert {"zone_id", "from_site_id", "to_site_id", "volume_m3", "distance_m"} <= \
        set(flows.columns)
    assert (tmp_path / "e" / "flows.geojson").exists()
    suited = pd.read_csv(tmp_path / "e" / "suitability.csv")
    assert {"zone_id", "best_use", "end_use", "agrees", "explanation", "score_pv"} <= \
        set(suited.columns)
    assert suited["best_use"].notna().any()
    from browser_helpers import open_offline

    page, errors, external, _ = open_offline(browser, tmp_path / "e" / "earthworks_map.html")
    widths = page.evaluate("""() => { var w = []; window.ordosLayers.flows.eachLayer(
        function (l) { w.push(l.options.weight); }); return w; }""")
    inside = flows[(flows["from_site_id"] != "outside") & (flows["to_site_id"] != "outside")]
    assert len(widths) == len(inside) and max(widths) > min(widths)  # width by volume
    assert errors == [] and external == []


def test_zone_sheets_one_page_per_zone(tmp_path):
    from ordos_geo import cli

    sites = og.datasets.synthetic_sites_path()
    dem = og.samples.write_sample_dem(tmp_path / "dem.tif", cell_m=40.0)
    assert cli.main(["zones", str(sites), "--max-zone-ha", "10000", "--out",
                     str(tmp_path / "z")]) == 0
    zones = og.zones.read_zones(tmp_path / "z" / "zones.geojson")
    some = zones[zones["zone_id"].str.contains("薛家湾")].head(4)  # four sheets are enough
    og.io.write_geojson(some, tmp_path / "some.geojson")
    assert cli.main(["zone-sheets", str(sites), "--zones", str(tmp_path / "some.geojson"),
                     "--dem", str(dem), "--out", str(tmp_path / "sheets")]) == 0
    pngs = sorted((tmp_path / "sheets").glob("*.png"))
    assert {p.stem for p in pngs} == set(some["zone_id"])
    pdf = (tmp_path / "sheets" / "zone_sheets.pdf").read_bytes()
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == len(some)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 10_000),
       st.sampled_from([None, 6000.0]), st.booleans())
def test_column_generation_equals_the_full_programme(ns, nd, seed, limit, outside):
    """Against scipy's HiGHS on every allowed haul at once (CANDIDATES 2: generation works)."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog

    from ordos_geo import earthworks

    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 20000, (ns, 2)), rng.uniform(0, 20000, (nd, 2))
    dist = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
    s = pd.Series(rng.uniform(10, 1000, ns), index=[f"D{k}" for k in range(ns)])
    d = pd.Series(rng.uniform(10, 1000, nd), index=[f"P{k}" for k in range(nd)])
    if not outside:  # balanced volumes and reachable pairs, else it is infeasible
        d = d * s.sum() / d.sum()
        limit = None
    allowed = np.ones_like(dist, bool) if limit is None else dist <= limit
    pairs = np.argwhere(allowed)
    nx = len(pairs)
    cost = np.r_[dist[allowed] / 1000, np.full(nd, 20.0), np.full(ns, 20.0)]
    rows = np.r_[pairs[:, 0], ns + pairs[:, 1], ns + np.arange(nd), np.arange(ns)]
    cols = np.r_[np.arange(nx), np.arange(nx), nx + np.arange(nd), nx + nd + np.arange(ns)]
    a_eq = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(ns + nd, nx + nd + ns))
    bounds = [(0, None)] * nx + [(0, None if outside else 0)] * (nd + ns)
    full = linprog(cost, A_eq=a_eq, b_eq=np.r_[s, d], bounds=bounds, method="highs")
    old, earthworks.CANDIDATES = earthworks.CANDIDATES, 2
    try:
        got = balance(s, demand=d, distance_m=pd.DataFrame(dist, index=s.index, columns=d.index),
                      haul_limit_m=limit, outside=outside)
    finally:
        earthworks.CANDIDATES = old
    assert got.joint_m3km == pytest.approx(full.fun, rel=1e-7, abs=1e-6)
