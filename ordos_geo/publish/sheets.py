"""One sheet per zone (一区一图一表): a printable A4 page per contiguous-remediation zone for
reports and meetings — the map of its members (with retained pits and hauls, a scale bar and a
north arrow), the member table, the unified standard, the end use, the earthworks figures and,
when given, the reclamation chart.

>>> paths = og.sheets.write_zone_sheets(zones, sites, "output/sheets", flows=flows)

Each zone gets ``<zone_id>.png`` (150 dpi) and every zone one page of ``zone_sheets.pdf``.
Drawn with matplotlib (Chinese through :func:`ordos_geo.core.utils.use_cjk_font`), in the metric CRS.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import io
from ..core import projection
from ..core.settings import settings
from ..core.utils import import_optional, use_cjk_font
from . import symbology

__all__ = ["write_zone_sheets", "zone_sheet"]

_COLOURS = symbology.colours()  # resources/symbology.yaml, as on the maps
_TEXT = {"zh": {"members": "图斑", "standard": "统一标准", "end_use": "用途", "area": "面积",
                "earthworks": "土方调配", "joint": "联合调配", "separate": "各自平衡",
                "saving": "节省", "retained": "留置尾坑", "hauls": "运土线",
                "progress": "植被覆盖比例", "north": "北", "none": "—",
                "cols": ["编号", "名称", "类型", "状态", "面积(公顷)"]},
         "en": {"members": "Members", "standard": "Standard", "end_use": "End use",
                "area": "Area", "earthworks": "Cut–fill", "joint": "joint",
                "separate": "each mine alone", "saving": "saving", "retained": "retained pits",
                "hauls": "hauls", "progress": "Vegetated share", "north": "N", "none": "—",
                "cols": ["Id", "Name", "Kind", "Status", "Area (ha)"]}}


def _scale_bar(ax, width_m: float) -> None:
    """A scale bar of a round length about a fifth of the map's width, bottom left."""
    raw = width_m / 5.0
    nice = 10 ** math.floor(math.log10(raw))
    length = max(v * nice for v in (1, 2, 5) if v * nice <= raw)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length], [y, y], color="black", lw=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x + length / 2, y + 0.02 * (y1 - y0), label, ha="center", va="bottom", fontsize=8)


def _north_arrow(ax, label: str) -> None:
    ax.annotate(label, xy=(0.95, 0.95), xytext=(0.95, 0.84), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})


def zone_sheet(zone: pd.Series, members: gpd.GeoDataFrame, *, flows: gpd.GeoDataFrame | None,
               retained: set[str], earthworks: pd.Series | None, progress: pd.DataFrame | None,
               lang: str):
    """The figure of one zone (matplotlib ``Figure``, A4 portrait)."""
    plt = import_optional("matplotlib.pyplot", purpose="zone sheets", pip="matplotlib")
    t = _TEXT[lang]
    fig = plt.figure(figsize=(8.27, 11.69))
    fig.suptitle(f"{zone['zone_id']}  ·  {zone.get('banner', '')}", fontsize=14)
    ax = fig.add_axes([0.06, 0.45, 0.88, 0.48])
    metric = projection.to_metric(members)
    colours = metric["kind"].map(_COLOURS["kind"]).fillna(_COLOURS["kind_unset"]).to_numpy() \
        if "kind" in metric else "#cccccc"
    metric.plot(ax=ax, color=colours, edgecolor="#333333", linewidth=0.6)
    kept = metric[metric["site_id"].astype(str).isin(retained)]
    if len(kept):
        kept.plot(ax=ax, color=_COLOURS["retained"], edgecolor=_COLOURS["retained_edge"],
                  linewidth=1.2, hatch="///")
    if flows is not None and len(flows):
        lines = flows.to_crs(metric.crs)
        volume = lines["volume_m3"].to_numpy(dtype=float)
        lines.plot(ax=ax, color=_COLOURS["flow"], linewidth=1.0 + 5.0 * volume / max(volume.max(), 1.0))
    ax.set_axis_off()
    ax.set_aspect("equal")
    x0, x1 = ax.get_xlim()
    _scale_bar(ax, x1 - x0)
    _north_arrow(ax, t["north"])
    _legend(ax, t, lang)
    _facts(fig, zone, earthworks, t)
    _table(fig, members, t, lang)
    if progress is not None and len(progress):
        _chart(fig, progress, t)
    return fig


def _legend(ax, t: dict, lang: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    values = symbology.value_labels(lang)
    handles = [Patch(facecolor=c, edgecolor="#333333", label=values.get(k, k))
               for k, c in _COLOURS["kind"].items()]
    handles += [Patch(facecolor=_COLOURS["retained"], hatch="///", label=t["retained"]),
                Line2D([0], [0], color=_COLOURS["flow"], lw=3, label=t["hauls"])]
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=True)


def _facts(fig, zone: pd.Series, earthworks: pd.Series | None, t: dict) -> None:
    lines = [f"{t['area']}: {zone.get('area_ha', float('nan')):,.1f} ha · "
             f"{t['members']}: {zone.get('n_sites', '')}",
             f"{t['end_use']}: {zone.get('end_use_label', zone.get('end_use', t['none']))}",
             f"{t['standard']}: {zone.get('standard_label', zone.get('standard', t['none']))}"]
    if earthworks is not None:
        lines.append(f"{t['earthworks']}: {t['joint']} {earthworks['joint_m3km']:,.0f} m³·km, "
                     f"{t['separate']} {earthworks['separate_m3km']:,.0f} m³·km "
                     f"({t['saving']} {earthworks['saving_pct']:.0f} %)")
    fig.text(0.06, 0.40, "\n".join(str(v) for v in lines), fontsize=9, va="top")


def _table(fig, members: gpd.GeoDataFrame, t: dict, lang: str) -> None:
    values = symbology.value_labels(lang)
    area = projection.area_ha(members).round(1)
    rows = [[str(r.get("site_id", "")), str(r.get("name", "") or "")[:14],
             values.get(r.get("kind"), str(r.get("kind", ""))),
             values.get(r.get("status"), str(r.get("status", "") or "")), f"{a:,.1f}"]
            for (_, r), a in zip(members.head(14).iterrows(), area.head(14))]
    ax = fig.add_axes([0.04, 0.05, 0.56, 0.27])
    ax.set_axis_off()
    if rows:
        table = ax.table(cellText=rows, colLabels=t["cols"], loc="upper left",
                         colWidths=[0.22, 0.38, 0.11, 0.12, 0.17])
        table.auto_set_font_size(False)
        table.set_fontsize(6.5)


def _chart(fig, progress: pd.DataFrame, t: dict) -> None:
    ax = fig.add_axes([0.64, 0.08, 0.3, 0.22])
    for site_id, g in progress.groupby("site_id"):
        ax.plot(g["year"], g["vegetated_share"], marker="o", lw=1, label=str(site_id))
    ax.set_ylim(0, 1)
    ax.set_title(t["progress"], fontsize=9)
    ax.tick_params(labelsize=7)


def write_zone_sheets(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                      out: str | os.PathLike, *, flows: gpd.GeoDataFrame | None = None,
                      retained: pd.DataFrame | None = None,
                      earthworks: pd.DataFrame | None = None,
                      progress: pd.DataFrame | None = None,
                      lang: str | None = None) -> list[Path]:
    """A PNG per zone and ``zone_sheets.pdf`` (a page per zone) into ``out``, written as one
    output set; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lang = settings.get("lang", lang)
    use_cjk_font()
    members_of = zones.set_index("zone_id")["site_ids"].str.split(";")
    kept = set(retained.loc[retained["retained"], "site_id"]) if retained is not None else set()
    per_zone = earthworks.set_index("zone_id") if earthworks is not None else None
    sites = sites.assign(site_id=sites["site_id"].astype(str))
    written = []
    with io.output_set(out) as target:
        pdf_path = target.dir / "zone_sheets.pdf"
        with PdfPages(pdf_path) as pdf:
            for _, zone in zones.iterrows():
                ids = members_of[zone["zone_id"]]
                members = sites[sites["site_id"].isin(ids)]
                zone_flows = flows[flows["zone_id"] == zone["zone_id"]] \
                    if flows is not None and "zone_id" in flows else None
                fig = zone_sheet(zone, members, flows=zone_flows, retained=kept,
                                 earthworks=per_zone.loc[zone["zone_id"]]
                                 if per_zone is not None and zone["zone_id"] in per_zone.index
                                 else None,
                                 progress=progress[progress["site_id"].isin(ids)]
                                 if progress is not None else None, lang=lang)
                path = target.dir / f"{zone['zone_id']}.png"
                fig.savefig(path, dpi=150)
                pdf.savefig(fig)
                plt.close(fig)
                written.append(path)
        written.append(pdf_path)
    return [target.final(p) for p in written]

