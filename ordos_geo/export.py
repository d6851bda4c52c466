"""Writing results for GIS staff and reports: every file atomically, in EPSG:4326 (RFC 7946)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io

__all__ = ["write_zones"]

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
