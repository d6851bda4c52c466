import zipfile

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import site_frame, write_shapefile, zip_shapefile

import ordos_geo as og
from ordos_geo import corners, io
from ordos_geo.core.errors import InputFileError

NAMES = ["测试煤矿1号", "测试煤矿2号", "测试煤矿3号"]


@pytest.mark.parametrize("encoding,cpg,ldid,expected_source", [
    ("GBK", True, None, ".cpg"),
    ("GBK", False, 0x00, "detected from the attribute bytes"),  # the common bureau case
    ("GBK", False, 0x57, "detected from the attribute bytes"),  # "ANSI": ask the bytes
    ("GBK", False, 0x4D, "DBF language byte 0x4D"),  # code page 936 declared in the DBF
    ("UTF-8", False, 0x00, "detected from the attribute bytes"),
])
def test_shapefile_encodings_read_without_mojibake(tmp_path, encoding, cpg, ldid, expected_source):
    shp = write_shapefile(site_frame(), tmp_path / "mines.shp", encoding=encoding, cpg=cpg, ldid=ldid)
    src = io.read_vector(shp)
    assert src.encoding_source == expected_source
    assert list(src.frame.iloc[:, 1]) == NAMES  # 矿山名称 (truncated to 10 bytes in UTF-8)
    assert src.frame.columns[0] == ("矿山编号" if encoding == "GBK" else "矿山编")


def test_plain_gdal_garbles_the_gbk_file_we_read_correctly(tmp_path):
    # the reason detection exists: GDAL alone falls back to ISO-8859-1 without .cpg
    shp = write_shapefile(site_frame(), tmp_path / "m.shp", encoding="GBK", cpg=False, ldid=0)
    garbled = pyogrio.read_dataframe(shp)
    assert "矿山名称" not in garbled.columns


def test_zipped_shapefile(tmp_path):
    shp = write_shapefile(site_frame(), tmp_path / "mines.shp", encoding="GBK", cpg=False, ldid=0)
    z = zip_shapefile(shp, tmp_path / "mines.zip")
    src = io.read_vector(z)
    assert list(src.frame["矿山名称"]) == NAMES
    assert src.layer == "mines"


def test_zip_with_two_shapefiles_needs_a_layer(tmp_path):
    a = write_shapefile(site_frame(), tmp_path / "a.shp", encoding="UTF-8")
    b = write_shapefile(site_frame(), tmp_path / "b.shp", encoding="UTF-8")
    z = tmp_path / "two.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for part in list(tmp_path.glob("a.*")) + list(tmp_path.glob("b.*")):
            zf.write(part, arcname=part.name)
    with pytest.raises(InputFileError, match="--layer"):
        io.read_vector(z)
    assert io.read_vector(z, layer="b").layer == "b"
    assert a.exists() and b.exists()


def test_geopackage_layer_choice(tmp_path):
    gpkg = tmp_path / "m.gpkg"
    pyogrio.write_dataframe(site_frame(), gpkg, layer="mines")
    pyogrio.write_dataframe(site_frame(2), gpkg, layer="pits")
    with pytest.raises(InputFileError, match=r"mines, pits"):
        io.read_vector(gpkg)
    with pytest.raises(InputFileError, match="'dumps'"):
        io.read_vector(gpkg, layer="dumps")
    assert len(io.read_vector(gpkg, layer="pits").frame) == 2


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(InputFileError, match="nothere.geojson"):
        io.read_vector(tmp_path / "nothere.geojson")
    (tmp_path / "x.kml").write_text("<kml/>")
    with pytest.raises(InputFileError, match="'.kml'"):
        io.read_vector(tmp_path / "x.kml")


def test_truncated_files_are_refused_with_their_name(tmp_path):
    shp = write_shapefile(site_frame(), tmp_path / "m.shp", encoding="UTF-8")
    data = shp.read_bytes()
    shp.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"m\.shp.*truncated"):
        io.read_vector(shp)
    gj = tmp_path / "cut.geojson"
    site_frame().to_file(gj)
    gj.write_text(gj.read_text()[:300])
    with pytest.raises(InputFileError, match="cut.geojson"):
        io.read_vector(gj)
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match="bad.zip"):
        io.read_vector(bad_zip)


def test_shapefile_without_dbf(tmp_path):
    shp = write_shapefile(site_frame(), tmp_path / "m.shp", encoding="UTF-8")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(InputFileError, match=r"\.dbf"):
        io.read_vector(shp)


def _corner_table(points, mine="CP1", part=None, encoding="gbk"):
    rows = [{"矿山编号": mine, "矿山名称": "拐点测试矿", "点号": i + 1, "X": n, "Y": e,
             **({"区块": part} if part else {})} for i, (e, n) in enumerate(points)]
    return pd.DataFrame(rows)


def test_corner_points_zone_prefixed_square_has_exact_area(tmp_path):
    # a 1000 m square centred on the central meridian of zone 37 (111°E): 100 ha.
    pts = [(37_499_500, 4_400_000), (37_500_500, 4_400_000), (37_500_500, 4_401_000),
           (37_499_500, 4_401_000)]
    csv = tmp_path / "corners.csv"
    # listed out of order on purpose: the ring must follow the point numbers
    table = _corner_table(pts).sample(frac=1.0, random_state=1)
    table.to_csv(csv, index=False, encoding="gbk")
    frame, enc = corners.read_corner_points(csv)
    assert enc == "GBK"
    assert frame.crs.to_epsg() == 4525
    assert frame.geometry.iloc[0].area == pytest.approx(1_000_000.0)
    assert og.projection.area_ha(frame).iloc[0] == pytest.approx(100.0, rel=1e-6)
    assert frame["矿山名称"].iloc[0] == "拐点测试矿"


def test_corner_points_plain_eastings_need_a_crs(tmp_path):
    pts = [(499_500, 4_400_000), (500_500, 4_400_000), (500_500, 4_401_000), (499_500, 4_401_000)]
    csv = tmp_path / "plain.csv"
    _corner_table(pts).to_csv(csv, index=False, encoding="utf-8")
    frame, _ = corners.read_corner_points(csv)
    assert frame.crs is None
    frame, _ = corners.read_corner_points(csv, crs="EPSG:4546")
    assert og.projection.area_ha(frame).iloc[0] == pytest.approx(100.0, rel=1e-6)


def test_corner_points_multi_part_and_two_mines(tmp_path):
    sq = [(0, 0), (500, 0), (500, 500), (0, 500)]
    rows = []
    for mine, dx in (("A", 0), ("B", 5_000)):
        for part, off in (("1", 0), ("2", 1_000)):
            t = _corner_table([(37_500_000 + dx + x + off, 4_400_000 + y) for x, y in sq],
                              mine=mine, part=part)
            rows.append(t)
    csv = tmp_path / "multi.csv"
    pd.concat(rows).to_csv(csv, index=False)
    frame, _ = corners.read_corner_points(csv)
    assert list(frame["矿山编号"]) == ["A", "B"]
    assert all(g.geom_type == "MultiPolygon" for g in frame.geometry)
    assert og.projection.area_ha(frame).to_numpy() == pytest.approx([50.0, 50.0], rel=1e-5)


def test_atomic_write_keeps_the_earlier_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "sites.geojson"
    io.write_geojson(site_frame(), target)
    before = target.read_bytes()

    def dies_half_way(frame, path, **kwargs):
        with open(path, "w") as fh:
            fh.write('{"type": "FeatureCollection", "features": [')
        raise OSError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", dies_half_way)
    with pytest.raises(OSError, match="disk full"):
        io.write_geojson(site_frame(1), target)
    with pytest.raises(OSError, match="disk full"):
        io.write_gpkg({"sites": site_frame(1)}, tmp_path / "new.gpkg")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sites.geojson"]


def test_geojson_export_is_rfc7946(tmp_path):
    frame = site_frame().to_crs("EPSG:4525")
    path = io.write_geojson(frame, tmp_path / "out.geojson")
    import json

    doc = json.loads(path.read_text("utf-8"))
    assert "crs" not in doc
    ring = np.array(doc["features"][0]["geometry"]["coordinates"][0])
    assert 106 < ring[:, 0].min() < 112 and 37 < ring[:, 1].min() < 41  # lon, lat order
    assert shapely.is_ccw(shapely.LinearRing(ring))
    assert doc["features"][0]["properties"]["矿山名称"] == "测试煤矿1号"
