import os

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import row_of_squares, sites_from_metric
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from ordos_geo import adjacency, zones

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


def test_size_band_bounds_the_closed_remediation_area():
    # five 1-ha squares 50 m apart but one 300 m link; the closed area of k squares in a row is
    # k ha + (k - 1) strips of 50 m x 100 m (0.5 ha): 2 -> 2.5 ha, 3 -> 4.0 ha
    sites = sites_from_metric(row_of_squares([50, 50, 300, 50]))
    result = zones.build_zones(sites, gap_m=500, max_zone_ha=4.1)
    assert _partition(result) == {frozenset({"S000", "S001", "S002"}),
                                  frozenset({"S003", "S004"})}
    assert result.zones["area_ha"].max() <= 4.1
    # with 3.1 ha three squares (4.0 ha closed) no longer fit, though their sites cover 3 ha
    tight = zones.build_zones(sites, gap_m=500, max_zone_ha=3.1)
    assert _partition(tight) == {frozenset({"S000", "S001"}), frozenset({"S002"}),
                                 frozenset({"S003", "S004"})}
    assert tight.zones["area_ha"].max() == pytest.approx(2.5, rel=0.01)
    result = zones.build_zones(sites, gap_m=500, max_sites=2)
    assert all(n <= 2 for n in result.zones["n_sites"])


def test_a_refused_strong_link_does_not_block_a_valid_weaker_join():
    # A 7 ha touches B 6 ha; C 3 ha lies 10 m above A and 29.7 m above B. A+B and A+C break the
    # 9.5 ha band; B+C (9 ha + a 0.32 ha strip) fits. Joining along the spanning tree only
    # (A-B, A-C) left all three alone; every link in order of strength joins B and C.
    import math

    o = row_of_squares([0])[0].bounds
    sa, sb, sc = math.sqrt(7e4), math.sqrt(6e4), math.sqrt(3e4)
    x0, y0 = o[0], o[1]
    a = shapely.box(x0, y0, x0 + sa, y0 + sa)
    b = shapely.box(x0 + sa, y0, x0 + sa + sb, y0 + sb)
    c = shapely.box(x0 + 200, y0 + sa + 10, x0 + 200 + sc, y0 + sa + 10 + sc)
    sites = sites_from_metric([a, b, c], ids=["A", "B", "C"])
    result = zones.build_zones(sites, gap_m=50, max_zone_ha=9.5)
    assert _partition(result) == {frozenset({"A"}), frozenset({"B", "C"})}
    z = result.zones.set_index("site_ids")
    assert z.loc["B;C", "area_ha"] == pytest.approx(9.0 + 108.6 * 29.7 / 1e4, abs=0.05)


def test_zone_apart_keeps_a_mine_with_its_parcels_and_apart_from_others():
    geoms = row_of_squares([100, 100, 100])
    sites = sites_from_metric(geoms, ids=["M1", "P1", "M2", "M3"],
                              kind=["mine", "pit", "mine", "mine"],
                              mine_id=[None, "M1", None, None],
                              zone_apart=[True, False, False, False])
    result = zones.build_zones(sites, gap_m=500)
    # P1 touches M2's reach, but its mine is apart: the pit stays with M1, both apart
    assert _partition(result) == {frozenset({"M1", "P1"}), frozenset({"M2", "M3"})}


def test_attach_goes_to_the_nearest_zone_whatever_the_row_order():
    # zone A: S000 -100- S001 ; zone B: S002 -100- S003, 2.6 km east. An isolated mine M (990 m
    # from A) has a pit P (1.3 km from M) that is 721 m from B: the unit's nearest zone is B.
    geoms = row_of_squares([100, 2600, 100])
    x0, y0 = geoms[0].bounds[0], geoms[0].bounds[1]
    mine = shapely.box(x0 + 1000, y0 + 800, x0 + 1100, y0 + 900)
    pit = shapely.box(x0 + 2400, y0 + 700, x0 + 2500, y0 + 800)
    sites = sites_from_metric(geoms + [mine, pit],
                              ids=["S000", "S001", "S002", "S003", "M", "P"],
                              kind=["mine"] * 5 + ["pit"], mine_id=[None] * 5 + ["M"])
    assert shapely.distance(pit, geoms[2]) < shapely.distance(mine, geoms[1])
    for seed in range(8):
        shuffled = sites.sample(frac=1.0, random_state=seed)
        result = zones.build_zones(shuffled, gap_m=500, islands="attach", attach_m=3000)
        assert frozenset({"S002", "S003", "M", "P"}) in _partition(result), seed


# --- properties over every mode ------------------------------------------------------------------
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
    # parcels: some sites are pits or dumps of an earlier mine
    mine_of = [None] * n
    for i in range(1, n):
        if draw(st.booleans()) and draw(st.booleans()):
            j = draw(st.integers(0, i - 1))
            mine_of[i] = j if mine_of[j] is None else mine_of[j]
    apart = [draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
             if mine_of[i] is None else False for i in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3))
    unit = [i if mine_of[i] is None else mine_of[i] for i in range(n)]
    pairs = sorted({(min(a, b), max(a, b)) for a, b in pairs if unit[a] != unit[b]})
    return {"geoms": geoms, "mine_of": mine_of, "apart": apart, "pairs": pairs,
            "gap": draw(st.sampled_from([0.0, 100.0, 250.0, 500.0])),
            "band": draw(st.one_of(st.none(), st.sampled_from([2.0, 5.0, 12.0]))),
            "max_sites": draw(st.one_of(st.none(), st.sampled_from([2, 4]))),
            "islands": draw(st.sampled_from(["keep", "attach"])),
            "attach_m": draw(st.sampled_from([300.0, 1500.0])),
            "seed": draw(st.integers(0, 1000))}


def _layout_sites(lay):
    n = len(lay["geoms"])
    ids = [f"S{i:03d}" for i in range(n)]
    return sites_from_metric(
        lay["geoms"], ids=ids,
        kind=["mine" if m is None else "pit" for m in lay["mine_of"]],
        mine_id=[None if m is None else ids[m] for m in lay["mine_of"]],
        zone_apart=list(lay["apart"]))


@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_zone_invariants_in_every_mode(lay):
    sites = _layout_sites(lay)
    ids = list(sites["site_id"])
    cannot = [(ids[a], ids[b]) for a, b in lay["pairs"]]
    options = dict(gap_m=lay["gap"], max_zone_ha=lay["band"], max_sites=lay["max_sites"],
                   islands=lay["islands"], attach_m=lay["attach_m"], cannot_link=cannot)
    result = zones.build_zones(sites, **options)
    z = result.zones
    zone_of = result.sites.set_index("site_id")["zone_id"]
    # every site in exactly one zone; no site counted twice
    members = np.concatenate(z["site_ids"].str.split(";").to_list())
    assert sorted(members) == sorted(ids) and z["n_sites"].sum() == len(sites)
    # a parcel lies in its mine's zone; cannot-link pairs never share one
    for i, m in enumerate(lay["mine_of"]):
        if m is not None:
            assert zone_of[ids[i]] == zone_of[ids[m]]
    for a, b in cannot:
        assert zone_of[a] != zone_of[b]
    # a zone_apart mine's zone is its unit: the mine and its parcels, nothing else
    unit = {ids[i]: ids[i] if m is None else ids[m] for i, m in enumerate(lay["mine_of"])}
    for i, flag in enumerate(lay["apart"]):
        if flag:
            mates = set(z.loc[z["zone_id"] == zone_of[ids[i]], "site_ids"].iloc[0].split(";"))
            assert mates == {s for s in ids if unit[s] == ids[i]}
    # each zone connected: under the gap (and mine links), or within attach_m for islands
    reach = max(lay["gap"], lay["attach_m"]) if lay["islands"] == "attach" else lay["gap"]
    e = adjacency.neighbour_graph(sites, gap_m=reach).edges
    for group in z["site_ids"]:
        member = set(group.split(";"))
        if len(member) > 1:
            inside = e[e["site_a"].isin(member) & e["site_b"].isin(member)]
            sub = adjacency.graph_from_edges(pd.Series(sorted(member)), inside)
            assert connected_components(sub.to_scipy(), directed=False)[0] == 1
    # the band bounds area_ha (the closed remediation area) and the count, unless the zone is
    # a single unit (a mine and its parcels) that is larger on its own
    for row in z.itertuples():
        if len({unit[s] for s in row.site_ids.split(";")}) == 1:
            continue
        if lay["band"] is not None:
            assert row.area_ha <= lay["band"] + 1e-4  # areas are rounded to 1 m²
        if lay["max_sites"] is not None:
            assert row.n_sites <= lay["max_sites"]
    # the same sites in another row order give the same zones and ids
    shuffled = sites.sample(frac=1.0, random_state=lay["seed"])
    again = zones.build_zones(shuffled, **options)
    a = result.sites.set_index("site_id")["zone_id"].sort_index()
    b = again.sites.set_index("site_id")["zone_id"].sort_index()
    assert (a == b).all()
    pd.testing.assert_frame_equal(
        result.zones.drop(columns="geometry"), again.zones.drop(columns="geometry"))


@st.composite
def crowded(draw):
    """Sites crowded within 1.3 km (overlapping, touching, a gap apart) and where the band
    falls between the summed hectares of the largest zone's sites and its closed area."""
    n = draw(st.integers(3, 16))
    origin = row_of_squares([0])[0].bounds
    geoms = []
    for _ in range(n):
        x, y = draw(st.integers(0, 7)), draw(st.integers(0, 7))
        w, h = draw(st.sampled_from([60, 100, 190])), draw(st.sampled_from([60, 120, 170]))
        geoms.append(shapely.box(origin[0] + x * 160, origin[1] + y * 160,
                                 origin[0] + x * 160 + w, origin[1] + y * 160 + h))
    return ({"geoms": geoms, "mine_of": [None] * n, "apart": [False] * n, "pairs": [],
             "gap": draw(st.sampled_from([0.0, 80.0, 150.0, 300.0])),
             "max_sites": draw(st.sampled_from([None, None, None, 4])),
             "islands": draw(st.sampled_from(["keep", "attach"])), "attach_m": 300.0},
            -draw(st.floats(0.0, 1.05)))


@hsettings(max_examples=4 * EXAMPLES, deadline=None,
           suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(crowded(), st.tuples(layouts(), st.sampled_from([1.5, 2.5, 4.0]))))
def test_the_bounds_that_skip_closings_never_change_a_zone(case):
    """The band's shortcuts (sums of grown areas, hulls, the grown union, the shrunk union alone)
    decide only what the exact closed area would decide: with every bound disabled, so that
    every join near the band is closed and measured, the zones are the same."""
    from unittest import mock

    from ordos_geo.zoning import _bands

    lay, band = case
    sites = _layout_sites(lay)
    ids = list(sites["site_id"])
    if band <= 0:  # crowded: between the largest zone's summed site hectares and closed area
        free = zones.build_zones(sites, gap_m=lay["gap"])
        largest = free.zones.sort_values("area_ha").iloc[-1]
        summed = free.sites.loc[free.sites["zone_id"] == largest["zone_id"], "area_ha"].sum()
        band = summed + (largest["area_ha"] - summed) * -band
    options = dict(gap_m=lay["gap"], max_zone_ha=band, max_sites=lay["max_sites"],
                   islands=lay["islands"], attach_m=lay["attach_m"],
                   cannot_link=[(ids[a], ids[b]) for a, b in lay["pairs"]])
    fast = zones.zone_members(sites, **options)[0]
    never = mock.patch.object(_bands, "fits", lambda upper, limit: False)
    huge = mock.patch.object(_bands, "grown_ha", lambda m, groups, gap: np.full(len(groups), 1e12))
    with never, huge, mock.patch.object(_bands, "hull_ha",
                                        lambda m, groups: np.full(len(groups), 1e12)):
        slow = zones.zone_members(sites, **options)[0]
    assert (fast == slow).all()


# --- interactive re-zoning: the planner's answers are build_zones's ------------------------------
@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), st.sampled_from([0.0, 100.0, 250.0, 333.3, 500.0, 1000.0]),
       st.booleans())
def test_the_planner_gives_build_zones_answers_in_every_mode(lay, gap, cross_banner):
    sites = _layout_sites(lay)
    ids = list(sites["site_id"])
    cannot = [(ids[a], ids[b]) for a, b in lay["pairs"]]
    options = dict(max_zone_ha=lay["band"], max_sites=lay["max_sites"],
                   islands=lay["islands"], attach_m=lay["attach_m"], cannot_link=cannot,
                   cross_banner=cross_banner)
    plan = zones.Planner(sites, max_gap_m=1000.0)
    pd.testing.assert_frame_equal(plan.graph(gap_m=gap).edges,  # an empty table's dtypes
                                  adjacency.neighbour_graph(sites, gap_m=gap).edges,
                                  check_dtype=False)
    plan.zones(gap_m=gap)  # an earlier zoning fills the planner's cache: answers stay the same
    plan.zones(gap_m=gap, max_zone_ha=2.0, max_sites=2)
    mine = plan.zones(gap_m=gap, **options)
    theirs = zones.build_zones(sites, gap_m=gap, **options)
    pd.testing.assert_frame_equal(mine.sites, theirs.sites)
    pd.testing.assert_frame_equal(mine.zones.drop(columns="geometry"),
                                  theirs.zones.drop(columns="geometry"))
    assert mine.zones.geometry.geom_equals_exact(theirs.zones.geometry, 1e-9).all()
    assert mine.parameters == theirs.parameters
    pd.testing.assert_frame_equal(mine.graph.edges, theirs.graph.edges, check_dtype=False)


def test_the_planner_refuses_a_gap_beyond_its_graph():
    sites = _layout_sites({"geoms": row_of_squares([300]), "mine_of": [None, None],
                           "apart": [False, False]})
    plan = zones.Planner(sites, max_gap_m=400)
    assert len(plan.graph(gap_m=400).edges) == 1 and len(plan.graph(gap_m=299).edges) == 0
    with pytest.raises(ValueError, match="max_gap_m"):
        plan.zones(gap_m=500)
    pd.testing.assert_frame_equal(plan.sensitivity(gaps=[100, 300, 400]),
                                  zones.sensitivity(sites, gaps=[100, 300, 400]))


def test_zone_areas_count_overlaps_once_and_sum_what_does_not_overlap():
    """A 100 ha mine with two overlapping pits inside it, a dump touching the mine outside and a
    separate ownerless site: sites_ha, disturbed_ha and pit_ha are the equal-area areas of the
    unions (overlaps once), whether a part is summed or unioned."""
    import geopandas as gpd

    from ordos_geo.core import projection

    o = gpd.GeoSeries([shapely.Point(111.0, 39.8)], crs="EPSG:4326").to_crs(
        projection.metric_crs()).iloc[0]
    x, y = o.x, o.y
    mine = shapely.box(x, y, x + 1000, y + 1000)
    pit_a = shapely.box(x + 100, y + 100, x + 500, y + 500)
    pit_b = shapely.box(x + 300, y + 300, x + 700, y + 700)  # overlaps pit_a by 200 × 200 m
    dump = shapely.box(x + 1000, y, x + 1300, y + 300)  # touches the mine
    lone = shapely.box(x + 1400, y, x + 1600, y + 200)  # ownerless, 100 m away
    sites = sites_from_metric([mine, pit_a, pit_b, dump, lone],
                              ids=["M1", "P1", "P2", "D1", "O1"],
                              kind=["mine", "pit", "pit", "dump", "mine"],
                              status=["producing", "producing", "producing", "producing",
                                      "ownerless"],
                              mine_id=[None, "M1", "M1", "M1", None])
    (zone,) = zones.build_zones(sites, gap_m=500).zones.itertuples()

    def ha(*geoms):
        return float(projection.area_ha(gpd.GeoSeries([shapely.union_all(geoms)],
                                                      crs=projection.metric_crs())).iloc[0])

    assert zone.sites_ha == pytest.approx(ha(mine, pit_a, pit_b, dump, lone), abs=1e-3)
    assert zone.disturbed_ha == pytest.approx(ha(pit_a, pit_b, dump, lone), abs=1e-3)
    assert zone.pit_ha == pytest.approx(ha(pit_a, pit_b), abs=1e-3)
    assert zone.pit_ha == pytest.approx(28.0, rel=0.002)  # 16 + 16 − 4 ha, not 32
    assert zone.sites_ha == pytest.approx(113.0, rel=0.002)  # the pits inside the mine: once
