"""The installed ``ordos-geo`` command, run as a user would (a real subprocess)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from conftest import site_frame, write_shapefile

EXE = shutil.which("ordos-geo", path=os.path.dirname(sys.executable)) or "ordos-geo"


def run(*args, cwd=None):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_validate_usable_file_exits_0_and_writes_the_report(tmp_path):
    shp = write_shapefile(site_frame(), tmp_path / "矿山.shp", encoding="GBK", cpg=False, ldid=0)
    res = run("validate", shp, "--report", tmp_path / "rep.csv", "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert "3 features, 3 kept" in res.stdout and "Usable." in res.stdout
    report = pd.read_csv(tmp_path / "rep.csv")
    assert {"file", "feature_id", "field", "problem", "action"} <= set(report.columns)
    assert report.loc[report["field"] == "encoding", "problem"].str.contains("GBK").all()


def test_validate_repairs_only_exits_0(tmp_path):
    frame = site_frame(2)
    frame["旗区"] = None  # filled in from the location: a reported repair
    path = tmp_path / "m.geojson"
    frame.to_file(path)
    res = run("validate", path, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "可以使用" in res.stdout
    assert (tmp_path / "m.geojson.validation.csv").exists()


def test_validate_bad_file_exits_1_with_no_traceback(tmp_path):
    frame = site_frame(2)
    frame.loc[0, "矿山状态"] = "不知道"
    path = tmp_path / "bad.geojson"
    frame.to_file(path)
    res = run("validate", path, "--report", tmp_path / "r.csv")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr + res.stdout
    assert "M01" in res.stdout and "status" in res.stdout and "'不知道'" in res.stdout


@pytest.mark.parametrize("content,name", [(b"{broken", "x.geojson"), (b"", "empty.gpkg")])
def test_validate_unreadable_file_exits_1(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    res = run("validate", path, "--report", tmp_path / "r.csv")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr + res.stdout
    assert name in res.stdout


def test_validate_missing_crs_names_the_option(tmp_path):
    shp = write_shapefile(site_frame().to_crs("EPSG:4525"), tmp_path / "m.shp", encoding="GBK",
                          prj=False)
    res = run("validate", shp, "--report", tmp_path / "r.csv", "--lang", "en")
    assert res.returncode == 1 and "--crs" in res.stdout and "EPSG:4525" in res.stdout
    res = run("validate", shp, "--crs", "EPSG:4525", "--report", tmp_path / "r.csv")
    assert res.returncode == 0


@pytest.mark.parametrize("args", [[], ["validate"], ["nonsense"], ["validate", "x", "--kind", "pond"]])
def test_usage_errors_exit_2(args):
    res = run(*args)
    assert res.returncode == 2
    assert "usage:" in res.stderr and "Traceback" not in res.stderr


def test_python_dash_m_is_the_same_command():
    res = subprocess.run([sys.executable, "-m", "ordos_geo", "--version"], capture_output=True,
                         text=True)
    assert res.returncode == 0 and "ordos_geo" in res.stdout


def test_demo_writes_and_prints_every_output(tmp_path):
    out = tmp_path / "demo"
    res = run("demo", "--out", out, "--no-progress")
    assert res.returncode == 0, res.stderr
    printed = [line.split("：")[-1].split(": ")[-1] for line in res.stdout.splitlines()]
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert sorted(Path(p) for p in printed) == written
    sites = gpd.read_file(out / "sites.geojson")
    assert len(sites) > 250 and sites["synthetic"].all()
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "ordos_geo.gpkg")}
    assert {"sites", "banners", "priority_areas", "coal_mines_gcmt", "osm_landuse"} <= layers


# --- every bad-input case through the command (in-process for speed): message and exit code ----
from ordos_geo import cli  # noqa: E402


def _case(tmp_path, name):
    frame = site_frame(2)
    if name == "no_crs":
        return write_shapefile(frame.to_crs("EPSG:4525"), tmp_path / "m.shp", encoding="GBK",
                               prj=False), "crs_missing", 1
    if name == "outside":
        import shapely

        frame = frame.to_crs(4326)
        frame.loc[0, "geometry"] = shapely.box(116.3, 39.9, 116.31, 39.91)  # Beijing
    elif name == "swapped":
        import shapely

        frame = frame.to_crs(4326)
        frame.loc[0, "geometry"] = shapely.transform(frame.geometry.iloc[0], lambda xy: xy[:, ::-1])
    elif name == "invalid":
        from conftest import bowtie

        frame = frame.to_crs(4326)
        frame.loc[0, "geometry"] = gpd.GeoSeries([bowtie()], crs=og_metric()).to_crs(4326).iloc[0]
        path = tmp_path / "m.geojson"
        frame.to_file(path)
        return path, "geom_invalid_repaired", 0
    elif name == "empty_geometry":
        frame.loc[0, "geometry"] = None
    elif name == "wrong_type":
        frame.loc[0, "geometry"] = frame.geometry.iloc[0].centroid
    elif name == "duplicate":
        frame.loc[1, "矿山编号"] = frame.loc[0, "矿山编号"]
    elif name == "missing_field":
        frame = frame.drop(columns=["矿山编号"])
    elif name == "bad_type":
        frame["生产规模"] = ["x", "1"]
    elif name == "not_allowed":
        frame.loc[0, "开采方式"] = "飞行"
    elif name == "gcj02_name":
        path = tmp_path / "amap_export.geojson"
        frame.to_file(path)
        return path, "gcj02_suspected", 0
    path = tmp_path / "m.geojson"
    frame.to_file(path)
    codes = {"outside": "outside_ordos", "swapped": "outside_ordos", "empty_geometry": "geom_null",
             "wrong_type": "geom_wrong_type", "duplicate": "id_duplicate",
             "missing_field": "field_missing", "bad_type": "value_bad_type",
             "not_allowed": "value_not_allowed"}
    return path, codes[name], 1


def og_metric():
    import ordos_geo as og

    return og.projection.metric_crs()


@pytest.mark.parametrize("name", ["no_crs", "outside", "swapped", "invalid", "empty_geometry",
                                  "wrong_type", "duplicate", "missing_field", "bad_type",
                                  "not_allowed", "gcj02_name"])
def test_each_bad_input_gives_its_message_and_exit_code(tmp_path, capsys, name):
    path, code, exit_code = _case(tmp_path, name)
    report = tmp_path / "r.csv"
    assert cli.main(["validate", str(path), "--report", str(report), "--no-progress"]) == exit_code
    out = capsys.readouterr().out
    rows = pd.read_csv(report)
    assert code in set(rows["code"])
    problem = rows.loc[rows["code"] == code, "problem"].iloc[0]
    assert problem in out  # printed for the user, in Chinese by default
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem)
