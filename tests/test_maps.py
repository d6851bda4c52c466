"""The HTML maps in a real headless browser (Debian's chromium via playwright), network blocked.

These tests never skip: `make test` installs chromium when it is missing.
"""

import pandas as pd
import pytest
from browser_helpers import open_offline

import ordos_geo as og
from ordos_geo import maps

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    return result.sites, zones


def test_overview_map_loads_offline_with_every_feature(browser, embedded, tmp_path):
    sites, zones = embedded
    path = maps.save_map(maps.map_overview(sites, zones=zones), tmp_path / "overview.html")
    page, errors, external, _ = open_offline(browser, path)
    counts = page.evaluate("Object.fromEntries(Object.entries(window.ordosLayers)"
                           ".map(([k, v]) => [k, v.getLayers().length]))")
    n_parcels = int(sites["kind"].isin(["pit", "dump", "other"]).sum())
    n_areas = len(og.datasets.priority_areas().dropna(subset=["geometry"]))
    assert counts == {"banners": 9, "areas": n_areas, "zones": len(zones),
                      "mines": len(sites) - n_parcels, "parcels": n_parcels}
    assert page.locator(".ordos-legend").count() == 2  # one box per corner used
    titles = page.locator(".ordos-legend-section > b").all_inner_texts()
    assert {"参考图层", "用途", "矿山状态（矿区填色，图斑边框色）", "图斑类型（填色）"} <= set(titles)
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-minimap").count() == 1
    assert errors == [] and external == []
    assert "无主" in page.locator(".ordos-legend").last.inner_text()


def test_zones_map_has_a_legend_of_end_uses(browser, embedded, tmp_path):
    sites, zones = embedded
    path = maps.save_map(maps.map_zones(zones, sites), tmp_path / "zones.html")
    page, errors, external, _ = open_offline(browser, path)
    legend = "\n".join(page.locator(".ordos-legend").all_inner_texts())
    for label in zones["end_use_label"].unique():
        assert label in legend
    assert page.evaluate("window.ordosLayers.zones.getLayers().length") == len(zones)
    assert errors == [] and external == []


def test_a_hostile_site_name_is_shown_as_text(browser, embedded, tmp_path):
    sites, _ = embedded
    evil = sites.copy()
    lone = evil.index[evil["status"] == "ownerless"][0]  # a pit of its own: nothing drawn above it
    evil.loc[lone, "name"] = XSS
    key = evil.loc[lone, "site_id"]
    path = maps.save_map(maps.map_overview(evil), tmp_path / "xss.html")
    page, errors, external, dialogs = open_offline(browser, path)
    # zoom to the site, then hover over its centre as a user would
    point = page.evaluate("""(key) => { var target;
        window.ordosLayers.parcels.eachLayer(function (l) {
          if (l.feature.properties.t[0] === key) { target = l; } });
        window.ordosMap.fitBounds(target.getBounds(), {animate: false});
        var p = window.ordosMap.latLngToContainerPoint(target.getBounds().getCenter());
        var r = window.ordosMap.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", key)
    page.mouse.move(point[0] - 3, point[1] - 3)
    page.mouse.move(point[0], point[1])
    tooltip = page.locator(".leaflet-tooltip")
    assert XSS in tooltip.inner_text()  # the markup is shown as text
    assert tooltip.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert errors == [] and external == []


def test_progress_map_slider_restyles_features(browser, embedded, tmp_path):
    sites, _ = embedded
    rows = []
    for k, site_id in enumerate(sites["site_id"].iloc[:5]):
        for year, share in ((2019, 0.05), (2025, 0.95)):
            rows.append({"site_id": site_id, "year": year, "vegetated_share": share,
                         "status": "on_track", "trajectory": "recovering"})
    summary = pd.DataFrame(rows)
    path = maps.save_map(maps.map_progress(sites, summary), tmp_path / "progress.html")
    page, errors, external, _ = open_offline(browser, path)
    colour = "() => { var c; window.ordosLayers.progress.eachLayer(function (l) " \
             "{ c = l.options.fillColor; }); return c; }"
    assert page.evaluate("window.ordosLayers.progress.getLayers().length") == 5
    late = page.evaluate(colour)
    slider = page.locator("#ordos-year")
    slider.evaluate("(el) => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
    early = page.evaluate(colour)
    assert late == maps._SHARE_COLOURS[-1] and early == maps._SHARE_COLOURS[0]
    assert page.locator("#ordos-year-label").inner_text() == "2019"
    assert errors == [] and external == []


def test_save_map_refuses_a_folium_page_that_needs_the_network(tmp_path):
    import folium

    m = folium.Map(tiles=None)
    m.get_root().header.add_child(folium.JavascriptLink("https://example.invalid/lib.js"))
    with pytest.warns(DeprecationWarning), \
            pytest.raises(og.errors.OrdosGeoError, match="example.invalid"):
        maps.save_map(m, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


def test_our_pages_load_nothing_from_a_host(embedded):
    """No <script src>, <link href> or <img src> to any host, and a CSP that forbids it."""
    sites, zones = embedded
    page = maps.map_zones(zones, sites).to_html()
    assert maps._external_refs(page) == []
    assert "connect-src 'none'" in page and "img-src data: blob:;" in page


def test_amap_basemap_shifts_overlays_to_gcj02(embedded):
    sites, _ = embedded
    m = maps.map_overview(sites.iloc[:3], basemap="amap")
    page = m.to_html()
    assert "GCJ-02" in page
    lon = sites.iloc[0].geometry.exterior.coords[0][0]
    shifted_lon, _ = og.projection.wgs84_to_gcj02(lon, sites.iloc[0].geometry.exterior.coords[0][1])
    assert abs(float(shifted_lon) - lon) > 0.003  # ~500 m east


def test_tianditu_needs_a_key(embedded, monkeypatch):
    sites, _ = embedded
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(og.errors.OrdosGeoError, match="TIANDITU_KEY"):
        maps.map_overview(sites.iloc[:2], basemap="tianditu")
    page = maps.map_overview(sites.iloc[:2], basemap="tianditu", tianditu_key="abc").to_html()
    assert "tianditu.gov.cn" in page and "tk=abc" in page


def test_the_demo_maps_load_offline(browser, demo_run):
    res, folder = demo_run  # the demo the CLI test runs too: one run per session
    assert res.returncode == 0, res.stderr
    pages = [folder / "demo" / "maps" / name for name in ("ordos_overview.html", "zones.html",
                                                           "progress.html")]
    assert all(p.exists() for p in pages)
    for path in pages:
        page, errors, external, _ = open_offline(browser, path)
        assert page.evaluate("typeof L.version") == "string"
        counts = page.evaluate("Object.values(window.ordosLayers).map(l => l.getLayers().length)")
        assert all(c > 0 for c in counts)
        for control in (".leaflet-control-search", ".leaflet-control-zoom-fullscreen",
                        ".leaflet-control-measure", ".leaflet-control-minimap",
                        ".leaflet-control-layers", ".ordos-legend"):
            assert page.locator(control).count() >= 1, (path.name, control)
        assert "Global Energy Monitor" in page.locator(".leaflet-control-attribution").inner_text()
        assert errors == [] and external == [], (path.name, errors, external)
        page.close()


def test_search_finds_a_site_by_name_or_id(browser, embedded, tmp_path):
    sites, zones = embedded
    path = maps.save_map(maps.map_zones(zones, sites), tmp_path / "search.html")
    page, errors, external, _ = open_offline(browser, path)
    page.locator(".leaflet-control-search .search-button").click()
    box = page.locator(".leaflet-control-search input")
    for text in ("SYN-P002", "合成无主采坑"):  # by id, and by Chinese name (typed as an IME would)
        box.fill(text)
        box.dispatch_event("keyup")
        page.wait_for_timeout(700)  # the control waits 400 ms after the last key
        page.wait_for_selector(".leaflet-control-search .search-tip", timeout=5000)
        tips = page.locator(".leaflet-control-search .search-tip").all_inner_texts()
        assert tips and all(text in t for t in tips), (text, tips)
    assert errors == [] and external == []


def test_a_map_with_an_empty_layer_loads(browser, embedded, tmp_path):
    sites, _ = embedded
    mines_only = sites[sites["kind"] == "mine"]
    path = maps.save_map(maps.map_overview(mines_only), tmp_path / "mines.html")
    page, errors, external, _ = open_offline(browser, path)
    counts = page.evaluate("Object.fromEntries(Object.entries(window.ordosLayers)"
                           ".map(([k, v]) => [k, v.getLayers().length]))")
    assert counts["mines"] == len(mines_only) and counts["parcels"] == 0
    assert errors == [] and external == []
