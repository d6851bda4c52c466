"""Silent changes made loud, and answers that must not shift: the banner join after refused rows,
id spellings, repairs reported beside every command's outputs, polygon exports, corner-point
tables, ids that look like numbers."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from conftest import DALAD, JUNGAR, bowtie, site_frame, squares_metric
from hypothesis import given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo import cli

SITES = og.datasets.synthetic_sites_path()


# --- 4. the banner of each site comes from its own location, whatever was refused ---------------
def _two_banner_frame(n_jungar: int, n_dalad: int) -> gpd.GeoDataFrame:
    a, b = site_frame(n_jungar, origin=JUNGAR), site_frame(n_dalad, origin=DALAD)
    b["矿山编号"] = [f"D{i:02d}" for i in range(n_dalad)]
    frame = gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), geometry="geometry",
                             crs="EPSG:4490")
    frame["旗区"] = None
    return frame


@given(data=st.data(), n_a=st.integers(1, 8), n_b=st.integers(1, 8))
@settings(max_examples=60, deadline=None)
def test_banners_are_filled_from_each_sites_own_location(data, n_a, n_b):
    frame = _two_banner_frame(n_a, n_b)
    truth = ["准格尔旗"] * n_a + ["达拉特旗"] * n_b
    n = n_a + n_b
    faults = data.draw(st.lists(st.tuples(st.integers(0, n - 1),
                                          st.sampled_from(["null", "empty", "kind", "line"])),
                                max_size=n))
    for i, fault in faults:
        if fault == "null":
            frame.loc[i, "geometry"] = None
        elif fault == "empty":
            frame.loc[i, "geometry"] = shapely.Polygon()
        elif fault == "kind":
            frame.loc[i, "类型"] = "不知道"
        else:
            frame.loc[i, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    rows = data.draw(st.permutations(range(n)))  # any row order
    shuffled = frame.iloc[list(rows)].reset_index(drop=True)
    expected = [truth[r] for r in rows]
    sites, report = og.sites.sites_from_frame(shuffled, refused="report")
    refused = {i for i, _ in faults}
    assert set(sites.index) == {k for k, r in enumerate(rows) if r not in refused}
    for k, banner in sites["banner"].items():
        assert banner == expected[k]
    assert not (report["code"] == "banner_mismatch").any()


# --- 6. ids in one spelling; duplicates by any spelling -----------------------------------------
def test_ids_are_normalised_and_duplicates_found_across_spellings():
    frame = site_frame(6)
    frame["矿山编号"] = ["M01", "m01", "Ｍ０３", "M0\u200b4", "M05\ufeff", "0006"]
    sites, report = og.sites.sites_from_frame(frame, refused="report")
    assert list(sites["site_id"]) == ["M03", "M04", "M05", "0006"]
    dup = report[report["code"] == "id_duplicate"]
    assert set(dup["feature_id"]) == {"M01", "m01"}
    normalised = report[report["code"] == "id_normalised"]
    assert set(normalised["feature_id"]) == {"M03", "M04", "M05"}
    assert (normalised["severity"] == "repaired").all()


def test_a_parcel_finds_its_mine_through_a_full_width_mine_id():
    frame = site_frame(2)
    frame["类型"] = ["矿区", "采坑"]
    frame["所属矿山编号"] = [None, "Ｍ０１"]
    sites, report = og.sites.sites_from_frame(frame, refused="report")
    assert sites.loc[1, "mine_id"] == "M01"
    assert not (report["code"] == "mine_id_unknown").any()


# --- 6. every command that reads sites reports its repairs beside its outputs -------------------
def _repaired_sites(tmp):
    frame = site_frame(3)
    frame.loc[0, "geometry"] = gpd.GeoSeries([bowtie()], crs=og.projection.metric_crs()).to_crs(
        "EPSG:4490").iloc[0]
    frame["旗区"] = [None, "准格尔旗", "准格尔旗"]
    path = tmp / "repaired.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


def test_commands_print_and_write_the_repairs_they_made(tmp_path, capsys):
    sites = _repaired_sites(tmp_path)
    runs = {
        "zones": (["zones", sites, "--out", tmp_path / "z"], tmp_path / "z" / "validation_report.csv"),
        "map": (["map", sites, "--out", tmp_path / "m" / "x.html"],
                tmp_path / "m" / "x.validation.csv"),
        "export": (["export", sites, "--format", "gpkg", "--out", tmp_path / "e" / "x.gpkg"],
                   tmp_path / "e" / "x.validation.csv"),
    }
    for name, (argv, report_path) in runs.items():
        assert cli.main([str(a) for a in argv]) == 0, name
        out = capsys.readouterr().out
        assert "[repaired] M01 geometry" in out and "[repaired] M01 banner" in out, name
        report = pd.read_csv(report_path, encoding="utf-8-sig")
        assert {"geom_invalid_repaired", "banner_filled"} <= set(report["code"]), name
        assert str(report_path) in out


def test_a_clean_file_writes_no_report(tmp_path):
    assert cli.main(["zones", str(SITES), "--out", str(tmp_path / "z")]) == 0
    assert not (tmp_path / "z" / "validation_report.csv").exists()


# --- 6. exports keep polygons polygons ----------------------------------------------------------
def test_a_sliver_does_not_turn_a_polygon_into_a_geometry_collection(tmp_path):
    sq = squares_metric(JUNGAR, 1, 100.0, 0).iloc[0]
    x0, y0, _, _ = sq.bounds
    slot = shapely.box(x0 + 50, y0 - 1, x0 + 50.001, y0 + 99.999)  # 1 mm wide, nearly through
    g = sq.difference(slot)
    assert g.is_valid and g.geom_type == "Polygon"
    frame = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[g], crs=og.projection.metric_crs())
    og.io.write_geojson(frame, tmp_path / "s.geojson")
    written = json.loads((tmp_path / "s.geojson").read_text())["features"][0]["geometry"]
    assert written["type"] in ("Polygon", "MultiPolygon")
    back = gpd.read_file(tmp_path / "s.geojson")
    assert abs(og.projection.area_ha(back).iloc[0] - 1.0) < 1e-3
    og.io.write_shapefile(back, tmp_path / "s.shp")  # and the Shapefile export goes on
    assert pyogrio.read_info(tmp_path / "s.shp")["geometry_type"] in ("Polygon", "MultiPolygon")


# --- 6. corner-point tables: nothing dropped silently -------------------------------------------
def _corners(tmp, text):
    path = tmp / "c.csv"
    path.write_text("矿山编号,矿山名称,点号,X,Y\n" + text, encoding="utf-8")
    return og.sites.validate(path, kind="mine")


def test_a_corner_part_of_two_points_is_refused_not_dropped(tmp_path):
    result = _corners(tmp_path, "C1,甲,1,4400000,37500000\nC1,甲,2,4400000,37501000\n"
                                "C1,甲,3,4401000,37501000\nC1,甲,4,4401000,37500000\n"
                                "C2,乙,1,4410000,37500000\nC2,乙,2,4410000,37501000\n")
    c2 = result.report[(result.report["feature_id"] == "C2")
                       & (result.report["severity"] == "error")]
    assert list(c2["code"]) == ["corner_part_short"]  # one problem, said once
    assert list(result.sites["site_id"]) == ["C1"]
    assert abs(result.sites["area_ha"].iloc[0] - 100.0) < 0.1


def test_corner_point_numbers_repeated_or_clashing_are_reported(tmp_path):
    result = _corners(tmp_path, "C1,甲,1,4400000,37500000\nC1,甲,2,4400000,37501000\n"
                                "C1,甲,2,4400000,37501000\nC1,甲,3,4401000,37501000\n"
                                "C1,甲,4,4401000,37500000\n"
                                "C2,乙,1,4410000,37500000\nC2,乙,2,4410000,37501000\n"
                                "C2,乙,2,4411000,37501000\nC2,乙,3,4411000,37500000\n")
    report = result.report.set_index("code")
    assert report.loc["corner_point_repeated", "feature_id"] == "C1"
    assert report.loc["corner_point_clash", "feature_id"] == "C2"
    assert list(result.sites["site_id"]) == ["C1"]


def test_conflicting_attribute_rows_of_a_mine_are_reported(tmp_path):
    result = _corners(tmp_path, "C1,甲矿,1,4400000,37500000\nC1,乙矿,2,4400000,37501000\n"
                                "C1,甲矿,3,4401000,37501000\n")
    row = result.report[result.report["code"] == "corner_attr_conflict"].iloc[0]
    assert row["feature_id"] == "C1" and row["field"] == "矿山名称" and "乙矿" in row["problem"]
    assert result.sites["name"].iloc[0] == "甲矿"


# --- 6. ids are text everywhere -----------------------------------------------------------------
def test_ids_like_0001_stay_text_in_the_progress_map(tmp_path, capsys):
    frame = site_frame(2)
    frame["矿山编号"] = ["0001", "0002"]
    sites_path = tmp_path / "s.gpkg"
    pyogrio.write_dataframe(frame, sites_path, driver="GPKG")
    (tmp_path / "p.csv").write_text("site_id,year,vegetated_share,status,trajectory\n"
                                    "0001,2020,0.1,on_track,recovering\n"
                                    "0001,2021,0.4,on_track,recovering\n"
                                    "0002,2021,0.5,behind,still_disturbed\n", encoding="utf-8")
    summary = og.reclamation.read_summary(tmp_path / "p.csv")
    assert list(summary["site_id"]) == ["0001", "0001", "0002"]
    assert cli.main(["map", str(sites_path), "--progress", str(tmp_path / "p.csv"),
                     "--out", str(tmp_path / "p.html")]) == 0
    page = (tmp_path / "p.html").read_text("utf-8")
    spec = og.maps.read_page_data(page)  # the packed layers decoded as the page does
    layer = next(layer for layer in spec["layers"] if layer["key"] == "progress")
    assert len(layer["geojson"]["features"]) == 2
    ids = [f["properties"]["t"][0] for f in layer["geojson"]["features"]]
    assert ids == ["0001", "0002"]
    assert np.isclose(layer["geojson"]["features"][0]["properties"]["s2021"], 0.4)
