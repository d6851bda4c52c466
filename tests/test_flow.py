"""Issue 23 §3, real files that flow: what users hit when one command's file goes into the next —
options a command refused though its own message named them, reports promised but not written,
copies that overwrote each other, pipes closed early, catalogs that loop, tables that are not
quite YAML. Each test runs the command as a user does (in-process through
``ordos_geo.cli.main``, or a subprocess where the pipe or the exit code matters)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import yaml
from conftest import site_frame
from imagery_helpers import write_scene

import ordos_geo as og
from ordos_geo import cli

ROOT = Path(__file__).resolve().parents[1]
SITES = og.datasets.synthetic_sites_path()
EXE = shutil.which("ordos-geo", path=os.path.dirname(sys.executable)) or "ordos-geo"


def run(argv, capsys):
    """Exit code and everything printed; argparse's own usage errors count as exit codes."""
    try:
        rc = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out + out.err


def _no_kind(tmp_path: Path) -> Path:
    """Three mine squares in a layer with no kind column (and nothing that says mining right)."""
    frame = site_frame(3).drop(columns=["类型", "采矿权人", "生产规模"])
    path = tmp_path / "nokind.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


def _many_repairs(tmp_path: Path, n: int = 35) -> Path:
    """``n`` usable mine squares whose banner is empty: ``n`` repairs, more than the 30 lines a
    command prints."""
    frame = site_frame(n, origin=(110.9, 39.75), gap_m=100)
    frame["旗区"] = None
    path = tmp_path / "repairs.geojson"
    frame.to_file(path)
    return path


def _report_line(output: str) -> Path:
    """The path the "… N more, see the report" line names (it must name one)."""
    lines = [line for line in output.splitlines() if "另有" in line and "报告" in line]
    assert lines, output
    found = re.search(r"见报告文件\s+(.+)。$", lines[-1])
    assert found, lines[-1]
    return Path(found.group(1).strip())


# --- 1. register init/import take --kind, which the "kind missing" message names ---------------
def test_register_init_and_import_take_kind(tmp_path, capsys):
    sites = _no_kind(tmp_path)
    db = tmp_path / "r.gpkg"
    rc, out = run(["register", "init", db, "--sites", sites], capsys)
    assert rc == 1 and "--kind" in out  # the message names the option …
    rc, out = run(["register", "init", db, "--sites", sites, "--kind", "mine"], capsys)
    assert rc == 0, out  # … which the command takes
    with og.register.open_register(db) as reg:
        assert set(reg.mines()["mine_id"]) == {"M01", "M02", "M03"}
    table = tmp_path / "t.csv"
    pd.DataFrame([{"矿山编号": "M01", "级别": "国家级", "纳入名录日期": "2021-05-01",
                   "状态": "在录"}]).to_csv(table, index=False)
    rc, out = run(["register", "import", db, table, "--sites", sites, "--kind", "mine"], capsys)
    assert rc == 0, out


# --- 2. "… N more, see the report file": the file is there, and the line says where ------------
@pytest.mark.parametrize("command", ["validate", "zones", "map", "export", "register init",
                                     "register import"])
def test_the_report_the_more_line_points_to_is_written(command, tmp_path, capsys):
    sites = _many_repairs(tmp_path)
    db = tmp_path / "db" / "r.gpkg"
    db.parent.mkdir()
    if command == "register import":
        assert run(["register", "init", db], capsys)[0] == 0
        table = tmp_path / "t.csv"
        pd.DataFrame([{"矿山编号": "M01", "旗区": "准格尔旗", "级别": "国家级",
                       "纳入名录日期": "2021-05-01", "状态": "在录"}]).to_csv(table, index=False)
    argv = {"validate": ["validate", sites, "--report", tmp_path / "rep.csv"],
            "zones": ["zones", sites, "--out", tmp_path / "z"],
            "map": ["map", sites, "--out", tmp_path / "m" / "m.html"],
            "export": ["export", sites, "--format", "gpkg", "--out", tmp_path / "e" / "e.gpkg"],
            "register init": ["register", "init", db, "--sites", sites],
            "register import": ["register", "import", db, "table", "--sites", sites]}[command]
    if command == "register import":
        argv[3] = table
    rc, out = run(argv, capsys)
    assert rc == 0, out
    path = _report_line(out)
    assert path.is_file(), (path, out)
    report = pd.read_csv(path, encoding="utf-8-sig")
    assert (report["code"] == "banner_filled").sum() == 35
    if command.startswith("register"):
        assert path.parent == db.parent  # beside the register
    if command == "validate":
        assert path == tmp_path / "rep.csv"


def test_a_refused_file_leaves_its_whole_report_beside_the_register(tmp_path, capsys):
    frame = site_frame(15)
    frame["geometry"] = frame.geometry.representative_point()  # 15 points: 15 errors
    sites = tmp_path / "points.geojson"
    frame.to_file(sites)
    db = tmp_path / "r.gpkg"
    rc, out = run(["register", "init", db, "--sites", sites], capsys)
    assert rc == 1 and "internal error" not in out
    path = _report_line(out)
    assert path.is_file() and path.parent == tmp_path
    assert len(pd.read_csv(path, encoding="utf-8-sig")) >= 15
    assert not db.exists()


# --- 3. an unknown encoding name is the user's option, not a damaged file ---------------------
@pytest.mark.parametrize("command", [["validate"], ["zones", "--out", "z"]])
def test_an_unknown_encoding_name_is_a_usage_error(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [command[0], SITES, "--encoding", "nope-enc", *command[1:]]
    rc, out = run(argv, capsys)
    assert rc == 2, out
    assert "'nope-enc'" in out and "GBK" in out and "UTF-8" in out
    assert "损坏" not in out and "internal error" not in out


# --- 4. GK copies: named after --out, one per 3° zone; --out a folder refused ------------------
def _two_far_mines(tmp_path: Path) -> Path:
    """Two 100-ha mines 4.5° apart: one in Otog Front Banner (GK zone 36), one in Jungar (37)."""
    west = site_frame(1, origin=(106.70, 38.30), size_m=1000.0)
    east = site_frame(1, origin=(111.20, 39.80), size_m=1000.0)
    west[["矿山编号", "旗区"]] = ["W1", "鄂托克前旗"]
    east[["矿山编号", "旗区"]] = ["E1", "准格尔旗"]
    path = tmp_path / "far.geojson"
    pd.concat([west, east]).to_file(path)
    return path


def _geodesic_ha(geom) -> float:
    from pyproj import Geod

    return abs(Geod(ellps="GRS80").geometry_area_perimeter(geom)[0]) / 1e4


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_gk_copies_are_named_after_out_one_per_zone(fmt, tmp_path, capsys):
    sites = _two_far_mines(tmp_path)
    out = tmp_path / "exp" / f"mine_export.{fmt}"
    rc, printed = run(["export", sites, "--format", fmt, "--gk", "--out", out], capsys)
    assert rc == 0, printed
    lonlat = gpd.read_file(sites).to_crs(4326).set_index("矿山编号").geometry
    for zone, mine, epsg in ((36, "W1", 4524), (37, "E1", 4525)):
        path = out.with_name(f"mine_export_cgcs2000_gk{zone}.{fmt}")
        assert path.is_file() and str(path) in printed, printed
        gk = gpd.read_file(path, layer="sites") if fmt == "gpkg" else gpd.read_file(path)
        assert gk.crs.to_epsg() == epsg and list(gk["site_id"]) == [mine]
        planar_ha = float(gk.geometry.area.iloc[0]) / 1e4
        assert planar_ha == pytest.approx(_geodesic_ha(lonlat[mine]), rel=1e-3)
    assert not list(tmp_path.rglob("sites_cgcs2000_gk*"))  # nothing under a fixed name


def test_two_exports_keep_their_own_gk_copies(tmp_path, capsys):
    sites = _two_far_mines(tmp_path)
    for name in ("a", "b"):
        assert run(["export", sites, "--format", "gpkg", "--gk", "--out",
                    tmp_path / f"{name}.gpkg"], capsys)[0] == 0
    assert {p.name for p in tmp_path.glob("*_cgcs2000_gk*.gpkg")} == {
        "a_cgcs2000_gk36.gpkg", "a_cgcs2000_gk37.gpkg", "b_cgcs2000_gk36.gpkg",
        "b_cgcs2000_gk37.gpkg"}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "xlsx"])
def test_export_out_an_existing_folder_is_a_usage_error(fmt, tmp_path, capsys):
    folder = tmp_path / "adir"
    folder.mkdir()
    rc, out = run(["export", SITES, "--format", fmt, "--out", folder], capsys)
    assert rc == 2, out
    assert str(folder) in out and f".{fmt}" in out and "文件夹" in out
    assert not (tmp_path / f"adir.{fmt}").exists() and not list(folder.iterdir())


# --- 5. PostgreSQL without PostGIS for a plain role; passwords never printed -------------------
def test_register_init_without_postgis_rights_is_exit_1_in_chinese(postgres, capsys):
    import psycopg

    with psycopg.connect(host=str(postgres.socket), user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS plain_db")
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                     "'plain_user') THEN CREATE ROLE plain_user LOGIN NOSUPERUSER; END IF; END $$")
        conn.execute("CREATE DATABASE plain_db OWNER plain_user")
    url = f"postgresql://plain_user:s3cret-pw@/plain_db?host={postgres.socket}"
    rc, out = run(["register", "init", url], capsys)
    assert rc == 1, out
    assert "CREATE EXTENSION postgis" in out and "管理员" in out
    assert "internal error" not in out and "s3cret-pw" not in out
    rc, out = run(["register", "init", url.replace("plain_user", "no_such_user")], capsys)
    assert rc == 1 and "internal error" not in out and "s3cret-pw" not in out, out


def test_register_messages_mask_the_password(postgres, capsys):
    url = postgres.new_database().replace("postgresql://postgres@",
                                          "postgresql://postgres:s3cret-pw@")
    rc, out = run(["register", "init", url], capsys)
    assert rc == 0, out
    assert "s3cret-pw" not in out and "postgres:***@" in out
    rc, out = run(["register", "init", url], capsys)  # exists already: refused, masked too
    assert rc == 2 and "s3cret-pw" not in out


# --- 6. mine ids looked up as the register compares them ----------------------------------------
def test_register_commands_find_a_mine_by_any_case_of_its_id(tmp_path, capsys):
    frame = site_frame(2)
    frame["矿山编号"] = ["M0341#1", "M0230#1"]
    sites = tmp_path / "gcmt_like.geojson"
    frame.to_file(sites)
    db = tmp_path / "r.gpkg"
    assert run(["register", "init", db, "--sites", sites], capsys)[0] == 0
    rc, out = run(["register", "add", db, "--mine-id", "m0341#1", "--event", "applied",
                   "--date", "2024-01-05"], capsys)
    assert rc == 0, out
    rc, out = run(["register", "history", db, "--mine-id", "m0341#1"], capsys)
    assert rc == 0 and "applied" in out.replace("申报", "applied"), out
    table = tmp_path / "t.csv"
    pd.DataFrame([{"矿山编号": "ｍ0230#1", "级别": "国家级", "纳入名录日期": "2021-05-01",
                   "状态": "在录"}]).to_csv(table, index=False)
    rc, out = run(["register", "import", db, table], capsys)
    assert rc == 0, out
    with og.register.open_register(db) as reg:
        assert sorted(reg.mines()["mine_id"]) == ["M0230#1", "M0341#1"]  # no new mine
        history = reg.history()
        assert set(history.loc[history["event"] == "applied", "mine_id"]) == {"M0341#1"}
        assert set(history.loc[history["event"] == "listed", "mine_id"]) == {"M0230#1"}
        assert len(reg.history(mine_id="m0341#1")) == 2  # entered and applied
        state = reg.state(as_of="2025-01-01")
        found = og.supervision.sanctions(
            og.supervision.rectification_items(reg.history(), as_of="2025-01-01"), state=state,
            as_of="2025-01-01", required_mines=["m0230#1", "m0341#1"])
    assert set(found["mine_id"]) == {"M0341#1"}  # M0230#1 is listed; M0341#1 missed its target


# --- 7. the demo writes nothing into the current folder ----------------------------------------
def test_the_demo_writes_only_into_out(demo_run):
    res, folder = demo_run  # the session's one demo run, started in folder/"cwd"
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (folder / "cwd").iterdir()) == []
    maps = folder / "demo" / "maps"
    assert {"ordos_overview.html", "zones.html", "progress.html", "disturbance.html"} <= \
        {p.name for p in maps.glob("*.html")}
    assert str(maps / "zones.html") in res.stdout


# --- 8. map --progress takes the progress folder, as declarations does -------------------------
def test_map_takes_the_progress_output_folder(tmp_path, capsys):
    folder = tmp_path / "progress_out"
    folder.mkdir()
    (folder / "progress_summary.csv").write_text(
        "site_id,year,vegetated_share\nSYN-M0001,2020,0.2\nSYN-M0001,2021,0.5\n",
        encoding="utf-8")
    rc, out = run(["map", SITES, "--progress", folder, "--out", tmp_path / "m.html"], capsys)
    assert rc == 0, out
    assert (tmp_path / "m.html").is_file()
    rc, out = run(["map", SITES, "--progress", tmp_path, "--out", tmp_path / "n.html"], capsys)
    assert rc == 1 and "progress_summary.csv" in out  # a folder without it: said so


# --- 9. --version is the version installed ------------------------------------------------------
def test_version_is_the_package_and_the_installed_distribution():
    res = subprocess.run([EXE, "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    printed = res.stdout.split()[-1]
    assert printed == og.__version__ == importlib.metadata.version("ordos_geo")
    readme = (ROOT / "README.md").read_text("utf-8")
    current = re.findall(r"(?:version|版本)\s*(\d+\.\d+(?:\.\d+)?)", readme, re.IGNORECASE)
    assert all(og.__version__.startswith(v) for v in current), current


# --- 10. a reader that goes away (`| head -1`) ends the command quietly ------------------------
@pytest.mark.parametrize("args", [["register", "show", "DB"], ["--version"], ["--help"],
                                  ["rules"]])
def test_a_closed_pipe_ends_quietly(args, tmp_path):
    db = tmp_path / "r.gpkg"
    with og.register.init(db):
        pass
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes
    try:
        res = subprocess.run([EXE, *[str(db) if a == "DB" else a for a in args]], stdout=write,
                             stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write)
    assert res.returncode == 0 and res.stderr == ""


# --- 11. the test extra installs what the notebook tests import --------------------------------
def _extra(name: str, project: dict) -> set[str]:
    out = set()
    for req in project["optional-dependencies"][name]:
        base = re.split(r"[<>=!~;\s\[]", req, maxsplit=1)[0].lower()
        if base == project["name"].lower():
            for inner in re.search(r"\[(.*)\]", req).group(1).split(","):
                out |= _extra(inner.strip(), project)
        else:
            out.add(base)
    return out


def test_the_test_extra_and_environment_install_the_notebook_runner():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    test_extra = _extra("test", project)
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda = {re.split(r"[<>=!~\s]", d, maxsplit=1)[0].lower()
             for d in env["dependencies"] if isinstance(d, str)}
    source = (ROOT / "tests" / "test_notebooks.py").read_text("utf-8")
    imported = {m.split(".")[0] for m in re.findall(r"^(?:from|import)\s+([\w.]+)", source,
                                                     re.MULTILINE)}
    needed = (imported - set(sys.stdlib_module_names) - {"pytest"}) | {"ipykernel"}
    assert needed and needed <= test_extra, needed - test_extra
    assert needed <= conda, needed - conda


# --- 12. STAC: a catalog that links to itself, an Item given for a catalog ---------------------
def _stac_scene(tmp_path: Path) -> dict:
    paths = write_scene(tmp_path / "scene", "s1", np.zeros((20, 20), dtype=int))
    return {"type": "Feature", "stac_version": "1.0.0", "id": "s1", "geometry": None,
            "properties": {"datetime": "2021-06-01T00:00:00Z", "platform": "sentinel-2a"},
            "links": [], "assets": {name: {"href": str(p)} for name, p in paths.items()}}


def _stac_files(tmp_path: Path) -> dict[str, Path]:
    item = tmp_path / "item.json"
    item.write_text(json.dumps(_stac_scene(tmp_path)), encoding="utf-8")
    loop = tmp_path / "catalog.json"
    loop.write_text(json.dumps({
        "type": "Catalog", "id": "loop", "stac_version": "1.0.0", "description": "loops",
        "links": [{"rel": "self", "href": str(loop)},
                  {"rel": "child", "href": "./catalog.json", "type": "application/json"},
                  {"rel": "item", "href": "./item.json", "type": "application/json"}]}),
        encoding="utf-8")
    return {"item": item, "loop": loop}


@pytest.mark.parametrize("which", ["item", "loop"])
def test_stac_loops_and_single_items_are_one_scene(which, tmp_path):
    scenes = og.imagery.scenes_from_stac(_stac_files(tmp_path)[which])
    assert [s.scene_id for s in scenes] == ["s1"]


@pytest.mark.parametrize("which", ["item", "loop"])
@pytest.mark.parametrize("command", ["progress", "disturbance"])
def test_stac_loops_and_items_are_no_internal_error(command, which, tmp_path, capsys):
    path = _stac_files(tmp_path)[which]
    rc, out = run([command, SITES, "--imagery", path, "--out", tmp_path / "o"], capsys)
    assert rc in (0, 1, 2) and "internal error" not in out, out
    assert "1 景" in out  # the one scene was read (it covers none of the sites)


def test_a_stac_file_of_another_kind_is_named(tmp_path, capsys):
    path = tmp_path / "fc.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    rc, out = run(["progress", SITES, "--imagery", path, "--out", tmp_path / "o"], capsys)
    assert rc in (1, 2) and "internal error" not in out and "fc.json" in out, out


@pytest.mark.parametrize("content", [
    [1, 2, 3],                                                    # JSON, but no object
    {"type": "Catalog", "stac_version": "1.0.0", "id": "c", "description": "d",
     "links": [{"rel": "item", "href": "./catalog.json"}]},       # itself as its own item
])
def test_a_stac_catalog_that_is_no_catalog_is_a_message(content, tmp_path, capsys):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    for command in ("progress", "disturbance"):
        rc, out = run([command, SITES, "--imagery", path, "--out", tmp_path / "o"], capsys)
        assert rc in (1, 2) and "internal error" not in out and "catalog.json" in out, out


@pytest.mark.parametrize("db", ["postgresql://u:pw@host:port/db", "postgresql://u:pw@[::1/db",
                                "host=/tmp/sock dbname=reg user=planner password=S3cret!"])
def test_a_register_location_that_is_no_location_is_a_message(db, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["register", "show", db], ["register", "init", db, "--sites", SITES]):
        rc, out = run(argv, capsys)
        assert rc in (1, 2) and "internal error" not in out, out
        assert "pw@" not in out and "S3cret" not in out and "***" in out
    assert list(tmp_path.iterdir()) == []  # no folder made from a path that is no register


# --- 13. a rule or threshold table that is not quite right: file, key, why --------------------
def _rules_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(og.rules.default_rules_text())
    change(data)
    path = tmp_path / "my_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, key", [
    (lambda d: d["rules"][0].update(standard=["pv_platform"]), "standard"),
    (lambda d: d["rules"][0].update(end_use={"pv": 1}), "end_use"),
    (lambda d: d["standards"]["pv_platform"].update(pit_policy=["backfill"]), "pit_policy"),
])
def test_zones_rules_of_the_wrong_type_are_named(change, key, tmp_path, capsys):
    rules = _rules_with(tmp_path, change)
    rc, out = run(["zones", SITES, "--rules", rules, "--out", tmp_path / "z"], capsys)
    assert rc in (1, 2) and "internal error" not in out, out
    assert "my_rules.yaml" in out and key in out


@pytest.mark.parametrize("text, where", [
    ("pixel: {ndvi_drop: {value: [1, 2}}\n", "line 1"),  # not YAML
    ("pixel:\n  ndvi_drop: {value: abc}\n", "ndvi_drop"),  # wrong type
    ("pixel:\n  ndvi_dorp: {value: 0.2}\n", "ndvi_dorp"),  # unknown key
])
@pytest.mark.parametrize("command", ["disturbance", "declarations"])
def test_threshold_tables_that_are_wrong_are_named(command, text, where, tmp_path, capsys):
    rules = tmp_path / "thresholds.yaml"
    rules.write_text(text, encoding="utf-8")
    files = _stac_files(tmp_path)
    argv = {"disturbance": ["disturbance", SITES, "--imagery", files["item"]],
            "declarations": ["declarations", tmp_path / "d.csv", "--progress", tmp_path]}[command]
    rc, out = run([*argv, "--rules", rules, "--out", tmp_path / "o"], capsys)
    assert rc in (1, 2) and "internal error" not in out, out
    assert "thresholds.yaml" in out and where in out


def test_a_command_run_in_a_notebook_leaves_the_settings_as_found(tmp_path, capsys):
    import ordos_geo as og
    from ordos_geo import cli

    og.settings.lang = "zh"
    og.settings.progress = True
    assert cli.main(["rules", "--lang", "en", "--no-progress", "--out",
                     str(tmp_path / "r.yaml")]) == 0
    assert og.settings.lang == "zh" and og.settings.progress is True
    import logging

    logger = logging.getLogger("ordos_geo")
    before = (logger.level, list(logger.handlers))
    assert cli.main(["rules", "-vv", "--out", str(tmp_path / "r2.yaml")]) == 0
    assert (logger.level, list(logger.handlers)) == before


@pytest.mark.parametrize("fmt, out", [("gpkg", "q.geojson"), ("xlsx", "r.csv"),
                                      ("geojson", "s.gpkg"), ("shp", "t.gpkg")])
def test_an_out_suffix_of_another_format_is_a_usage_error(fmt, out, tmp_path, capsys):
    rc, text = run(["export", SITES, "--format", fmt, "--out", tmp_path / out], capsys)
    assert rc == 2 and "--format" in text and not (tmp_path / out).exists()


def test_a_feature_wider_than_its_zone_is_named(tmp_path, caplog):
    import shapely

    wide = shapely.MultiPolygon([shapely.box(107.10, 39.50, 107.12, 39.52),
                                 shapely.box(111.28, 39.50, 111.30, 39.52)])
    narrow = shapely.box(109.10, 39.50, 109.12, 39.52)
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"site_id": ["WIDE", "NARROW"]}, geometry=[wide, narrow], crs=4326)
    with caplog.at_level("WARNING", logger="ordos_geo"):
        og.export.write_gk_copies({"sites": frame}, tmp_path / "s.gpkg")
    text = caplog.text
    assert "WIDE" in text and "NARROW" not in text and "0.1%" in text


@pytest.mark.parametrize("argv", [["map", "--lang=en", "--help"], ["--lang=en", "map", "--help"],
                                  ["map", "--lang", "zh", "--lang", "en", "--help"]])
def test_help_follows_lang_however_it_is_written(argv, capsys):
    from ordos_geo import cli

    with pytest.raises(SystemExit):
        cli.main(argv)
    out = capsys.readouterr().out
    assert "offline interactive HTML map" in out and "生成离线" not in out
