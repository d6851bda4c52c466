"""The packed form of a map layer (quantised, delta-encoded coordinates, properties by column):
lossless for the display data in every geometry kind, decoded by the page exactly as by Python,
and much smaller than the GeoJSON it replaces."""

from __future__ import annotations

import json

import numpy as np
import shapely
from browser_helpers import open_offline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo.publish import maps, packing

LON0, LAT0 = 109.5, 39.5  # Ordos


def _q(v: float) -> float:
    return round(v, 5)


@st.composite
def _ring(draw, *, closed=True, n_min=3):
    cx = draw(st.floats(-1.0, 1.0)) + LON0
    cy = draw(st.floats(-1.0, 1.0)) + LAT0
    n = draw(st.integers(n_min, 9))
    r = draw(st.floats(1e-4, 0.05))
    angles = np.sort(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n,
                                   unique=True)))
    pts = [(_q(cx + r * np.cos(a)), _q(cy + r * np.sin(a))) for a in angles]
    return pts + [pts[0]] if closed else pts


@st.composite
def _geometry(draw, kind):
    if kind == "Point":
        return shapely.Point(_q(LON0 + draw(st.floats(-1, 1))), _q(LAT0 + draw(st.floats(-1, 1))))
    if kind == "LineString":
        return shapely.LineString(draw(_ring(closed=False, n_min=2)))
    if kind == "MultiLineString":
        return shapely.MultiLineString([draw(_ring(closed=False, n_min=2)) for _ in
                                        range(draw(st.integers(1, 3)))])
    if kind == "Polygon":
        return shapely.Polygon(draw(_ring()), [draw(_ring())] if draw(st.booleans()) else [])
    if kind == "MultiPolygon":
        return shapely.MultiPolygon([shapely.Polygon(draw(_ring())) for _ in
                                     range(draw(st.integers(1, 3)))])
    return shapely.MultiPoint([(_q(LON0 + x), _q(LAT0 + x / 2)) for x in
                               draw(st.lists(st.floats(-1, 1), min_size=1, max_size=4))])


_TEXT = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(
    ["<img src=x onerror=alert(1)>", "{{7*7}}", "露天煤矿", "\u2028", "=1+1"]))
_VALUE = st.one_of(_TEXT, st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                   st.booleans())
_KINDS = [["Point"], ["LineString"], ["MultiLineString"], ["Polygon"], ["MultiPolygon"],
          ["MultiPoint"], ["Polygon", "MultiPolygon"], ["LineString", "MultiLineString"],
          ["Point", "MultiPoint"]]


@st.composite
def _collection(draw):
    kinds = draw(st.sampled_from(_KINDS))
    n = draw(st.integers(1, 12))
    width = draw(st.integers(0, 3))
    features = []
    for _ in range(n):
        geom = None if draw(st.integers(0, 9)) == 0 else draw(_geometry(draw(
            st.sampled_from(kinds))))
        props = {"t": [draw(_VALUE) for _ in range(width)], "c": draw(st.integers(0, 3))}
        if draw(st.booleans()):
            props["s2021"] = draw(st.one_of(st.none(), st.floats(0, 1)))
        features.append({"type": "Feature", "properties": props,
                         "geometry": None if geom is None else shapely.geometry.mapping(geom)})
    return json.loads(json.dumps({"type": "FeatureCollection", "features": features}))


def _same(a: dict, b: dict) -> None:
    assert len(a["features"]) == len(b["features"])
    for fa, fb in zip(a["features"], b["features"]):
        assert fa["properties"] == fb["properties"]
        if fa["geometry"] is None:
            assert fb["geometry"] is None
            continue
        assert fb["geometry"]["type"] == fa["geometry"]["type"]
        ga, gb = shapely.geometry.shape(fa["geometry"]), shapely.geometry.shape(fb["geometry"])
        assert ga.equals_exact(gb, 1e-9), (ga.wkt, gb.wkt)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_collection())
def test_packing_is_lossless_in_every_geometry_kind(collection):
    packed = packing.pack_layer(collection)
    assert packed is not None
    back = packing.unpack_layer(json.loads(maps.page_json(packed)))
    _same(collection, back)


def test_a_layer_that_mixes_points_and_polygons_stays_geojson():
    mixed = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
        for g in (shapely.Point(LON0, LAT0), shapely.box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01))]}
    assert packing.pack_layer(json.loads(json.dumps(mixed))) is None
    unrounded = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [LON0 + 1.234567891, LAT0]}}]}
    assert packing.pack_layer(unrounded) is None  # never rounded by the packing itself
    assert packing.pack_layer({"type": "FeatureCollection", "features": []}) is None


def test_the_page_carries_packed_layers_under_half_the_geojson():
    sites = og.synthetic.clustered_sites(2000)
    m = maps.map_overview(sites)
    plain = len(maps.page_json(m.spec["layers"][-1]["geojson"]).encode())
    carried = m.page_spec()["layers"][-1]
    assert "packed" in carried and "geojson" not in carried
    assert len(maps.page_json(carried["packed"]).encode()) < plain / 2
    spec = maps.read_page_data(m.to_html())
    for layer, mine in zip(spec["layers"], m.spec["layers"]):
        _same(json.loads(maps.page_json(mine["geojson"])), layer["geojson"])


def test_the_page_decodes_what_python_decodes(browser, tmp_path):
    """Every layer of an overview with zones (sites, zones, banners, priority areas), hostile
    names included, as the browser builds it from the packed data, equals Python's decoding of
    the same page: the same properties, every drawn vertex one of the feature's."""
    sites = og.synthetic.clustered_sites(300)
    sites.loc[sites.index[:3], "name"] = ["<img src=x onerror=alert(1)>", "{{7*7}}", "露天煤矿"]
    zoned = og.zones.build_zones(sites)
    path = maps.save_map(maps.map_overview(sites, zones=zoned.zones), tmp_path / "m.html")
    spec = maps.read_page_data(path.read_text("utf-8"))
    page, errors, external, _ = open_offline(browser, path)
    assert not errors and not external
    shown = page.evaluate("""() => { var out = {};
        Object.keys(window.ordosLayers).forEach(function (k) { out[k] = [];
          window.ordosLayers[k].eachLayer(function (l) {
            var ll = l.getLatLngs ? l.getLatLngs() : [l.getLatLng()];
            out[k].push({p: l.feature.properties, c: JSON.stringify(ll, function (key, v) {
              return (v && v.lat !== undefined) ? [v.lng, v.lat] : v; })}); }); });
        return out; }""")
    assert set(shown) == {layer["key"] for layer in spec["layers"]}
    for layer in spec["layers"]:
        drawn = [f for f in layer["geojson"]["features"] if f["geometry"] is not None]
        assert len(shown[layer["key"]]) == len(drawn) > 0
        for got, want in zip(shown[layer["key"]], drawn):
            assert got["p"] == want["properties"]
            have = shapely.get_coordinates(shapely.geometry.shape(want["geometry"]))
            mine = np.array([v for v in _flatten(json.loads(got["c"]))]).reshape(-1, 2)
            # Leaflet drops each ring's closing point; every drawn vertex is the page's
            assert len(mine) > 0
            assert set(map(tuple, np.round(mine, 5))) <= set(map(tuple, np.round(have, 5)))


def _flatten(value):
    if isinstance(value, list) and value and not isinstance(value[0], list):
        yield from value
    else:
        for v in value:
            yield from _flatten(v)


def test_the_page_unpacks_every_geometry_kind_as_python_does(browser, tmp_path):
    """Points, multipoints, lines, multilines, polygons with holes, multipolygons and the mixed
    layouts, with missing geometries and hostile text: the page's decoder against Python's."""
    path = maps.save_map(maps.map_overview(og.synthetic.clustered_sites(20)), tmp_path / "m.html")
    page, errors, _, _ = open_offline(browser, path)
    assert not errors
    rng = np.random.default_rng(7)
    for kinds in _KINDS:
        features = []
        for k in range(6):
            kind = kinds[k % len(kinds)]
            x, y = LON0 + rng.uniform(-1, 1), LAT0 + rng.uniform(-1, 1)
            ring = [(round(x + 0.01 * np.cos(a), 5), round(y + 0.01 * np.sin(a), 5))
                    for a in np.linspace(0, 2 * np.pi, 6)[:-1]]
            geom = {"Point": shapely.Point(ring[0]), "MultiPoint": shapely.MultiPoint(ring[:3]),
                    "LineString": shapely.LineString(ring),
                    "MultiLineString": shapely.MultiLineString([ring, ring[:2]]),
                    "Polygon": shapely.Polygon(ring + [ring[0]], [[
                        (round(x + 0.002, 5), round(y, 5)), (round(x, 5), round(y + 0.002, 5)),
                        (round(x - 0.002, 5), round(y, 5)), (round(x + 0.002, 5), round(y, 5))]]),
                    "MultiPolygon": shapely.MultiPolygon([shapely.Polygon(ring)])}[kind]
            features.append({"type": "Feature", "properties": {
                "t": ["<b>x</b>" if k == 2 else f"S{k}", None], "c": k % 2},
                "geometry": None if k == 4 else shapely.geometry.mapping(geom)})
        layer = json.loads(json.dumps({"type": "FeatureCollection", "features": features}))
        packed = json.loads(maps.page_json(packing.pack_layer(layer)))
        in_page = page.evaluate("(p) => window.ordosUnpack(p)", packed)
        _same(packing.unpack_layer(packed), in_page)
        _same(layer, in_page)


def test_point_sites_are_circles_with_tooltips_and_no_errors(browser, tmp_path):
    """Points and multi-points (possible from Python): drawn as circles (a marker's icon is an
    image the page's policy would block), each with its tooltip, hovering one raises nothing."""
    import geopandas as gpd

    sites = gpd.GeoDataFrame(
        {"site_id": ["P1", "P2"], "name": ["点一", "<b>二</b>"], "kind": "mine",
         "status": "producing"},
        geometry=[shapely.Point(109.0, 39.0),
                  shapely.MultiPoint([(109.1, 39.1), (109.2, 39.2)])], crs=4326)
    path = maps.save_map(maps.map_overview(sites), tmp_path / "p.html")
    page, errors, external, _ = open_offline(browser, path)
    tips = page.evaluate("""() => { var out = [];
        window.ordosLayers.mines.eachLayer(function (l) {
          var parts = l.eachLayer ? l.getLayers() : [l];
          parts.forEach(function (p) { out.push(window.ordosOpenTooltip(p).textContent); }); });
        return out; }""")
    assert len(tips) == 3 and "点一" in tips[0] and all("<b>二</b>" in t for t in tips[1:])
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    assert not errors and not external


def test_a_page_of_sites_without_geometry_and_of_cut_text_is_still_written(tmp_path):
    import geopandas as gpd

    sites = gpd.GeoDataFrame({"site_id": ["A", "B"], "name": ["ok", "cut \ud800 here"],
                              "kind": "mine", "status": "producing"},
                             geometry=[None, shapely.Polygon()], crs=4326)
    path = maps.save_map(maps.map_overview(sites), tmp_path / "m.html")
    spec = maps.read_page_data(path.read_text("utf-8"))
    (lat0, lon0), (lat1, lon1) = spec["bounds"]
    assert 106 < lon0 < lon1 < 112 and 37 < lat0 < lat1 < 41  # framed on the banners
    mines = next(layer for layer in spec["layers"] if layer["key"] == "mines")
    names = [f["properties"]["t"][1] for f in mines["geojson"]["features"]]
    assert "cut \ufffd here" in names  # a lone surrogate shown as the replacement character
