"""A layer of more than ``packing.TILE_OVER`` polygons or lines travels in tiles: Python's
round trip, the tile zoom rule, the search text carried as a join, and the page: dots below the
tiles' zoom, the shapes of the tiles in view above it (features reaching in from a tile out of
view included), search of a feature in a tile not yet built, the hint, the year slider."""

import json

import numpy as np
import pytest
import shapely
from browser_helpers import open_offline

import ordos_geo as og
from ordos_geo.publish import maps, packing

LON0, LAT0 = 109.8, 39.6


def _collection(n: int, *, seed: int = 3, missing=(), big=()):
    rng = np.random.default_rng(seed)
    features, geoms = [], []
    for k in range(n):
        x, y = round(LON0 + rng.uniform(-0.6, 0.6), 5), round(LAT0 + rng.uniform(-0.4, 0.4), 5)
        w = 0.3 if k in big else 0.004
        box = shapely.box(x, y, round(x + w, 5), round(y + 0.003, 5))
        geom = shapely.MultiPolygon([box]) if k % 5 == 0 else box  # lines: a test of their own
        geoms.append(None if k in missing else geom)
        name = None if k % 11 == 0 else f"矿{k:04d}"
        features.append({"type": "Feature", "properties": {
            "t": [f"S{k:04d}", name, "采坑"], "c": k % 3, "s": f"{name or ''} S{k:04d}"},
            "geometry": None if k in missing else shapely.geometry.mapping(geom)})
    return json.loads(maps.page_json({"type": "FeatureCollection", "features": features})), geoms


def test_tile_of_is_the_web_mercator_tile_leaflet_asks_for():
    # worked by hand with the OSM wiki's formula (ln(tan + sec)), not the module's asinh
    import math
    for lon, lat, z in [(0.0, 0.0, 1), (109.8, 39.6, 12), (-179.9, 85.0, 5), (111.0, 38.0, 18)]:
        n = 2 ** z
        x = math.floor((lon + 180) / 360 * n)
        r = math.radians(lat)
        y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
        got = packing.tile_of(np.array([lon]), np.array([lat]), z)
        assert (int(got[0][0]), int(got[1][0])) == (x, y)


@pytest.mark.parametrize("most", [1, 7, 40, 10_000])
def test_tiles_round_trip_in_order_and_no_tile_holds_more_than_allowed(most):
    layer, geoms = _collection(300, missing={4, 150})
    tiled = json.loads(maps.page_json(packing.tile_layer(layer, most=most)))
    assert packing.untile_layer(tiled) == layer
    drawn = [t for t in tiled["tiles"] if t["x"] >= 0]
    assert sum(t["packed"]["n"] for t in tiled["tiles"]) == 300
    assert [t for t in tiled["tiles"] if t["x"] < 0][0]["packed"]["n"] == 2
    # the smallest zoom at which no tile holds more than ``most`` (or zoom 18)
    z = tiled["z"]
    assert max(t["packed"]["n"] for t in drawn) <= most or z == 18
    centres = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
                        for b in (g.bounds for g in geoms if g is not None)])
    if z > 4:
        tx, ty = packing.tile_of(centres[:, 0], centres[:, 1], z - 1)
        assert np.unique(tx * 2 ** (z - 1) + ty, return_counts=True)[1].max() > most
    # each feature in the tile of its bounding box's centre
    for tile in drawn:
        index = np.cumsum(tile["index"])
        tx, ty = packing.tile_of(centres[np.searchsorted(
            [k for k in range(300) if k not in {4, 150}], index), 0],
            centres[np.searchsorted([k for k in range(300) if k not in {4, 150}], index), 1], z)
        assert set(tx) == {tile["x"]} and set(ty) == {tile["y"]}


def test_points_and_mixed_kinds_are_not_tiled_and_lines_are():
    pts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                           "coordinates": [LON0, LAT0]}}]}
    assert packing.tile_layer(pts) is None
    lines = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"c": k}, "geometry": {
            "type": "LineString", "coordinates": [[LON0 + k / 100, LAT0], [LON0, LAT0 + 0.01]]}}
        for k in range(5)]}
    assert packing.untile_layer(packing.tile_layer(lines, most=2)) == lines
    assert packing.tile_layer({"type": "FeatureCollection",
                               "features": pts["features"] + lines["features"]}) is None


def test_the_search_text_travels_as_a_join_only_when_it_is_one():
    layer, _ = _collection(30)
    packed = packing.pack_layer(layer)
    assert packed["props"]["s"].get("join") == [["t", 1], ["t", 0]]
    assert packing.unpack_layer(json.loads(maps.page_json(packed))) == layer
    layer["features"][5]["properties"]["s"] = "其他 S0005"  # one text that is not the join
    packed = packing.pack_layer(layer)
    assert "join" not in packed["props"]["s"]
    assert packing.unpack_layer(json.loads(maps.page_json(packed))) == layer
    layer, _ = _collection(30)
    layer["features"][2]["properties"]["t"][0] = 17  # a number: the page's String() differs
    layer["features"][2]["properties"]["s"] = "矿0002 17"
    packed = packing.pack_layer(layer)
    assert "join" not in packed["props"]["s"]


def _tiled_page(tmp_path, monkeypatch, n=400, most=25, **kw):
    monkeypatch.setattr(packing, "TILE_OVER", 100)
    monkeypatch.setattr(packing, "TILE_FEATURES", most)
    sites = og.synthetic.clustered_sites(n)
    m = maps.map_overview(sites, **kw)
    return sites, m, maps.save_map(m, tmp_path / "tiled.html")


def test_the_page_draws_dots_below_the_tiles_zoom_and_shapes_of_the_tiles_in_view(
        browser, tmp_path, monkeypatch):
    sites, m, path = _tiled_page(tmp_path, monkeypatch)
    spec = maps.read_page_data(path.read_text("utf-8"))
    carried = json.loads(maps.page_json(m.page_spec()))
    tiled = {l["key"]: l["tiled"] for l in carried["layers"] if "tiled" in l}
    assert set(tiled) == {"mines", "parcels"}
    page, errors, external, _ = open_offline(browser, path)
    assert not errors and not external
    state = page.evaluate("""() => { var out = {};
        ['mines', 'parcels'].forEach(function (k) { var l = window.ordosLayers[k];
          out[k] = {z: l.ordosTiles.z, zoom: window.ordosMap.getZoom(),
                    shapes: l.getLayers().length, dots: l.ordosTiles.dots.drawn,
                    hint: getComputedStyle(document.querySelector('.ordos-zoom-hint')).display};
        });
        return out; }""")
    for key, s in state.items():
        # the opening view (every site in it) is below the tiles' zoom: no shapes, a dot for
        # every feature with a geometry
        n = len([f for f in spec["layers"][[l["key"] for l in spec["layers"]].index(key)]
                 ["geojson"]["features"] if f["geometry"]])
        assert s["zoom"] <= s["z"] == tiled[key]["z"]
        assert s["shapes"] == 0 and s["dots"] == n > 0
        assert s["hint"] != "none"
    # zoomed in on a tile: every feature whose box meets the view is built (also those whose
    # centre lies in a tile out of view), the dots are gone, the hint hidden
    feats = {l["key"]: l["geojson"]["features"] for l in spec["layers"]}
    for key in ("mines", "parcels"):
        z = tiled[key]["z"]
        view = page.evaluate(f"""() => {{ var l = window.ordosLayers['{key}'];
            var t = l.ordosTiles.tiles.filter(x => x.x >= 0)[0];
            var n = Math.pow(2, {z}), lng = (t.x + 0.5) / n * 360 - 180;
            var lat = 180 / Math.PI * Math.atan(Math.sinh(Math.PI * (1 - 2 * (t.y + 0.5) / n)));
            window.ordosMap.setView([lat, lng], {z} + 2, {{animate: false}});
            var b = window.ordosMap.getBounds(), got = [];
            l.eachLayer(function (f) {{ got.push(f.ordosIndex); }});
            return {{box: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], got: got,
                     dots: l.ordosTiles.dots.drawn,
                     hint: getComputedStyle(document.querySelector('.ordos-zoom-hint')).display}};
            }}""")
        view_box = shapely.box(*view["box"])
        meets = {k for k, f in enumerate(feats[key]) if f["geometry"] and
                 shapely.geometry.shape(f["geometry"]).intersects(view_box)}
        assert meets and meets <= set(view["got"])
        assert view["dots"] == 0 and view["hint"] == "none"
        # what the page built is what Python decodes, feature by feature
        props = page.evaluate(f"""() => {{ var out = {{}};
            window.ordosLayers['{key}'].eachLayer(function (f) {{
              out[f.ordosIndex] = f.feature.properties; }}); return out; }}""")
        for k, p in props.items():
            assert p == feats[key][int(k)]["properties"]
    assert not errors


def test_search_finds_a_feature_in_a_tile_not_built_and_highlights_it(
        browser, tmp_path, monkeypatch):
    sites, m, path = _tiled_page(tmp_path, monkeypatch)
    page, errors, _, _ = open_offline(browser, path)
    target = sites.iloc[len(sites) // 2]
    name = f"{target['name']} {target['site_id']}"
    assert page.evaluate("window.ordosLayers.mines.getLayers().length "
                         "+ window.ordosLayers.parcels.getLayers().length") == 0
    page.locator(".leaflet-control-search .search-button").click()
    box = page.locator(".leaflet-control-search input")
    box.fill(str(target["site_id"]))
    box.dispatch_event("keyup")
    page.wait_for_timeout(700)  # the control waits 400 ms after the last key
    tip = page.locator(".leaflet-control-search .search-tip", has_text=str(target["site_id"]))
    tip.first.click()
    hit = page.evaluate("""() => { var h = window.ordosHighlighted;
        return h ? {s: h.feature.properties.s, on: window.ordosMap.hasLayer(h),
                    colour: h.options.color} : null; }""")
    assert hit == {"s": name, "on": True, "colour": "#00e5ff"}
    assert not errors


def test_a_tiled_progress_layer_takes_the_slider_year_in_tiles_built_later(
        browser, tmp_path, monkeypatch):
    monkeypatch.setattr(packing, "TILE_OVER", 100)
    monkeypatch.setattr(packing, "TILE_FEATURES", 25)
    import pandas as pd

    sites = og.synthetic.clustered_sites(300)
    years = [2024, 2025]
    summary = pd.DataFrame([{"site_id": s, "year": y, "vegetated_share": v,
                             "status": "measured", "trajectory": "rising"}
                            for s, v0 in zip(sites["site_id"], np.linspace(0, 1, len(sites)))
                            for y, v in zip(years, [v0, 1 - v0])])
    path = maps.save_map(maps.map_progress(sites, summary), tmp_path / "p.html")
    page, errors, _, _ = open_offline(browser, path)
    key = page.evaluate("Object.keys(window.ordosLayers).find(k => window.ordosLayers[k]"
                        ".ordosTiles)")
    assert key is not None
    page.evaluate("window.ordosSetYear(2024)")
    colours = page.evaluate(f"""() => {{ var l = window.ordosLayers['{key}'];
        var t = l.ordosTiles.tiles.filter(x => x.x >= 0)[0], z = l.ordosTiles.z;
        var n = Math.pow(2, z), lng = (t.x + 0.5) / n * 360 - 180;
        var lat = 180 / Math.PI * Math.atan(Math.sinh(Math.PI * (1 - 2 * (t.y + 0.5) / n)));
        window.ordosMap.setView([lat, lng], z + 2, {{animate: false}});
        var out = []; l.eachLayer(function (f) {{
          out.push([f.feature.properties.s2024, f.options.fillColor]); }});
        return out; }}""")
    assert colours
    shares = sorted({c for _, c in colours})
    spec = maps.read_page_data(path.read_text("utf-8"))
    slider = spec["slider"]
    for v, c in colours:
        want = slider["missing"] if v is None else \
            slider["colours"][min(int(v * len(slider["colours"])), len(slider["colours"]) - 1)]
        assert c == want, (v, c, shares)
    assert not errors


@pytest.mark.parametrize("tiled", [True, False])
def test_a_site_searched_before_goes_back_to_the_slider_years_colour(
        browser, tmp_path, monkeypatch, tiled):
    """Slider on the first year, site A searched (highlighted), then site B: A takes again the
    colour of the slider's year, not of the last year (tiled or not)."""
    import pandas as pd

    if tiled:
        monkeypatch.setattr(packing, "TILE_OVER", 50)
        monkeypatch.setattr(packing, "TILE_FEATURES", 20)
    sites = og.synthetic.clustered_sites(200)
    summary = pd.DataFrame([{"site_id": s, "year": y, "vegetated_share": v,
                             "status": "measured", "trajectory": "rising"}
                            for s in sites["site_id"] for y, v in [(2019, 0.1), (2023, 0.9)]])
    path = maps.save_map(maps.map_progress(sites, summary), tmp_path / "p.html")
    page, errors, _, _ = open_offline(browser, path)
    page.evaluate("window.ordosSetYear(2019)")
    page.locator(".leaflet-control-search .search-button").click()
    box = page.locator(".leaflet-control-search input")
    for k, sid in enumerate([sites["site_id"].iloc[3], sites["site_id"].iloc[150]]):
        box.fill(str(sid))
        box.dispatch_event("keyup")
        page.wait_for_timeout(700)
        page.locator(".leaflet-control-search .search-tip", has_text=str(sid)).first.click()
        if k == 0:
            page.evaluate("() => { window.ordosA = window.ordosHighlighted; }")
    got = page.evaluate("[window.ordosA.options.fillColor, window.ordosA.options.color]")
    slider = maps.read_page_data(path.read_text("utf-8"))["slider"]
    first = slider["colours"][int(0.1 * len(slider["colours"]))]
    assert got == [first, first] and not errors
