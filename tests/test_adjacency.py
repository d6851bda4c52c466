import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import row_of_squares, sites_from_metric

from ordos_geo import adjacency


def test_links_within_the_gap_with_gap_and_shared_boundary():
    # squares 100 m: touching (0 m), 400 m, 600 m apart
    sites = sites_from_metric(row_of_squares([0.0, 400.0, 600.0]))
    g = adjacency.neighbour_graph(sites, gap_m=500)
    e = g.edges.set_index(["site_a", "site_b"])
    assert set(e.index) == {("S000", "S001"), ("S001", "S002")}
    assert e.loc[("S000", "S001"), "gap_m"] == pytest.approx(0.0, abs=0.01)
    assert e.loc[("S000", "S001"), "shared_m"] == pytest.approx(100.0, abs=2.5)  # one side
    assert not e.loc[("S000", "S001"), "overlap"]
    assert e.loc[("S001", "S002"), "gap_m"] == pytest.approx(400.0, abs=0.5)
    assert e.loc[("S001", "S002"), "shared_m"] == 0.0


def test_a_pit_inside_its_mine_overlaps_and_is_linked_by_mine_id():
    mine = shapely.box(0, 0, 1000, 1000)
    pit = shapely.box(200, 200, 400, 400)
    far_pit = shapely.box(5000, 0, 5100, 100)  # its dump lies 4 km away: still linked
    base = row_of_squares([0.0])[0]
    dx, dy = base.bounds[0], base.bounds[1]
    geoms = [shapely.affinity.translate(g, dx, dy) for g in (mine, pit, far_pit)]
    sites = sites_from_metric(geoms, ids=["M1", "P1", "D1"], kind=["mine", "pit", "dump"],
                              mine_id=[None, "M1", "M1"])
    g = adjacency.neighbour_graph(sites, gap_m=500)
    e = g.edges.set_index(["site_a", "site_b"])
    assert e.loc[("M1", "P1"), "overlap"] and e.loc[("M1", "P1"), "source"] == "mine_id"
    assert e.loc[("D1", "M1"), "source"] == "mine_id" and np.isnan(e.loc[("D1", "M1"), "gap_m"])
    assert ("D1", "P1") not in e.index


def test_graph_is_an_editable_value():
    sites = sites_from_metric(row_of_squares([100.0, 450.0]))  # S000-S002: 650 m, no link
    g = adjacency.neighbour_graph(sites, gap_m=500)
    assert g.neighbours("S001") == ["S000", "S002"]
    h = g.remove_link("S001", "S000").add_link("S002", "S000")
    assert len(g.edges) == 2 and g.neighbours("S001") == ["S000", "S002"]  # g is untouched
    assert h.neighbours("S001") == ["S002"]
    assert h.edges.set_index(["site_a", "site_b"]).loc[("S000", "S002"), "source"] == "manual"
    with pytest.raises(KeyError, match="no link"):
        h.remove_link("S000", "S001")
    with pytest.raises(KeyError, match="Unknown site"):
        h.add_link("S000", "NOPE")
    m = h.to_scipy()
    assert (m != m.T).nnz == 0 and m.sum() == 2 * len(h.edges)


def test_graph_round_trips_through_csv(tmp_path):
    sites = sites_from_metric(row_of_squares([50.0, 450.0, 700.0]))
    g = adjacency.neighbour_graph(sites, gap_m=500)
    path = tmp_path / "edges.csv"
    g.edges.to_csv(path, index=False)
    back = adjacency.graph_from_edges(sites, pd.read_csv(path), gap_m=500)
    pd.testing.assert_frame_equal(back.edges, g.edges, check_dtype=False)
    with pytest.raises(KeyError, match="not in the sites"):
        adjacency.graph_from_edges(sites.iloc[:2], pd.read_csv(path))


def test_edges_do_not_depend_on_row_order():
    sites = sites_from_metric(row_of_squares([10.0, 300.0, 0.0, 499.0, 501.0]))
    a = adjacency.neighbour_graph(sites, gap_m=500).edges
    b = adjacency.neighbour_graph(sites.iloc[::-1], gap_m=500).edges
    pd.testing.assert_frame_equal(a, b)


def test_bad_arguments():
    sites = sites_from_metric(row_of_squares([10.0]), ids=["A", "A"])
    with pytest.raises(ValueError, match="not unique"):
        adjacency.neighbour_graph(sites)
    with pytest.raises(ValueError, match="gap_m"):
        adjacency.neighbour_graph(sites_from_metric(row_of_squares([10.0])), gap_m=-1)
