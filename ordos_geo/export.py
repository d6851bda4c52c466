"""Writing results for GIS staff and reports: every file atomically, in EPSG:4326 (RFC 7946)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io

__all__ = ["write_zones", "write_progress"]

log = logging.getLogger("ordos_geo")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can write: lists and tuples joined with ';'."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v))
                                    if isinstance(v, (list, tuple)) else v)
    return out


def write_zones(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, out: str | Path) -> list[Path]:
    """Write ``zones.geojson``, ``sites_zoned.geojson``, ``zones.gpkg`` (layers ``zones`` and
    ``sites_zoned``) and the ``zones.csv`` summary into ``out``; return the paths."""
    out = Path(out)
    zones, sites = _plain(zones), _plain(sites)
    paths = [io.write_geojson(zones, out / "zones.geojson"),
             io.write_geojson(sites, out / "sites_zoned.geojson"),
             io.write_gpkg({"zones": zones, "sites_zoned": sites}, out / "zones.gpkg"),
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
