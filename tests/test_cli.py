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

import ordos_geo as og

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


def test_demo_writes_and_prints_every_output(demo_run):
    res, tmp_path = demo_run
    out = tmp_path / "demo"
    assert res.returncode == 0, res.stderr
    printed = [line.split("：")[-1].split(": ")[-1] for line in res.stdout.splitlines()]
    written = sorted(p for p in out.rglob("*") if p.is_file() and "sample_imagery" not in p.parts
                     and p.name != og.io.MANIFEST)  # the set's own bookkeeping
    printed = sorted((tmp_path / p) if not Path(p).is_absolute() else Path(p) for p in printed)
    maps_written = sorted((out / "maps").glob("*.html"))  # the maps too go into --out
    assert [p for p in printed if "sample_imagery" not in p.parts] == sorted(written)
    assert [p.name for p in maps_written] == ["disturbance.html", "ordos_overview.html",
                                              "progress.html", "zones.html"]
    names = {p.name for p in written}
    assert {"zones.geojson", "sites_zoned.geojson", "zones.gpkg", "zones.csv",
            "plan_problems.csv", "zones_sensitivity.csv", "zones_sensitivity.png",
            "progress.csv", "progress_summary.csv", "progress.geojson",
            "progress_curves.png", "suspected_outside.geojson", "findings.csv",
            "new_inside.csv"} <= names
    assert (out / "sample_imagery" / "manifest.csv").exists()
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
        frame.loc[0, "geometry"] = frame.geometry.iloc[0].exterior  # a line: not an area
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


def test_zones_command_writes_the_contract(tmp_path):
    import json

    import ordos_geo as og

    out = tmp_path / "z"
    links = tmp_path / "links.csv"
    pd.DataFrame({"site_a": ["SYN-M0001"], "site_b": ["SYN-M0002"]}).to_csv(links, index=False)
    res = run("zones", og.datasets.synthetic_sites_path(), "--gap-m", "400", "--max-zone-ha",
              "9000", "--islands", "attach", "--cannot-link", links, "--plans",
              og.datasets.synthetic_plans_path(), "--out", out, "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert "contiguous-remediation zones" in res.stdout
    for name in ("zones.geojson", "sites_zoned.geojson", "zones.gpkg", "zones.csv",
                 "plan_problems.csv"):
        assert (out / name).exists() and str(out / name) in res.stdout
    doc = json.loads((out / "zones.geojson").read_text("utf-8"))
    props = doc["features"][0]["properties"]
    for field in ("zone_id", "site_ids", "n_sites", "n_ownerless", "area_ha", "banner",
                  "priority_area", "end_use", "standard", "max_final_slope_deg", "topsoil_cm",
                  "target_cover_pct", "pit_policy", "explanation"):
        assert field in props, field
    zoned = gpd.read_file(out / "sites_zoned.geojson")
    src = gpd.read_file(og.datasets.synthetic_sites_path())
    assert len(zoned) == len(src) and zoned["zone_id"].notna().all()
    assert set(src.columns) - {"geometry"} <= set(zoned.columns)
    z = zoned.set_index("site_id")["zone_id"]
    assert z["SYN-M0001"] != z["SYN-M0002"]
    import pyogrio

    assert {n for n, _ in pyogrio.list_layers(out / "zones.gpkg")} == {"zones", "sites_zoned",
                                                                        "layer_styles",
                                                                        "ordos_geo_metadata"}
    meta = pyogrio.read_dataframe(out / "zones.gpkg", layer="ordos_geo_metadata")
    assert '"gap_m": 400.0' in meta.set_index("key")["value"]["parameters"]
    assert (zoned.groupby("zone_id").size().sort_index().to_numpy()
            == pd.read_csv(out / "zones.csv").set_index("zone_id")["n_sites"].sort_index()
            .to_numpy()).all()


def test_zones_command_refuses_a_bad_rule_table(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: []\n", encoding="utf-8")
    import ordos_geo as og

    res = run("zones", og.datasets.synthetic_sites_path(), "--rules", bad, "--out", tmp_path / "o")
    assert res.returncode == 1 and "rules.yaml" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


def test_rules_command_writes_an_editable_copy(tmp_path):
    res = run("rules", "--out", tmp_path / "r.yaml")
    assert res.returncode == 0
    import ordos_geo as og

    assert og.rules.load_rules(tmp_path / "r.yaml").rules == og.rules.load_rules().rules


@pytest.mark.parametrize("fmt,out", [("geojson", "s.geojson"), ("gpkg", "s.gpkg"),
                                     ("shp", "shp"), ("xlsx", "s.xlsx")])
def test_export_command(tmp_path, fmt, out):
    import ordos_geo as og

    target = tmp_path / out
    args = ["export", og.datasets.synthetic_sites_path(), "--format", fmt, "--out", target]
    if fmt == "shp":
        args += ["--out-encoding", "GBK", "--gk"]
    res = run(*args)
    assert res.returncode == 0, res.stderr
    produced = target / "sites.shp" if fmt == "shp" else target
    assert produced.exists() and str(produced) in res.stdout
    if fmt == "shp":
        assert (target / "sites.cpg").read_text() == "GBK"
        gk = sorted(p.name for p in target.glob("sites_cgcs2000_gk*.shp"))  # keeps the format
        assert gk and set(gk) <= {"sites_cgcs2000_gk36.shp", "sites_cgcs2000_gk37.shp"}


def test_every_reading_command_takes_the_validate_options(tmp_path):
    shp = write_shapefile(site_frame(), tmp_path / "m.shp", encoding="GBK", cpg=False, ldid=0,
                          prj=False)
    res = run("map", shp, "--crs", "EPSG:4490", "--encoding", "GBK", "--out", tmp_path / "m.html")
    assert res.returncode == 0, res.stderr
    assert "测试煤矿1号" in (tmp_path / "m.html").read_text("utf-8")
    res = run("map", shp, "--out", tmp_path / "n.html")  # no CRS: refused, file named
    assert res.returncode == 1 and "m.shp" in res.stderr and "Traceback" not in res.stderr
