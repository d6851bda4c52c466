"""The canonical site schema (``resources/schema.yaml``), the one alias table of column names for
every table ordos_geo reads (``resources/aliases.yaml``) and the one normaliser that compares
them (:func:`header_key`)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .yaml_tables import load_table

__all__ = ["Schema", "FieldSpec", "schema", "Invalid", "normalise_id", "id_key", "header_key",
           "aliases", "match_columns", "headers"]


class Invalid(ValueError):
    """A value that does not fit its field; ``code`` and ``values`` feed the message catalogue."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass
class FieldSpec:
    name: str
    type: str
    required: bool
    zh: str
    en: str
    aliases: list[str]
    scaled_aliases: dict[str, float] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    minimum: float | None = None
    fill: str | None = None


def header_key(text: str) -> str:
    """Comparison key of a column name or category value: case-folded, outer spaces stripped,
    full-width brackets and spaces unified, runs of spaces made one. The one normaliser."""
    text = str(text).strip().replace("（", "(").replace("）", ")").replace("　", " ")
    return re.sub(r"\s+", " ", text).casefold()


_key = header_key


@lru_cache(maxsize=1)
def aliases() -> dict[str, Any]:
    """The alias table (``resources/aliases.yaml``): ``{table: {field: [names]}}`` plus
    ``scaled: {table: {field: {name: factor}}}``."""
    return load_table("aliases")


@lru_cache(maxsize=1)
def headers() -> dict[str, dict[str, str]]:
    """The headers of the tables ordos_geo writes (``resources/headers.yaml``): ``{"zh":
    {field: header}}``."""
    return load_table("headers")


@lru_cache(maxsize=None)
def _alias_index(table: str) -> dict[str, tuple[str, float]]:
    """``header_key(name)`` → (field, factor) for one table, with Shapefile truncations."""
    spec = aliases()
    names = [(f, [f, *(str(a) for a in names)], 1.0) for f, names in spec[table].items()]
    names += [(f, [str(a)], float(v)) for f, scaled in (spec.get("scaled", {}).get(table) or
                                                       {}).items() for a, v in scaled.items()]
    index: dict[str, tuple[str, float]] = {}
    for fld, spellings, factor in names:
        for alias in spellings:
            for variant in {alias, *_truncations(alias)}:
                index.setdefault(header_key(variant), (fld, factor))
    return index


def match_columns(columns, table: str) -> dict[str, tuple[str, float]]:
    """The columns of a source that stand for fields of ``table`` (a section of the alias
    table): ``{source column: (field, factor)}``; the first column wins when two name one
    field with the same factor. Other columns are extra fields."""
    index = _alias_index(table)
    out: dict[str, tuple[str, float]] = {}
    taken: set[tuple[str, float]] = set()
    for column in columns:
        hit = index.get(header_key(column))
        if hit is not None and hit not in taken:
            out[column] = hit
            taken.add(hit)
    return out


def _truncations(name: str) -> set[str]:
    """How a Shapefile (10-byte field names) spells ``name`` in GBK and UTF-8."""
    out = set()
    for codec in ("gb18030", "utf-8"):
        raw = name.encode(codec)
        if len(raw) > 10:
            out.add(raw[:10].decode(codec, errors="ignore"))
    return out


class Schema:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.fields: dict[str, FieldSpec] = {}
        names, scaled = aliases()["sites"], aliases()["scaled"]["sites"]
        for name, f in spec["fields"].items():
            self.fields[name] = FieldSpec(
                name=name, type=f["type"], required=bool(f.get("required")), zh=f["zh"], en=f["en"],
                aliases=[str(a) for a in names.get(name, [])],
                scaled_aliases={str(k): float(v) for k, v in (scaled.get(name) or {}).items()},
                values={k: [str(v) for v in vs] for k, vs in (f.get("values") or {}).items()},
                minimum=f.get("min"), fill=f.get("fill"))
        self.banners: dict[str, dict[str, Any]] = spec["banners"]
        self._unknown = {_key(str(v)) for v in spec.get("unknown_values") or []}
        self._field_index: dict[str, tuple[str, float]] = {}
        for f in self.fields.values():
            names = [(a, 1.0) for a in [f.name, *f.aliases]] + list(f.scaled_aliases.items())
            for alias, scale in names:
                for variant in {alias, *_truncations(alias)}:
                    self._field_index.setdefault(_key(variant), (f.name, scale))
        self._value_index = {
            name: {_key(v): canon for canon, spellings in f.values.items() for v in [canon, *spellings]}
            for name, f in self.fields.items() if f.values
        }
        self._banner_index = {_key(a): canon for canon, b in self.banners.items()
                              for a in [canon, *b["aliases"]]}

    @property
    def names(self) -> list[str]:
        return list(self.fields)

    def match_field(self, column: str) -> tuple[str, float] | None:
        """The canonical field and unit scale a source column stands for, or None (an extra field)."""
        return self._field_index.get(_key(column))

    def normalise(self, name: str, value: Any) -> Any:
        """The canonical form of ``value`` for field ``name``; raises :class:`Invalid`."""
        spec = self.fields[name]
        if _is_blank(value):
            return None
        if spec.type == "str":  # text is kept exactly as given (only a blank value is empty)
            return _as_text(value, strip=False)
        if spec.type == "id":
            return normalise_id(value)
        if spec.type == "category":
            if _key(_as_text(value)) in self._unknown:
                return None
            canon = self._value_index[name].get(_key(_as_text(value)))
            if canon is None:
                raise Invalid("value_not_allowed", allowed=", ".join(spec.values))
            return canon
        if spec.type == "banner":
            canon = self._banner_index.get(_key(_as_text(value)))
            if canon is None:
                raise Invalid("value_not_allowed", allowed=", ".join(self.banners))
            return canon
        if spec.type == "float":
            try:
                number = float(str(value).replace(",", "").strip()) if isinstance(value, str) \
                    else float(value)
            except (TypeError, ValueError):
                raise Invalid("value_bad_type", expected="expected_number") from None
            if not math.isfinite(number):
                raise Invalid("value_bad_type", expected="expected_number")
            if spec.minimum is not None and number < spec.minimum:
                raise Invalid("value_negative")
            return number
        if spec.type == "bool":
            text = _key(_as_text(value))
            if text in ("true", "1", "yes", "是", "t", "y"):
                return True
            if text in ("false", "0", "no", "否", "f", "n"):
                return False
            raise Invalid("value_bad_type", expected="expected_bool")
        raise AssertionError(f"unknown field type {spec.type!r}")

    def banner_adcode(self, banner: str) -> int:
        return int(self.banners[banner]["adcode"])


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, str) and not value.strip()


#: Characters that show as nothing (zero-width spaces and joiners, BOM, soft hyphen, direction
#: marks): Unicode category Cf. They make two equal-looking ids differ.
def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


def normalise_id(value: Any) -> str | None:
    """An id as text in one spelling: NFKC (full-width ``Ｍ０１`` → ``M01``), invisible characters
    removed, outer spaces stripped. Raises :class:`Invalid` for a ``;`` (it joins zone members)
    or a control character (an undecodable byte too)."""
    if _is_blank(value):
        return None
    text = _as_text(value)
    if text.isascii() and text.isprintable():  # the common case: nothing to normalise
        if ";" in text:
            raise Invalid("id_semicolon")
        return text or None
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not _invisible(ch)).strip()
    if not text:
        return None
    if ";" in text:
        raise Invalid("id_semicolon")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise Invalid("id_control")
    return text


def id_key(text: str) -> str:
    """The key under which two ids count as the same site: the normalised id, case-folded."""
    return text.casefold()


def _as_text(value: Any, *, strip: bool = True) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if strip else str(value)


@lru_cache(maxsize=1)
def schema() -> Schema:
    return Schema(load_table("schema"))
