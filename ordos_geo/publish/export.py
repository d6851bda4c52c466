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
from . import symbology

__all__ = ["write_zones", "write_progress", "write_gk_copy", "write_table",
           "write_gpkg_with_metadata", "write_register", "gk_crs_for", "CHINESE_HEADERS",
           "readable_table", "table_headers", "CODED_FIELDS", "write_gk_copies", "gk_zone_of",
           "gk_crs", "gk_path", "gk_zones", "GK_ZONES"]

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
    and, when present, ``progress_classes.csv`` (hectares of each land-cover class per site,
    zone and year, with a classifier), ``progress_vegetated.csv`` (vegetated hectares ± 95 %
    from a reference sample), ``progress_zones.csv``, ``progress_zones_summary.csv`` and
    ``progress_banners.csv`` into ``out``."""
    out = Path(out)
    by_date = result.by_date.assign(date=result.by_date["date"].dt.strftime("%Y-%m-%d"))
    paths = [io.write_csv(by_date.round(4), out / "progress.csv"),
             io.write_csv(result.summary.round(4), out / "progress_summary.csv"),
             io.write_geojson(result.latest, out / "progress.geojson")]
    if len(result.scenes):
        paths.append(io.write_csv(result.scenes, out / "progress_scenes.csv"))
    classes = getattr(result, "classes", None)
    if classes is not None and len(classes):
        paths.append(io.write_csv(classes.round(4), out / "progress_classes.csv"))
    vegetated = getattr(result, "vegetated", None)
    if vegetated is not None and len(vegetated):
        paths.append(io.write_csv(vegetated.round(4), out / "progress_vegetated.csv"))
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
    """The CGCS2000 3-degree Gauss-Krüger zone (zone-prefixed) of the layer's median longitude:
    :func:`gk_crs` of that zone."""
    lon = float(np.median(frame.to_crs(4326).geometry.representative_point().x))
    return gk_crs(int(round(lon / 3.0)))


#: CGCS2000 3-degree Gauss-Krüger zones with the zone number before the easting: EPSG:4513 is
#: zone 25 (75°E) … EPSG:4533 zone 45 (135°E); Ordos lies in zones 36 (108°E) and 37 (111°E).
GK_ZONES = range(25, 46)


def gk_zone_of(frame: gpd.GeoDataFrame) -> pd.Series:
    """The CGCS2000 3-degree Gauss-Krüger zone of each feature: the zone of its centroid's
    longitude (centre ±1.5° of the zone's central meridian), indexed like ``frame``."""
    from ..core import projection

    if not len(frame):
        return pd.Series([], index=frame.index, dtype=int)
    lon = projection.to_metric(frame).geometry.centroid.to_crs(4326).x
    return np.floor(lon / 3.0 + 0.5).astype(int)


def gk_crs(zone: int):
    """The CRS of CGCS2000 3-degree Gauss-Krüger zone ``zone`` (zone-prefixed eastings):
    EPSG:4513 + zone − 25."""
    from pyproj import CRS

    from ..core.errors import CRSError

    if int(zone) not in GK_ZONES:
        raise CRSError(f"Gauss-Krüger zone {zone!r} is not a CGCS2000 3-degree zone of China "
                       f"({GK_ZONES.start}–{GK_ZONES.stop - 1}).")
    return CRS.from_epsg(4513 + int(zone) - 25)


def gk_path(path: str | Path, zone: int) -> Path:
    """The name of a Gauss-Krüger copy: ``<stem>_cgcs2000_gk<zone><suffix>`` beside ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_cgcs2000_gk{int(zone)}{path.suffix}")


def gk_zones(layers: dict[str, gpd.GeoDataFrame]) -> list[int]:
    """The Gauss-Krüger zones the features of ``layers`` fall in, west to east."""
    return sorted({int(z) for frame in layers.values() for z in gk_zone_of(frame)})


def write_gk_copies(layers: dict[str, gpd.GeoDataFrame], path: str | Path, *,
                    encoding: str = "UTF-8") -> list[Path]:
    """Copies in CGCS2000 3-degree Gauss-Krüger for GIS staff who work in it, one per zone the
    features fall in, each feature in the zone of its centroid (:func:`gk_zone_of`: never more
    than 1.5° from its central meridian, so planar areas stay within about 0.05 % in Ordos; a
    feature reaching farther than :data:`GK_WIDE_DEG` is named in a warning):
    :func:`gk_path` ``(path, zone)`` in the zone's CRS (:func:`gk_crs`) — for a ``.gpkg``
    ``path`` a GeoPackage (1.2) holding each layer's features of that zone; for a ``.shp``
    ``path`` a Shapefile (``.prj``, ``.cpg``) of the one layer given. Returns every path
    written, zone by zone."""
    path = Path(path)
    shapefile = path.suffix.lower() == ".shp"
    if shapefile and len(layers) != 1:
        raise UsageError(f"A Shapefile holds one layer; got {len(layers)} ({', '.join(layers)}).")
    zone_of = {name: gk_zone_of(frame) for name, frame in layers.items()}
    zones = sorted({int(z) for found in zone_of.values() for z in found})
    for name, frame in layers.items():
        _warn_wide(frame, zone_of[name])
    written: list[Path] = []
    for zone in zones:
        parts = {name: frame[zone_of[name] == zone] for name, frame in layers.items()
                 if (zone_of[name] == zone).any()}
        if shapefile:
            written += io.write_shapefile(next(iter(parts.values())), gk_path(path, zone),
                                          encoding=encoding, crs=gk_crs(zone))
        else:
            written.append(io.write_gpkg(parts, gk_path(path, zone), crs=gk_crs(zone)))
    log.info("wrote Gauss-Krüger copies of %s in zones %s", ", ".join(layers),
             ", ".join(map(str, zones)))
    return written


#: How far (degrees of longitude) a vertex may lie from its zone's central meridian before the
#: planar area of its feature may be off by more than 0.1 % at Ordos's latitude (~39.5° N):
#: scale 1 + (Δλ·cos φ)²/2, area its square.
GK_WIDE_DEG = 2.3


def _warn_wide(frame: gpd.GeoDataFrame, zones: pd.Series) -> None:
    """Name the features that reach farther than :data:`GK_WIDE_DEG` from their zone's central
    meridian (a multi-part mine across zones): one zone cannot hold their area within 0.1 %."""
    if not len(frame):
        return
    bounds = frame.to_crs(4326).geometry.bounds
    meridian = zones.astype(float) * 3.0
    far = np.maximum((bounds["minx"] - meridian).abs(), (bounds["maxx"] - meridian).abs())
    wide = far > GK_WIDE_DEG
    if wide.any():
        named = next((c for c in ("site_id", "zone_id") if c in frame.columns), None)
        ids = frame.loc[wide, named].astype(str) if named else frame.index[wide].astype(str)
        log.warning(msg("gk_wide_features", n=int(wide.sum()), deg=float(far.max()),
                        ids=", ".join(list(ids)[:10])))


def write_gk_copy(frame: gpd.GeoDataFrame, path: str | Path, *, crs: object = None,
                  encoding: str = "UTF-8") -> Path:
    """A copy in CGCS2000 Gauss-Krüger (default: the zone of the layer's median longitude, e.g.
    EPSG:4525 for zone 37), for GIS staff who work in it: a GeoPackage (1.2) for a ``.gpkg``
    path, a Shapefile (with ``.prj`` and ``.cpg``; see :func:`write_shapefile`) for a ``.shp``
    path. Returns ``path``. One zone for the whole layer: a layer spanning zones is better
    written by :func:`write_gk_copies` (one copy per zone)."""
    target = gk_crs_for(frame) if crs is None else crs
    path = Path(path)
    if path.suffix.lower() == ".shp":
        io.write_shapefile(frame, path, encoding=encoding, crs=target)
        return path
    io.write_gpkg({path.stem: frame}, path, crs=target)
    return path


def _styles_for(layers: dict[str, gpd.GeoDataFrame], lang: str) -> dict[str, str]:
    """QML styles matching the HTML maps: mines by status, parcels by kind (outlined by
    status), zones by end use."""
    from .symbology import categorized_qml, colours, end_use_colours, sites_qml

    palette = colours()
    out = {}
    for name, frame in layers.items():
        if "end_use" in frame.columns:
            labels = dict(zip(frame["end_use"], frame.get("end_use_label", frame["end_use"])))
            used = end_use_colours([*palette["end_use"], *frame["end_use"]])  # as on the map
            cats = {u: (str(labels.get(u, u)), c) for u, c in used.items()}
            out[name] = categorized_qml("end_use", cats, label_field="zone_id",
                                        other=("用途未定" if lang == "zh" else "not set",
                                               palette["end_use_unset"]))
        elif "status" in frame.columns or "kind" in frame.columns:
            out[name] = sites_qml(lang)  # as the maps draw them
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
    another suffix is refused (:class:`UsageError`). An XLSX is for people: its values are
    labels in ``lang`` (:func:`readable_table`); a CSV keeps the codes (a contract for GIS
    staff)."""
    from ..core.settings import settings

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(msg("table_suffix", path=repr(str(path))))
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns
                                             if c == getattr(frame, "_geometry_column_name", None)
                                             or c == "geometry"]))
    if path.suffix.lower() == ".xlsx":  # for people: labels, not codes
        return io.write_xlsx(readable_table(table, lang=lang), path)
    if settings.get("lang", lang) == "zh":  # CSV keeps the codes: a contract for GIS staff
        table = table.rename(columns=CHINESE_HEADERS)
    return io.write_csv(table, path)


#: Fields whose values are codes, shown to people as labels (:data:`symbology.CODED_FIELDS`).
CODED_FIELDS = symbology.CODED_FIELDS


def readable_table(frame: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """``frame`` as people read it — an XLSX report, a table on the screen — in ``lang``
    (default ``settings.lang``): the codes of :data:`CODED_FIELDS` as their labels and yes/no
    (booleans) as 是/否 (``values`` of ``resources/symbology.yaml``), the headers of
    :func:`table_headers`. A new frame, indexed like ``frame``; CSV files keep the codes."""
    from ..core.settings import settings
    from .symbology import value_labels

    lang = settings.get("lang", lang)
    labels = value_labels(lang)
    yes_no = {True: labels.get("true", "true"), False: labels.get("false", "false")}

    def shown(value, coded: bool):
        if isinstance(value, (bool, np.bool_)):
            return yes_no[bool(value)]
        return labels.get(value, value) if coded and isinstance(value, str) else value

    out = pd.DataFrame(frame).copy()
    for k, col in enumerate(out.columns):
        series = out.iloc[:, k]
        coded = col in CODED_FIELDS
        if coded or series.dtype == object or pd.api.types.is_bool_dtype(series.dtype):
            out.isetitem(k, series.map(lambda v, c=coded: shown(v, c)).astype(object))
    return out.rename(columns=table_headers(out.columns, lang=lang))


def table_headers(columns, *, lang: str | None = None) -> dict:
    """The header people read for each column: in Chinese those of ``resources/headers.yaml``
    (``mine_id`` is 所属矿山 in every table; the readers accept 矿山编号 too), in English the
    field names; a score sheet's points of a category (``points_<category>``) named by the
    category (资源综合利用得分, comprehensive utilisation (points))."""
    from ..core.settings import settings

    lang = settings.get("lang", lang)
    out = {}
    for col in columns:
        name = str(col)
        if name.startswith("points_"):
            out[col] = msg("score_points_header", lang=lang,
                           category=_category_name(name[len("points_"):], lang))
        elif lang == "zh" and name in CHINESE_HEADERS:
            out[col] = CHINESE_HEADERS[name]
    return out


def _category_name(key: str, lang: str) -> str:
    """A score sheet's category in ``lang`` (``resources/supervision.yaml``); a category the
    sheet named itself (2024 indicators) as it was named."""
    from ..register.supervision import rules

    for scale in rules()["scales"].values():
        spec = (scale.get("categories") or {}).get(key)
        if spec:
            return spec.get(lang, spec["zh"])
    return key


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
    table = io.dates_as_text(register.history() if history else register.state())
    table["register_head"] = head
    return write_table(table, path)
