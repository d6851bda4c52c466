"""What ordos_geo publishes for GIS staff and reports: the zones and progress output sets, report
tables with Chinese headers, Gauss-Krüger copies and GeoPackages with metadata and QGIS styles.
Every file is written by :mod:`ordos_geo.io` (atomically, EPSG:4326 unless a copy asks for GK)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import io

__all__ = ["write_zones", "write_progress", "write_gk_copy", "write_table",
           "write_gpkg_with_metadata", "write_register", "gk_crs_for", "CHINESE_HEADERS"]

#: Chinese column headers of report tables (CSV/XLSX for reports; GIS files keep field names).
CHINESE_HEADERS = {
    "site_id": "编号", "name": "名称", "banner": "旗区", "kind": "类型", "mine_id": "所属矿山",
    "method": "开采方式", "status": "状态", "owner": "采矿权人", "mineral": "矿种",
    "capacity_mtpa": "生产规模(百万吨/年)", "green_status": "绿色矿山", "area_ha": "面积(公顷)",
    "area_mu": "面积(亩)", "zone_id": "治理区编号", "site_ids": "图斑编号", "n_sites": "图斑数",
    "n_ownerless": "无主图斑数", "sites_ha": "图斑面积(公顷)", "disturbed_ha": "扰动面积(公顷)",
    "priority_area": "重点区域", "end_use_label": "用途", "standard_label": "统一标准",
    "max_final_slope_deg": "最终边坡角上限(°)", "bench_height_m": "台阶高度(m)",
    "bench_width_m": "平台宽度(m)", "topsoil_cm": "覆土厚度(cm)",
    "target_cover_pct": "目标植被覆盖度(%)", "pit_policy_label": "尾坑处置", "explanation": "依据",
    "year": "年度", "date": "日期", "target_ha": "计划复垦面积(公顷)",
    "vegetated_ha": "植被面积(公顷)", "bare_ha": "裸地面积(公顷)", "valid_fraction": "有效观测比例",
    "mean_ndvi": "平均NDVI", "mean_fvc": "平均植被覆盖度", "detected_gain_ha": "检测新增植被(公顷)",
    "trajectory": "趋势", "projected_year": "预计达标年份",
    # the rest of the site schema
    "flat_floor_ha": "平整坑底面积(公顷)", "standard": "执行标准代码", "zone_apart": "单独成区",
    "synthetic": "合成数据", "area_ha_declared": "申报面积(公顷)",
    # the rest of the zones table
    "area_ha_zone": "治理区面积(公顷)", "ownerless_share": "无主图斑面积占比",
    "open_pit_share": "露天开采面积占比", "banners": "涉及旗区", "pit_ha": "采坑面积(公顷)",
    "dist_town_km": "距最近城镇(公里)", "centroid_lon": "中心经度", "centroid_lat": "中心纬度",
    "end_use": "用途代码", "pit_policy": "尾坑处置代码", "revegetation": "植被恢复方式",
    "rule_id": "规则编号",
    # progress tables
    "sensor": "传感器", "water_ha": "水体面积(公顷)", "dark_ha": "暗色地表面积(公顷)",
    "masked_ha": "遮蔽面积(公顷)", "covered_ha": "影像覆盖面积(公顷)",
    "vegetated_share": "植被覆盖比例", "n_dates": "有效影像数", "baseline_year": "基准年",
    "slope_per_year": "年变化率", "projection": "预测依据", "site_status": "矿山状态",
    # plan problems
    "field": "字段", "code": "问题代码", "problem": "问题说明",
    # the green-mine register
    "event_id": "事件编号", "event": "事件", "level": "级别", "score": "得分", "score_max": "满分",
    "due_date": "整改期限", "refers_to": "对应问题", "supersedes": "被更正事件",
    "corrected_event": "更正为", "evaluator_org": "评估机构", "checked_by": "核查人",
    "evaluated_by": "评估人", "tracked_by": "跟踪人", "responsible": "责任人", "note": "备注",
    "recorded_at": "录入时间", "listed": "在录", "stage": "环节", "listed_date": "纳入名录日期",
    "removed_date": "移出日期", "verification_score": "核查得分", "verification_passed": "核查通过",
    "last_spot_check": "最近抽查", "n_spot_checks": "抽查次数", "open_findings": "未整改问题数",
    "next_due": "最近整改期限", "overdue": "逾期", "n_events": "事件数", "n_mines": "矿山数",
    "national": "国家级", "regional": "自治区级", "removed": "已移出",
    # supervision
    "quarter": "季度", "reason": "原因", "weight": "权重", "scale": "评分标准", "total": "总分",
    "max_total": "满分", "passed": "合格", "accrued": "已计提(万元)", "required": "应计提(万元)",
    "accrual_share": "计提比例", "period": "期间", "output_t": "产量(吨)",
    "approved_t_per_year": "核定产能(吨/年)", "line_t": "限额(吨)", "above_t": "超出(吨)",
    "flagged": "超能力", "tickets_withheld_t": "煤管票暂扣(吨)", "finding_id": "问题编号",
    "found": "发现日期", "due": "整改期限", "closed": "整改完成日期",
    "rechecks_failed": "复查未通过次数", "measure": "措施代码", "measure_zh": "惩戒措施",
    "rule": "触发规则", "checked": "已抽查", "findings": "问题数", "rectified": "已整改",
    "public_notices": "公示次数", "demonstration": "样板项目数",
    "demonstration_short": "样板项目不足", "mean_slope_deg": "平均坡度(°)",
    "max_slope_deg": "最大坡度(°)", "steep_ha": "陡坡面积(公顷)", "flat_ha": "平地面积(公顷)",
    "pit_volume_m3": "采坑方量(立方米)", "dump_volume_m3": "排土场方量(立方米)",
    "reference_cells": "参考面栅格数", "supply_m3": "可供土方(立方米)",
    "demand_m3": "需回填(立方米)", "retained_m3": "留置尾坑(立方米)",
    "joint_m3km": "联合调配(立方米·公里)", "separate_m3km": "各自平衡(立方米·公里)",
    "saving_pct": "节省(%)", "unbalanced_m3": "未平衡(立方米)", "from_site_id": "起点图斑",
    "to_site_id": "终点图斑", "volume_m3": "方量(立方米)", "distance_m": "运距(米)",
    "m3km": "立方米·公里", "mean_depth_m": "平均深度(米)", "town_km": "距城镇(公里)",
    "retained": "留置", "best_use": "最适宜用途", "best_score": "适宜性得分",
    "agrees": "与规则一致", "south_share": "南向坡比例"}

log = logging.getLogger("ordos_geo")


def write_zones(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, out: str | Path, *,
                sources: list[str] | None = None, parameters: dict | None = None) -> list[Path]:
    """Write ``zones.geojson``, ``sites_zoned.geojson``, ``zones.gpkg`` (layers ``zones`` and
    ``sites_zoned`` plus the ``ordos_geo_metadata`` table) and the ``zones.csv`` summary into
    ``out``; return the paths."""
    out = Path(out)
    zones, sites = io.flatten_lists(zones), io.flatten_lists(sites)
    paths = [io.write_geojson(zones, out / "zones.geojson"),
             io.write_geojson(sites, out / "sites_zoned.geojson"),
             write_gpkg_with_metadata({"zones": zones, "sites_zoned": sites}, out / "zones.gpkg",
                                      sources=sources, parameters=parameters),
             io.write_csv(pd.DataFrame(zones.drop(columns=zones.geometry.name)),
                          out / "zones.csv")]
    log.info("wrote %d zones and %d sites to %s", len(zones), len(sites), out)
    return paths


def write_progress(result, out: str | Path) -> list[Path]:
    """Write ``progress.csv`` (site × date), ``progress_summary.csv`` (site × year),
    ``progress.geojson`` (latest state per site), ``progress_scenes.csv`` (one row per scene)
    and, when present, ``progress_zones.csv``, ``progress_zones_summary.csv`` and
    ``progress_banners.csv`` into ``out``."""
    out = Path(out)
    by_date = result.by_date.assign(date=result.by_date["date"].dt.strftime("%Y-%m-%d"))
    paths = [io.write_csv(by_date.round(4), out / "progress.csv"),
             io.write_csv(result.summary.round(4), out / "progress_summary.csv"),
             io.write_geojson(result.latest, out / "progress.geojson")]
    if len(result.scenes):
        paths.append(io.write_csv(result.scenes, out / "progress_scenes.csv"))
    for name, table in (("progress_zones.csv", result.zones_by_date),
                        ("progress_zones_summary.csv", result.zones_summary),
                        ("progress_banners.csv", result.banners_by_date)):
        if len(table):
            if "date" in table.columns:
                table = table.assign(date=table["date"].dt.strftime("%Y-%m-%d"))
            paths.append(io.write_csv(table.round(4), out / name))
    return paths


#: Names this module had in 0.2, now in :mod:`ordos_geo.io` (one module reads and writes files).
_MOVED = {"write_shapefile": "write_shapefile", "write_xlsx": "write_xlsx",
          "read_metadata": "read_metadata", "polygons_only": "polygons_only",
          "flatten_lists": "flatten_lists", "_plain": "flatten_lists"}


def __getattr__(name: str):
    if name in _MOVED:
        import warnings

        warnings.warn(f"ordos_geo.export.{name} moved to ordos_geo.io.{_MOVED[name]}; the old name "
                      "will be removed in 1.0.", DeprecationWarning, stacklevel=2)
        return getattr(io, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def gk_crs_for(frame: gpd.GeoDataFrame):
    """The CGCS2000 3-degree Gauss-Krüger zone (zone-prefixed) of the layer's median longitude."""
    from pyproj import CRS

    lon = float(np.median(frame.to_crs(4326).geometry.representative_point().x))
    zone = int(round(lon / 3.0))
    return CRS.from_epsg(4513 + zone - 25)


def write_gk_copy(frame: gpd.GeoDataFrame, path: str | Path, *, crs: object = None,
                  encoding: str = "UTF-8") -> Path:
    """A copy in CGCS2000 Gauss-Krüger (default: the zone of the layer's median longitude, e.g.
    EPSG:4525 for zone 37), for GIS staff who work in it: a GeoPackage (1.2) for a ``.gpkg``
    path, a Shapefile (with ``.prj`` and ``.cpg``; see :func:`write_shapefile`) for a ``.shp``
    path. Returns ``path``."""
    target = gk_crs_for(frame) if crs is None else crs
    path = Path(path)
    if path.suffix.lower() == ".shp":
        io.write_shapefile(frame, path, encoding=encoding, crs=target)
        return path
    io.write_gpkg({path.stem: frame}, path, crs=target)
    return path


def _styles_for(layers: dict[str, gpd.GeoDataFrame], lang: str) -> dict[str, str]:
    """QML styles matching the HTML maps: sites by status, zones by end use."""
    from ._styles import categorized_qml
    from .maps import _VALUES, END_USE_COLOURS, STATUS_COLOURS, UNKNOWN_COLOUR

    values = _VALUES.get(lang, {})
    out = {}
    for name, frame in layers.items():
        if "end_use" in frame.columns:
            labels = dict(zip(frame["end_use"], frame.get("end_use_label", frame["end_use"])))
            cats = {u: (str(labels.get(u, u)), c) for u, c in END_USE_COLOURS.items()}
            out[name] = categorized_qml("end_use", cats, label_field="zone_id",
                                        other=("用途未定" if lang == "zh" else "not set",
                                               "#999999"))
        elif "status" in frame.columns:
            cats = {k: (values.get(k, k), c) for k, c in STATUS_COLOURS.items()}
            out[name] = categorized_qml("status", cats, label_field="name",
                                        other=("状态不明" if lang == "zh" else "unknown",
                                               UNKNOWN_COLOUR))
    return out


def write_gpkg_with_metadata(layers: dict[str, gpd.GeoDataFrame], path: str | Path, *,
                             sources: list[str] | None = None,
                             parameters: dict | None = None, attribution: str | None = None,
                             lang: str | None = None) -> Path:
    """All layers (EPSG:4326) in a GeoPackage 1.2, plus a table ``ordos_geo_metadata`` (key,
    value: ordos_geo version, time, sources, parameters, CRS, layers, attribution) and QGIS's
    ``layer_styles`` table: sites by status, zones by end use, with the maps' colours and
    Chinese labels (English with ``lang="en"``), each layer's default style."""
    import datetime as dt
    import json

    from ._version import __version__
    from .settings import settings

    lang = settings.get("lang", lang)
    metadata = {"ordos_geo_version": __version__,
                "written_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "sources": json.dumps(sources or [], ensure_ascii=False),
                "parameters": json.dumps(parameters or {}, ensure_ascii=False, default=str),
                "crs": "EPSG:4326", "layers": ";".join(layers), "attribution": attribution or ""}
    return io.write_gpkg(layers, path, metadata=metadata, styles=_styles_for(layers, lang))


def write_table(frame: pd.DataFrame, path: str | Path, *, lang: str | None = None) -> Path:
    """A report table (CSV with BOM or XLSX by suffix) with Chinese headers (``lang='zh'``)."""
    from .settings import settings

    path = Path(path)
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns
                                             if c == getattr(frame, "_geometry_column_name", None)
                                             or c == "geometry"]))
    if settings.get("lang", lang) == "zh":
        table = table.rename(columns=CHINESE_HEADERS)
    if path.suffix.lower() == ".xlsx":
        return io.write_xlsx(table, path)
    return io.write_csv(table, path)


def write_register(register, path: str | Path, *, history: bool = False) -> Path:
    """A register's current state (one row a mine) or, with ``history``, every event as
    recorded: CSV or XLSX with Chinese headers (``lang='zh'``), or a GeoPackage holding the
    state with the mine boundaries (layer ``register_state``) and the events
    (``register_events``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        state = register.mines(geometry=True)[["mine_id", "geometry"]].merge(
            register.state(), on="mine_id", how="right")
        layers = {"register_state": gpd.GeoDataFrame(state, geometry="geometry", crs="EPSG:4326"),
                  "register_events": io.dates_as_text(register.history())}
        return io.write_gpkg(layers, path, metadata={"source": repr(register)})
    if suffix not in (".csv", ".xlsx"):
        from ._errors import UsageError
        from ._messages import msg

        raise UsageError(msg("reg_export_suffix", path=repr(str(path))))
    from .settings import settings

    table = io.dates_as_text(register.history() if history else register.state())
    if settings.get("lang") == "zh":  # in the register, mine_id is the mine's own number
        table = table.rename(columns={"mine_id": "矿山编号"})
    return write_table(table, path)
