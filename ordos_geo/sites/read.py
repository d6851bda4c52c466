"""Sites: mine boundaries (采矿权/矿区范围) and disturbed parcels (采坑, 排土场, 边坡 …).

``read_sites`` reads any supported file, maps the bureau's field names onto the canonical schema
(``docs/schema.md``), validates everything and returns ``(sites, report)``:

* ``sites`` — a GeoDataFrame in EPSG:4326 with the canonical fields, the file's extra fields kept
  as they are, and ``area_ha`` (equal-area CRS). Its index is each feature's 0-based position in
  the file, so results join back to the source.
* ``report`` — one row per problem: ``file, feature_index, feature_id, field, severity, code,
  problem, action``. Every feature is accounted for: kept, repaired (reported) or refused
  (reported).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .. import io
from ..core import projection
from ..core.errors import InputFileError, ValidationError
from ..core.messages import msg
from ..core.problems import REPORT_COLUMNS, Problem, Problems
from ..core.schema import Invalid, id_key, schema
from ..io import corners

__all__ = ["read_sites", "sites_from_frame", "validate", "ValidationResult", "CANONICAL_FIELDS",
           "REPORT_COLUMNS"]

log = logging.getLogger("ordos_geo")

#: Canonical field names, in output order (``area_ha`` and ``geometry`` follow the extras).
CANONICAL_FIELDS = schema().names
Refused = Literal["raise", "report"]
#: File names that betray a Chinese web map as the source (GCJ-02 coordinates).
_GCJ02_NAMES = re.compile(r"amap|gaode|autonavi|gcj|高德|腾讯|tencent|baidu|百度", re.IGNORECASE)


def read_sites(path: str | os.PathLike, *, layer: str | None = None, encoding: str | None = None,
               crs: object = None, gcj02: bool = False, kind: str | None = None,
               refused: Refused = "raise", lang: str | None = None,
               banners: gpd.GeoDataFrame | None = None, point_radius_m: float | None = None,
               ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read, map and validate a sites file: GeoJSON, GeoPackage, Shapefile (or .zip), corner CSV.

    Parameters
    ----------
    path : the file. A ``.csv`` is read as a corner-point table (拐点坐标, see
        :func:`ordos_geo.io.corners.read_corner_points`).
    layer : GeoPackage layer or Shapefile name inside a zip.
    encoding : attribute encoding; detected when None (``.cpg``, DBF byte, then the bytes).
    crs : declared CRS of the coordinates (EPSG code or anything pyproj reads); overrides the file's.
    gcj02 : the coordinates are GCJ-02 lon/lat from a Chinese web map; converted to WGS84.
    kind : ``mine|pit|dump|other`` for every feature whose ``kind`` is empty or absent.
    refused : ``"raise"`` raises :class:`~ordos_geo.core.errors.ValidationError` (carrying the report)
        when any feature or the file is refused; ``"report"`` leaves refused features out of
        ``sites`` and lists them in the report.
    banners : banner polygons used to fill and check ``banner`` (default: the embedded ones).
    point_radius_m : Point features (a mine's location, as GEM's Global Coal Mine Tracker gives
        it) become circles of this radius, drawn in the metric CRS and reported once as
        indicative; without it a Point is refused, the message naming this option.
    """
    problems = Problems(str(path), lang=lang)
    try:
        if Path(path).suffix.lower() == ".csv":
            frame, enc = corners.read_corner_points(path, crs=crs, encoding=encoding, problems=problems)
            problems.add("encoding_detected", severity="info", action="kept", field="encoding",
                         encoding=enc, source="CSV")
            source_crs = frame.crs
            if kind is None:  # a corner-point table is a mining right's boundary by definition
                kind = "mine"
                problems.add("kind_corner_points", severity="info", action="filled",
                             field="kind")
        else:
            src = io.read_vector(path, layer=layer, encoding=encoding)
            for text in src.warnings:
                problems.add("gdal_warning", severity="warning", action="kept", field="*",
                             text=text)
            if src.encoding:
                problems.add("encoding_detected", severity="info", action="kept", field="encoding",
                             encoding=src.encoding, source=src.encoding_source)
            frame, source_crs = src.frame, (crs if crs is not None else src.frame.crs)
    except InputFileError as exc:  # missing, unreadable, truncated, bad format: says the file
        problems.items.append(Problem(str(path), None, "*", "", "error", "file_unreadable",
                                      str(exc), "refused"))
        return _finish(_empty_sites(), problems, refused, path)
    if not gcj02 and _GCJ02_NAMES.search(Path(path).name):
        problems.add("gcj02_suspected", severity="warning", action="kept", field="crs",
                     name=Path(path).name)
    if crs is not None and frame.crs is not None and _same_crs(crs, frame.crs) is False:
        problems.add("crs_overridden", severity="warning", action="kept", field="crs",
                     declared=str(crs), file_crs=frame.crs.to_string())
    return sites_from_frame(frame, source=str(path), crs=source_crs, gcj02=gcj02, kind=kind,
                            refused=refused, problems=problems, banners=banners,
                            point_radius_m=point_radius_m)


def _same_crs(declared: object, actual: CRS) -> bool | None:
    """Whether ``declared`` is ``actual``; None when ``declared`` is no CRS (reported later)."""
    try:
        return CRS.from_user_input(declared) == actual
    except Exception:  # noqa: BLE001 - pyproj's CRSError; _resolve_crs reports it
        return None


@dataclass
class ValidationResult:
    """What ``validate`` found: the usable sites, the report and the counts."""

    path: str
    sites: gpd.GeoDataFrame
    report: pd.DataFrame
    total: int
    kept: int
    repaired: int
    refused: int

    @property
    def errors(self) -> int:
        return int((self.report["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.report["severity"] == "warning").sum())

    @property
    def usable(self) -> bool:
        """True when nothing was refused (repairs and warnings are allowed)."""
        return self.errors == 0

    def summary(self, lang: str | None = None) -> str:
        line = msg("summary", lang=lang, path=self.path, total=self.total, kept=self.kept,
                   repaired=self.repaired, refused=self.refused, errors=self.errors,
                   warnings=self.warnings)
        return line + " " + msg("verdict_ok" if self.usable else "verdict_fix", lang=lang)


def validate(path: str | os.PathLike, *, layer: str | None = None, encoding: str | None = None,
             crs: object = None, gcj02: bool = False, kind: str | None = None,
             lang: str | None = None, banners: gpd.GeoDataFrame | None = None,
             point_radius_m: float | None = None) -> ValidationResult:
    """Validate a sites file without raising (refused features are reported, not raised);
    the options are those of :func:`read_sites`."""
    sites, report = read_sites(path, layer=layer, encoding=encoding, crs=crs, gcj02=gcj02,
                               kind=kind, refused="report", lang=lang, banners=banners,
                               point_radius_m=point_radius_m)
    total = int(report.attrs.get("n_features", 0))
    repaired = report.loc[report["severity"] == "repaired", "feature_index"].dropna()
    n_repaired = int(repaired[repaired.isin(sites.index)].nunique())
    return ValidationResult(str(path), sites, report, total, len(sites), n_repaired,
                            total - len(sites))


# --- the pipeline -------------------------------------------------------------------------------
def sites_from_frame(frame: gpd.GeoDataFrame, *, source: str = "<frame>", crs: object = None,
                     gcj02: bool = False, kind: str | None = None, refused: Refused = "raise",
                     problems: Problems | None = None, banners: gpd.GeoDataFrame | None = None,
                     point_radius_m: float | None = None,
                     ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Map ``frame`` onto the canonical schema and validate it; see :func:`read_sites`.

    ``crs`` declares the coordinates' CRS when ``frame`` has none (or a wrong one). ``frame`` is
    not modified; the result is indexed by position in ``frame`` (0-based).
    """
    problems = problems if problems is not None else Problems(source)
    crs = crs if crs is not None else frame.crs
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if n == 0:
        problems.add("no_features", severity="error", action="refused", path=source)
        return _finish(_empty_sites(), problems, refused, source, n)
    if point_radius_m is not None:
        frame = _points_as_circles(frame, crs, float(point_radius_m), problems)
    attrs, extras = _map_fields(frame, problems)
    ids = _feature_ids(attrs)
    kind = kind if kind is not None else _mining_right_kind(attrs, problems)
    _check_values(attrs, ids, kind, problems)
    _infer_method(attrs, ids, problems)
    geoms, repairs = _check_geometry(frame.geometry.values, ids, problems,
                                     skip=_refused_corner_rows(problems),
                                     radius_given=point_radius_m is not None)
    geoms = _to_wgs84(geoms, crs, gcj02, ids, problems, repairs)
    attrs["area_ha"] = np.nan
    if geoms is not None:
        ok = ~pd.isna(pd.Series(geoms, dtype=object)).to_numpy()
        area = np.full(n, np.nan)
        area[ok] = projection.area_ha(gpd.GeoSeries(geoms[ok], crs="EPSG:4326")).to_numpy()
        attrs["area_ha"] = area
        _check_banner(attrs, geoms, ids, problems, banners)
    _check_duplicates(attrs, ids, problems)
    _check_mine_refs(attrs, ids, problems)
    out = gpd.GeoDataFrame(pd.concat([attrs, extras], axis=1),
                           geometry=gpd.GeoSeries(geoms if geoms is not None else [None] * n,
                                                  crs="EPSG:4326"))
    keep = np.ones(n, dtype=bool)
    if problems.has_file_error():
        keep[:] = False
    for i in problems.refused_indices():
        keep[i] = False
    out = out[keep]
    log.info("%s: %d of %d features kept", source, int(keep.sum()), n)
    return _finish(out, problems, refused, source, n)


#: The largest circle a mine's point may stand for (a mine of 1,250 km²).
MAX_POINT_RADIUS_M = 20_000.0


def _points_as_circles(frame: gpd.GeoDataFrame, crs, radius_m: float,
                       problems: Problems) -> gpd.GeoDataFrame:
    """Point features as circles of ``radius_m`` (metric CRS), reported once; others unchanged."""
    if not math.isfinite(radius_m) or not 0 < radius_m <= MAX_POINT_RADIUS_M:
        raise ValueError(f"point_radius_m={radius_m!r}; give metres in (0, "
                         f"{MAX_POINT_RADIUS_M:g}].")
    points = np.isin(shapely.get_type_id(frame.geometry.values), [0, 4]) & \
        ~shapely.is_empty(frame.geometry.values)
    finite = np.isfinite(shapely.get_coordinates(frame.geometry.values[points])).all() \
        if points.any() else True
    if not points.any() or crs is None or not finite:
        return frame  # nothing to draw, or refused later with the reason (no CRS, NaN)
    circles = projection.to_metric(gpd.GeoSeries(frame.geometry.values[points], crs=crs))
    out = frame.copy()
    out.loc[points, out.geometry.name] = circles.buffer(radius_m, quad_segs=16).to_crs(crs).values
    problems.add("points_as_circles", severity="warning", action="repaired", field="geometry",
                 n=int(points.sum()), radius_m=radius_m)
    return out


def _finish(sites: gpd.GeoDataFrame, problems: Problems, refused: Refused, source,
            n: int = 0) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    if refused not in ("raise", "report"):
        raise ValueError(f"refused={refused!r}; allowed: 'raise', 'report'.")
    report = problems.to_frame()
    report.attrs["n_features"] = n
    report.attrs.update(problems.facts)
    errors = report[report["severity"] == "error"]
    if refused == "raise" and len(errors):
        first = "\n".join(f"- [{r.feature_id}] {r.field}: {r.problem}"
                          for r in errors.head(10).itertuples())
        raise ValidationError(msg("validation_failed", lang=problems.lang, path=source,
                                  errors=len(errors), first=first), report=report)
    return sites, report


def _empty_sites() -> gpd.GeoDataFrame:
    cols = {name: pd.Series(dtype=object) for name in CANONICAL_FIELDS}
    cols["area_ha"] = pd.Series(dtype=float)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def _map_fields(frame: gpd.GeoDataFrame, problems: Problems) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical attribute columns (raw values) and the extra columns, kept as they are."""
    sch = schema()
    found: dict[str, list[tuple[str, float]]] = {}
    extra_cols = []
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        match = sch.match_field(column)
        if match is None:
            extra_cols.append(column)
        else:
            found.setdefault(match[0], []).append((column, match[1]))
    attrs = pd.DataFrame(index=frame.index)
    for name in CANONICAL_FIELDS:
        sources = found.get(name, [])
        if len(sources) > 1:
            problems.add("field_ambiguous", severity="error", action="refused", field=name,
                         fields=", ".join(repr(c) for c, _ in sources))
        if sources:
            column, scale = sources[0]
            attrs[name] = frame[column].astype(object)
            attrs.attrs[name] = (column, scale)
            if scale != 1.0:
                problems.add("units_converted", severity="info", action="converted", field=name,
                             source=column, unit="万吨/年 → Mt/a")
        else:
            attrs[name] = None
    extras = frame[extra_cols].copy()
    if "area_ha" in extras.columns:
        extras = extras.rename(columns={"area_ha": "area_ha_declared"})
    return attrs, extras


#: Fields only a mining-right (采矿权) layer carries: with one of them and no ``kind`` column, the
#: features are taken as mine boundaries (reported).
_MINING_RIGHT_SOURCES = ("采矿许可证号", "许可证号", "采矿权人", "生产规模", "owner",
                         "capacity_mtpa", "gem_mine_id")  # the last three: GEM's coal mines


def _mining_right_kind(attrs: pd.DataFrame, problems: Problems) -> str | None:
    """``"mine"`` for a layer without ``kind`` that carries mining-right fields, else None."""
    if "kind" in attrs.attrs:
        return None
    sources = {str(v[0]) for v in attrs.attrs.values() if isinstance(v, tuple)}
    # a Shapefile may have cut the name to 10 bytes: a prefix of three or more characters counts
    hits = sorted(src for src in sources if any(src == f or (len(src) >= 3 and f.startswith(src))
                                                for f in _MINING_RIGHT_SOURCES))
    if not hits:
        return None
    problems.add("kind_mining_right", severity="warning", action="filled", field="kind",
                 fields=", ".join(hits))
    return "mine"


def _infer_method(attrs: pd.DataFrame, ids: list[str], problems: Problems) -> None:
    """A pit is an open excavation: ``method`` empty on a pit becomes ``open_pit`` (reported);
    a mine without ``method`` is warned about, since the zone rules use it."""
    kind, method = attrs["kind"], attrs["method"]
    pits = (kind == "pit") & method.isna()
    for i in np.flatnonzero(pits.to_numpy()):
        problems.add("method_from_pit", severity="repaired", action="filled", field="method",
                     index=int(i), feature_id=ids[i])
    attrs.loc[pits, "method"] = "open_pit"
    unknown = (kind == "mine") & attrs["method"].isna()
    for i in np.flatnonzero(unknown.to_numpy()):
        problems.add("method_missing", severity="warning", action="kept", field="method",
                     index=int(i), feature_id=ids[i])


def _feature_ids(attrs: pd.DataFrame) -> list[str]:
    """Each feature's id as reports show it: its normalised ``site_id``, else ``#<row>``."""
    codes, uniques = pd.factorize(attrs["site_id"], use_na_sentinel=True)
    texts = []
    for raw in uniques:  # each distinct value once
        try:
            texts.append(schema().normalise("site_id", raw))
        except Invalid:
            texts.append(None)
    return [texts[c] if c >= 0 and texts[c] else f"#{i + 1}" for i, c in enumerate(codes)]


def _check_values(attrs: pd.DataFrame, ids: list[str], kind: str | None,
                  problems: Problems) -> None:
    sch = schema()
    if kind is not None:
        kind = sch.normalise("kind", kind)
    absent = {name for name in CANONICAL_FIELDS if name not in attrs.attrs}
    for name, spec in sch.fields.items():
        if name in absent and spec.required and spec.fill is None and not (name == "kind" and kind):
            aliases = ", ".join(list(dict.fromkeys([name, *spec.aliases]))[:5])
            fix = msg("field_missing_fix_kind" if name == "kind" else "field_missing_fix",
                      lang=problems.lang)
            problems.add("field_missing", severity="error", action="refused", field=name,
                         aliases=aliases, fix=fix)
            continue
        scale = attrs.attrs.get(name, (None, 1.0))[1]
        codes, uniques = pd.factorize(attrs[name], use_na_sentinel=True)
        canon: list = []
        bad: dict[int, Invalid] = {}
        for u, raw in enumerate(uniques):  # each distinct value is checked once
            try:
                value = sch.normalise(name, raw)
            except Invalid as exc:
                bad[u], value = exc, None
            canon.append(value * scale if isinstance(value, float) and scale != 1.0 else value)
        values = [canon[c] if c >= 0 else None for c in codes]
        if spec.type == "id":
            _report_normalised_ids(name, uniques, canon, codes, ids, problems)
        for u, exc in bad.items():
            for i in np.flatnonzero(codes == u):
                problems.add(exc.code, severity="error", action="refused", field=name,
                             index=int(i), feature_id=ids[i], value=uniques[u], **exc.values)
        blank = [u for u, v in enumerate(canon) if v is None and u not in bad]  # e.g. "  "
        missing = (codes == -1) | np.isin(codes, blank)
        if name == "kind" and kind is not None:
            for i in np.flatnonzero(missing):
                values[i] = kind
        elif spec.required and spec.fill is None and name not in absent:
            for i in np.flatnonzero(missing):
                problems.add("value_missing", severity="error", action="refused", field=name,
                             index=int(i), feature_id=ids[i])
        attrs[name] = pd.Series(values, index=attrs.index, dtype=object)
    for flag in ("synthetic", "zone_apart"):
        attrs[flag] = attrs[flag].map(lambda v: bool(v) if v is not None else False)
    for number in ("capacity_mtpa", "flat_floor_ha"):
        attrs[number] = pd.to_numeric(attrs[number], errors="coerce")


def _report_normalised_ids(name: str, uniques, canon: list, codes: np.ndarray, ids: list[str],
                           problems: Problems) -> None:
    """Report every id whose spelling :func:`~ordos_geo.core.schema.normalise_id` changed."""
    for u, raw in enumerate(uniques):
        if canon[u] is None or str(raw).strip() == canon[u] or \
                (isinstance(raw, float) and str(canon[u]) == str(int(raw))):
            continue
        for i in np.flatnonzero(codes == u):
            problems.add("id_normalised", severity="repaired", action="repaired", field=name,
                         index=int(i), feature_id=ids[i], value=str(raw), normalised=canon[u])


def _refused_corner_rows(problems: Problems) -> set[int]:
    """Mines a corner-point table refused for their points: their missing polygon is not a
    second problem."""
    return {p.feature_index for p in problems.items if p.severity == "error"
            and p.field in ("point", "x/y/point") and p.feature_index is not None}


def _check_geometry(geoms: np.ndarray, ids: list[str], problems: Problems, *,
                    skip: set[int] = frozenset(), radius_given: bool = False
                    ) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
    """Refuse null/empty/non-finite/non-polygon geometries; repair invalid ones (reported later).
    Rows in ``skip`` were already refused for their geometry's source."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    repairs: dict[int, tuple[object, str]] = {}
    null = shapely.is_missing(geoms)
    empty = ~null & shapely.is_empty(geoms)
    type_id = shapely.get_type_id(geoms)
    polygonal = np.isin(type_id, [3, 6, 7])  # Polygon, MultiPolygon, GeometryCollection
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    nonfinite = np.zeros(len(geoms), dtype=bool)  # bounds skip NaN, so look at every vertex
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    nonfinite &= ~null & ~empty
    suspect = ~null & ~empty & ~nonfinite & polygonal
    invalid = suspect & (~shapely.is_valid(geoms) | (type_id == 7))
    for i in np.flatnonzero(~suspect | invalid):
        g, code, values = geoms[i], None, {}
        if null[i]:
            code = "geom_null"
        elif empty[i]:
            code = "geom_empty"
        elif nonfinite[i]:
            code = "geom_nonfinite"
        elif not polygonal[i]:
            code = ("geom_point_undrawn" if radius_given else "geom_point") \
                if type_id[i] in (0, 4) else "geom_wrong_type"
            values = {"geom_type": g.geom_type}
        else:
            reason = shapely.is_valid_reason(g) if not g.is_valid else "GeometryCollection"
            fixed = _polygonal(shapely.make_valid(g))
            if fixed is None:
                code, values = "geom_repair_failed", {"reason": reason}
            else:
                out[i] = fixed
                repairs[int(i)] = (g, reason)
        if code is not None:
            if int(i) not in skip:
                problems.add(code, severity="error", action="refused", field="geometry",
                             index=int(i), feature_id=ids[i], **values)
            out[i] = None
    return out, repairs


def _polygonal(g) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None


# --- CRS and location ---------------------------------------------------------------------------
def _sample_xy(geoms: np.ndarray) -> np.ndarray:
    ok = [g for g in geoms if g is not None]
    if not ok:
        return np.empty((0, 2))
    return shapely.get_coordinates(shapely.centroid(np.asarray(ok, dtype=object)))


def _crs_hint(geoms: np.ndarray, lang: str | None) -> str:
    xy = _sample_xy(geoms)
    if not len(xy):
        return ""
    x, y = float(np.median(xy[:, 0])), float(np.median(xy[:, 1]))
    if abs(x) <= 180 and abs(y) <= 90:
        return msg("crs_hint_degrees", lang=lang)
    implied = projection.gk_crs_from_easting(x)
    if implied is not None:
        zone = int(x // 1_000_000)
        return msg("crs_hint_gk_prefix", lang=lang, zone=zone, width=3 if zone >= 25 else 6,
                   epsg=implied.to_epsg())
    if 1e5 < x < 1e6 and 3e6 < y < 6e6:
        return msg("crs_hint_gk_plain", lang=lang)
    return ""


def _false_easting(crs: CRS) -> float:
    op = crs.coordinate_operation
    for param in (op.params if op is not None else []):
        if param.name.lower() == "false easting":
            return float(param.value)
    return 0.0


def _resolve_crs(geoms: np.ndarray, crs: object, gcj02: bool, problems: Problems) -> CRS | None:
    lang = problems.lang
    if crs is None:
        problems.add("crs_missing", severity="error", action="refused", field="crs",
                     hint=_crs_hint(geoms, lang))
        return None
    try:
        src = CRS.from_user_input(crs)
    except Exception as exc:  # noqa: BLE001 - pyproj's CRSError
        problems.add("crs_unknown", severity="error", action="refused", field="crs", crs=str(crs),
                     reason=str(exc).splitlines()[0])
        return None
    if not (src.is_geographic or src.is_projected):  # LOCAL_CS, engineering or vertical CRS
        problems.add("crs_unknown", severity="error", action="refused", field="crs",
                     crs=src.name, reason=msg("crs_not_on_earth", lang=lang))
        return None
    if gcj02 and not src.is_geographic:
        problems.add("crs_unknown", severity="error", action="refused", field="crs",
                     crs=src.name, reason="GCJ-02 (--gcj02) applies to lon/lat coordinates only")
        return None
    if src.is_projected:
        xy = _sample_xy(geoms)
        if len(xy):
            x = float(np.median(xy[:, 0]))
            fe = _false_easting(src)
            implied = projection.gk_crs_from_easting(x)
            if implied is not None and fe < 1e6:
                problems.add("gk_prefix_mismatch", severity="error", action="refused", field="crs",
                             crs=src.name, easting=round(x, 1), zone=int(x // 1_000_000),
                             epsg=implied.to_epsg())
                return None
            if x < 1e6 and fe >= 1e6:
                problems.add("gk_no_zone", severity="error", action="refused", field="crs",
                             easting=round(x, 1))
                return None
    return src


def _location_hint(g, src: CRS, lang: str | None) -> str:
    x, y = shapely.get_coordinates(g.centroid)[0]
    if src.is_geographic:
        if projection.is_in_ordos(y, x):
            return msg("hint_swapped", lang=lang)
        if abs(x) > 180 or abs(y) > 90:
            return msg("hint_projected_in_geographic", lang=lang)
    return msg("hint_check_crs", lang=lang)


def _to_wgs84(geoms: np.ndarray, crs: object, gcj02: bool, ids: list[str], problems: Problems,
              repairs: dict[int, tuple[object, str]]) -> np.ndarray | None:
    """Geometries in EPSG:4326 (lon/lat) with features outside Ordos refused; None if no CRS."""
    src = _resolve_crs(geoms, crs, gcj02, problems)
    if src is None:
        for i, (_, reason) in repairs.items():
            problems.add("geom_invalid_repaired", severity="repaired", action="repaired",
                         field="geometry", index=i, feature_id=ids[i], reason=reason,
                         before_ha=float("nan"), after_ha=float("nan"))
        return None

    def convert(values: np.ndarray) -> np.ndarray:
        series = gpd.GeoSeries(values, crs=src).to_crs("EPSG:4326")
        if gcj02:
            series = projection.geometry_gcj02_to_wgs84(series)
        return np.asarray(series.values, dtype=object)

    with np.errstate(all="ignore"):
        out = convert(geoms)
    if gcj02:
        problems.add("gcj02_converted", severity="info", action="converted", field="crs")
    lang = problems.lang
    present = ~shapely.is_missing(out) & ~shapely.is_missing(geoms)
    x0, y0, x1, y1 = projection.ORDOS_BOUNDS
    b = shapely.bounds(out)
    with np.errstate(invalid="ignore"):
        inside = (b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)
    for i in np.flatnonzero(present & ~inside):
        xy = shapely.get_coordinates(out[i])
        if np.isfinite(xy).all():
            clon, clat = float(np.mean(xy[:, 0])), float(np.mean(xy[:, 1]))
        else:
            clon, clat = shapely.get_coordinates(geoms[i].centroid)[0]
        problems.add("outside_ordos", severity="error", action="refused", field="geometry",
                     index=int(i), feature_id=ids[i], lon=float(clon), lat=float(clat),
                     hint=_location_hint(geoms[i], src, lang))
        out[i] = None
    for i, (original, reason) in repairs.items():
        if out[i] is None:
            continue
        before, after = projection.area_ha(gpd.GeoSeries(
            convert(np.array([original, geoms[i]], dtype=object)), crs="EPSG:4326"))
        problems.add("geom_invalid_repaired", severity="repaired", action="repaired",
                     field="geometry", index=i, feature_id=ids[i], reason=reason,
                     before_ha=float(before), after_ha=float(after))
    return out


# --- cross-feature checks -----------------------------------------------------------------------
def _check_banner(attrs: pd.DataFrame, geoms: np.ndarray, ids: list[str], problems: Problems,
                  banners: gpd.GeoDataFrame | None) -> None:
    """Refuse sites farther than ``settings.boundary_tolerance_m`` outside the city; fill an
    empty banner from the location; warn, with the distance, when a site lies outside the banner
    it names."""
    from ..core.settings import settings

    ok = np.flatnonzero([g is not None for g in geoms])
    if not len(ok):
        return
    tol = float(settings.boundary_tolerance_m)
    site_m = np.asarray(projection.to_metric(gpd.GeoSeries(geoms[ok], crs="EPSG:4326")).values)
    names, banner_m, city = _banner_shapes(banners) if banners is not None else \
        _default_banner_shapes(str(projection.metric_crs()))
    inside_city = shapely.intersects(city, site_m)
    located = _locate(site_m, banner_m, names, tol)
    values = attrs["banner"].tolist()
    already_bad = {p.feature_index for p in problems.items
                   if p.field == "banner" and p.severity == "error"}
    for k, i in enumerate(ok):
        if not inside_city[k]:
            away = float(shapely.distance(site_m[k], city))
            if away > tol:
                problems.facts["max_outside_m"] = max(problems.facts.get("max_outside_m", 0),
                                                      away)
                problems.add("outside_city", severity="error", action="refused", field="geometry",
                             index=int(i), feature_id=ids[i], distance_m=round(away),
                             tolerance_m=round(tol))
                continue
        if i in already_bad:
            continue
        where = located[k]
        if values[i] is None:
            if where is None:
                problems.add("banner_unlocated", severity="error", action="refused",
                             field="banner", index=int(i), feature_id=ids[i])
            else:
                values[i] = where
                problems.add("banner_filled", severity="repaired", action="filled",
                             field="banner", index=int(i), feature_id=ids[i], value=where)
        elif where is not None and where != values[i]:
            named = banner_m[names == values[i]]
            dist = float(shapely.distance(site_m[k], named[0])) if len(named) else float("nan")
            problems.add("banner_mismatch", severity="warning", action="kept", field="banner",
                         index=int(i), feature_id=ids[i], value=values[i], located=where,
                         distance_m=round(dist) if dist == dist else "?")
    attrs["banner"] = pd.Series(values, index=attrs.index, dtype=object)


def _banner_shapes(banners: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, object]:
    """Banner names, banner polygons and the city (their union), in the metric CRS."""
    polygons = banners.to_crs("EPSG:4326")
    banner_m = np.asarray(projection.to_metric(polygons.geometry).values)
    city = shapely.union_all(banner_m)
    shapely.prepare(city)
    return polygons["name_zh"].astype(str).to_numpy(), banner_m, city


@functools.lru_cache(maxsize=4)
def _default_banner_shapes(metric_crs: str) -> tuple[np.ndarray, np.ndarray, object]:
    from ..io import datasets

    return _banner_shapes(datasets.banners())


def _locate(site_m: np.ndarray, banner_m: np.ndarray, names: np.ndarray, tol: float) -> list:
    """The banner of each site: the one holding a point on its surface, else the nearest within
    ``tol`` metres (the boundary is indicative), else None."""
    points = shapely.point_on_surface(site_m)
    # the few banner polygons query the many points (prepared polygons: fast)
    poly, pt = shapely.STRtree(points).query(banner_m, predicate="contains")
    out: list = [None] * len(site_m)
    order = np.lexsort((poly, pt))  # a point on a shared border: the first banner
    first = order[np.r_[True, pt[order][1:] != pt[order][:-1]]] if len(order) else order
    for a, b in zip(pt[first].tolist(), poly[first].tolist()):
        out[a] = str(names[b])
    rest = [k for k, v in enumerate(out) if v is None]
    if rest:
        tree = shapely.STRtree(banner_m)
        src, hit = tree.query_nearest(site_m[rest], max_distance=tol, all_matches=False)
        for a, b in zip(src, hit):
            out[rest[a]] = str(names[b])
    return out


def _check_duplicates(attrs: pd.DataFrame, ids: list[str], problems: Problems) -> None:
    site_ids = attrs["site_id"]
    keys = site_ids.map(lambda v: id_key(v) if isinstance(v, str) else v)
    dup = keys.notna() & keys.duplicated(keep=False)
    for _, group in site_ids[dup].groupby(keys[dup]):
        positions = list(group.index)
        for i in positions:
            others = ", ".join(f"#{j + 1} {site_ids[j]!r}" for j in positions if j != i)
            problems.add("id_duplicate", severity="error", action="refused", field="site_id",
                         index=i, feature_id=ids[i], value=site_ids[i], others=others)


def _check_mine_refs(attrs: pd.DataFrame, ids: list[str], problems: Problems) -> None:
    mines = set(attrs.loc[attrs["kind"] == "mine", "site_id"].dropna())
    if not mines:
        return
    parcels = attrs["kind"].isin(["pit", "dump", "other"]) & attrs["mine_id"].notna()
    for i in np.flatnonzero(parcels.to_numpy()):
        if attrs["mine_id"].iloc[i] not in mines:
            problems.add("mine_id_unknown", severity="warning", action="kept", field="mine_id",
                         index=int(i), feature_id=ids[i], value=attrs["mine_id"].iloc[i])


# --- documentation ------------------------------------------------------------------------------
def schema_markdown() -> str:
    """Deprecated (0.3): the data dictionary is :func:`ordos_geo.core.dictionary.markdown`."""
    import warnings

    from ..core.dictionary import markdown

    warnings.warn("ordos_geo.sites.schema_markdown moved to ordos_geo.dictionary.markdown; the old "
                  "name will be removed in 1.0.", DeprecationWarning, stacklevel=2)
    return markdown()
