"""Every command of the README on the public files as they come — OpenStreetMap's pits and dumps
of Haerwusu/Heidaigou (``haerwusu_heidaigou_osm_landuse.geojson``) and GEM's 319 coal mines
(``ordos_coal_mines_gcmt.geojson``) — unrenamed and unedited, the outputs checked. The files are
the embedded copies (byte for byte those of ``../shared/data`` when that folder is there).

What a planner meets on these files: OSM ids and tags (``osm_id``, ``tag_value`` quarry/landfill/
industrial/water), three OSM dumps across the Yellow River in Shanxi (refused, with the options
the message names), GEM's ``record`` (the site id, ``M0341#1``), ``gem_mine_id``, ``mine_type``
(``surface``/``underground``/``unknown``), ``status`` (operating/proposed/…), ``banner_zh`` and
points instead of boundaries (``--point-radius-m``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import ordos_geo as og
from ordos_geo import cli

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OSM = og.datasets.data_path("osm_landuse")
GCMT = og.datasets.data_path("coal_mines")
ACROSS_THE_RIVER = {"1371979424", "1371979425", "1371979426"}


def run(argv, capsys):
    rc = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_the_embedded_copies_are_the_public_files_unchanged():
    assert OSM.name == "haerwusu_heidaigou_osm_landuse.geojson"
    assert GCMT.name == "ordos_coal_mines_gcmt.geojson"
    for path in (OSM, GCMT):
        if (SHARED / path.name).exists():
            assert (SHARED / path.name).read_bytes() == path.read_bytes()


# --- reading ------------------------------------------------------------------------------------
def test_osm_ids_and_tags_are_understood(capsys, tmp_path):
    result = og.sites.validate(OSM)
    raw = gpd.read_file(OSM)
    assert result.total == len(raw) == 18
    kept = result.sites.set_index("site_id")
    assert set(kept.index) == set(raw["osm_id"].astype(str)) - ACROSS_THE_RIVER
    tags = raw.set_index(raw["osm_id"].astype(str))["tag_value"]
    want = {"quarry": "pit", "landfill": "dump", "industrial": "other", "water": "other"}
    for site_id, kind in kept["kind"].items():
        assert kind == want[tags[site_id]]
    refused = result.report[result.report["severity"] == "error"]
    assert set(refused["feature_id"]) == ACROSS_THE_RIVER
    assert set(refused["code"]) == {"outside_city"}


def test_gcmt_records_are_mines_with_their_method_and_status(capsys):
    raw = gpd.read_file(GCMT)
    result = og.sites.validate(GCMT, point_radius_m=1000)
    assert result.usable and result.total == len(result.sites) == 319
    sites = result.sites.set_index("site_id")
    assert list(sites.index) == list(raw["record"])          # M0341#1: the record is the site
    assert (sites["mine_id"].to_numpy() == raw["gem_mine_id"].to_numpy()).all()
    assert set(sites["kind"]) == {"mine"}
    method = raw.set_index("record")["mine_type"].map(
        {"surface": "open_pit", "underground": "underground"})
    assert sites["method"].fillna("?").tolist() == method.reindex(sites.index).fillna("?").tolist()
    status = raw.set_index("record")["status"].map(
        {"operating": "producing", "proposed": "new", "mothballed": "suspended",
         "shelved": "suspended", "retired": "closed"})
    assert (sites["status"] == status.reindex(sites.index)).all()
    assert (sites["banner"] == raw.set_index("record")["banner_zh"].reindex(sites.index)).all()
    no_method = result.report[result.report["code"] == "method_missing"]
    assert set(no_method["feature_id"]) == set(raw.loc[raw["mine_type"] == "unknown", "record"])
    # a circle of 1 km: π ha × 100, within the polygon's approximation
    assert np.allclose(sites["area_ha"], np.pi * 100, rtol=0.005)
    circles = result.report[result.report["code"] == "points_as_circles"]
    assert len(circles) == 1 and "319" in circles["problem"].iloc[0]


def test_points_without_a_radius_are_refused_with_the_option_named(tmp_path, capsys):
    rc, out = run(["zones", GCMT, "--out", tmp_path / "z"], capsys)
    assert rc == 1 and "--point-radius-m" in out
    assert not (tmp_path / "z").exists()


def test_the_refused_dumps_leave_the_planner_a_choice(tmp_path, capsys):
    rc, refused = run(["zones", OSM, "--out", tmp_path / "z"], capsys)
    assert rc == 1
    assert "--drop-refused" in refused and "--boundary-tolerance-m" in refused
    assert "2340" in refused
    rc, out = run(["zones", OSM, "--drop-refused", "--out", tmp_path / "z"], capsys)
    assert rc == 0 and "3" in out
    report = pd.read_csv(tmp_path / "z" / "validation_report.csv", dtype=str)
    left_out = report[report["action"] == "refused"]
    assert set(left_out["feature_id"]) == ACROSS_THE_RIVER
    zoned = gpd.read_file(tmp_path / "z" / "sites_zoned.geojson")
    assert len(zoned) == 15 and not set(zoned["site_id"].astype(str)) & ACROSS_THE_RIVER
    import re

    enough = re.findall(r"--boundary-tolerance-m (\d+)", refused)[-1]  # the one it suggests
    assert int(enough) > 2340
    rc, out = run(["zones", OSM, "--boundary-tolerance-m", enough, "--out", tmp_path / "w"],
                  capsys)
    assert rc == 0
    assert len(gpd.read_file(tmp_path / "w" / "sites_zoned.geojson")) == 18


# --- the whole README, one command after another -------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory, sample_imagery):
    """The README's commands run on the two files, in order; each step's (exit code, output)."""
    tmp = tmp_path_factory.mktemp("shared")
    steps: dict[str, tuple[int, str]] = {}
    manifest, _ = sample_imagery

    def step(name, *argv):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                rc = cli.main([str(a) for a in argv])
            except SystemExit as exc:  # argparse: a usage mistake
                rc = exc.code
        steps[name] = (rc, buf.getvalue())

    gc = ["--point-radius-m", "1000"]
    step("validate_osm", "validate", OSM, "--report", tmp / "osm_report.csv")
    step("validate_gcmt", "validate", GCMT, *gc, "--report", tmp / "gcmt_report.csv")
    step("zones_osm", "zones", OSM, "--drop-refused", "--out", tmp / "zones_osm")
    step("zones_gcmt", "zones", GCMT, *gc, "--out", tmp / "zones_gcmt")
    step("map_osm", "map", OSM, "--drop-refused", "--zones",
         tmp / "zones_osm" / "zones.geojson", "--out", tmp / "osm.html")
    step("map_gcmt", "map", GCMT, *gc, "--lang", "en", "--out", tmp / "gcmt.html")
    for fmt, name in (("gpkg", "osm.gpkg"), ("shp", "osm_shp"), ("geojson", "osm.geojson"),
                      ("xlsx", "osm.xlsx")):
        step(f"export_{fmt}", "export", OSM, "--drop-refused", "--zones",
             tmp / "zones_osm" / "zones.geojson", "--format", fmt, "--out", tmp / name)
    step("export_gcmt_gk", "export", GCMT, *gc, "--format", "gpkg", "--gk",
         "--out", tmp / "gcmt.gpkg")
    step("progress", "progress", GCMT, *gc, "--imagery", manifest, "--out", tmp / "progress")
    step("disturbance", "disturbance", GCMT, *gc, "--imagery", manifest,
         "--out", tmp / "disturbance")
    dem = _dem_over(og.sites.read_sites(OSM, refused="report")[0], tmp / "dem.tif")
    step("terrain", "terrain", OSM, "--drop-refused", "--dem", dem, "--out", tmp / "terrain")
    step("earthworks", "earthworks", OSM, "--drop-refused", "--dem", dem, "--zones",
         tmp / "zones_osm" / "zones.geojson", "--out", tmp / "earthworks")
    step("zone_sheets", "zone-sheets", OSM, "--drop-refused", "--zones",
         tmp / "zones_osm" / "zones.geojson", "--dem", dem, "--out", tmp / "sheets")
    _register_steps(step, tmp, gc)
    step("rules", "rules", "--out", tmp / "rules.yaml")
    step("schema", "schema", "--out", tmp / "schema.md")
    step("versions", "versions")
    return tmp, steps


def _dem_over(sites: gpd.GeoDataFrame, path: Path) -> Path:
    """A 10 m DEM over the OSM parcels: flat ground at 1,200 m, pits 20 m down, dumps 15 m up."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    local = sites.to_crs("EPSG:32649")
    x0, y0, x1, y1 = local.total_bounds
    x0, y1 = np.floor(x0 / 10) * 10 - 500, np.ceil(y1 / 10) * 10 + 500
    w, h = int((x1 - x0) / 10) + 100, int((y1 - y0) / 10) + 100
    transform = from_origin(x0, y1, 10, 10)
    z = np.full((h, w), 1200.0, dtype="float32")
    for kind, dz in (("pit", -20.0), ("dump", 15.0)):
        geoms = list(local.geometry[local["kind"] == kind])
        if geoms:
            mask = rasterize([(g, 1) for g in geoms], out_shape=(h, w), transform=transform)
            z[mask == 1] += dz
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs="EPSG:32649", transform=transform, nodata=-9999.0) as dst:
        dst.write(z, 1)
    return path


def _register_steps(step, tmp: Path, gc: list[str]) -> None:
    db = tmp / "名录.gpkg"
    step("register_init", "register", "init", db, "--sites", GCMT, *gc)
    raw = gpd.read_file(GCMT)
    listing = tmp / "listing.csv"
    pd.DataFrame({"矿山编号": raw["record"].head(40), "级别": "国家级",
                  "纳入名录日期": "2021-05-01", "状态": "在录"}).to_csv(listing, index=False)
    step("register_import", "register", "import", db, listing)
    step("register_add", "register", "add", db, "--mine-id", "m0341#1", "--event", "抽查",
         "--date", "2024-05-01", "--checked-by", "张三", "--responsible", "李四")
    step("register_show", "register", "show", db, "--as-of", "2024-12-31")
    step("register_history", "register", "history", db, "--mine-id", "M0341#1")
    step("register_export", "register", "export", db, "--out", tmp / "register.xlsx")
    step("register_map", "register", "map", db, "--year", "2024", "--out", tmp / "register.html")
    step("register_verify", "register", "verify", db)
    step("spot_check", "spot-check", db, "--year", "2026", "--out", tmp / "spot")
    step("rectification", "rectification", db, "--as-of", "2025-01-01", "--out", tmp / "rect")
    step("lookback", "lookback", db, "--year", "2024", "--out", tmp / "lookback.xlsx")
    ids = raw["record"].head(2).tolist()
    fund = tmp / "fund.csv"
    pd.DataFrame({"矿山编号": ids, "年度": 2025, "已计提": [100, 80],
                  "应计提": [100, 100]}).to_csv(fund, index=False)
    step("fund", "fund", fund, "--out", tmp / "fund.xlsx")
    prod = tmp / "production.csv"
    pd.DataFrame({"矿山编号": ids[0], "月份": ["2025-01", "2025-02"], "产量": [120_000, 130_000],
                  "核定产能": 120}).to_csv(prod, index=False)
    step("capacity", "capacity", prod, "--out", tmp / "capacity.xlsx")
    maxima = {"矿区环境": 220, "资源开发方式": 220, "资源综合利用": 200, "节能减排": 120,
              "科技创新与数字化矿山": 140, "企业管理与企业形象": 100}
    sheet = tmp / "sheet.csv"
    pd.DataFrame([{"矿山编号": ids[0], "一级指标": c, "分值": m, "得分": m - 10}
                  for c, m in maxima.items()]).to_csv(sheet, index=False)
    step("score", "score", sheet, "--scale", "2020", "--out", tmp / "score.xlsx")


STEPS = ["validate_osm", "validate_gcmt", "zones_osm", "zones_gcmt", "map_osm", "map_gcmt",
         "export_gpkg", "export_shp", "export_geojson", "export_xlsx", "export_gcmt_gk",
         "progress", "disturbance", "terrain", "earthworks", "zone_sheets", "register_init",
         "register_import", "register_add", "register_show", "register_history",
         "register_export", "register_map", "register_verify", "spot_check", "rectification",
         "lookback", "fund", "capacity", "score", "rules", "schema", "versions"]


@pytest.mark.parametrize("name", STEPS)
def test_every_readme_command_runs_on_the_public_files(work, name):
    _, steps = work
    rc, out = steps[name]
    want = 1 if name == "validate_osm" else 0   # validate: exit 1 when a feature is refused
    assert rc == want, out
    assert "Traceback" not in out


def test_what_the_commands_wrote(work):
    tmp, steps = work
    zones = gpd.read_file(tmp / "zones_osm" / "zones.geojson")
    zoned = gpd.read_file(tmp / "zones_osm" / "sites_zoned.geojson")
    assert len(zoned) == 15 and zoned["zone_id"].notna().all()
    assert zones["n_sites"].sum() == 15
    gc_zoned = gpd.read_file(tmp / "zones_gcmt" / "sites_zoned.geojson")
    assert len(gc_zoned) == 319 and "M0341#1" in set(gc_zoned["site_id"])
    # the exports: every kept feature, lon/lat, the GeoPackage styled for QGIS
    info = pyogrio.read_info(tmp / "osm.gpkg", layer="sites")
    assert info["features"] == 15 and "4326" in info["crs"]
    with sqlite3.connect(tmp / "osm.gpkg") as db:
        assert db.execute("SELECT count(*) FROM layer_styles").fetchone()[0] >= 2
    assert len(gpd.read_file(tmp / "osm.geojson")) == 15
    sheet = pd.read_excel(tmp / "osm.xlsx")
    assert "采坑" in set(sheet.iloc[:, list(sheet.columns).index("类型")])
    gk = sorted(p.name for p in tmp.glob("gcmt*_cgcs2000_gk*.gpkg"))
    assert gk, steps["export_gcmt_gk"][1]
    # imagery: every GCMT circle accounted for; the covered ones measured
    progress = pd.read_csv(tmp / "progress" / "progress.csv", dtype={"site_id": str})
    assert progress["site_id"].nunique() >= 1
    assert (tmp / "disturbance" / "findings.csv").exists()
    terrain = pd.read_csv(tmp / "terrain" / "terrain.csv", dtype={"site_id": str})
    pits = terrain[terrain["site_id"].isin(zoned.loc[zoned["kind"] == "pit", "site_id"])]
    assert len(pits) and (pits["volume_status"] != "no_dem").all()
    assert list((tmp / "sheets").glob("*.pdf")) or list((tmp / "sheets").glob("*.png"))
    # the register of the GCMT mines: the lower-case id found the mine
    assert "M0341#1" in steps["register_add"][1]  # the id as the register holds it
    hist = steps["register_history"][1]
    assert "M0341#1" in hist and "抽查" in hist
    assert (tmp / "register.html").exists() and (tmp / "lookback.xlsx").exists()
    assert "已写出" in steps["score"][1]


def test_the_maps_on_the_public_files_in_chromium(work, browser):
    from browser_helpers import check_legend, open_offline

    tmp, _ = work
    for name in ("osm.html", "gcmt.html", "register.html"):
        page, errors, external, _ = open_offline(browser, tmp / name)
        found = check_legend(page)
        assert found["missing"] == [] and found["clashes"] == [], (name, found)
        assert errors == [] and external == []
        credit = page.locator(".leaflet-control-attribution").inner_text()
        assert ("OpenStreetMap" in credit) if name == "osm.html" else True
        assert ("Global Coal Mine Tracker" in credit) if name == "gcmt.html" else True
        page.close()


def test_geopackage_exports_open_in_ogrinfo(work):
    import shutil
    import subprocess

    tmp, _ = work
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "gdal-bin is installed by `make test`"
    out = subprocess.run([ogrinfo, "-so", "-al", str(tmp / "osm.gpkg")], capture_output=True,
                         text=True, check=True).stdout
    assert "Feature Count: 15" in out and "EPSG" in out or "WGS 84" in out
    json.loads((tmp / "osm.geojson").read_text("utf-8"))


@pytest.mark.parametrize("radius", ["0", "-1", "nan", "inf", "20001", "1e9"])
def test_a_radius_that_makes_no_mine_is_a_usage_error(radius, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate", str(GCMT), "--point-radius-m", radius])
    assert exc.value.code == 2 and "--point-radius-m" in capsys.readouterr().err


def test_points_that_cannot_be_drawn_say_why_not_which_option(tmp_path, capsys):
    raw = gpd.read_file(GCMT).head(3)
    frame = raw.set_crs(None, allow_override=True)  # a layer without a CRS
    _, report = og.sites.sites_from_frame(frame, refused="report", point_radius_m=500)
    points = report[report["field"] == "geometry"]
    assert "geom_point" not in set(points["code"])          # the option was given: no hint
    assert len(report[report["severity"] == "error"]) >= 1


def test_gem_values_of_other_releases_are_understood():
    raw = gpd.read_file(GCMT).head(8).copy()
    raw["status"] = ["cancelled", "announced", "pre-permit", "permitted", "construction",
                     "idle", "operating", "retired"]
    raw["mine_type"] = ["Underground & Surface", "surface/underground", "surface",
                        "underground", "unknown", "surface", "underground", "surface"]
    sites, report = og.sites.sites_from_frame(raw, refused="report", point_radius_m=500)
    assert len(sites) == 8 and not (report["severity"] == "error").any()
    assert list(sites["status"]) == ["closed", "new", "new", "new", "new", "suspended",
                                     "producing", "closed"]
    assert list(sites["method"].fillna("-")) == ["open_pit", "open_pit", "open_pit",
                                                 "underground", "-", "open_pit", "underground",
                                                 "open_pit"]
