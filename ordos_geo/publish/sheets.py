"""One sheet per zone (一区一图一表): a printable A4 page per contiguous-remediation zone for
reports and meetings — the map of its members (with retained pits and hauls, a scale bar and a
north arrow beside it), the member table, the unified standard, the end use, the earthworks
figures (with the fill to bring from outside and the spoil to take away) and, when given, the
reclamation chart; the data's sources at the foot of the page.

>>> paths = og.sheets.write_zone_sheets(zones, sites, "output/sheets", flows=flows)

Each zone gets ``<zone_id>.png`` (150 dpi; characters a file name cannot hold — ``/``, ``\\``,
``:``, ``..`` — become ``_``, and the file always stays in the output folder) and every zone one
page of ``zone_sheets.pdf``. Drawn with matplotlib's object interface (no ``pyplot``: a
notebook's backend is left alone), Chinese through :func:`ordos_geo.core.utils.use_cjk_font`, in
the metric CRS; characters the font lacks are reported once, not as raw warnings. The member
table shows the first :data:`TABLE_ROWS` members and says how many more there are; the chart
draws each member when there are at most :data:`CHART_LINES`, else the zone's area-weighted
mean with the range of its members, always with a legend.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from ..core import projection
from ..core.settings import settings
from ..core.utils import import_optional, use_cjk_font
from . import symbology

__all__ = ["write_zone_sheets", "zone_sheet", "sheet_file_name", "TABLE_ROWS", "CHART_LINES"]

log = logging.getLogger("ordos_geo")
TABLE_ROWS = 14  #: member rows a sheet's table shows (the rest are counted)
CHART_LINES = 6  #: members drawn one by one in the chart (more: mean and range)
_COLOURS = symbology.colours()  # resources/symbology.yaml, as on the maps
_TEXT = {"zh": {"members": "图斑", "standard": "统一标准", "end_use": "用途", "area": "面积",
                "ha": "公顷", "earthworks": "土方调配", "joint": "联合调配", "separate": "各自平衡",
                "saving": "节省", "retained": "留置尾坑", "hauls": "运土线",
                "borrow": "须从区外取土", "spoil": "须运往区外弃土", "m3": "立方米",
                "left_out": "未计入（DEM 不全或体积低于噪声）",
                "more": "… 另有 {n} 个图斑（完整名单见分区文件）",
                "progress": "植被覆盖比例", "mean": "分区面积加权平均",
                "range": "{n} 个图斑的范围", "north": "北", "none": "—", "source": "数据来源",
                "landcover": "土地覆盖（公顷，±95% 置信区间）", "map_only": "仅制图面积",
                "none_sampled": "样点中未见（制图 {ha:,.1f}）",
                "covers": "分类图仅覆盖 {mapped:,.0f} / {zone:,.0f} 公顷（{share:.0f}%）",
                "cols": ["编号", "名称", "类型", "状态", "面积(公顷)"]},
         "en": {"members": "Members", "standard": "Standard", "end_use": "End use",
                "area": "Area", "ha": "ha", "earthworks": "Cut–fill", "joint": "joint",
                "separate": "each mine alone", "saving": "saving", "retained": "retained pits",
                "hauls": "hauls", "borrow": "fill to bring from outside",
                "spoil": "spoil to take outside", "m3": "m³",
                "left_out": "left out (DEM incomplete or volume below its noise)",
                "more": "… and {n} more members (full list in the zones file)",
                "progress": "Vegetated share", "mean": "zone mean (area-weighted)",
                "range": "range of {n} members", "north": "N", "none": "—", "source": "Sources",
                "landcover": "Land cover (ha, ± 95 %)", "map_only": "mapped only",
                "none_sampled": "none among the samples (mapped {ha:,.1f})",
                "covers": "the map covers {mapped:,.0f} of {zone:,.0f} ha ({share:.0f} %)",
                "cols": ["Id", "Name", "Kind", "Status", "Area (ha)"]}}
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


def sheet_file_name(zone_id, used: set[str] | None = None) -> str:
    """The PNG name of a zone: its id with the characters a file name cannot hold (and leading
    dots) made ``_``; a name already ``used`` gets ``-2``, ``-3`` …"""
    stem = _UNSAFE.sub("_", str(zone_id)).strip().lstrip(".") or "_"
    stem = re.sub(r"\.\.+", "_", stem)[:120]
    name, k = f"{stem}.png", 2
    while used is not None and name.casefold() in used:
        name, k = f"{stem}-{k}.png", k + 1
    if used is not None:
        used.add(name.casefold())
    return name


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


def _north_arrow(fig, label: str) -> None:
    """The north arrow in the page margin right of the map: it never covers the zone."""
    from matplotlib.patches import FancyArrow

    fig.text(0.955, 0.915, label, ha="center", va="bottom", fontsize=10, fontweight="bold")
    fig.add_artist(FancyArrow(0.955, 0.86, 0, 0.04, width=0.004, head_width=0.018,
                              head_length=0.015, color="black", transform=fig.transFigure))


def zone_sheet(zone: pd.Series, members: gpd.GeoDataFrame, *, flows: gpd.GeoDataFrame | None,
               retained: set[str], earthworks: pd.Series | None, progress: pd.DataFrame | None,
               lang: str, attribution: str = "", landcover: pd.DataFrame | None = None,
               zone_ha: float | None = None):
    """The figure of one zone (a matplotlib ``Figure``, A4 portrait, not registered with
    ``pyplot``). ``zone_ha``: the zone polygon's true hectares (the land-cover panel says how
    much of it the class map covers)."""
    figure = import_optional("matplotlib.figure", purpose="zone sheets", pip="matplotlib")
    t = _TEXT[lang]
    fig = figure.Figure(figsize=(8.27, 11.69))
    fig.suptitle(f"{zone['zone_id']}  ·  {zone.get('banner', '')}", fontsize=14)
    ax = fig.add_axes([0.06, 0.45, 0.84, 0.48])
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
        lines.plot(ax=ax, color=_COLOURS["flow"],
                   linewidth=1.0 + 5.0 * volume / max(volume.max(), 1.0))
    ax.set_axis_off()
    ax.set_aspect("equal")
    x0, x1 = ax.get_xlim()
    _scale_bar(ax, x1 - x0)
    _north_arrow(fig, t["north"])
    _legend(ax, t, lang, kinds=set(metric["kind"]) if "kind" in metric else set(),
            retained=bool(len(kept)), flows=flows is not None and bool(len(flows)))
    _facts(fig, zone, earthworks, t)
    _table(fig, members, t, lang)
    if progress is not None and len(progress):
        _chart(fig, progress, members, t)
    if landcover is not None and len(landcover):
        _landcover(fig, landcover, t, lang,
                   zone_ha=np.nan if zone_ha is None else float(zone_ha))
    if attribution:
        fig.text(0.04, 0.012, f"{t['source']}: {attribution}", fontsize=6, color="#444444",
                 wrap=True)
    return fig


def _landcover(fig, rows: pd.DataFrame, t: dict, lang: str, *, zone_ha: float = np.nan) -> None:
    """The zone's land-cover hectares with their 95 % half-widths (``og.accuracy``'s rows of
    the zone); where the sample did not allow an estimate, the mapped hectares and why; where
    the map covers less than the zone, how much it covers."""
    import textwrap

    from ..imagery.accuracy import class_name

    lines = [t["landcover"]]
    mapped = float(pd.to_numeric(rows["map_ha"], errors="coerce").fillna(0.0).sum())
    if np.isfinite(zone_ha) and zone_ha > 0 and mapped < 0.99 * zone_ha:
        lines.append(t["covers"].format(mapped=mapped, zone=zone_ha,
                                        share=100.0 * mapped / zone_ha))
    for row in rows.itertuples(index=False):
        if str(row[rows.columns.get_loc("class")]) in ("", "nan"):
            continue
        name = class_name(int(float(row[rows.columns.get_loc("class")])), lang=lang)
        est, ci = float(row.estimated_ha), float(row.ci95_ha)
        if np.isfinite(est) and est == 0 and float(row.map_ha) > 0:
            lines.append(f"{name}: {t['none_sampled'].format(ha=float(row.map_ha))}")
        elif np.isfinite(est):
            lines.append(f"{name}: {est:,.1f} ± {ci:,.1f}" if np.isfinite(ci) else
                         f"{name}: {est:,.1f}")
        elif float(row.map_ha) > 0:
            lines.append(f"{name}: {float(row.map_ha):,.1f} ({t['map_only']})")
    note = next((str(n) for n in rows.get("note", pd.Series(dtype=str)) if str(n) not in
                 ("", "nan")), "")
    if note:  # wrapped, never cut
        lines += textwrap.wrap(note, 30 if lang == "zh" else 55)
    fig.text(0.64, 0.42, "\n".join(lines), fontsize=7, va="top")


def _legend(ax, t: dict, lang: str, *, kinds: set, retained: bool, flows: bool) -> None:
    """The classes drawn on this sheet, each once (as on the maps)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    values = symbology.value_labels(lang)
    handles = [Patch(facecolor=c, edgecolor="#333333", label=values.get(k, k))
               for k, c in _COLOURS["kind"].items() if k in kinds]
    if retained:
        handles.append(Patch(facecolor=_COLOURS["retained"], hatch="///", label=t["retained"]))
    if flows:
        handles.append(Line2D([0], [0], color=_COLOURS["flow"], lw=3, label=t["hauls"]))
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=True)


def _facts(fig, zone: pd.Series, earthworks: pd.Series | None, t: dict) -> None:
    lines = [f"{t['area']}: {zone.get('area_ha', float('nan')):,.1f} {t['ha']} · "
             f"{t['members']}: {zone.get('n_sites', '')}",
             f"{t['end_use']}: {zone.get('end_use_label', zone.get('end_use', t['none']))}",
             f"{t['standard']}: {zone.get('standard_label', zone.get('standard', t['none']))}"]
    if earthworks is not None:
        lines.append(f"{t['earthworks']}: {t['joint']} {earthworks['joint_m3km']:,.0f} m³·km, "
                     f"{t['separate']} {earthworks['separate_m3km']:,.0f} m³·km "
                     f"({t['saving']} {earthworks['saving_pct']:.0f} %)")
        for key in ("borrow", "spoil"):
            value = float(earthworks.get(f"{'borrowed' if key == 'borrow' else 'spoiled'}_m3",
                                         0.0) or 0.0)
            if value > 0:
                lines.append(f"{t[key]}: {value:,.0f} {t['m3']}")
        left = ";".join(str(earthworks.get(c) or "") for c in ("incomplete", "not_significant"))
        left = [v for v in left.split(";") if v and v != "nan"]
        if left:
            lines.append(f"{t['left_out']}: {', '.join(left[:6])}"
                         + (f" (+{len(left) - 6})" if len(left) > 6 else ""))
    fig.text(0.06, 0.42, "\n".join(str(v) for v in lines), fontsize=9, va="top")


def _table(fig, members: gpd.GeoDataFrame, t: dict, lang: str) -> None:
    values = symbology.value_labels(lang)
    area = projection.area_ha(members).round(1)
    rows = [[str(r.get("site_id", "")), str(r.get("name", "") or "")[:14],
             values.get(r.get("kind"), str(r.get("kind", ""))),
             values.get(r.get("status"), str(r.get("status", "") or "")), f"{a:,.1f}"]
            for (_, r), a in zip(members.head(TABLE_ROWS).iterrows(), area.head(TABLE_ROWS))]
    ax = fig.add_axes([0.04, 0.06, 0.56, 0.25])
    ax.set_axis_off()
    if rows:
        table = ax.table(cellText=rows, colLabels=t["cols"], loc="upper left",
                         colWidths=[0.22, 0.38, 0.11, 0.12, 0.17])
        table.auto_set_font_size(False)
        table.set_fontsize(6.5)
    if len(members) > TABLE_ROWS:
        fig.text(0.05, 0.045, t["more"].format(n=len(members) - TABLE_ROWS), fontsize=7.5)


def _chart(fig, progress: pd.DataFrame, members: gpd.GeoDataFrame, t: dict) -> None:
    ax = fig.add_axes([0.66, 0.09, 0.3, 0.2])
    groups = list(progress.groupby("site_id"))
    if len(groups) <= CHART_LINES:
        for site_id, g in groups:
            ax.plot(g["year"], g["vegetated_share"], marker="o", lw=1, label=str(site_id))
    else:
        area = pd.Series(projection.area_ha(members).to_numpy(),
                         index=members["site_id"].astype(str))
        frame = progress.assign(w=progress["site_id"].astype(str).map(area).fillna(0.0))
        frame = frame.dropna(subset=["vegetated_share"])
        by_year = frame.groupby("year")
        mean = by_year.apply(lambda g: np.average(g["vegetated_share"], weights=g["w"])
                             if g["w"].sum() > 0 else g["vegetated_share"].mean())
        ax.fill_between(mean.index, by_year["vegetated_share"].min(),
                        by_year["vegetated_share"].max(), color="#9ecae1", alpha=0.6,
                        label=t["range"].format(n=len(groups)))
        ax.plot(mean.index, mean.to_numpy(), marker="o", lw=1.5, color="#08519c",
                label=t["mean"])
    ax.set_ylim(0, 1)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never 2022.5
    ax.set_title(t["progress"], fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="upper left", frameon=False)


def write_zone_sheets(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                      out: str | os.PathLike, *, flows: gpd.GeoDataFrame | None = None,
                      retained: pd.DataFrame | None = None,
                      earthworks: pd.DataFrame | None = None,
                      progress: pd.DataFrame | None = None,
                      lang: str | None = None, attribution: str | None = None,
                      landcover: pd.DataFrame | None = None) -> list[Path]:
    """A PNG per zone and ``zone_sheets.pdf`` (a page per zone) into ``out``, written as one
    output set; returns the paths. ``attribution``: the data's sources (default: from the
    sites, as on the maps). ``landcover``: ``areas_by_region.csv`` of ``ordos-geo accuracy
    --zones`` (rows ``region = zone:<id>``): each sheet shows its zone's class hectares with
    their 95 % half-widths."""
    from matplotlib.backends.backend_pdf import PdfPages

    from .maps import attribution_for

    lang = settings.get("lang", lang)
    use_cjk_font()
    credit = attribution if attribution is not None else attribution_for(sites)
    members_of = zones.set_index("zone_id")["site_ids"].str.split(";")
    kept = set(retained.loc[retained["retained"], "site_id"]) if retained is not None else set()
    per_zone = earthworks.set_index("zone_id") if earthworks is not None else None
    sites = sites.assign(site_id=sites["site_id"].astype(str))
    written, used, missing = [], set(), set()
    with io.output_set(out) as target, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdf_path = target.dir / "zone_sheets.pdf"
        with PdfPages(pdf_path) as pdf:
            zone_area = projection.area_ha(zones).to_numpy()
            for k, (_, zone) in enumerate(zones.iterrows()):
                ids = members_of[zone["zone_id"]]
                fig = zone_sheet(zone, sites[sites["site_id"].isin(ids)],
                                 flows=_of_zone(flows, zone["zone_id"]), retained=kept,
                                 earthworks=per_zone.loc[zone["zone_id"]]
                                 if per_zone is not None and zone["zone_id"] in per_zone.index
                                 else None,
                                 progress=progress[progress["site_id"].isin(ids)]
                                 if progress is not None else None, lang=lang,
                                 attribution=credit,
                                 landcover=landcover[landcover["region"].astype(str) ==
                                                     f"zone:{zone['zone_id']}"]
                                 if landcover is not None else None, zone_ha=zone_area[k])
                path = target.dir / sheet_file_name(zone["zone_id"], used)
                if path.resolve().parent != target.dir.resolve():  # never outside the set
                    raise ValueError(f"zone sheet {path} would leave {target.dir}")
                fig.savefig(path, dpi=150)
                pdf.savefig(fig)
                written.append(path)
        written.append(pdf_path)
        missing |= _missing_glyphs(caught)
    if missing:
        log.warning("zone sheets: %d character(s) have no glyph in the font and show as boxes: "
                    "%s (install fonts-noto-cjk)", len(missing), " ".join(sorted(missing)))
    return [target.final(p) for p in written]


def _of_zone(flows, zone_id):
    return flows[flows["zone_id"] == zone_id] if flows is not None and "zone_id" in flows \
        else None


def _missing_glyphs(caught) -> set[str]:
    """The characters matplotlib reported missing from the font ("Glyph 8722 (\\N{MINUS SIGN})
    missing from font(s) …"); other warnings are passed on as they were."""
    out = set()
    for w in caught:
        text = str(w.message)
        if "missing from font" in text:
            named = re.search(r"\\N\{([^}]*)\}", text)
            plain = re.search(r"Glyph \d+ \((.)\)", text)
            out.add(named.group(1) if named else plain.group(1) if plain else text[:40])
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out
