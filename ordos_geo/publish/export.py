"""What ordos_geo publishes for GIS staff and reports: the zones and progress output sets, report
tables with Chinese headers, Gauss-Krüger copies and GeoPackages with metadata and QGIS styles.
Every file is written by :mod:`ordos_geo.io` (atomically, EPSG:4326 unless a copy asks for GK)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from ..core.errors import UsageError
from ..core.messages import msg
from ..core.schema import headers

__all__ = ["write_zones", "write_progress", "write_gk_copy", "write_table",
           "write_gpkg_with_metadata", "write_register", "gk_crs_for", "CHINESE_HEADERS"]

#: Chinese column headers of report tables (CSV/XLSX for reports; GIS files keep field names):
#: ``resources/headers.yaml``, which the readers also accept back.
CHINESE_HEADERS = headers()["zh"]

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
    from .symbology import categorized_qml, colours, value_labels

    values, palette = value_labels(lang), colours()
    out = {}
    for name, frame in layers.items():
        if "end_use" in frame.columns:
            labels = dict(zip(frame["end_use"], frame.get("end_use_label", frame["end_use"])))
            cats = {u: (str(labels.get(u, u)), c) for u, c in palette["end_use"].items()}
            out[name] = categorized_qml("end_use", cats, label_field="zone_id",
                                        other=("用途未定" if lang == "zh" else "not set",
                                               palette["end_use_unset"]))
        elif "status" in frame.columns:
            cats = {k: (values.get(k, k), c) for k, c in palette["status"].items()}
            out[name] = categorized_qml("status", cats, label_field="name",
                                        other=("状态不明" if lang == "zh" else "unknown",
                                               palette["status_unknown"]))
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

    from .._version import __version__
    from ..core.settings import settings

    lang = settings.get("lang", lang)
    metadata = {"ordos_geo_version": __version__,
                "written_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "sources": json.dumps(sources or [], ensure_ascii=False),
                "parameters": json.dumps(parameters or {}, ensure_ascii=False, default=str),
                "crs": "EPSG:4326", "layers": ";".join(layers), "attribution": attribution or ""}
    return io.write_gpkg(layers, path, metadata=metadata, styles=_styles_for(layers, lang))


def write_table(frame: pd.DataFrame, path: str | Path, *, lang: str | None = None) -> Path:
    """A report table (CSV with BOM or XLSX by suffix) with Chinese headers (``lang='zh'``);
    another suffix is refused (:class:`UsageError`)."""
    from ..core.settings import settings

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(msg("table_suffix", path=repr(str(path))))
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
    (``register_events``). Every row carries the register's head (``register_head``; the
    GeoPackage's metadata too), so a later change can be proven against the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    head = register.head()
    if suffix == ".gpkg":
        state = register.mines(geometry=True)[["mine_id", "geometry"]].merge(
            register.state(), on="mine_id", how="right").assign(register_head=head)
        layers = {"register_state": gpd.GeoDataFrame(state, geometry="geometry", crs="EPSG:4326"),
                  "register_events": io.dates_as_text(register.history())}
        return io.write_gpkg(layers, path, metadata={"source": repr(register),
                                                     "register_head": head})
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(msg("reg_export_suffix", path=repr(str(path))))
    from ..core.settings import settings

    table = io.dates_as_text(register.history() if history else register.state())
    table["register_head"] = head
    if settings.get("lang") == "zh":  # in the register, mine_id is the mine's own number
        table = table.rename(columns={"mine_id": "矿山编号"})
    return write_table(table, path)
