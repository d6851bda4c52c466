import os

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from scipy.sparse.csgraph import connected_components

import ordos_geo as og
from ordos_geo import adjacency, zones

from conftest import row_of_squares, sites_from_metric


EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))  # more in a long local run


def _partition(result) -> set[frozenset]:
    return {frozenset(ids.split(";")) for ids in result.zones["site_ids"]}


def test_known_partition_400_and_600_metres():
    # 100 m squares: S0 -400- S1 -600- S2 -400- S3 -400- S4 -600- S5
    sites = sites_from_metric(row_of_squares([400, 600, 400, 400, 600]))
    result = zones.build_zones(sites, gap_m=500)
    assert _partition(result) == {frozenset({"S000", "S001"}),
                                  frozenset({"S002", "S003", "S004"}), frozenset({"S005"})}
    assert list(result.sites.index) == list(sites.index)
    z = result.zones.set_index("zone_id")
    # ids readable and numbered west to east; outside the priority areas: 其他
    assert list(result.zones["zone_id"]) == sorted(result.zones["zone_id"])
    assert all(zid.startswith("准格尔旗-") for zid in z.index)
    assert z["n_sites"].sum() == 6
    assert z["sites_ha"].to_numpy() == pytest.approx([2.0, 3.0, 1.0], rel=1e-3)
    # the remediation area is closed over the gap: 2 squares + the 400 m x 100 m strip between
    assert z["area_ha"].iloc[0] == pytest.approx(6.0, rel=0.02)
    assert z["area_mu"].iloc[0] == pytest.approx(15 * z["area_ha"].iloc[0], abs=1e-3)


def test_size_band_splits_at_the_weakest_link_and_stays_contiguous():
    # five 1-ha squares; the 300 m link is the weakest; band 3 ha
    sites = sites_from_metric(row_of_squares([50, 50, 300, 50]))
    result = zones.build_zones(sites, gap_m=500, max_zone_ha=3.1)  # 3 squares: 3.0006 ha
    assert _partition(result) == {frozenset({"S000", "S001", "S002"}),
                                  frozenset({"S003", "S004"})}
    result = zones.build_zones(sites, gap_m=500, max_sites=2)
    assert all(n <= 2 for n in result.zones["n_sites"])


def test_a_single_site_larger_than_the_band_is_its_own_zone():
    big = shapely.box(0, 0, 2000, 2000)  # 400 ha
    base = row_of_squares([100, 100])
    dx, dy = base[0].bounds[0], base[0].bounds[1]
    geoms = base + [shapely.affinity.translate(big, dx, dy + 300)]
    result = zones.build_zones(sites_from_metric(geoms), gap_m=500, max_zone_ha=50)
    sizes = dict(zip(result.zones["site_ids"], result.zones["sites_ha"]))
    assert sizes["S003"] == pytest.approx(400, rel=1e-3)
    assert all(v <= 50 for k, v in sizes.items() if k != "S003")


def test_pits_stay_with_their_mine_even_when_far_or_over_the_band():
    base = row_of_squares([2000])
    sites = sites_from_metric(base, ids=["M1", "P1"], kind=["mine", "pit"], mine_id=[None, "M1"])
    result = zones.build_zones(sites, gap_m=500, max_zone_ha=1.0)
    assert _partition(result) == {frozenset({"M1", "P1"})}


def test_cross_banner_and_apart_and_cannot_link():
    geoms = row_of_squares([100, 100, 100, 100])
    sites = sites_from_metric(geoms, banner=["准格尔旗", "准格尔旗", "伊金霍洛旗", "伊金霍洛旗",
                                             "伊金霍洛旗"], zone_apart=[False] * 4 + [True])
    result = zones.build_zones(sites, gap_m=500)
    assert _partition(result) == {frozenset({"S000", "S001"}), frozenset({"S002", "S003"}),
                                  frozenset({"S004"})}
    assert set(result.zones["banner"]) == {"准格尔旗", "伊金霍洛旗"}
    crossed = zones.build_zones(sites, gap_m=500, cross_banner=True)
    assert frozenset({"S000", "S001", "S002", "S003"}) in _partition(crossed)
    split = zones.build_zones(sites, gap_m=500, cross_banner=True,
                              cannot_link=[("S000", "S003")])
    for members in _partition(split):
        assert not {"S000", "S003"} <= members


def test_islands_keep_attach_and_drop():
    # S0 -100- S1, then S2 alone 700 m away (beyond gap 500, within attach 1000)
    sites = sites_from_metric(row_of_squares([100, 700]))
    kept = zones.build_zones(sites, gap_m=500, islands="keep")
    assert frozenset({"S002"}) in _partition(kept)
    attached = zones.build_zones(sites, gap_m=500, islands="attach", attach_m=1000)
    assert _partition(attached) == {frozenset({"S000", "S001", "S002"})}
    too_far = zones.build_zones(sites, gap_m=500, islands="attach", attach_m=600)
    assert frozenset({"S002"}) in _partition(too_far)
    with pytest.raises(ValueError, match="not allowed"):
        zones.build_zones(sites, islands="drop")


def test_priority_area_and_town_distance():
    # squares next to Xuejiawan town (GeoNames 111.2208, 39.86678) inside 薛家湾/魏家茆
    sites = sites_from_metric(row_of_squares([100], origin=(111.2208, 39.86678)))
    z = zones.build_zones(sites).zones.iloc[0]
    assert z["priority_area"] == "薛家湾/魏家茆"
    assert z["zone_id"] == "准格尔旗-薛家湾-01"
    assert z["dist_town_km"] < 0.3


def test_an_edited_graph_is_used():
    sites = sites_from_metric(row_of_squares([100, 450]))
    graph = adjacency.neighbour_graph(sites, gap_m=500).remove_link("S001", "S002")
    assert _partition(zones.build_zones(sites, graph)) == {frozenset({"S000", "S001"}),
                                                           frozenset({"S002"})}
    with pytest.raises(ValueError, match="other sites"):
        zones.build_zones(sites.iloc[::-1], graph)


def test_embedded_data_every_site_once():
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = zones.build_zones(sites, max_zone_ha=8000)
    members = np.concatenate(result.zones["site_ids"].str.split(";").to_list())
    assert sorted(members) == sorted(sites["site_id"])
    assert result.sites["zone_id"].notna().all()
    parcels = result.sites[result.sites["mine_id"].notna()]
    mine_zone = result.sites.set_index("site_id")["zone_id"]
    assert (parcels["zone_id"].to_numpy() == mine_zone[parcels["mine_id"]].to_numpy()).all()


def test_sensitivity_table_and_plot():
    sites = sites_from_metric(row_of_squares([150, 350, 550, 750]))
    table = zones.sensitivity(sites, gaps=[100, 200, 400, 600, 800])
    assert list(table["n_zones"]) == [5, 4, 3, 2, 1]
    assert table["largest_zone_ha"].iloc[-1] == pytest.approx(5.0, rel=1e-3)
    import matplotlib

    matplotlib.use("Agg")
    ax = zones.plot_sensitivity(table)
    assert ax.get_xlabel().startswith("gap_m")


# --- properties ---------------------------------------------------------------------------------
@st.composite
def layouts(draw):
    n = draw(st.integers(2, 14))
    xs = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    sizes = draw(st.lists(st.sampled_from([50, 100, 200]), min_size=n, max_size=n))
    origin = row_of_squares([0])[0].bounds
    geoms = [shapely.box(origin[0] + x * 100, origin[1] + y * 100,
                         origin[0] + x * 100 + s, origin[1] + y * 100 + s)
             for x, y, s in zip(xs, ys, sizes)]
    gap = draw(st.sampled_from([0.0, 100.0, 250.0, 500.0]))
    band = draw(st.one_of(st.none(), st.sampled_from([2.0, 5.0, 12.0])))
    seed = draw(st.integers(0, 1000))
    return geoms, gap, band, seed


@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_zone_invariants(layout):
    geoms, gap, band, seed = layout
    sites = sites_from_metric(geoms)
    result = zones.build_zones(sites, gap_m=gap, max_zone_ha=band)
    z = result.zones
    # every site in exactly one zone; no site counted twice
    members = np.concatenate(z["site_ids"].str.split(";").to_list())
    assert sorted(members) == sorted(sites["site_id"]) and z["n_sites"].sum() == len(sites)
    # each zone connected under the gap
    graph = adjacency.neighbour_graph(sites, gap_m=gap)
    e = graph.edges
    for ids in z["site_ids"]:
        member = set(ids.split(";"))
        if len(member) == 1:
            continue
        inside = e[e["site_a"].isin(member) & e["site_b"].isin(member)]
        sub = adjacency.graph_from_edges(pd.Series(sorted(member)), inside)
        assert connected_components(sub.to_scipy(), directed=False)[0] == 1
    # the size band holds unless a single site is larger
    if band is not None:
        single = z["n_sites"] == 1
        assert (z.loc[~single, "sites_ha"] <= band * (1 + 1e-9)).all()
    # areas add up: zone site areas sum to the union of each zone's members, and the total is
    # at least the union of everything
    union_all = og.projection.area_ha(
        type(sites.geometry)([shapely.union_all(sites.geometry.values)], crs=4326)).iloc[0]
    assert z["sites_ha"].sum() >= union_all - 1e-4 * len(z)  # areas are rounded to 1 m²
    # the same sites in another row order give the same zones and ids
    shuffled = sites.sample(frac=1.0, random_state=seed)
    again = zones.build_zones(shuffled, gap_m=gap, max_zone_ha=band)
    a = result.sites.set_index("site_id")["zone_id"]
    b = again.sites.set_index("site_id")["zone_id"]
    assert (a.sort_index() == b.sort_index()).all()
    pd.testing.assert_frame_equal(
        result.zones.drop(columns="geometry"), again.zones.drop(columns="geometry"))
