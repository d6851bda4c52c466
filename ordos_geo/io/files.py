"""Reading and writing files: encodings, layers, zips, tables, atomic writes — every file
ordos_geo reads or writes goes through this module.

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

from ..core.errors import InputFileError, UsageError
from ..core.messages import msg
from .atomic import MANIFEST, atomic_path, check_output_file, file_set, output_set, publish_files

__all__ = [
    "VectorSource",
    "read_vector",
    "detect_encoding",
    "read_table",
    "decode_text",
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
    "write_xlsx",
    "write_shapefile",
    "read_metadata",
    "flatten_lists",
    "dates_as_text",
    "python_codec",
    "is_gbk",
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
#: Names of the Chinese national code page (GBK and its superset GB18030) as files and GDAL
#: spell them.
_GBK_NAMES = frozenset({"GBK", "GB2312", "CP936", "936", "GB18030", "GB_2312-80", "EUC-CN"})


def is_gbk(encoding: str) -> bool:
    """Whether ``encoding`` names the Chinese national code page (GBK, GB2312, CP936, GB18030)."""
    return str(encoding).strip().upper() in _GBK_NAMES


def python_codec(encoding: str, *, strict: bool = False) -> str:
    """The Python codec for ``encoding``: GBK's family reads as ``gb18030`` (a superset, so no
    valid file fails), or writes as ``gbk`` with ``strict`` (what a GBK reader can decode)."""
    if is_gbk(encoding):
        return "gbk" if strict else "gb18030"
    return str(encoding).strip() or "utf-8"


def check_encoding(encoding: str) -> str:
    """``encoding`` when it names an encoding; else a :class:`UsageError` saying the name (not
    the file) is wrong, with examples."""
    import codecs

    try:
        codecs.lookup(python_codec(encoding))
    except LookupError:
        raise UsageError(msg("encoding_unknown", encoding=repr(str(encoding)))) from None
    return encoding


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
                or 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xFF00 <= c <= 0xFFEF
                or c == 0xFEFF)  # a stray byte-order mark inside UTF-8 text
    return sum(1 for ch in text if not likely(ch))


def decode_text(data: bytes, path: str | os.PathLike = "") -> tuple[str, str]:
    """Text of a UTF-8 (with or without BOM) or GBK file, detected: ``(text, encoding)``."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    encoding = _decode_sample(data[:1_000_000]) or "UTF-8"
    codec = python_codec(encoding)
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
        found = _text_encoding(path.read_bytes())
        return found, ("byte-order mark" if found in ("utf-8-sig", "utf-16")
                       else "detected from the bytes")
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
    (see :func:`detect_encoding`). Raises :class:`~ordos_geo.core.errors.InputFileError` with a message
    naming the file when it is missing, of an unknown format, truncated or unreadable.
    """
    path = Path(path)
    if encoding is not None:
        check_encoding(encoding)
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
    codec = python_codec(encoding)

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


def read_table(path: str | os.PathLike, *, encoding: str | None = None,
               repeated: bool = False) -> tuple[pd.DataFrame, str]:
    """Read a text table (UTF-8, UTF-8 with BOM, UTF-16 with BOM — Excel's "Unicode text" — or
    GBK, detected; any file name) as strings: ``(frame, encoding)``.

    Values are kept exactly (a leading space too); column names are stripped of spaces and
    invisible characters. A column name given twice is refused (which one is meant cannot be
    told) unless ``repeated`` (the caller then says which of them matter). Text that
    :func:`neutralise_formula` protected reads back as written. A header
    without a comma but with tabs or semicolons (as spreadsheets in some locales save) is read
    with those."""
    path = Path(path)
    if encoding is not None:
        check_encoding(encoding)
    if path.is_dir():
        raise InputFileError(msg("folder_not_file", path=path))
    if not path.exists():
        raise InputFileError(msg("file_missing", path=path))
    data = path.read_bytes()
    if encoding is None:
        encoding = _text_encoding(data)
    try:
        text = data.decode(python_codec(encoding))
    except (UnicodeDecodeError, LookupError):
        raise InputFileError(msg("table_encoding_bad", path=path, encoding=encoding)) from None
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = "," if "," in header or not ("\t" in header or ";" in header) else \
        ("\t" if header.count("\t") >= header.count(";") else ";")
    try:
        frame = pd.read_csv(_stdio.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                            header=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(msg("file_unreadable", path=path, reason=str(exc).strip())) from None
    frame = header_row(frame, path, repeated=repeated)
    frame.columns = [restore_formula(c) for c in frame.columns]
    for k in range(frame.shape[1]):  # only cells that start with the apostrophe can change
        column = frame.iloc[:, k]
        marked = column.str.startswith("'").to_numpy(dtype=bool)
        if marked.any():
            frame.iloc[np.flatnonzero(marked), k] = column[marked].map(restore_formula).to_numpy()
    return frame, encoding


def _text_encoding(data: bytes) -> str:
    """The encoding of a text table's bytes: a byte-order mark (UTF-8, UTF-16), else UTF-8 or
    GBK as :func:`_decode_sample` finds (UTF-8 when ASCII)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return _decode_sample(data[:1_000_000]) or "UTF-8"


_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")


def header_row(frame: pd.DataFrame, path, *, repeated: bool = False) -> pd.DataFrame:
    """``frame`` read without a header: its first row as the column names (stripped of spaces
    and invisible characters; an empty one ``Unnamed: k``), the rest as the rows. A name given
    twice is refused, naming the columns (kept, with ``repeated``)."""
    if frame.empty and not len(frame.columns):
        raise InputFileError(msg("file_unreadable", path=path, reason="no header row"))
    names = []
    for k, value in enumerate(frame.iloc[0].tolist() if len(frame) else []):
        text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
        text = _INVISIBLE.sub("", text).strip()
        names.append(text or f"Unnamed: {k}")
    seen: dict[str, list[int]] = {}
    for k, name in enumerate(names):
        seen.setdefault(name, []).append(k + 1)
    for name, where in seen.items():
        if len(where) > 1 and not repeated:
            raise InputFileError(msg("table_repeated_column", path=path, name=name, n=len(where),
                                     where=", ".join(map(str, where))))
    out = frame.iloc[1:].reset_index(drop=True)
    out.columns = names
    return out


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
    from ..core.projection import to_export

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


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | os.PathLike, *,
               metadata: dict[str, str] | None = None, styles: dict[str, str] | None = None,
               crs: object = "export") -> Path:
    """Write several layers atomically into one GeoPackage (1.2): the only GeoPackage writer.

    Layers are written in the export CRS (EPSG:4326; ``crs=None`` keeps each layer's own CRS),
    list values joined with ``;``; a plain DataFrame becomes an attribute table. ``metadata`` becomes the table ``ordos_geo_metadata``
    (``key, value``; read it back with :func:`read_metadata`), ``styles`` (``{layer: QML}``)
    QGIS's ``layer_styles`` table, each the layer's default style."""
    from ..core.projection import to_export

    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            if not isinstance(frame, gpd.GeoDataFrame):  # a table: a GeoPackage attribute table
                write_gpkg_layer(flatten_lists(frame), tmp, name)
                continue
            frame = to_export(frame) if crs == "export" else \
                frame if crs is None else frame.to_crs(crs)
            write_gpkg_layer(polygons_only(flatten_lists(frame)), tmp, name)
        if metadata is not None:
            write_gpkg_layer(pd.DataFrame({"key": list(metadata), "value": list(metadata.values())}),
                             tmp, "ordos_geo_metadata")
        if styles:
            write_gpkg_layer(layer_styles(styles), tmp, "layer_styles")
    log.info("wrote %d layers to %s", len(layers), path)
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``ordos_geo_metadata`` table of a GeoPackage as a dict ({} when there is none)."""
    try:
        if "ordos_geo_metadata" not in {str(n) for n, _ in pyogrio.list_layers(path)}:
            return {}
        table = pyogrio.read_dataframe(path, layer="ordos_geo_metadata", read_geometry=False)
    except Exception:  # noqa: BLE001 - not a GeoPackage we wrote: no metadata
        return {}
    return dict(zip(table["key"].astype(str), table["value"].astype(str)))



def dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose date columns are ISO text (``YYYY-MM-DD``; empty stays empty), as report
    tables and GeoPackage attribute tables show them."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose columns GDAL can write: lists and tuples joined with ';'."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v))
                                    if isinstance(v, (list, tuple)) else v)
    return out


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


# --- Shapefiles -----------------------------------------------------------------------------------
def _shapefile_names(columns: list[str], encoding: str) -> dict[str, str]:
    """Field names of at most 10 bytes in ``encoding``, unique; longer names are shortened."""
    codec = python_codec(encoding)
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
    codec = python_codec(encoding, strict=True)
    out = frame.copy()
    cut = []
    for column in _text_columns(out):
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
    from .atomic import clean_leftovers, token

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
    stage = path.parent / f".{path.name}.ordos-stage-{token()}"
    stage.mkdir()
    try:
        target = stage / path.name
        pyogrio.write_dataframe(out, target, driver="ESRI Shapefile", encoding=encoding)
        target.with_suffix(".cpg").write_text("GBK" if is_gbk(encoding) else encoding.upper(),
                                              encoding="ascii")
        changed = {k: v for k, v in names.items() if k != v}
        if changed:
            neutralise_formulas(pd.DataFrame(
                {"field": list(changed), "shapefile_field": list(changed.values())})).to_csv(
                stage / f"{path.stem}.fieldmap.csv", index=False, encoding="utf-8-sig")
        if len(cut):
            neutralise_formulas(cut).to_csv(stage / f"{path.stem}.fulltext.csv", index=False,
                                               encoding="utf-8-sig")
        pairs = [(part, path.parent / part.name) for part in sorted(stage.iterdir())]
        written = publish_files(pairs)
    finally:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
    log.info("wrote shapefile %s (%s, %d renamed fields)", path, encoding, len(changed))
    return written


# --- XLSX ------------------------------------------------------------------------------------------
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
    from ..core.utils import import_optional

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
    with atomic_path(path) as tmp:
        wb.save(tmp)
    log.info("wrote %d rows to %s", len(table), path)
    return path


#: Columns of QGIS's ``layer_styles`` table.
STYLE_COLUMNS = ["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                 "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                 "ui", "update_time"]


def layer_styles(styles: dict[str, str], *, geometry_column: str = "geom") -> pd.DataFrame:
    """Rows of ``layer_styles`` for ``{layer name: QML}`` (each the layer's default style)."""
    now = pd.Timestamp.now("UTC").strftime("%Y-%m-%dT%H:%M:%S")
    return pd.DataFrame([{"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                          "f_geometry_column": geometry_column, "styleName": f"ordos_geo {name}",
                          "styleQML": qml, "styleSLD": "", "useAsDefault": True,
                          "description": "written by ordos_geo", "owner": "", "ui": "",
                          "update_time": now} for name, qml in styles.items()],
                        columns=STYLE_COLUMNS)
