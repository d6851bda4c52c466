"""Writing results for GIS staff and reports: every file atomically, in EPSG:4326 (RFC 7946)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import io

__all__ = ["write_zones", "write_progress", "write_shapefile", "write_gk_copy", "write_table",
           "write_gpkg_with_metadata", "gk_crs_for", "CHINESE_HEADERS"]

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
    "trajectory": "趋势", "projected_year": "预计达标年份"}

log = logging.getLogger("ordos_geo")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can write: lists and tuples joined with ';'."""
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
    zones, sites = _plain(zones), _plain(sites)
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
    ``progress.geojson`` (latest state per site) and, when present, ``progress_zones.csv``,
    ``progress_zones_summary.csv`` and ``progress_banners.csv`` into ``out``."""
    out = Path(out)
    by_date = result.by_date.assign(date=result.by_date["date"].dt.strftime("%Y-%m-%d"))
    paths = [io.write_csv(by_date.round(4), out / "progress.csv"),
             io.write_csv(result.summary.round(4), out / "progress_summary.csv"),
             io.write_geojson(result.latest, out / "progress.geojson")]
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


def write_shapefile(frame: gpd.GeoDataFrame, path: str | Path, *, encoding: str = "UTF-8",
                    crs: object = "EPSG:4326") -> list[Path]:
    """A Shapefile with a ``.cpg`` (UTF-8 by default, GBK on request) and, when field names had to
    be shortened to 10 bytes, ``<name>.fieldmap.csv`` (``field, shapefile_field``). The files
    appear together: written in a temporary folder, then moved."""
    import shutil
    import tempfile

    import pyogrio

    path = Path(path)
    geom = frame.geometry.name
    names = _shapefile_names([c for c in frame.columns if c != geom], encoding)
    out = frame.rename(columns=names).to_crs(crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        target = Path(tmp) / path.name
        pyogrio.write_dataframe(out, target, driver="ESRI Shapefile", encoding=encoding)
        target.with_suffix(".cpg").write_text("GBK" if encoding.upper() in ("GBK", "CP936")
                                              else encoding.upper(), encoding="ascii")
        changed = {k: v for k, v in names.items() if k != v}
        if changed:
            pd.DataFrame({"field": list(changed), "shapefile_field": list(changed.values())}
                         ).to_csv(Path(tmp) / f"{path.stem}.fieldmap.csv", index=False,
                                  encoding="utf-8-sig")
        for part in sorted(Path(tmp).iterdir()):
            final = path.parent / part.name
            shutil.move(str(part), final)
            written.append(final)
    log.info("wrote shapefile %s (%s, %d renamed fields)", path, encoding, len(changed))
    return written


def gk_crs_for(frame: gpd.GeoDataFrame):
    """The CGCS2000 3-degree Gauss-Krüger zone (zone-prefixed) of the layer's median longitude."""
    from pyproj import CRS

    lon = float(np.median(frame.to_crs(4326).geometry.representative_point().x))
    zone = int(round(lon / 3.0))
    return CRS.from_epsg(4513 + zone - 25)


def write_gk_copy(frame: gpd.GeoDataFrame, path: str | Path, *, crs: object = None) -> Path:
    """A GeoPackage copy in CGCS2000 Gauss-Krüger (default: the zone of the layer's median
    longitude, e.g. EPSG:4525 for zone 37), for GIS staff who work in it."""
    import pyogrio

    target = gk_crs_for(frame) if crs is None else crs
    path = Path(path)
    with io.atomic_path(path) as tmp:
        pyogrio.write_dataframe(frame.to_crs(target), tmp, driver="GPKG", layer=path.stem)
    return path


def write_gpkg_with_metadata(layers: dict[str, gpd.GeoDataFrame], path: str | Path, *,
                             sources: list[str] | None = None,
                             parameters: dict | None = None) -> Path:
    """All layers (EPSG:4326) plus a table ``ordos_geo_metadata`` (key, value): source files,
    parameters, ordos_geo version and time of writing."""
    import datetime as dt
    import json

    import pyogrio

    from . import __version__
    from .projection import to_export

    meta = pd.DataFrame({"key": ["ordos_geo_version", "written_at", "sources", "parameters",
                                 "crs", "layers"],
                         "value": [__version__, dt.datetime.now(dt.timezone.utc).isoformat(),
                                   json.dumps(sources or [], ensure_ascii=False),
                                   json.dumps(parameters or {}, ensure_ascii=False, default=str),
                                   "EPSG:4326", ";".join(layers)]})
    path = Path(path)
    with io.atomic_path(path) as tmp:
        for name, frame in layers.items():
            pyogrio.write_dataframe(_plain(to_export(frame)), tmp, driver="GPKG", layer=name)
        pyogrio.write_dataframe(meta, tmp, driver="GPKG", layer="ordos_geo_metadata")
    return path


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
        with io.atomic_path(path) as tmp:
            table.to_excel(tmp, index=False, engine="openpyxl")
        return path
    return io.write_csv(table, path)
