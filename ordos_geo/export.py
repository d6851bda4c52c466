"""Writing results for GIS staff and reports: every file atomically, in EPSG:4326 (RFC 7946)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import io
from ._messages import msg
from .utils import import_optional

__all__ = ["write_zones", "write_progress", "write_shapefile", "write_gk_copy", "write_table",
           "write_xlsx", "write_gpkg_with_metadata", "read_metadata", "gk_crs_for",
           "flatten_lists",
           "polygons_only", "CHINESE_HEADERS"]

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
    "field": "字段", "code": "问题代码", "problem": "问题说明"}

log = logging.getLogger("ordos_geo")


def flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose columns GDAL can write: lists and tuples joined with ';'."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v))
                                    if isinstance(v, (list, tuple)) else v)
    return out


def write_zones(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, out: str | Path, *,
                sources: list[str] | None = None, parameters: dict | None = None) -> list[Path]:
    """Write ``zones.geojson``, ``sites_zoned.geojson``, ``zones.gpkg`` (layers ``zones`` and
    ``sites_zoned`` plus the ``ordos_geo_metadata`` table) and the ``zones.csv`` summary into
    ``out``; return the paths."""
    out = Path(out)
    zones, sites = flatten_lists(zones), flatten_lists(sites)
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


def _shapefile_names(columns: list[str], encoding: str) -> dict[str, str]:
    """Field names of at most 10 bytes in ``encoding``, unique; longer names are shortened."""
    codec = "gb18030" if encoding.upper() in ("GBK", "GB18030", "CP936") else "utf-8"
    out, used = {}, set()
    for col in columns:
        raw = col.encode(codec)
        short = col if len(raw) <= 10 else raw[:10].decode(codec, errors="ignore")
        base, k = short, 1
        while short.lower() in used:
            suffix = f"_{k}"
            short = base.encode(codec)[:10 - len(suffix)].decode(codec, errors="ignore") + suffix
            k += 1
        used.add(short.lower())
        out[col] = short
    return out


def _shapefile_text(frame: pd.DataFrame, encoding: str, ids: pd.Series, side: str
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text a DBF in ``encoding`` can hold: characters it cannot encode become ``?`` and text over
    254 bytes is cut (at a character boundary); each change is logged, naming feature and field.
    Returns the frame and the full text of every cut value (for ``side``)."""
    codec = "gbk" if encoding.upper() in ("GBK", "CP936") else "utf-8"
    out = frame.copy()
    cut = []
    for column in io._text_columns(out):
        if column == out.geometry.name:
            continue
        values = out[column].tolist()
        for k, value in enumerate(values):
            if not isinstance(value, str):
                continue
            raw = value.encode(codec, errors="replace")
            if raw.decode(codec) != value:
                log.warning(msg("shp_unencodable", feature=ids.iloc[k], field=column,
                                encoding=encoding.upper(), value=value))
            if len(raw) > 254:
                log.warning(msg("shp_text_cut", feature=ids.iloc[k], field=column,
                                n=len(raw), path=side))
                cut.append((ids.iloc[k], column, value))
                raw = raw[:254]
            values[k] = raw.decode(codec, errors="ignore")
        out[column] = values
    return out, pd.DataFrame(cut, columns=["feature_id", "field", "text"])


def write_shapefile(frame: gpd.GeoDataFrame, path: str | Path, *, encoding: str = "UTF-8",
                    crs: object = "EPSG:4326") -> list[Path]:
    """A Shapefile with a ``.cpg`` (UTF-8 by default, GBK on request) and, when field names had to
    be shortened to 10 bytes, ``<name>.fieldmap.csv`` (``field, shapefile_field``).

    The parts are written beside the target in a staging folder and published as a set
    (:func:`ordos_geo.io.publish_files`): the old ``.shp`` goes first and the new one comes last,
    so no reader ever sees a ``.shp`` with another write's ``.dbf``. Text the encoding cannot hold
    (emoji in GBK) becomes ``?`` and text over 254 bytes is cut; each case is logged by feature
    and field, and the full text of cut values is written to ``<name>.fulltext.csv``
    (``feature_id, field, text``). Geometries are kept polygonal (:func:`polygons_only`).
    """
    import pyogrio

    from ._atomic import _token, check_output_file, clean_leftovers

    path = Path(path)
    check_output_file(path)
    geom = frame.geometry.name
    ids = frame["site_id"].astype(str) if "site_id" in frame else \
        frame.get("zone_id", pd.Series([f"#{i + 1}" for i in range(len(frame))])).astype(str)
    names = _shapefile_names([c for c in frame.columns if c != geom], encoding)
    text, cut = _shapefile_text(polygons_only(frame), encoding, ids.reset_index(drop=True),
                                f"{path.stem}.fulltext.csv")
    out = text.rename(columns=names).to_crs(crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(path.parent)
    stage = path.parent / f".{path.name}.ordos-stage-{_token()}"
    stage.mkdir()
    try:
        target = stage / path.name
        pyogrio.write_dataframe(out, target, driver="ESRI Shapefile", encoding=encoding)
        target.with_suffix(".cpg").write_text("GBK" if encoding.upper() in ("GBK", "CP936")
                                              else encoding.upper(), encoding="ascii")
        changed = {k: v for k, v in names.items() if k != v}
        if changed:
            io.neutralise_formulas(pd.DataFrame(
                {"field": list(changed), "shapefile_field": list(changed.values())})).to_csv(
                stage / f"{path.stem}.fieldmap.csv", index=False, encoding="utf-8-sig")
        if len(cut):
            io.neutralise_formulas(cut).to_csv(stage / f"{path.stem}.fulltext.csv", index=False,
                                               encoding="utf-8-sig")
        pairs = [(part, path.parent / part.name) for part in sorted(stage.iterdir())]
        written = io.publish_files(pairs)
    finally:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
    log.info("wrote shapefile %s (%s, %d renamed fields)", path, encoding, len(changed))
    return written


polygons_only = io.polygons_only
_plain = flatten_lists  # the 0.1 private name


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
        write_shapefile(frame, path, encoding=encoding, crs=target)
        return path
    with io.atomic_path(path) as tmp:
        io.write_gpkg_layer(polygons_only(frame.to_crs(target)), tmp, path.stem)
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

    from ._styles import layer_styles
    from ._version import __version__
    from .projection import to_export
    from .settings import settings

    lang = settings.get("lang", lang)
    meta = pd.DataFrame({"key": ["ordos_geo_version", "written_at", "sources", "parameters",
                                 "crs", "layers", "attribution"],
                         "value": [__version__, dt.datetime.now(dt.timezone.utc).isoformat(),
                                   json.dumps(sources or [], ensure_ascii=False),
                                   json.dumps(parameters or {}, ensure_ascii=False, default=str),
                                   "EPSG:4326", ";".join(layers), attribution or ""]})
    plain = {name: flatten_lists(to_export(frame)) for name, frame in layers.items()}
    styles = _styles_for(plain, lang)
    path = Path(path)
    with io.atomic_path(path) as tmp:
        for name, frame in plain.items():
            io.write_gpkg_layer(frame, tmp, name)
        io.write_gpkg_layer(meta, tmp, "ordos_geo_metadata")
        if styles:
            io.write_gpkg_layer(layer_styles(styles), tmp, "layer_styles")
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``ordos_geo_metadata`` table of a GeoPackage as a dict ({} when there is none)."""
    import pyogrio

    try:
        if "ordos_geo_metadata" not in {str(n) for n, _ in pyogrio.list_layers(path)}:
            return {}
        table = pyogrio.read_dataframe(path, layer="ordos_geo_metadata", read_geometry=False)
    except Exception:  # noqa: BLE001 - not a GeoPackage we wrote: no metadata
        return {}
    return dict(zip(table["key"].astype(str), table["value"].astype(str)))


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
        return write_xlsx(table, path)
    return io.write_csv(table, path)


def _xlsx_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        value = ";".join(map(str, value))
    if isinstance(value, (pd.Timestamp,)):
        return value.to_pydatetime()
    return value


def write_xlsx(table: pd.DataFrame, path: str | Path, *, sheet: str = "Sheet1") -> Path:
    """A table as XLSX, atomically. Every text cell is a text cell — never a formula, whatever it
    starts with (``=HYPERLINK(…)`` is shown as that text). Control characters that XML cannot hold
    (U+0000–U+001F except tab, LF, CR) are replaced by U+FFFD, with a warning naming the cells;
    a carriage return reads back as a line feed (XML normalises line ends)."""
    openpyxl = import_optional("openpyxl", purpose="XLSX reports", pip="openpyxl")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    path = Path(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    replaced = []
    rows = [list(table.columns)] + [list(r) for r in table.itertuples(index=False, name=None)]
    for r, row in enumerate(rows, start=1):
        for c, raw in enumerate(row, start=1):
            value = _xlsx_value(raw)
            if isinstance(value, str):
                clean = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
                if clean != value:
                    replaced.append(f"{ws.cell(r, c).coordinate}")
                cell = ws.cell(r, c, clean)
                cell.data_type = "s"
            else:
                ws.cell(r, c, value)
    if replaced:
        log.warning(msg("xlsx_control_chars", path=path, n=len(replaced),
                        cells=", ".join(replaced[:10])))
    with io.atomic_path(path) as tmp:
        wb.save(tmp)
    log.info("wrote %d rows to %s", len(table), path)
    return path
