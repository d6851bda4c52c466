"""The one reader of the tables users bring (CSV in UTF-8 or GBK, or XLSX): columns matched to
canonical fields through the alias table (``resources/aliases.yaml``) and the headers ordos_geo
itself writes (``resources/headers.yaml``), a unit in brackets after a name read as that unit
(``产量(万吨)``, ``应计提金额(元)``: the ``units`` section), every problem named with the file,
the row, the field and the value."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputFileError, ValidationError
from ..core.messages import msg
from ..core.schema import aliases, header_key, headers

__all__ = ["read_user_table", "read_raw", "UserTable", "split_unit", "numbers", "table_problem",
           "shown", "parse_number"]

_UNIT = re.compile(r"^(.*?)\s*[\(（\[【]\s*([^()（）]+?)\s*[\)）\]】]\s*$")


def split_unit(header: str) -> tuple[str, str | None]:
    """``产量(万吨)`` → (``产量``, ``万吨``); a header without a bracketed unit → (header, None)."""
    found = _UNIT.match(str(header).strip())
    return (found.group(1), found.group(2)) if found else (str(header).strip(), None)


@lru_cache(maxsize=None)
def _index(tables: tuple[str, ...]) -> dict[str, str]:
    """``header_key(name)`` → field, from the alias table and the headers ordos_geo writes."""
    fields = {f: n for table in tables for f, n in aliases()[table].items()}
    out = {}
    for field, names in fields.items():
        for name in [field, *map(str, names)]:
            out.setdefault(header_key(name), field)
    for field, header in headers()["zh"].items():
        if field in fields or (field == "mine_id" and "mine_id" in fields):
            out.setdefault(header_key(header), field)
            out.setdefault(header_key(split_unit(header)[0]), field)
    return out


@dataclass
class UserTable:
    """A user's table: ``frame`` (canonical columns, values as read), the ``source`` column
    of each field, the ``factor`` of each field whose header named a unit, the ``path`` and
    the table as read (``raw``: every column)."""

    frame: pd.DataFrame
    source: dict[str, str]
    factor: dict[str, float]
    path: str
    raw: pd.DataFrame


def read_raw(source: str | os.PathLike | pd.DataFrame, *, encoding: str | None = None,
             as_text: bool = False, repeated: bool = False) -> pd.DataFrame:
    """Every column of a user's table as read: an XLSX sheet (cells as typed; with
    ``as_text``, as text the way a CSV reads: an empty cell ``""``, a whole number without
    ``.0``), or a CSV in UTF-8 or GBK (text, :func:`ordos_geo.io.read_table`). A missing,
    damaged or foreign file is an :class:`~ordos_geo.core.errors.InputFileError` naming it,
    never a traceback. A column name given twice is refused, unless ``repeated``."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    file = Path(source)
    if file.is_dir():
        raise InputFileError(msg("folder_not_file", path=repr(str(file))))
    if not file.is_file():
        raise InputFileError(msg("file_missing", path=repr(str(file))))
    with open(file, "rb") as handle:
        magic = handle.read(8)
    kind = _spreadsheet(file, magic)
    if kind in ("xls", "ods", "xlsb"):
        raise InputFileError(msg("table_old_excel", path=repr(str(file)), kind=kind))
    if kind == "xlsx":
        frame = _read_xlsx(file, repeated)
        return frame.map(_as_text).astype(object) if as_text else frame
    from .files import read_table

    return read_table(file, encoding=encoding, repeated=repeated)[0]


def _spreadsheet(file: Path, magic: bytes) -> str | None:
    """``xlsx``, ``xls``, ``ods`` or ``xlsb`` from the first bytes and the name; None: a text
    table (a CSV, TSV or text file of any name — also one misnamed ``.xls``)."""
    suffix = file.suffix.lower()
    if magic.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: old Excel, whatever the name
        return "xls"
    if magic.startswith(b"PK\x03\x04"):
        with open(file, "rb") as handle:
            head = handle.read(120)
        if b"mimetypeapplication/vnd.oasis.opendocument" in head:
            return "ods"
        return "xlsb" if suffix == ".xlsb" else "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"  # not a zip: read_excel says what is wrong with it
    return None


def _read_xlsx(file: Path, repeated: bool) -> pd.DataFrame:
    from .files import header_row

    try:
        frame = pd.read_excel(file, dtype=object, header=None, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if reason in ("zip", "'zip'") or "zip" in type(exc).__name__.lower():
            reason = "not a valid XLSX (a damaged or empty zip)"
        raise InputFileError(msg("file_unreadable", path=repr(str(file)),
                                 reason=reason)) from None
    return header_row(frame, file, repeated=repeated)


def _as_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return str(value)


def read_user_table(source: str | os.PathLike | pd.DataFrame, *, table: str | tuple[str, ...],
                    what: str, required: list[str] | None = None,
                    encoding: str | None = None) -> UserTable:
    """Read ``source`` (:func:`read_raw`) as a ``table`` of the alias table — or several
    sections of it — (``what`` names it in messages): the columns that stand for its fields,
    renamed; a missing ``required`` field, two columns for one field and a unit that is not
    listed for the field are refused, all at once."""
    path = "<table>" if isinstance(source, pd.DataFrame) else str(source)
    raw = read_raw(source, encoding=encoding, repeated=True)
    tables = (table,) if isinstance(table, str) else tuple(table)
    index = _index(tables)
    units = {f: u for t in tables for f, u in aliases().get("units", {}).get(t, {}).items()}
    scaled = {f: n for t in tables for f, n in aliases().get("scaled", {}).get(t, {}).items()}
    found: dict[str, str] = {}
    factor: dict[str, float] = {}
    problems = []
    for column in raw.columns:
        field, unit = _match(column, index, scaled)
        if field is None:
            continue
        if field in found:
            problems.append(msg("table_two_columns", field=field, a=repr(found[field]),
                                b=repr(str(column))))
            continue
        found[field] = column
        if isinstance(unit, float):
            factor[field] = unit
        elif unit is not None:
            allowed = units.get(field, {})
            hit = {header_key(u): f for u, f in allowed.items()}.get(header_key(unit))
            if hit is None:
                problems.append(msg("table_unit", column=repr(str(column)), unit=repr(unit),
                                    allowed="、".join(allowed) or "—"))
            else:
                factor[field] = float(hit)
    missing = [f for f in (required or []) if f not in found]
    if missing:
        problems.append(msg("table_columns", what=what, missing=", ".join(missing),
                            columns=", ".join(map(str, raw.columns)) or "—"))
    if problems:
        raise ValidationError(f"{path}:\n- " + "\n- ".join(problems))
    frame = raw[list(found.values())].set_axis(list(found), axis=1)
    return UserTable(frame, found, factor, path, raw)


def _match(column, index: dict[str, str], scaled: dict) -> tuple[str | None, object]:
    """(field, unit text or factor) of a column, or (None, None)."""
    key = header_key(column)
    for field, names in scaled.items():
        for name, value in (names or {}).items():
            if header_key(name) == key:
                return field, float(value)
    if key in index:
        return index[key], None
    base, unit = split_unit(str(column))
    if unit is not None and header_key(base) in index:
        return index[header_key(base)], unit
    return None, None


_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_number(value) -> float | None:
    """A number from a cell: full-width digits read (NFKC), thousands separators only in groups
    of three (``1,000`` but not ``1,00``, which could be a decimal comma); None when it is no
    number (an empty cell too)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if "," in text:
        if not _GROUPED.match(text):
            return None
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def shown(value) -> str:
    """A cell as a message shows it: ``repr`` of the plain Python value."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def table_problem(path: str, problems: list[str]) -> ValidationError:
    """One error naming every problem of a table (at most 30 shown)."""
    more = f"\n- {msg('reg_more', n=len(problems) - 30)}" if len(problems) > 30 else ""
    return ValidationError(f"{path}:\n- " + "\n- ".join(problems[:30]) + more)


def numbers(table: UserTable, fields: list[str], *, positive: tuple[str, ...] = (),
            default_factor: dict[str, float] | None = None) -> pd.DataFrame:
    """``fields`` as finite numbers ≥ 0 (> 0 for ``positive``), in the field's own unit (the
    header's unit, else ``default_factor``); every bad cell named (row, field, value)."""
    out = table.frame.copy()
    problems = []
    for field in fields:
        values = np.array([np.nan if (v := parse_number(x)) is None else v
                           for x in out[field]], dtype=float)
        good = np.isfinite(values) & ((values > 0) if field in positive else (values >= 0))
        for k in np.flatnonzero(~good):
            problems.append(msg("table_cell", row=int(k) + 2, field=table.source[field],
                                value=shown(out[field].iloc[k]),
                                why=msg("table_positive" if field in positive
                                        else "table_number")))
        scale = table.factor.get(field, (default_factor or {}).get(field, 1.0))
        out[field] = values * scale
    if problems:
        raise table_problem(table.path, problems)
    return out
