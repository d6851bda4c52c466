import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import ordos_geo as og
from ordos_geo import export, io


@pytest.fixture
def sites():
    frame, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    frame = frame.head(12).copy()
    frame["备注说明长字段名"] = "准格尔旗·黑岱沟"  # 24 bytes in UTF-8: must be shortened
    return frame


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_shapefile_round_trip_keeps_chinese_values(tmp_path, sites, encoding):
    files = io.write_shapefile(sites, tmp_path / "sites.shp", encoding=encoding)
    names = {p.suffix for p in files}
    assert {".shp", ".shx", ".dbf", ".prj", ".cpg"} <= names
    fieldmap = pd.read_csv(tmp_path / "sites.fieldmap.csv", encoding="utf-8-sig")
    assert "备注说明长字段名" in set(fieldmap["field"])
    back = io.read_vector(tmp_path / "sites.shp").frame
    short = fieldmap.set_index("field")["shapefile_field"]["备注说明长字段名"]
    assert list(back[short]) == list(sites["备注说明长字段名"])
    assert list(back["name"]) == list(sites["name"])
    assert (tmp_path / "sites.cpg").read_text() == encoding.upper()


def test_geojson_follows_rfc7946(tmp_path, sites):
    path = io.write_geojson(sites.to_crs("EPSG:4525"), tmp_path / "s.geojson")
    doc = json.loads(path.read_text("utf-8"))
    assert "crs" not in doc and doc["type"] == "FeatureCollection"
    for f in doc["features"]:
        polys = [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "Polygon" \
            else f["geometry"]["coordinates"]
        for poly in polys:
            outer = np.array(poly[0])
            assert 106 < outer[:, 0].min() and outer[:, 0].max() < 112  # lon first
            assert 37 < outer[:, 1].min() and outer[:, 1].max() < 41
            assert shapely.LinearRing(outer).is_ccw  # outer rings counter-clockwise
            for hole in poly[1:]:
                assert not shapely.LinearRing(np.array(hole)).is_ccw
    assert doc["features"][0]["properties"]["name"] == sites["name"].iloc[0]


def test_geopackage_carries_metadata(tmp_path, sites):
    path = export.write_gpkg_with_metadata({"sites": sites}, tmp_path / "out.gpkg",
                                           sources=["data/synthetic_sites.geojson"],
                                           parameters={"gap_m": 500})
    layers = {n for n, _ in pyogrio.list_layers(path)}
    assert layers == {"sites", "ordos_geo_metadata", "layer_styles"}
    meta = pyogrio.read_dataframe(path, layer="ordos_geo_metadata").set_index("key")["value"]
    assert meta["ordos_geo_version"] == og.__version__
    assert json.loads(meta["parameters"]) == {"gap_m": 500}
    assert "synthetic_sites" in meta["sources"] and meta["written_at"]


def test_gauss_kruger_copy_in_the_right_zone(tmp_path, sites):
    path = export.write_gk_copy(sites, tmp_path / "sites_gk.gpkg")
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4525  # the Jungar sites lie in zone 37 (111°E)
    assert back.total_bounds[0] > 37_000_000


def test_report_tables_have_chinese_headers(tmp_path, sites):
    xlsx = export.write_table(sites, tmp_path / "sites.xlsx", lang="zh")
    table = pd.read_excel(xlsx)
    assert {"编号", "名称", "旗区", "面积(公顷)"} <= set(table.columns)
    csv = export.write_table(sites, tmp_path / "sites.csv", lang="en")
    assert "site_id" in pd.read_csv(csv, encoding="utf-8-sig").columns
