import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import bowtie, site_frame, write_shapefile

import ordos_geo as og
from ordos_geo import sites
from ordos_geo.core.errors import ValidationError
from ordos_geo.sites import CANONICAL_FIELDS, REPORT_COLUMNS


def _write(frame, path, **kw):
    if str(path).endswith(".shp"):
        return write_shapefile(frame, path, encoding=kw.pop("encoding", "GBK"), **kw)
    frame.to_file(path)
    return path


def _codes(report, feature_id=None):
    rows = report if feature_id is None else report[report["feature_id"] == feature_id]
    return set(rows["code"])


def test_chinese_fields_and_values_map_onto_the_schema(tmp_path):
    path = _write(site_frame(), tmp_path / "mines.shp", cpg=False, ldid=0)
    out, report = sites.read_sites(path)
    assert list(out.columns[: len(CANONICAL_FIELDS)]) == CANONICAL_FIELDS
    assert list(out["site_id"]) == ["M01", "M02", "M03"]
    assert list(out["name"]) == ["测试煤矿1号", "测试煤矿2号", "测试煤矿3号"]
    assert list(out["status"]) == ["producing", "ownerless", "suspended"]
    assert set(out["method"]) == {"open_pit"} and set(out["kind"]) == {"mine"}
    assert set(out["banner"]) == {"准格尔旗"}
    # 生产规模 is in 万吨/年: 120 万吨 = 1.2 Mt
    assert out["capacity_mtpa"].tolist() == pytest.approx([1.20, 1.21, 1.22])
    assert list(out["备注"]) == ["额外字段"] * 3  # extra fields kept as they are
    assert out["area_ha"].to_numpy() == pytest.approx(1.0, rel=5e-4)  # 100 m squares
    assert out.crs.to_epsg() == 4326
    assert list(report.columns) == REPORT_COLUMNS
    assert set(report["severity"]) <= {"info"}


def test_shapefile_names_truncated_in_utf8_are_recognised(tmp_path):
    frame = site_frame().rename(columns={"矿山编号": "所属矿山编号"})
    frame["矿山编号"] = ["P1", "P2", "P3"]
    frame["类型"] = "采坑"
    path = write_shapefile(frame, tmp_path / "pits.shp", encoding="UTF-8")
    out, _ = sites.read_sites(path)
    assert list(out["site_id"]) == ["P1", "P2", "P3"]
    assert list(out["mine_id"]) == ["M01", "M02", "M03"]
    assert list(out["kind"]) == ["pit"] * 3


def test_zone_prefixed_and_plain_gauss_kruger_give_the_same_sites(tmp_path):
    frame = site_frame()
    prefixed = _write(frame.to_crs("EPSG:4525"), tmp_path / "gk37.shp")
    plain = _write(frame.to_crs("EPSG:4546"), tmp_path / "cm111.shp")
    a, _ = sites.read_sites(prefixed)
    b, _ = sites.read_sites(plain)
    truth = shapely.normalize(frame.to_crs(4326).geometry.values)
    for got in (a, b):
        assert shapely.equals_exact(shapely.normalize(got.geometry.values), truth, 1e-9).all()


def test_layer_without_crs_is_refused_with_a_zone_hint(tmp_path):
    path = _write(site_frame().to_crs("EPSG:4525"), tmp_path / "noprj.shp", prj=False)
    res = sites.validate(path)
    assert not res.usable and res.kept == 0 and res.refused == 3
    row = res.report[res.report["code"] == "crs_missing"].iloc[0]
    assert row["feature_id"] == "*" and row["field"] == "crs"
    assert "EPSG:4525" in row["problem"] and "--crs" in row["problem"]
    # declaring it fixes it
    assert sites.validate(path, crs="EPSG:4525").usable


def test_plain_gk_without_crs_explains_the_ambiguity(tmp_path):
    path = _write(site_frame().to_crs("EPSG:4546"), tmp_path / "noprj.shp", prj=False)
    with og.settings.context(lang="en"):
        res = sites.validate(path)
    text = res.report.loc[res.report["code"] == "crs_missing", "problem"].iloc[0]
    assert "EPSG:4545" in text and "EPSG:4546" in text


def test_prefixed_coordinates_under_a_plain_crs(tmp_path):
    path = _write(site_frame().to_crs("EPSG:4525"), tmp_path / "wrong.shp")
    prj = path.with_suffix(".prj")
    prj.write_text(og.projection.CRS.from_epsg(4546).to_wkt("WKT1_ESRI"))
    res = sites.validate(path)
    row = res.report[res.report["code"] == "gk_prefix_mismatch"].iloc[0]
    assert "EPSG:4525" in row["problem"] and res.kept == 0


def test_unknown_crs(tmp_path):
    path = _write(site_frame(), tmp_path / "m.geojson")
    res = sites.validate(path, crs="EPSG:123456789")
    assert "crs_unknown" in _codes(res.report) and res.kept == 0


def test_swapped_and_projected_coordinates_get_hints(tmp_path):
    frame = site_frame(3)
    swapped = shapely.transform(frame.to_crs(4326).geometry.iloc[0], lambda xy: xy[:, ::-1])
    metres = frame.to_crs("EPSG:4525").geometry.iloc[1]
    frame = frame.to_crs(4326)
    frame.loc[0, "geometry"] = swapped
    frame.loc[1, "geometry"] = metres  # metres in a lon/lat file
    path = _write(frame, tmp_path / "mixed.geojson")
    with og.settings.context(lang="en"):
        res = sites.validate(path)
    rep = res.report.set_index("feature_id")
    assert "swapped" in rep.loc["M01", "problem"]
    assert "projected metres" in rep.loc["M02", "problem"]
    assert res.kept == 1 and list(res.sites["site_id"]) == ["M03"]


def test_outside_ordos_is_refused(tmp_path):
    frame = site_frame(2)
    frame.loc[1, "geometry"] = shapely.box(116.3, 39.9, 116.31, 39.91)  # Beijing
    res = sites.validate(_write(frame.to_crs(4326), tmp_path / "m.geojson"))
    assert _codes(res.report, "M02") == {"outside_ordos"}
    assert list(res.sites.index) == [0]


def test_bowtie_is_repaired_and_reported_with_its_areas(tmp_path):
    frame = site_frame(2)
    frame = frame.to_crs(og.projection.metric_crs())
    frame.loc[1, "geometry"] = bowtie(size_m=100.0)
    path = _write(frame.to_crs(4326), tmp_path / "bow.geojson")
    with og.settings.context(lang="en"):
        res = sites.validate(path)
    assert res.usable and res.kept == 2 and res.repaired == 1
    row = res.report[res.report["code"] == "geom_invalid_repaired"].iloc[0]
    assert row["feature_id"] == "M02" and row["action"] == "repaired"
    assert "Self-intersection" in row["problem"]
    # the two triangles of a bow-tie over a 1 ha square cover half of it
    assert res.sites.loc[1, "area_ha"] == pytest.approx(0.5, rel=1e-3)
    after = float(row["problem"].split("→")[1].split("ha")[0])
    assert after == pytest.approx(0.5, rel=1e-3)


@pytest.mark.parametrize("geom,code", [
    (None, "geom_null"),
    (shapely.Polygon(), "geom_empty"),
    (shapely.Point(111.2, 39.8), "geom_point"),
    (shapely.LineString([(111.2, 39.8), (111.21, 39.81)]), "geom_wrong_type"),
])
def test_unusable_geometries_are_refused(tmp_path, geom, code):
    frame = site_frame(2).to_crs(4326)
    frame = gpd.GeoDataFrame(frame.drop(columns="geometry"),
                             geometry=[frame.geometry.iloc[0], geom], crs=4326)
    res = sites.validate(_write(frame, tmp_path / "g.gpkg"))
    assert _codes(res.report, "M02") == {code}
    assert res.kept == 1 and res.refused == 1


def test_duplicate_ids_refuse_every_copy(tmp_path):
    frame = site_frame(3)
    frame.loc[2, "矿山编号"] = "M01"
    res = sites.validate(_write(frame, tmp_path / "d.geojson"))
    dup = res.report[res.report["code"] == "id_duplicate"]
    assert sorted(dup["feature_index"].tolist()) == [0, 2]
    assert list(res.sites["site_id"]) == ["M02"]


def test_missing_required_fields(tmp_path):
    # (without the mining-right fields, which would make every feature a mine)
    frame = site_frame(2).drop(columns=["矿山编号", "类型", "采矿权人", "生产规模"])
    res = sites.validate(_write(frame, tmp_path / "m.geojson"))
    missing = res.report[res.report["code"] == "field_missing"]
    assert set(missing["field"]) == {"site_id", "kind"}
    assert (missing["feature_id"] == "*").all()
    with og.settings.context(lang="en"):
        text = sites.validate(_write(frame, tmp_path / "m.geojson")).report
    assert "--kind" in text.loc[text["field"] == "kind", "problem"].iloc[0]


def test_kind_option_fills_a_file_of_one_kind(tmp_path):
    frame = site_frame(2).drop(columns=["类型"])
    res = sites.validate(_write(frame, tmp_path / "m.geojson"), kind="pit")
    assert res.usable and list(res.sites["kind"]) == ["pit", "pit"]


def test_bad_values_name_feature_and_field(tmp_path):
    frame = site_frame(3)
    frame["矿山状态"] = ["生产", "倒闭了", "停产"]
    frame["生产规模"] = ["120", "很多", "-3"]
    frame["旗区"] = ["准格尔旗", "准格尔旗", "北京市"]
    res = sites.validate(_write(frame, tmp_path / "v.geojson"))
    rep = res.report
    bad_status = rep[(rep["feature_id"] == "M02") & (rep["field"] == "status")].iloc[0]
    assert bad_status["code"] == "value_not_allowed" and "'倒闭了'" in bad_status["problem"]
    assert "ownerless" in bad_status["problem"]  # lists the allowed values
    assert set(rep.loc[rep["feature_id"] == "M02", "code"]) == {"value_not_allowed", "value_bad_type"}
    assert set(rep.loc[rep["feature_id"] == "M03", "code"]) == {"value_negative", "value_not_allowed"}
    assert list(res.sites["site_id"]) == ["M01"]
    assert all(rep["file"] == str(tmp_path / "v.geojson"))


def test_banner_is_filled_from_location_and_checked(tmp_path):
    frame = site_frame(2)
    frame["旗区"] = [None, "达拉特旗"]  # both sites lie in Jungar
    res = sites.validate(_write(frame, tmp_path / "b.geojson"))
    assert list(res.sites["banner"]) == ["准格尔旗", "达拉特旗"]
    assert _codes(res.report, "M01") == {"banner_filled"}
    assert _codes(res.report, "M02") == {"banner_mismatch"}
    assert res.usable


def test_gcj02_option_moves_sites_about_half_a_kilometre(tmp_path):
    frame = site_frame(1).to_crs(4326)
    path = _write(frame, tmp_path / "amap.geojson")
    plain, _ = sites.read_sites(path)
    shifted, report = sites.read_sites(path, gcj02=True)
    a = og.projection.to_metric(plain.geometry).centroid.iloc[0]
    b = og.projection.to_metric(shifted.geometry).centroid.iloc[0]
    assert 400 < a.distance(b) < 700
    assert "gcj02_converted" in set(report["code"])


def test_every_feature_is_accounted_for(tmp_path):
    frame = site_frame(6)
    frame.loc[1, "geometry"] = None
    frame.loc[3, "矿山编号"] = None
    frame.loc[4, "类型"] = "飞机场"
    res = sites.validate(_write(frame, tmp_path / "all.geojson"))
    refused = set(res.report.loc[res.report["severity"] == "error", "feature_index"].dropna())
    assert refused == {1, 3, 4}
    assert set(res.sites.index) | refused == set(range(6))
    assert res.total == 6 and res.kept + res.refused == 6


def test_raise_mode_carries_the_whole_report(tmp_path):
    frame = site_frame(2)
    frame.loc[0, "类型"] = "飞机场"
    frame.loc[1, "geometry"] = None
    with pytest.raises(ValidationError) as info:
        sites.read_sites(_write(frame, tmp_path / "r.geojson"))
    assert set(info.value.report["code"]) >= {"value_not_allowed", "geom_null"}
    assert "M01" in str(info.value) and "M02" in str(info.value)


def test_unreadable_file_is_a_report_row_not_a_traceback(tmp_path):
    bad = tmp_path / "broken.geojson"
    bad.write_text("{not json")
    res = sites.validate(bad)
    assert not res.usable
    assert res.report.iloc[0]["feature_id"] == "*"
    assert "broken.geojson" in res.report.iloc[0]["problem"]


def test_input_frame_is_not_modified_and_index_is_positional():
    frame = site_frame(3).to_crs(4326)
    frame.index = [10, 20, 30]
    before = frame.copy()
    out, _ = sites.sites_from_frame(frame, crs=frame.crs)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == [0, 1, 2]


def test_corner_point_csv_through_read_sites(tmp_path):
    pts = [(37_499_500, 4_400_000), (37_500_500, 4_400_000), (37_500_500, 4_401_000),
           (37_499_500, 4_401_000)]
    rows = [{"矿山编号": "CP1", "点号": i + 1, "X": n, "Y": e, "旗区": "准格尔旗", "类型": "矿区"}
            for i, (e, n) in enumerate(pts)]
    path = tmp_path / "cp.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    out, _ = sites.read_sites(path)
    assert out["area_ha"].iloc[0] == pytest.approx(100.0, rel=1e-6)


def test_schema_doc_is_current():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text("utf-8").strip() == og.dictionary.markdown().strip()
    with pytest.warns(DeprecationWarning, match="dictionary.markdown"):
        assert sites.schema_markdown() == og.dictionary.markdown()
