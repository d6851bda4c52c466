"""One symbology for maps, sheets and QGIS: colours an official can tell apart, a legend entry
for every colour drawn, parcels by kind with their mine's status as outline, tooltips as wide as
their text, labels (not codes) and a Chinese attribution on Chinese maps. Checked in Chromium."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
from browser_helpers import check_legend, open_offline

import ordos_geo as og
from ordos_geo import cli, maps
from ordos_geo.publish import symbology

# --- the colour difference: Sharma, Wu & Dalal (2005), Table 1 (known answers) -------------------
SHARMA = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
          ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
          ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),   # hue across 0°/360°
          ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
          ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
          ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
          ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082)]


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA)
def test_ciede2000_reproduces_the_published_pairs(lab1, lab2, expected):
    assert symbology._lab_delta_e(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert symbology._lab_delta_e(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_the_clash_check_finds_the_colours_that_shared_a_meaning():
    # before: ownerless and suspected disturbance were both red, retained pits and producing
    # mines both blue — the check must call those one colour
    old = {"无主": "#d62728", "疑似越界扰动": "#e31a1c", "留置尾坑": "#2b8cbe", "生产": "#1f77b4"}
    found = {frozenset(p[:2]) for p in symbology.clashes(old)}
    assert frozenset({"无主", "疑似越界扰动"}) in found and frozenset({"留置尾坑", "生产"}) in found
    assert symbology.clashes({"a": "#000000", "b": "#ffffff"}) == []


def test_every_class_of_the_table_is_apart_from_every_class_it_is_drawn_with():
    c = symbology.colours()
    together = {**c["status"], "status_unknown": c["status_unknown"],
                **{f"kind_{k}": v for k, v in c["kind"].items() if k != "mine"},
                **{f"use_{k}": v for k, v in c["end_use"].items()},
                "use_unset": c["end_use_unset"], "retained": c["retained"], "flow": c["flow"],
                "areas": c["priority_area"], "banner": c["banner"], "suspected": c["suspected"]}
    assert symbology.clashes(together) == []
    assert symbology.clashes({**c["supervision"], "areas": c["priority_area"],
                              "banner": c["banner"]}) == []
    ramp = {f"share{k}": v for k, v in enumerate(c["share"])}
    assert symbology.clashes({**ramp, "missing": c["share_missing"],
                              "areas": c["priority_area"], "banner": c["banner"]}) == []


# --- every map, in Chromium ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedded_maps(tmp_path_factory, sample_imagery):
    """Every kind of map on the embedded data, in Chinese and in English."""
    tmp = tmp_path_factory.mktemp("symbology")
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    summary = _summary(result.sites)
    flows = gpd.GeoDataFrame({"volume_m3": [50_000.0], "from_site_id": ["a"],
                              "to_site_id": ["b"]}, geometry=gpd.GeoSeries.from_wkt(
        ["LINESTRING (111.2 39.7, 111.25 39.72)"], crs=4326))
    retained = result.sites[result.sites["kind"] == "pit"].head(1)
    suspected = gpd.GeoDataFrame({"suspect_id": ["S1"], "nearest_mine_id": ["x"],
                                  "distance_m": [300.0], "area_ha": [2.0],
                                  "first_seen": ["2023-07-01"], "last_seen": ["2024-07-01"],
                                  "n_dates": [3], "confidence": [0.82]},
                                 geometry=[result.sites.geometry.iloc[0].buffer(0.01)
                                           .difference(result.sites.geometry.iloc[0])], crs=4326)
    out = {}
    for lang in ("zh", "en"):
        pages = {
            "overview": maps.map_overview(result.sites, zones=zones, lang=lang),
            "zones": maps.map_zones(zones, result.sites, lang=lang, flows=flows,
                                    retained=retained),
            "progress": maps.map_progress(result.sites, summary, lang=lang, zones=zones),
            "disturbance": maps.map_disturbance(result.sites, suspected, lang=lang)}
        for name, page in pages.items():
            out[(name, lang)] = maps.save_map(page, tmp / f"{name}_{lang}.html")
    return out


def _summary(sites) -> pd.DataFrame:
    """Three years of vegetated shares; one site has no value in the middle year."""
    ids = sites["site_id"].astype(str).tolist()[:12]
    rows = [{"site_id": s, "year": y, "vegetated_share": (k % 6) / 6 + 0.05,
             "status": "on_track", "trajectory": "recovering"}
            for k, s in enumerate(ids) for y in (2022, 2023, 2024)]
    frame = pd.DataFrame(rows)
    frame.loc[(frame["site_id"] == ids[0]) & (frame["year"] == 2023), "vegetated_share"] = None
    return frame


MAPS = ["overview", "zones", "progress", "disturbance"]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", MAPS)
def test_every_colour_drawn_has_its_legend_entry_and_no_two_classes_look_alike(
        embedded_maps, browser, name, lang):
    page, errors, external, _ = open_offline(browser, embedded_maps[(name, lang)])
    found = check_legend(page)
    assert found["missing"] == [], found["missing"]      # a colour on the map, not in the legend
    assert found["wrong"] == []                          # a swatch showing another colour
    assert found["clashes"] == []                        # one colour, two meanings
    assert found["repeated"] == []
    assert found["unused"] == []                         # a legend entry for nothing drawn
    assert len(found["drawn"]) > 0
    assert errors == [] and external == []
    page.close()


def test_the_progress_map_says_what_grey_means_and_keeps_the_zones(embedded_maps, browser):
    page, *_ = open_offline(browser, embedded_maps[("progress", "zh")])
    labels = [s["label"] for s in check_legend(page)["legend"]]
    assert "无数据" in labels and "集中连片治理区" in labels
    assert "zones" in page.evaluate("Object.keys(window.ordosLayers)")
    page.close()


@pytest.mark.parametrize("name", MAPS)
def test_english_maps_show_words_not_codes(embedded_maps, browser, name):
    page, *_ = open_offline(browser, embedded_maps[(name, "en")])
    texts = page.evaluate("""() => { const out = [];
        Object.values(window.ordosLayers).forEach(l => l.eachLayer(f =>
          (f.feature.properties.t || []).forEach(v => out.push(String(v)))));
        document.querySelectorAll('.ordos-legend').forEach(e => out.push(e.innerText));
        out.push(document.querySelector('.leaflet-control-attribution').innerText);
        return out; }""")
    codes = {"no_target", "still_disturbed", "on_track", "national", "listed", "open_pit",
             "farmland_pasture", "producing", "ownerless", "recovering", "pv"}
    assert not codes & set(texts), codes & set(texts)
    assert not any("\u4e00" <= ch <= "\u9fff" for t in texts[-1:] for ch in t)  # attribution
    page.close()


def test_chinese_maps_credit_their_sources_in_chinese(embedded_maps, browser):
    page, *_ = open_offline(browser, embedded_maps[("overview", "zh")])
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "旗区：高德" in credit and "合成数据" in credit and "Banners" not in credit
    page.close()


# --- real data: OSM parcels are coloured by kind, never by a status they cannot have -----------
OSM = "/work/shared/data/haerwusu_heidaigou_osm_landuse.geojson"


@pytest.fixture(scope="module")
def osm_map(tmp_path_factory):
    import pathlib

    src = pathlib.Path(OSM)
    if not src.exists():
        src = og.datasets.data_path("osm_landuse")
    tmp = tmp_path_factory.mktemp("osm_sym")
    assert cli.main(["map", str(src), "--drop-refused", "--out", str(tmp / "osm.html")]) == 0
    return tmp / "osm.html"


def test_osm_parcels_are_filled_by_kind_and_nothing_is_status_unknown(osm_map, browser):
    page, errors, *_ = open_offline(browser, osm_map)
    fills = page.evaluate("""() => { const out = [];
        window.ordosLayers.parcels.eachLayer(f => out.push(f.options.fillColor)); return out; }""")
    kinds = maps.KIND_COLOURS
    assert fills and set(fills) <= set(kinds.values())
    assert maps.UNKNOWN_COLOUR not in fills
    legend = page.locator(".ordos-legend").last.inner_text()
    assert "状态不明" not in legend and "采坑" in legend and "排土场" in legend
    found = check_legend(page)
    assert found["missing"] == [] and found["clashes"] == []
    assert errors == []


def test_a_parcels_outline_is_its_mines_status(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    parcels = sites[sites["kind"].isin(["pit", "dump"])].head(4).copy()
    parcels["status"] = ["ownerless", "producing", None, "closed"][:len(parcels)]
    path = maps.save_map(maps.map_overview(parcels), tmp_path / "p.html")
    page, *_ = open_offline(browser, path)
    drawn = page.evaluate("""() => { const out = {};
        window.ordosLayers.parcels.eachLayer(f => out[f.feature.properties.t[0]] =
          [f.options.fillColor, f.options.color]); return out; }""")
    for row in parcels.itertuples():
        fill, outline = drawn[row.site_id]
        assert fill == maps.KIND_COLOURS[row.kind]
        known = isinstance(row.status, str)
        assert outline == (maps.STATUS_COLOURS[row.status] if known else fill)
    labels = {s["label"] for s in check_legend(page)["legend"]}
    assert {"无主", "生产", "关闭"} <= labels and "状态不明" not in labels


def test_a_chinese_tooltip_is_as_wide_as_its_text(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    one = sites.head(1).assign(name="准格尔旗-薛家湾-03 露天煤矿")
    path = maps.save_map(maps.map_overview(one), tmp_path / "tip.html")
    page, *_ = open_offline(browser, path)
    page.evaluate("""() => { const layer = window.ordosLayers.mines.getLayers()[0];
                             window.ordosOpenTooltip(layer); }""")
    line = page.locator(".ordos-tip div").nth(1)   # the name line
    box = line.bounding_box()
    height = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.ordos-tip'))"
                           ".lineHeight) || 18")
    assert "准格尔旗-薛家湾-03" in line.inner_text()
    assert box["height"] <= 1.6 * height   # one line, not one line every 3–4 characters
    assert box["width"] > 150


# --- the same symbology in QGIS ------------------------------------------------------------------
def test_the_geopackage_style_draws_parcels_by_kind_outlined_by_status(tmp_path, capsys):
    path = og.datasets.synthetic_sites_path()
    assert cli.main(["export", str(path), "--format", "gpkg", "--out",
                     str(tmp_path / "s.gpkg")]) == 0
    with sqlite3.connect(tmp_path / "s.gpkg") as db:
        qml = db.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'sites'"
                         ).fetchone()[0]
    kinds = maps.KIND_COLOURS
    for kind, colour in kinds.items():
        assert f'value="k:{kind}"' in qml
        rgb = ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
        assert rgb in qml
    import xml.etree.ElementTree as ET

    root = ET.fromstring(qml.split("\n", 1)[1])
    assert '"kind"' in root.find("renderer-v2").get("attr")
    outlines = [o.get("value") for o in root.iter("Option") if o.get("name") == "expression"]
    assert len(outlines) == len(kinds) and all('"status"' in e for e in outlines)
    cats = {c.get("value"): c.get("label") for c in root.iter("category")}
    assert cats["s:ownerless"] == "无主" and cats["k:pit"] == "采坑"


def test_the_map_command_keeps_the_zones_under_the_progress(tmp_path, demo_run):
    _, folder = demo_run
    demo = folder / "demo"
    out = tmp_path / "p.html"
    assert cli.main(["map", str(demo / "sites.geojson"), "--zones", str(demo / "zones.geojson"),
                     "--progress", str(demo / "progress_summary.csv"), "--out", str(out)]) == 0
    page = out.read_text("utf-8")
    spec = json.loads(page.split('id="ordos-data">', 1)[1].split("</script>", 1)[0])
    keys = [layer["key"] for layer in spec["layers"]]
    assert "zones" in keys and "progress" in keys


def test_a_layer_that_starts_hidden_is_hidden(embedded_maps, browser):
    # the overview opens on the sites; the zones are one click away in the layer control (the
    # search control used to put them on the map, over the sites)
    page, *_ = open_offline(browser, embedded_maps[("overview", "zh")])
    shown = page.evaluate("Object.fromEntries(Object.entries(window.ordosLayers).map(([k, l]) =>"
                          " [k, window.ordosMap.hasLayer(l)]))")
    assert shown["zones"] is False and shown["mines"] and shown["parcels"]
    box = page.locator(".leaflet-control-layers-overlays label", has_text="集中连片治理区")
    assert not box.locator("input").is_checked()
    page.close()


def test_a_site_named_like_a_code_keeps_its_name(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    one = sites[sites["kind"] == "pit"].head(1).assign(name="other", status="ownerless")
    path = maps.save_map(maps.map_overview(one), tmp_path / "code.html")
    page, *_ = open_offline(browser, path)
    values = page.evaluate("window.ordosLayers.parcels.getLayers()[0].feature.properties.t")
    assert values[1] == "other" and values[2] == "采坑" and values[4] == "无主"
    page.close()


def test_a_zone_sheet_legend_lists_the_classes_it_draws_in_the_maps_colours():
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    zone = zones.iloc[0]
    members = result.sites[result.sites["zone_id"] == zone["zone_id"]]
    fig = og.sheets.zone_sheet(zone, members, flows=None, retained=set(), earthworks=None,
                               progress=None, lang="zh")
    legend = fig.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    values = symbology.value_labels("zh")
    assert sorted(labels) == sorted(values[k] for k in set(members["kind"]))
    colours = symbology.colours()["kind"]
    import matplotlib.colors as mc

    for text, patch in zip(legend.get_texts(), legend.get_patches()):
        kind = next(k for k in colours if values[k] == text.get_text())
        assert mc.to_hex(patch.get_facecolor()) == colours[kind]


def test_a_parcel_without_a_status_is_outlined_in_its_mines(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    mine = sites[sites["kind"] == "mine"].head(1).assign(site_id="M1", status="producing")
    pit = sites[sites["kind"] == "pit"].head(1).assign(site_id="P1", mine_id="m1", status=None)
    lone = sites[sites["kind"] == "dump"].head(1).assign(site_id="P2", mine_id="NOPE",
                                                          status=None)
    frame = pd.concat([mine, pit, lone])
    path = maps.save_map(maps.map_overview(frame), tmp_path / "inherit.html")
    page, *_ = open_offline(browser, path)
    drawn = page.evaluate("""() => { const out = {};
        window.ordosLayers.parcels.eachLayer(f => out[f.feature.properties.t[0]] =
          [f.options.fillColor, f.options.color]); return out; }""")
    assert drawn["P1"] == [maps.KIND_COLOURS["pit"], maps.STATUS_COLOURS["producing"]]
    assert drawn["P2"] == [maps.KIND_COLOURS["dump"]] * 2   # its mine is not on the map
    found = check_legend(page)
    assert found["missing"] == [] and found["unused"] == []
    page.close()


def test_a_planners_own_end_uses_get_their_own_colours_and_entries(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    own = zones.copy()
    own.loc[own.index[:3], ["end_use", "end_use_label"]] = ["wetland", "湿地公园"]
    own.loc[own.index[3:6], ["end_use", "end_use_label"]] = ["mining_park", "矿山公园"]
    own.loc[own.index[6], ["end_use", "end_use_label"]] = [None, None]
    path = maps.save_map(maps.map_zones(own, result.sites), tmp_path / "own.html")
    page, *_ = open_offline(browser, path)
    found = check_legend(page)
    labels = {s["label"]: s["colour"] for s in found["legend"]}
    assert {"湿地公园", "矿山公园", "用途未定"} <= set(labels)
    assert len({labels["湿地公园"], labels["矿山公园"], labels["用途未定"]}) == 3
    assert found["missing"] == [] and found["clashes"] == [] and found["unused"] == []
    page.close()


def test_the_year_slider_steps_through_the_years_measured(browser, tmp_path):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    ids = sites["site_id"].astype(str).head(4).tolist()
    summary = pd.DataFrame([{"site_id": s, "year": y, "vegetated_share": 0.5,
                             "status": "on_track", "trajectory": "recovering"}
                            for s in ids for y in (2019, 2022, 2025)])
    path = maps.save_map(maps.map_progress(sites, summary), tmp_path / "gap.html")
    page, *_ = open_offline(browser, path)
    seen = []
    for step in range(3):
        page.locator("#ordos-year").evaluate(
            f"(el) => {{ el.value = '{step}'; el.dispatchEvent(new Event('input')); }}")
        seen.append(page.locator("#ordos-year-label").inner_text())
        found = check_legend(page, all_layers=False)
        assert found["missing"] == [], (seen[-1], found["missing"])
    assert seen == ["2019", "2022", "2025"]
    assert page.locator("#ordos-year").get_attribute("max") == "2"
    page.close()


def test_a_layer_turned_back_on_goes_to_its_place(embedded_maps, browser):
    page, *_ = open_offline(browser, embedded_maps[("zones", "zh")])
    label = page.locator(".leaflet-control-layers-overlays label", has_text="集中连片治理区")
    label.locator("input").uncheck()
    label.locator("input").check()
    order = page.evaluate("""() => { const keys = Object.keys(window.ordosLayers);
        const r = window.ordosMap.getRenderer(window.ordosLayers.zones.getLayers()[0]);
        const first = {}; let k = 0;
        for (let l = r._drawFirst; l; l = l.next) {
          const key = keys.find(n => window.ordosLayers[n].hasLayer(l.layer));
          if (key && !(key in first)) first[key] = k++;
        }
        return first; }""")
    assert order["zones"] < order["mines"] < order["parcels"], order
    page.close()
