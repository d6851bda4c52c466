"""Reading and writing files: encodings, layers, zips, corner-point tables, atomic writes.

Readers return raw frames (field names and values as the file has them); :mod:`ordos_geo.sites`
maps them onto the canonical schema and validates them.
"""

from __future__ import annotations

import io as _stdio
import logging
import os
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ._atomic import (MANIFEST, atomic_path, check_output_file, file_set, output_set,
                      publish_files)
from ._errors import InputFileError
from ._messages import msg

__all__ = [
    "VectorSource",
    "read_vector",
    "detect_encoding",
    "read_table",
    "decode_text",
    "read_corner_points",
    "atomic_path",
    "MANIFEST",
    "output_set",
    "file_set",
    "check_output_file",
    "publish_files",
    "neutralise_formula",
    "restore_formula",
    "neutralise_formulas",
    "polygons_only",
    "write_geojson",
    "write_gpkg",
    "write_csv",
    "VECTOR_SUFFIXES",
]

log = logging.getLogger("ordos_geo")

VECTOR_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
                   ".shp": "ESRI Shapefile", ".zip": "zip"}

#: DBF language-driver ids that name a code page unambiguously (CJK and UTF-8).
_LDID = {0x4D: "GBK", 0x7A: "GBK", 0x4F: "BIG5", 0x4E: "CP949", 0x4C: "CP874"}


@dataclass
class VectorSource:
    """A layer as read from a file, before schema mapping."""

    frame: gpd.GeoDataFrame
    path: Path
    layer: str | None = None
    encoding: str | None = None
    encoding_source: str | None = None
    driver: str | None = None
    #: what GDAL said while reading (shown in the validation report, not as raw warnings)
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.path}" + (f"[{self.layer}]" if self.layer else "")


# --- encodings ----------------------------------------------------------------------------------
def _decode_sample(sample: bytes) -> str | None:
    """'UTF-8' or 'GBK', whichever decodes ``sample`` with fewer errors (UTF-8 on a tie).

    Errors are counted rather than refused because Shapefile field names are often cut at 10
    bytes inside a character. None when the sample is ASCII (or empty).
    """
    if not sample or all(b < 0x80 for b in sample):
        return None
    errors = {name: sample.decode(codec, errors="replace").count("\ufffd")
              for name, codec in (("UTF-8", "utf-8"), ("GBK", "gb18030"))}
    if errors["UTF-8"] == errors["GBK"] == 0:  # both clean: GBK only if UTF-8 reads as noise
        odd = {name: _unlikely(sample.decode(codec))
               for name, codec in (("UTF-8", "utf-8"), ("GBK", "gb18030"))}
        return "GBK" if odd["UTF-8"] > 0 and odd["GBK"] == 0 else "UTF-8"
    best = min(errors, key=lambda name: (errors[name], name != "UTF-8"))
    lines = max(1, sample.count(b"\n"))
    if errors[best] <= lines:  # at most one cut character per name or value
        return best
    from charset_normalizer import from_bytes

    guess = from_bytes(sample).best()
    return guess.encoding.upper() if guess is not None else best


def _unlikely(text: str) -> int:
    """Characters unlikely in Chinese bureau data (Greek, Hebrew, Cyrillic, symbols …): what GBK
    bytes that happen to be valid UTF-8 decode to. ASCII, Latin-1, CJK ideographs, CJK and
    general punctuation and full-width forms are likely."""
    def likely(ch: str) -> bool:
        c = ord(ch)
        return (c < 0x100 or 0x2000 <= c <= 0x206F or 0x3000 <= c <= 0x303F
                or 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xFF00 <= c <= 0xFFEF)
    return sum(1 for ch in text if not likely(ch))


def decode_text(data: bytes, path: str | os.PathLike = "") -> tuple[str, str]:
    """Text of a UTF-8 (with or without BOM) or GBK file, detected: ``(text, encoding)``."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    encoding = _decode_sample(data[:1_000_000]) or "UTF-8"
    codec = "gb18030" if encoding.upper() in ("GBK", "GB2312", "CP936", "GB18030") else encoding
    try:
        return data.decode(codec), encoding
    except (UnicodeDecodeError, LookupError):
        raise InputFileError(msg("encoding_bad", path=path, encoding=encoding)) from None


def _dbf_sample(data: bytes, max_records: int = 2000) -> tuple[int, bytes]:
    """The language-driver byte and the bytes of field names and character fields of a DBF."""
    if len(data) < 32:
        raise ValueError("DBF header is truncated")
    nrec, hlen, rlen = struct.unpack("<IHH", data[4:12])
    ldid = data[29]
    fields, names, pos = [], [], 32
    while pos + 32 <= len(data) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        names.append(desc[:11].split(b"\x00")[0])
        fields.append((chr(desc[11]), desc[16]))
        pos += 32
    chunks = list(names)
    offset = hlen
    for _ in range(min(nrec, max_records)):
        rec = data[offset:offset + rlen]
        if len(rec) < rlen:
            break
        p = 1
        for ftype, flen in fields:
            if ftype == "C":
                chunks.append(rec[p:p + flen].rstrip(b" \x00"))
            p += flen
        offset += rlen
    return ldid, b"\n".join(chunks)


def _encoding_from_parts(cpg: bytes | None, dbf: bytes | None) -> tuple[str | None, str]:
    if cpg is not None and cpg.strip():
        text = cpg.decode("ascii", "replace").strip()
        return ("GBK" if text in ("936", "CP936", "cp936") else text), ".cpg"
    if dbf is None:
        return None, "none"
    ldid, sample = _dbf_sample(dbf)
    if ldid in _LDID:
        return _LDID[ldid], f"DBF language byte 0x{ldid:02X}"
    detected = _decode_sample(sample)
    if detected:
        return detected, "detected from the attribute bytes"
    return "UTF-8", "ASCII only (no encoding needed)"


def detect_encoding(path: str | os.PathLike, *, member: str | None = None) -> tuple[str | None, str]:
    """Encoding of a Shapefile's attributes (or a CSV): ``(encoding, where it came from)``.

    Order: the ``.cpg`` file, the DBF language-driver byte when it names a CJK code page or UTF-8,
    then the bytes themselves (strict UTF-8, then GBK/GB18030, then charset-normalizer).
    ``member`` names the ``.shp`` inside a zip.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig", "byte-order mark"
        found = _decode_sample(data[:1_000_000])
        return (found or "UTF-8"), "detected from the bytes"
    if suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            stem = member[: -len(".shp")] if member else None
            names = {n.lower(): n for n in zf.namelist()}

            def part(ext: str) -> bytes | None:
                key = (stem + ext).lower() if stem else None
                return zf.read(names[key]) if key in names else None

            return _encoding_from_parts(part(".cpg"), part(".dbf"))
    if suffix == ".shp":
        cpg, dbf = _sibling(path, ".cpg"), _sibling(path, ".dbf")
        return _encoding_from_parts(cpg.read_bytes() if cpg else None,
                                    dbf.read_bytes() if dbf else None)
    return None, "not needed"


def _sibling(path: Path, ext: str) -> Path | None:
    for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if cand.exists():
            return cand
    return None


# --- vector readers -----------------------------------------------------------------------------
def _check_shapefile(path: Path) -> None:
    missing = [ext for ext in (".shx", ".dbf") if _sibling(path, ext) is None]
    if missing:
        raise InputFileError(msg("shapefile_parts", path=path, missing=", ".join(missing)))
    header = path.read_bytes()[:100]
    if len(header) < 100:
        raise InputFileError(msg("file_unreadable", path=path, reason="header shorter than 100 bytes"))
    declared = struct.unpack(">i", header[24:28])[0] * 2
    actual = path.stat().st_size
    if actual < declared:
        raise InputFileError(msg("file_unreadable", path=path,
                                 reason=f"{actual} of {declared} bytes (truncated)"))


def _zip_member(path: Path, layer: str | None) -> tuple[str, str | None]:
    """The GDAL path of the layer inside a zip, and the chosen member name."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc))) from None
    shps = [n for n in names if n.lower().endswith(".shp")]
    others = [n for n in names if n.lower().endswith((".gpkg", ".geojson", ".json"))]
    candidates = shps or others
    if not candidates:
        raise InputFileError(msg("file_format", path=path, suffix=".zip (no .shp inside)"))
    if layer is not None:
        chosen = [n for n in candidates if Path(n).stem == layer or n == layer]
        if not chosen:
            raise InputFileError(msg("layer_missing", path=path, layer=layer,
                                     layers=", ".join(Path(n).stem for n in candidates)))
        member = chosen[0]
    elif len(candidates) > 1:
        raise InputFileError(msg("layer_choose", path=path,
                                 layers=", ".join(Path(n).stem for n in candidates)))
    else:
        member = candidates[0]
    return f"/vsizip/{path.resolve()}/{member}", member


def read_vector(path: str | os.PathLike, *, layer: str | None = None,
                encoding: str | None = None) -> VectorSource:
    """Read one layer of a GeoJSON, GeoPackage, Shapefile or zipped Shapefile.

    Shapefile attributes are decoded with ``encoding`` when given, else with the detected one
    (see :func:`detect_encoding`). Raises :class:`~ordos_geo._errors.InputFileError` with a message
    naming the file when it is missing, of an unknown format, truncated or unreadable.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(msg("file_missing", path=path))
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise InputFileError(msg("file_format", path=path, suffix=suffix))
    gdal_path, member, enc_source = str(path), None, "given"
    if suffix == ".zip":
        gdal_path, member = _zip_member(path, layer)
        layer = None
    elif suffix == ".shp":
        _check_shapefile(path)
    if suffix in (".shp", ".zip") and (member is None or member.lower().endswith(".shp")):
        if encoding is None:
            try:
                encoding, enc_source = detect_encoding(path, member=member)
            except (ValueError, struct.error, KeyError) as exc:
                raise InputFileError(msg("file_unreadable", path=path, reason=str(exc))) from None
    elif encoding is None:
        enc_source = "not needed"
    if suffix == ".gpkg":
        layer = _choose_gpkg_layer(path, layer)
    is_dbf = suffix == ".shp" or (member or "").lower().endswith(".shp")
    try:
        # Shapefiles are read byte-transparently (ISO-8859-1) and decoded here: GDAL cuts field
        # names at 10 bytes, often inside a UTF-8 character, which strict decoders refuse.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(gdal_path, layer=layer,
                                           encoding="ISO-8859-1" if is_dbf else encoding)
    except UnicodeDecodeError:
        raise InputFileError(msg("encoding_bad", path=path, encoding=encoding)) from None
    except Exception as exc:  # pyogrio/GDAL errors carry GDAL's own text
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc).strip())) from None
    if is_dbf:
        frame = _recode(frame, encoding or "UTF-8", path)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputFileError(msg("file_unreadable", path=path, reason="no geometry column"))
    source = VectorSource(frame=frame, path=path, layer=layer or (Path(member).stem if member else None),
                          encoding=encoding, encoding_source=enc_source,
                          driver=VECTOR_SUFFIXES[suffix], warnings=_gdal_warnings(caught))
    log.info("read %d features from %s (encoding %s, %s)", len(frame), source.label, encoding,
             enc_source)
    return source


def _gdal_warnings(caught) -> list[str]:
    """GDAL's warnings while reading, as text (raw bytes decoded; field-name laundering, which
    the schema mapping handles, and shapely's NaN notices, which validation reports per feature,
    left out)."""
    out = []
    for w in caught:
        text = str(w.message)
        if "invalid value encountered" in text or "laundered field name" in text:
            continue
        raw = re.search(r"Raw error: b([\"'])(.*)\1$", text)
        if raw:
            data = raw.group(2).encode("latin-1", "backslashreplace").decode("unicode_escape")
            text = data.encode("latin-1", "replace").decode("utf-8", "replace")
        out.append(text)
    return list(dict.fromkeys(out))


def _recode(frame: gpd.GeoDataFrame, encoding: str, path: Path) -> gpd.GeoDataFrame:
    """Decode text read as ISO-8859-1 with the real ``encoding`` (names: drop a cut character)."""
    codec = "gb18030" if encoding.upper() in ("GBK", "GB2312", "CP936", "936", "GB18030") else encoding

    def text(value, errors="strict"):
        return value.encode("latin-1").decode(codec, errors) if isinstance(value, str) else value

    geom = frame.geometry.name
    try:
        out = frame.rename(columns={c: text(c, "ignore") for c in frame.columns if c != geom})
        for column in out.columns:
            if column != geom and out[column].dtype == object or str(out[column].dtype) == "str":
                out[column] = out[column].map(text).astype(object)
    except (UnicodeDecodeError, LookupError):
        raise InputFileError(msg("encoding_bad", path=path, encoding=encoding)) from None
    return out


def _choose_gpkg_layer(path: Path, layer: str | None) -> str:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc).strip())) from None
    if layer is not None:
        if layer not in layers:
            raise InputFileError(msg("layer_missing", path=path, layer=layer, layers=", ".join(layers)))
        return layer
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise InputFileError(msg("no_features", path=path))
    raise InputFileError(msg("layer_choose", path=path, layers=", ".join(layers)))


def read_table(path: str | os.PathLike, *, encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV table (UTF-8, UTF-8 with BOM or GBK, detected) as strings: ``(frame, encoding)``.

    Values are kept exactly (a leading space too); column names are stripped. Text that
    :func:`neutralise_formula` protected reads back as written."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(msg("file_missing", path=path))
    if encoding is None:
        encoding, _ = detect_encoding(path)
    codec = "gb18030" if encoding.upper() in ("GBK", "GB2312", "CP936", "GB18030") else encoding
    try:
        text = path.read_bytes().decode(codec)
    except UnicodeDecodeError:
        raise InputFileError(msg("encoding_bad", path=path, encoding=encoding)) from None
    try:
        frame = pd.read_csv(_stdio.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc).strip())) from None
    frame.columns = [restore_formula(str(c).strip()) for c in frame.columns]
    for column in frame.columns:
        frame[column] = frame[column].map(restore_formula)
    return frame, encoding


# --- corner-point tables (拐点坐标) -----------------------------------------------------------------
_CORNER_COLUMNS = {
    "site_id": ["site_id", "矿山编号", "矿区编号", "编号", "矿权编号", "采矿许可证号", "mine_id", "id"],
    "point": ["point", "点号", "拐点号", "拐点编号", "序号", "pt"],
    "x": ["x", "x坐标", "北坐标", "northing", "x(北)", "纵坐标"],
    "y": ["y", "y坐标", "东坐标", "easting", "y(东)", "横坐标"],
    "part": ["part", "区块", "区块号", "块段", "块段号", "ring"],
}


def _find_column(columns: list[str], names: list[str]) -> str | None:
    lowered = {c.strip().lower().replace("（", "(").replace("）", ")"): c for c in columns}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def read_corner_points(path: str | os.PathLike, *, crs: object = None, encoding: str | None = None,
                       problems=None) -> tuple[gpd.GeoDataFrame, str]:
    """Turn a mining-right corner-point table (拐点坐标) into one polygon per mine.

    Columns (Chinese or English names): mine id (矿山编号), point number (点号), ``X`` = northing,
    ``Y`` = easting (surveying convention), optional ``part`` (区块) for multi-part rights; other
    columns are attributes (first row per mine). Rings follow the point numbers. The CRS is
    CGCS2000 Gauss-Krüger, its zone read from the zone number in front of the easting
    (37xxxxxx.xx → EPSG:4525); plain eastings need ``crs``. Returns ``(frame, encoding)``, the
    frame indexed by mine in order of first appearance; problems go to ``problems``.
    """
    from ._validate import Problems
    from .projection import gk_crs_from_easting

    problems = problems if problems is not None else Problems(str(path))
    table, encoding = read_table(path, encoding=encoding)
    cols = {key: _find_column(list(table.columns), names) for key, names in _CORNER_COLUMNS.items()}
    missing = [key for key in ("site_id", "point", "x", "y") if cols[key] is None]
    if missing:
        for key in missing:
            problems.add("field_missing", severity="error", action="refused", field=key,
                         aliases=", ".join(_CORNER_COLUMNS[key][:5]),
                         fix=msg("field_missing_fix", lang=problems.lang))
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=None)), encoding
    x = pd.to_numeric(table[cols["x"]].str.replace(",", ""), errors="coerce")
    y = pd.to_numeric(table[cols["y"]].str.replace(",", ""), errors="coerce")
    pt = pd.to_numeric(table[cols["point"]], errors="coerce")
    part = table[cols["part"]] if cols["part"] else pd.Series("1", index=table.index)
    ids = table[cols["site_id"]].str.strip()
    order = list(dict.fromkeys(ids))
    attr_cols = [c for c in table.columns if c not in {cols[k] for k in ("point", "x", "y", "part")}]
    rows, geoms = [], []
    for index, mine in enumerate(order):
        sel = ids == mine
        bad = sel & (x.isna() | y.isna() | pt.isna())
        for r in np.flatnonzero(bad.to_numpy()):
            problems.add("value_bad_type", severity="error", action="refused", field="x/y/point",
                         index=index, feature_id=mine, expected="expected_number",
                         value=f"row {r + 2}: {table.iloc[r][cols['x']]!r}, "
                               f"{table.iloc[r][cols['y']]!r}")
        rows.append(_corner_attributes(table.loc[sel, attr_cols], index, mine, problems))
        geoms.append(None if bad.any() else
                     _corner_polygon(pt[sel], x[sel], y[sel], part[sel], index, mine, problems))
    if crs is None:
        zones = {gk_crs_from_easting(v) for v in y.dropna()}
        if len(zones) == 1 and None not in zones:
            crs = zones.pop()
        elif len(zones) > 1 and None not in zones:
            problems.add("crs_unknown", severity="error", action="refused", field="crs",
                         crs=", ".join(sorted(z.to_string() for z in zones)),
                         reason="the eastings carry different zone numbers")
    frame = gpd.GeoDataFrame(pd.DataFrame(rows).reset_index(drop=True), geometry=geoms, crs=crs)
    return frame, encoding


def _corner_attributes(rows: pd.DataFrame, index: int, mine: str, problems) -> pd.Series:
    """The first row's attributes; a field whose rows disagree is reported (first value kept)."""
    for column in rows.columns:
        values = [v for v in dict.fromkeys(rows[column].str.strip()) if v]
        if len(values) > 1:
            problems.add("corner_attr_conflict", severity="warning", action="kept", field=column,
                         index=index, feature_id=mine, values=", ".join(map(repr, values[:5])),
                         kept=values[0])
    return rows.iloc[0]


def _corner_polygon(pt: pd.Series, x: pd.Series, y: pd.Series, part: pd.Series, index: int,
                    mine: str, problems):
    """One mine's rings in point order; short parts and clashing point numbers are refused,
    repeated identical points dropped (reported)."""
    rings, refused = [], False
    for label, idx in part.groupby(part, sort=True).groups.items():
        pts = pd.DataFrame({"pt": pt[idx], "e": y[idx], "n": x[idx]}).sort_values("pt", kind="stable")
        same = pts.duplicated(["pt", "e", "n"])
        if same.any():
            problems.add("corner_point_repeated", severity="repaired", action="repaired",
                         field="point", index=index, feature_id=mine, part=label,
                         points=", ".join(f"{v:g}" for v in pts.loc[same, "pt"]))
            pts = pts[~same]
        clash = pts["pt"].duplicated(keep=False)
        if clash.any():
            problems.add("corner_point_clash", severity="error", action="refused", field="point",
                         index=index, feature_id=mine, part=label,
                         points=", ".join(f"{v:g}" for v in dict.fromkeys(pts.loc[clash, "pt"])))
            refused = True
            continue
        coords = list(zip(pts["e"], pts["n"]))  # (easting, northing)
        if len(coords) > 1 and coords[0] == coords[-1]:
            coords = coords[:-1]
        if len(set(coords)) < 3:
            problems.add("corner_part_short", severity="error", action="refused", field="point",
                         index=index, feature_id=mine, part=label, n=len(set(coords)))
            refused = True
            continue
        rings.append(shapely.Polygon(coords))
    if refused or not rings:
        return None if refused else shapely.Polygon()
    return shapely.MultiPolygon(rings) if len(rings) > 1 else rings[0]


# --- writing ------------------------------------------------------------------------------------
#: A text cell that a spreadsheet would run as a formula (OWASP "CSV injection"): it starts with
#: = + - @, a tab or a carriage return, possibly after apostrophes we added before.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def neutralise_formula(value):
    """A text value that would start a spreadsheet formula gets one leading apostrophe
    (``=1+1`` → ``'=1+1``), which Excel and WPS show as the plain text; other values are
    unchanged. :func:`restore_formula` undoes it exactly."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def restore_formula(value):
    """The inverse of :func:`neutralise_formula` (a CSV read back gives the text written)."""
    if isinstance(value, str) and value.startswith("'") and _FORMULA.match(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns
            if frame[c].dtype == object or str(frame[c].dtype) in ("string", "str")]


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas (column names
    too); numbers stay numbers."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(neutralise_formula)
    return out.rename(columns={c: neutralise_formula(c) for c in out.columns if isinstance(c, str)})


def write_geojson(frame: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` atomically as RFC 7946 GeoJSON.

    GDAL's ``RFC7946=YES`` writes EPSG:4326 lon/lat, counter-clockwise outer rings, no ``crs``
    member, UTF-8, 7 decimals (~1 cm). The frame is reprojected to EPSG:4326 first and polygons
    are snapped to that grid here, so a sliver that rounding collapses leaves a valid polygon, not
    a GeometryCollection of a polygon and a line.
    """
    from .projection import to_export

    path = Path(path)
    out = to_export(frame).to_crs("EPSG:4326")
    geoms = np.asarray(out.geometry.values, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
    if polygonal.any():  # snap to GDAL's 7 decimals first, keeping polygons polygons
        geoms = geoms.copy()
        geoms[polygonal] = shapely.set_precision(geoms[polygonal], 1e-7)
        out = polygons_only(out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs)))
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(out, tmp, driver="GeoJSON", RFC7946="YES", WRITE_NAME="NO")
    log.info("wrote %d features to %s", len(out), path)
    return path


def polygons_only(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with every geometry polygonal: the polygonal parts of a GeometryCollection (a
    polygon with a sliver collapsed to a line by rounding) are kept, the rest dropped."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    collections = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    if not len(collections):
        return frame
    fixed = geoms.copy()
    for i in collections:
        parts = [p for p in shapely.get_parts(fixed[i])
                 if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed[i] = shapely.union_all(parts) if parts else None
    return frame.set_geometry(gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs))


#: GeoPackage 1.2: what GDAL 3.6 and the QGIS long-term release open without a warning.
GPKG_OPTIONS = {"VERSION": "1.2"}


def write_gpkg_layer(frame, path: Path, layer: str) -> None:
    """One layer into a GeoPackage (created as version 1.2 when new)."""
    options = {} if Path(path).exists() else {"dataset_options": GPKG_OPTIONS}
    pyogrio.write_dataframe(frame, path, driver="GPKG", layer=layer, **options)


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | os.PathLike) -> Path:
    """Write several layers atomically into one GeoPackage (1.2), each in the export CRS."""
    from .projection import to_export

    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            write_gpkg_layer(to_export(frame), tmp, name)
    log.info("wrote %d layers to %s", len(layers), path)
    return path


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, encoding: str = "utf-8-sig") -> Path:
    """Write a table atomically as CSV (UTF-8 with BOM so that Excel shows Chinese correctly).

    Text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) is
    written with a leading apostrophe (:func:`neutralise_formula`); :func:`read_table` removes it.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        # CRLF rows (RFC 4180): a value holding CR or LF is quoted, so no line break can start a
        # new row whose first cell a spreadsheet would run
        neutralise_formulas(frame).to_csv(tmp, index=False, encoding=encoding,
                                          lineterminator="\r\n")
    log.info("wrote %d rows to %s", len(frame), path)
    return path
