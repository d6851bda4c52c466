"""Real data, real users: a bureau's GBK Gauss-Krüger mining-rights layer and corner-point table
(made here), the real OpenStreetMap pits and dumps of Haerwusu/Heidaigou, maps an official reads
(checked in Chromium with a CJK font), exports GIS staff open in QGIS."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from browser_helpers import open_offline
from conftest import site_frame, write_shapefile

import ordos_geo as og
from ordos_geo import cli

OSM = og.datasets.data_path("osm_landuse")
ACROSS_THE_RIVER = [1371979424, 1371979425, 1371979426]  # OSM dumps in Shanxi


def run(argv, capsys):
    rc = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out + out.err


@pytest.fixture(scope="module")
def osm_sites(tmp_path_factory):
    """The OSM quarry/landfill/landuse polygons as a user would type them in: kind, a banner."""
    tmp = tmp_path_factory.mktemp("osm")
    raw = gpd.read_file(OSM)
    keep = raw[raw["tag_value"].isin(["quarry", "landfill"]) | (raw["tag_key"] == "landuse")]
    frame = gpd.GeoDataFrame({
        "site_id": "OSM-" + keep["osm_id"].astype(str),
        "name": keep["name"].replace("", None),
        "kind": keep["tag_value"].map({"quarry": "pit", "landfill": "dump"}).fillna("pit"),
        "banner": "准格尔旗"}, geometry=keep.geometry.to_numpy(), crs=keep.crs)
    path = tmp / "osm_sites.geojson"
    frame.to_file(path)
    return path, frame


def mining_rights_layer(tmp):
    """A bureau layer: GBK Shapefile in CGCS2000 GK zone 37 (EPSG:4525), no kind column."""
    frame = site_frame(3).drop(columns=["类型"]).rename(columns={"矿山编号": "采矿许可证号"})
    frame["采矿许可证号"] = ["C1500002010061120067890", "C1500002011071120012345",
                       "C1500002012081120054321"]
    frame = frame.to_crs("EPSG:4525")
    return write_shapefile(frame, tmp / "采矿权.shp", encoding="GBK")


# --- 1. reading what bureaus have ---------------------------------------------------------------
def test_a_mining_rights_layer_is_read_as_mines_with_a_reported_assumption(tmp_path, capsys):
    shp = mining_rights_layer(tmp_path)
    result = og.sites.validate(shp)
    assert result.usable and set(result.sites["kind"]) == {"mine"}
    assert "kind_mining_right" in set(result.report["code"])
    rc, out = run(["zones", shp, "--out", tmp_path / "z"], capsys)
    assert rc == 0 and "kind=mine" in out
    assert (tmp_path / "z" / "validation_report.csv").exists()


def test_every_reading_command_takes_kind(tmp_path, capsys):
    frame = site_frame(3).drop(columns=["类型", "采矿权人", "生产规模"])  # not a rights layer
    path = tmp_path / "nokind.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    assert run(["zones", path, "--out", tmp_path / "z"], capsys)[0] == 1  # no kind: refused
    for argv in (["zones", path, "--kind", "mine", "--out", tmp_path / "z"],
                 ["map", path, "--kind", "mine", "--out", tmp_path / "m.html"],
                 ["export", path, "--kind", "mine", "--format", "gpkg", "--out",
                  tmp_path / "e.gpkg"]):
        rc, out = run(argv, capsys)
        assert rc == 0, (argv, out)


def test_a_corner_point_table_is_mines_without_being_told(tmp_path):
    path = tmp_path / "拐点坐标.csv"
    path.write_text("矿山编号,矿山名称,点号,X,Y\nC1,甲矿,1,4400000,37500000\n"
                    "C1,甲矿,2,4400000,37501000\nC1,甲矿,3,4401000,37501000\n"
                    "C1,甲矿,4,4401000,37500000\n", encoding="gbk")
    result = og.sites.validate(path)
    assert result.usable and list(result.sites["kind"]) == ["mine"]
    assert result.sites["area_ha"].iloc[0] == pytest.approx(100.0, rel=1e-4)
    assert "kind_corner_points" in set(result.report["code"])


def test_osm_dumps_across_the_yellow_river_are_refused_with_their_distance(osm_sites):
    path, frame = osm_sites
    result = og.sites.validate(path)
    outside = result.report[result.report["code"] == "outside_city"]
    assert sorted(outside["feature_id"]) == sorted(f"OSM-{i}" for i in ACROSS_THE_RIVER)
    distances = outside["problem"].str.extract(r"(\d+) 米")[0].astype(int)
    assert distances.between(300, 2500).all()  # 0.35–2.3 km across the river
    kept = set(result.sites["site_id"])
    assert len(kept) == len(frame) - 3 and not kept & set(outside["feature_id"])


def test_a_site_outside_the_banner_it_names_is_warned_with_the_distance():
    frame = site_frame(1)  # in Jungar Banner
    frame["旗区"] = ["达拉特旗"]
    _, report = og.sites.sites_from_frame(frame, refused="report")
    row = report[report["code"] == "banner_mismatch"].iloc[0]
    assert "准格尔旗" in row["problem"] and "米" in row["problem"]
    metres = int(row["problem"].split("边界 ")[1].split(" 米")[0])
    assert metres > 0


def test_the_boundary_tolerance_is_a_setting(osm_sites):
    path, _ = osm_sites
    with og.settings.context(boundary_tolerance_m=5000.0):
        result = og.sites.validate(path)
    assert not (result.report["code"] == "outside_city").any()
    with pytest.raises(og.errors.SettingsError):
        og.settings.boundary_tolerance_m = -1


def test_pits_are_open_pit_and_missing_methods_are_explained(osm_sites):
    path, frame = osm_sites
    sites, report = og.sites.read_sites(path, refused="report")
    pits = sites[sites["kind"] == "pit"]
    assert len(pits) and (pits["method"] == "open_pit").all()
    assert (report["code"] == "method_from_pit").sum() == (frame["kind"] == "pit").sum()
    mines = sites.assign(kind="mine", method=None)
    result = og.zones.build_zones(mines)
    zoned = og.rules.apply_rules(result.zones, sites=result.sites)
    explained = zoned[zoned["explanation"].str.contains("缺少 method")]
    assert len(explained) > 0
    for row in explained.itertuples():
        assert any(s in row.explanation for s in row.site_ids.split(";"))


# --- 2. maps an official can read ---------------------------------------------------------------
@pytest.fixture(scope="module")
def osm_maps(osm_sites, tmp_path_factory):
    path, _ = osm_sites
    tmp = tmp_path_factory.mktemp("osm_maps")
    inside = og.sites.read_sites(path, refused="report")[0]
    inside_path = tmp / "osm_inside.geojson"
    og.io.write_geojson(inside, inside_path)
    assert cli.main(["zones", str(inside_path), "--out", str(tmp / "z")]) == 0
    assert cli.main(["map", str(inside_path), "--zones", str(tmp / "z" / "zones.geojson"),
                     "--attribution", "© OpenStreetMap contributors (ODbL)",
                     "--out", str(tmp / "zones.html")]) == 0
    assert cli.main(["map", str(inside_path), "--out", str(tmp / "plain.html")]) == 0
    assert cli.main(["map", str(inside_path), "--lang", "en", "--out", str(tmp / "en.html")]) == 0
    return tmp


def _boxes(page, *selectors):
    return [page.locator(s).first.bounding_box() for s in selectors]


def _overlap(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or
                a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_attribution_comes_from_the_data_and_leaves_the_scale_visible(osm_maps, browser):
    page, errors, external, _ = open_offline(browser, osm_maps / "zones.html")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(300)
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" in credit and "synthetic" not in credit
    assert page.locator(".leaflet-control-attribution svg").count() == 0  # a plain prefix
    scale, attribution = _boxes(page, ".leaflet-control-scale", ".leaflet-control-attribution")
    assert not _overlap(scale, attribution)
    assert scale["y"] + scale["height"] <= 768 and scale["x"] >= 0
    page.screenshot(path=str(osm_maps / "zones.png"))
    assert errors == [] and external == []
    plain, *_ = open_offline(browser, osm_maps / "plain.html")
    assert "osm_inside.geojson" in plain.locator(".leaflet-control-attribution").inner_text()


def test_a_geopackage_carries_its_attribution_into_the_map(osm_maps, tmp_path, capsys):
    gpkg = tmp_path / "osm.gpkg"
    rc, _ = run(["export", osm_maps / "osm_inside.geojson", "--format", "gpkg",
                 "--attribution", "© OpenStreetMap contributors (ODbL)", "--out", gpkg], capsys)
    assert rc == 0
    rc, _ = run(["map", gpkg, "--layer", "sites", "--out", tmp_path / "m.html"], capsys)
    assert rc == 0
    page = (tmp_path / "m.html").read_text("utf-8")
    spec = json.loads(page.split('id="ordos-data">', 1)[1].split("</script>", 1)[0])
    assert spec["attribution"].startswith("© OpenStreetMap contributors (ODbL) · 旗区：高德")


def test_every_colour_has_a_legend_entry_in_readable_type(osm_maps, browser):
    page, errors, _, _ = open_offline(browser, osm_maps / "zones.html")
    legends = page.locator(".ordos-legend").all_inner_texts()
    text = "\n".join(legends)
    # OSM pits and dumps have no status: coloured by kind, no "status unknown" on the map
    assert "用途" in text and "图斑类型" in text and "状态不明" not in text
    colours = page.evaluate("""() => { var out = new Set();
        ['zones', 'mines', 'parcels'].forEach(k => { var l = window.ordosLayers[k];
          if (l) l.eachLayer(f => out.add(f.options.fillColor)); }); return Array.from(out); }""")
    swatches = page.evaluate("Array.from(document.querySelectorAll('.ordos-swatch'))"
                             ".map(e => getComputedStyle(e).backgroundColor)")
    to_rgb = lambda h: f"rgb({int(h[1:3], 16)}, {int(h[3:5], 16)}, {int(h[5:7], 16)})"
    assert {to_rgb(c) for c in colours} <= set(swatches)
    sizes = page.evaluate("Array.from(document.querySelectorAll('.ordos-legend'))"
                          ".map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 13
    en, *_ = open_offline(browser, osm_maps / "en.html")
    assert "Parcel kind" in en.locator(".ordos-legend").last.inner_text()
    assert errors == []


def test_a_zone_id_is_searchable_and_the_hit_is_highlighted(osm_maps, browser):
    page, errors, _, _ = open_offline(browser, osm_maps / "zones.html")
    zone_id = page.evaluate("window.ordosLayers.zones.getLayers()[0].feature.properties.t[0]")
    short = zone_id.split("-", 1)[1]  # "薛家湾-01": without the banner
    page.locator(".leaflet-control-search .search-button").click()
    box = page.locator(".leaflet-control-search input")
    box.fill(short)
    box.dispatch_event("keyup")
    page.wait_for_selector(".leaflet-control-search .search-tip", timeout=5000)
    tips = page.locator(".leaflet-control-search .search-tip")
    assert any(zone_id in t for t in tips.all_inner_texts())
    tips.filter(has_text=zone_id).first.click()
    page.wait_for_timeout(400)
    weight = page.evaluate("window.ordosHighlighted.options.weight")
    assert weight == 5 and errors == []


def test_the_progress_tooltip_follows_the_slider_and_the_map_fits_its_sites(
        browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    ids = list(sites["site_id"].iloc[:3])
    summary = pd.DataFrame([{"site_id": s, "year": y, "vegetated_share": v, "status": "on_track",
                             "trajectory": "recovering"}
                            for s in ids for y, v in ((2019, 0.05), (2025, 0.95))])
    path = og.maps.save_map(og.maps.map_progress(sites, summary), tmp_path / "p.html")
    page, errors, _, _ = open_offline(browser, path)
    tip = """() => { var l = window.ordosLayers.progress.getLayers()[0];
        var t = window.ordosOpenTooltip(l).textContent;
        window.ordosLayers.progress.closeTooltip(); return t; }"""
    assert "(2025)" in page.evaluate(tip) and "95%" in page.evaluate(tip)
    page.locator("#ordos-year").evaluate(
        "(el) => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
    late = page.evaluate(tip)
    assert "(2019)" in late and "5%" in late and "95%" not in late
    fitted = page.evaluate("""() => { var b = window.ordosMap.getBounds(), ok = true;
        window.ordosLayers.progress.eachLayer(l => { ok = ok && b.contains(l.getBounds()); });
        return [ok, window.ordosMap.getZoom()]; }""")
    assert fitted[0] and fitted[1] >= 10  # opens on the sites, not on the whole city (~7)
    assert errors == []


# --- 3. exports GIS staff expect ----------------------------------------------------------------
def test_export_out_names_the_file_and_zones_go_beside_it(osm_maps, tmp_path, capsys):
    sites = osm_maps / "osm_inside.geojson"
    zones = osm_maps / "z" / "zones.geojson"
    rc, out = run(["export", sites, "--zones", zones, "--format", "shp",
                   "--out", tmp_path / "exp" / "mysites.shp"], capsys)
    assert rc == 0 and (tmp_path / "exp" / "mysites.shp").is_file()
    assert (tmp_path / "exp" / "mysites_zones.shp").is_file()
    exported = pyogrio.read_dataframe(tmp_path / "exp" / "mysites.shp")
    assert {"zone_id", "area_mu"} <= set(exported.columns) and exported["zone_id"].notna().all()
    rc, _ = run(["export", sites, "--zones", zones, "--format", "geojson",
                 "--out", tmp_path / "osm.geojson"], capsys)
    assert rc == 0 and (tmp_path / "osm.geojson").exists()
    assert (tmp_path / "osm_zones.geojson").exists()


def test_gk_copies_in_the_chosen_format_and_never_as_geojson(osm_maps, tmp_path, capsys):
    sites = osm_maps / "osm_inside.geojson"
    rc, out = run(["export", sites, "--format", "geojson", "--gk", "--out",
                   tmp_path / "o.geojson"], capsys)
    assert rc == 2 and "RFC 7946" in out and not (tmp_path / "o.geojson").exists()
    rc, _ = run(["export", sites, "--format", "shp", "--gk", "--out", tmp_path / "s.shp"], capsys)
    assert rc == 0
    assert gpd.read_file(tmp_path / "s_cgcs2000_gk37.shp").crs.to_epsg() == 4525  # 111°E
    rc, _ = run(["export", sites, "--format", "gpkg", "--gk", "--out", tmp_path / "g.gpkg"],
                capsys)
    assert rc == 0 and gpd.read_file(tmp_path / "g_cgcs2000_gk37.gpkg",
                                     layer="sites").crs.to_epsg() == 4525


def test_geopackages_are_version_1_2_with_qgis_styles(osm_maps, tmp_path, capsys):
    rc, _ = run(["export", osm_maps / "osm_inside.geojson", "--zones",
                 osm_maps / "z" / "zones.geojson", "--format", "gpkg", "--out",
                 tmp_path / "x.gpkg"], capsys)
    assert rc == 0
    for path in (tmp_path / "x.gpkg", osm_maps / "z" / "zones.gpkg"):
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
            styles = db.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles"
                                ).fetchall()
        by_layer = {name: qml for name, qml, default in styles if default}
        assert set(by_layer) == ({"sites", "zones"} if path.name == "x.gpkg"
                                 else {"zones", "sites_zoned"})
        zone_qml = ET.fromstring(by_layer["zones"].split("\n", 1)[1])
        labels = {c.get("value"): c.get("label") for c in zone_qml.iter("category")}
        assert labels["forest"] == "林地（乔灌草结合）" and zone_qml.find("renderer-v2").get(
            "attr") == "end_use"
    meta = og.io.read_metadata(tmp_path / "x.gpkg")
    assert meta["ordos_geo_version"] == og.__version__ and "osm_inside" in meta["attribution"]


@pytest.mark.parametrize("lang, header, other", [("zh", "编号", "治理区编号"),
                                                 ("en", "site_id", "zone_id")])
def test_xlsx_headers_in_the_users_language(osm_maps, tmp_path, capsys, lang, header, other):
    rc, _ = run(["export", osm_maps / "osm_inside.geojson", "--zones",
                 osm_maps / "z" / "zones.geojson", "--format", "xlsx", "--lang", lang,
                 "--out", tmp_path / "r.xlsx"], capsys)
    assert rc == 0
    heads = list(pd.read_excel(tmp_path / "r.xlsx").columns)
    assert heads[0] == header and other in heads
    if lang == "zh":
        canonical = set(og.sites.CANONICAL_FIELDS) | {"area_ha", "area_mu", "zone_id"}
        assert not canonical & set(heads)  # every known field has its Chinese header


# --- 4. smaller --------------------------------------------------------------------------------
def test_help_is_chinese_by_default_and_english_on_request(capsys):
    with pytest.raises(SystemExit):
        cli.main(["zones", "--help"])
    zh = capsys.readouterr().out
    assert "相距不超过该距离" in zh
    with pytest.raises(SystemExit):
        cli.main(["zones", "--help", "--lang", "en"])
    assert "link sites within this distance" in capsys.readouterr().out


def test_the_kind_aliases_are_listed_once():
    frame = site_frame(1).drop(columns=["类型", "采矿权人", "生产规模"])
    _, report = og.sites.sites_from_frame(frame, refused="report")
    text = report.loc[report["code"] == "field_missing", "problem"].iloc[0]
    aliases = text.split("：", 1)[1].split("）")[0].split(", ")
    assert len(aliases) == len(set(aliases))


def test_validating_a_missing_file_still_writes_its_report(tmp_path, capsys):
    rc, _ = run(["validate", tmp_path / "nope.geojson", "--report", tmp_path / "r.csv"], capsys)
    assert rc == 1
    report = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    assert report["problem"].str.contains("nope.geojson").any()


def test_notebook_plots_draw_chinese():
    import matplotlib

    matplotlib.use("Agg")
    font = og.utils.use_cjk_font()
    assert font is not None, "a CJK font is installed by `make test` (fonts-noto-cjk)"
    assert matplotlib.rcParams["font.sans-serif"][0] == font


def test_json_map_data_parses(osm_maps):
    page = (osm_maps / "zones.html").read_text("utf-8")
    spec = json.loads(page.split('id="ordos-data">', 1)[1].split("</script>", 1)[0])
    assert {layer["key"] for layer in spec["layers"]} >= {"zones", "mines", "parcels"}


def test_the_register_and_supervision_on_the_osm_mines(osm_sites, tmp_path, browser):
    """The real OSM polygons of Haerwusu/Heidaigou as a register's mines, through the CLI:
    init, import a listing (a CSV, also as the spot-check source), spot checks, the map."""
    path, _ = osm_sites
    inside = og.sites.read_sites(path, refused="report", kind="mine")[0]
    inside = inside.assign(kind="mine")
    sites = tmp_path / "mines.geojson"
    og.io.write_geojson(inside, sites)
    db = str(tmp_path / "osm.gpkg")
    assert cli.main(["register", "init", db, "--sites", str(sites)]) == 0
    table = tmp_path / "list.csv"
    ids = inside["site_id"].tolist()
    pd.DataFrame({"矿山编号": ids, "旗区": "准格尔旗", "级别": "国家级",
                  "纳入名录日期": "2022-01-01", "状态": "在录"}).to_csv(table, index=False)
    assert cli.main(["register", "import", db, str(table)]) == 0
    seed = []
    for source in (db, str(table)):  # drawn from the register, reproduced from the table
        out = tmp_path / ("from_db" if source == db else "from_csv")
        assert cli.main(["spot-check", source, "--year", "2026", *seed, "--out", str(out)]) == 0
        plan = pd.read_csv(out / "spot_checks.csv")
        assert len(plan) >= -(-len(ids) // 5) and set(plan["mine_id"]) <= set(ids)
        seed = ["--seed", str(plan["seed"].iloc[0])]
    assert cli.main(["register", "map", db, "--year", "2026", "--out",
                     str(tmp_path / "sup.html")]) == 0
    page, errors, external, _ = open_offline(browser, tmp_path / "sup.html")
    assert page.evaluate("window.ordosLayers.supervision.getLayers().length") == len(ids)
    assert errors == [] and external == []
