"""The one symbology table (``resources/symbology.yaml``) the maps, the zone sheets and the
QGIS styles share — a colour and a label per value — and the QGIS styles (QML) built from it,
written into a GeoPackage's ``layer_styles`` table so a layer opens in QGIS with the colours and
Chinese labels of the HTML maps.

The QML is built with ElementTree (every label escaped), never from a text template.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from ..core.messages import msg
from ..core.settings import settings
from ..core.yaml_tables import load_table

__all__ = ["colours", "value_labels", "ramp", "categorized_qml", "sites_qml", "layer_classes",
           "end_use_colours", "CODED_FIELDS",
           "delta_e", "clashes", "MIN_DELTA_E"]


def colours() -> dict:
    """The colours of ``resources/symbology.yaml`` (``colours()["status"]["producing"]``)."""
    return load_table("symbology")["colours"]


def value_labels(lang: str | None = None) -> dict[str, str]:
    """How values are shown in ``lang`` (default ``settings.lang``): ``{value: label}``; a value
    without a label shows as itself."""
    return load_table("symbology")["values"].get(settings.get("lang", lang), {})

def layers() -> dict:
    """Which layer shows which field in which colours (``layers`` of the table)."""
    return load_table("symbology")["layers"]


def layer_classes(layer: str, lang: str | None = None) -> dict[str, tuple[str, str]]:
    """The classes a layer is drawn in: ``{value: (label in lang, "#rrggbb")}``, in the table's
    order (the layer's ``missing`` colour not included)."""
    spec, values = layers()[layer], value_labels(lang)
    group = colours()[spec["colours"]]
    return {k: (values.get(k, k), c) for k, c in group.items()}


def end_use_colours(codes) -> dict[str, str]:
    """A colour for every end use in ``codes``: the table's for its own end uses, then the
    ``end_use_extra`` colours in order of first appearance for a planner's own (a rule table
    of more extra end uses than colours is refused: they could not be told apart)."""
    palette, extra = colours()["end_use"], list(colours()["end_use_extra"])
    out: dict[str, str] = {}
    for code in codes:
        if code is None or (isinstance(code, float) and math.isnan(code)) or code in out:
            continue
        if code in palette:
            out[code] = palette[code]
        elif extra:
            out[code] = extra.pop(0)
        else:
            from ..core.errors import OrdosGeoError

            raise OrdosGeoError(msg("too_many_end_uses", n=len(colours()["end_use_extra"])))
    return out


#: Fields whose values are codes, shown to people — XLSX reports, tables on the screen, map
#: tooltips — as their labels (``values`` above); CSV files keep the codes. Columns that are
#: codes by name (``end_use``, ``standard``, ``pit_policy``, ``measure``, ``code``, ``rule_id``:
#: 用途代码 …) stay codes — their label is the column beside them.
CODED_FIELDS = frozenset({"kind", "method", "status", "site_status", "green_status", "level",
                          "stage", "event", "corrected_event", "trajectory", "projection",
                          "rule", "volume_status"})

#: Two classes drawn on one map differ by at least this CIEDE2000 difference.
MIN_DELTA_E = float(load_table("symbology")["min_delta_e"])


def ramp(anchors: list[str], n: int) -> list[str]:
    """``n`` colours along the sequential palette ``anchors`` (first → last): the anchors
    themselves spread out when ``n`` ≤ their number, else colours interpolated between them
    (in RGB), so that no two of the ``n`` classes share a colour."""
    if n <= 0:
        return []
    if n <= len(anchors):
        return [anchors[round(k * (len(anchors) - 1) / max(n - 1, 1))] for k in range(n)]
    rgb = [tuple(int(a[i:i + 2], 16) for i in (1, 3, 5)) for a in anchors]
    out = []
    for k in range(n):
        at = k * (len(rgb) - 1) / (n - 1)
        lo = min(int(at), len(rgb) - 2)
        w = at - lo
        out.append("#" + "".join(f"{round(rgb[lo][c] * (1 - w) + rgb[lo + 1][c] * w):02x}"
                                 for c in range(3)))
    return out


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    m = ((0.4124564, 0.3575761, 0.1804375), (0.2126729, 0.7151522, 0.0721750),
         (0.0193339, 0.1191920, 0.9503041))
    xyz = [sum(m[r][k] * lin[k] for k in range(3)) / w
           for r, w in zip(range(3), (0.95047, 1.0, 1.08883))]
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _lab_delta_e(lab1, lab2) -> float:
    """CIEDE2000 (Sharma, Wu & Dalal 2005) between two L*a*b* colours."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + (360 if h1p + h2p < 360 else -360)) / 2
    t = (1 - 0.17 * math.cos(math.radians(hbp - 30)) + 0.24 * math.cos(math.radians(2 * hbp))
         + 0.32 * math.cos(math.radians(3 * hbp + 6)) - 0.20 * math.cos(math.radians(4 * hbp - 63)))
    rc = 2 * math.sqrt(cbp ** 7 / (cbp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(60 * math.exp(-(((hbp - 275) / 25) ** 2)))) * rc
    dl, dc, dhh = (l2 - l1) / sl, (c2p - c1p) / sc, d_hp / sh
    return math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + rt * dc * dhh)


def delta_e(colour1: str, colour2: str) -> float:
    """The CIEDE2000 colour difference of two ``#rrggbb`` colours (0: the same colour)."""
    return _lab_delta_e(_lab(colour1), _lab(colour2))


def clashes(entries: dict[str, str], *, min_delta_e: float | None = None
            ) -> list[tuple[str, str, float]]:
    """The pairs of classes ``{label: "#rrggbb"}`` shown together whose colours differ by less
    than ``min_delta_e`` (default :data:`MIN_DELTA_E`): ``[(label, label, ΔE)]``."""
    limit = MIN_DELTA_E if min_delta_e is None else float(min_delta_e)
    items = list(entries.items())
    return [(k1, k2, round(d, 1)) for i, (k1, c1) in enumerate(items)
            for k2, c2 in items[i + 1:] if (d := delta_e(c1, c2)) < limit]


def _rgba(hex_colour: str, alpha: int) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(parent: ET.Element, name: str, colour: str, width: float,
            outline_expression: str | None = None) -> None:
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha="1",
                           clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1",
                                            "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in (("color", _rgba(colour, 150)), ("outline_color", _rgba(colour, 255)),
                       ("outline_width", f"{width}"), ("outline_width_unit", "MM"),
                       ("style", "solid"), ("outline_style", "solid")):
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    if outline_expression:  # the outline's colour from another field (a parcel's mine status)
        dd = ET.SubElement(layer, "data_defined_properties")
        top = ET.SubElement(dd, "Option", type="Map")
        ET.SubElement(top, "Option", name="name", type="QString", value="")
        props = ET.SubElement(top, "Option", name="properties", type="Map")
        prop = ET.SubElement(props, "Option", name="outlineColor", type="Map")
        ET.SubElement(prop, "Option", name="active", type="bool", value="true")
        ET.SubElement(prop, "Option", name="expression", type="QString",
                      value=outline_expression)
        ET.SubElement(prop, "Option", name="type", type="int", value="3")
        ET.SubElement(top, "Option", name="type", type="QString", value="collection")


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def sites_qml(lang: str | None = None) -> str:
    """The sites as the HTML maps draw them: mine boundaries filled by status, pits, dumps and
    other parcels filled by kind with their status as the outline colour (a categorized renderer
    on an expression; labels in ``lang``)."""
    values = value_labels(lang)
    palette = colours()
    parcels = [k for k in palette["kind"] if k != "mine"]
    kinds = ", ".join(_quote(k) for k in parcels)
    expression = (f'CASE WHEN "kind" IN ({kinds}) THEN \'k:\' || "kind" '
                  f'ELSE \'s:\' || coalesce("status", \'\') END')
    outline = "CASE " + " ".join(
        f'WHEN "status" = {_quote(k)} THEN {_quote(_rgba(c, 255))}'
        for k, c in palette["status"].items()) + ' ELSE @symbol_color END'
    unknown = "状态不明" if settings.get("lang", lang) == "zh" else "status unknown"
    cats = {f"s:{k}": (values.get(k, k), c, None) for k, c in palette["status"].items()}
    cats.update({f"k:{k}": (values.get(k, k), palette["kind"][k], outline) for k in parcels})
    return _qml(expression, cats, label_field="name",
                other=(unknown, palette["status_unknown"], None))


def _qml(attr: str, categories: dict, *, label_field: str | None, other) -> str:
    root = ET.Element("qgis", version="3.28", styleCategories="Symbology|Labeling")
    renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=attr,
                             forceraster="0", symbollevels="0", enableorderby="0")
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    items = list(categories.items()) + ([("", other)] if other else [])
    for k, (value, (label, colour, outline)) in enumerate(items):
        ET.SubElement(cats, "category", value=value, label=label, symbol=str(k), render="true")
        _symbol(symbols, str(k), colour, 0.4, outline)
    if label_field:
        labeling = ET.SubElement(root, "labeling", type="simple")
        lsettings = ET.SubElement(labeling, "settings", calloutType="simple")
        ET.SubElement(lsettings, "text-style", fieldName=label_field, fontSize="9",
                      fontFamily="Noto Sans CJK SC", textColor="0,0,0,255")
        ET.SubElement(lsettings, "placement", placement="1")
    ET.SubElement(root, "layerGeometryType").text = "2"
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode"))


def categorized_qml(field: str, categories: dict[str, tuple[str, str]], *,
                    label_field: str | None = None, other: tuple[str, str] | None = None) -> str:
    """A categorized fill renderer on ``field``: ``{value: (label, "#rrggbb")}``, an optional
    catch-all ``other`` (label, colour), and simple labels from ``label_field``."""
    return _qml(field, {k: (label, colour, None) for k, (label, colour) in categories.items()},
                label_field=label_field, other=(*other, None) if other else None)
