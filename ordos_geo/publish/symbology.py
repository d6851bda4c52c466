"""The one symbology table (``resources/symbology.yaml``) the maps, the zone sheets and the
QGIS styles share — a colour and a label per value — and the QGIS styles (QML) built from it,
written into a GeoPackage's ``layer_styles`` table so a layer opens in QGIS with the colours and
Chinese labels of the HTML maps.

The QML is built with ElementTree (every label escaped), never from a text template.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..core.settings import settings
from ..core.yaml_tables import load_table

__all__ = ["colours", "value_labels", "categorized_qml"]


def colours() -> dict:
    """The colours of ``resources/symbology.yaml`` (``colours()["status"]["producing"]``)."""
    return load_table("symbology")["colours"]


def value_labels(lang: str | None = None) -> dict[str, str]:
    """How values are shown in ``lang`` (default ``settings.lang``): ``{value: label}``; a value
    without a label shows as itself."""
    return load_table("symbology")["values"].get(settings.get("lang", lang), {})

def _rgba(hex_colour: str, alpha: int) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(parent: ET.Element, name: str, colour: str, width: float) -> None:
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha="1",
                           clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1",
                                            "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in (("color", _rgba(colour, 150)), ("outline_color", _rgba(colour, 255)),
                       ("outline_width", f"{width}"), ("outline_width_unit", "MM"),
                       ("style", "solid"), ("outline_style", "solid")):
        ET.SubElement(options, "Option", name=key, type="QString", value=value)


def categorized_qml(field: str, categories: dict[str, tuple[str, str]], *,
                    label_field: str | None = None, other: tuple[str, str] | None = None) -> str:
    """A categorized fill renderer on ``field``: ``{value: (label, "#rrggbb")}``, an optional
    catch-all ``other`` (label, colour), and simple labels from ``label_field``."""
    root = ET.Element("qgis", version="3.28", styleCategories="Symbology|Labeling")
    renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=field,
                             forceraster="0", symbollevels="0", enableorderby="0")
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    items = list(categories.items()) + ([("", other)] if other else [])
    for k, (value, (label, colour)) in enumerate(items):
        ET.SubElement(cats, "category", value=value, label=label, symbol=str(k), render="true")
        _symbol(symbols, str(k), colour, 0.4)
    if label_field:
        labeling = ET.SubElement(root, "labeling", type="simple")
        settings = ET.SubElement(labeling, "settings", calloutType="simple")
        ET.SubElement(settings, "text-style", fieldName=label_field, fontSize="9",
                      fontFamily="Noto Sans CJK SC", textColor="0,0,0,255")
        ET.SubElement(settings, "placement", placement="1")
    ET.SubElement(root, "layerGeometryType").text = "2"
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode"))
