"""The one loader of the YAML tables ordos_geo reads — rule tables, thresholds, aliases, headers,
the site schema, the register's and supervision's tables, symbology — packaged
(``ordos_geo/resources/<name>.yaml``) or a user's edited copy.

:func:`load_table` returns one shape, the table as a mapping, after checking it against its schema
(``resources/table_schemas.yaml``: the mini-language is described there): valid YAML, a mapping,
no key given twice, no unknown key, no required key missing, every value of its type (a number is finite: ``.nan`` and
``.inf`` are refused). Every problem is reported at once with the file, the line and the key. A
user's file may be UTF-8 (with or without BOM) or GBK/GB18030.
"""

from __future__ import annotations

import math
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .errors import ValidationError

__all__ = ["load_table", "table_text", "check_table", "key_lines", "unknown_keys",
           "duplicate_keys", "TYPES"]

#: The leaf types of the schema language and what each accepts.
TYPES = {
    "any": lambda v: True,
    "str": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    and math.isfinite(v),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
    "colour": lambda v: isinstance(v, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", v) is not None,
}


def table_text(name: str) -> str:
    """The packaged table ``name`` as text (``resources/<name>.yaml``, its comments kept)."""
    return resources.files("ordos_geo").joinpath(f"resources/{name}.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def _schemas() -> dict:
    return yaml.safe_load(table_text("table_schemas"))


def load_table(name: str, *, path: str | os.PathLike | None = None, schema=None,
               problems: list[str] | None = None) -> dict:
    """The table ``name`` — the packaged one, or the user's copy at ``path`` — checked against
    ``schema`` (default: the entry ``name`` of ``resources/table_schemas.yaml``). Raises
    :class:`~ordos_geo.core.errors.ValidationError` naming every problem, or, given a
    ``problems`` list, adds them to it (for a caller that checks more before reporting all at
    once). The packaged tables are read once and shared: copy one before changing it."""
    if path is None and schema is None and problems is None:
        return _packaged(name)
    if path is None:
        text, source = table_text(name), f"ordos_geo/resources/{name}.yaml"
    else:
        text, source = _read_user_file(Path(path)), str(path)
    return check_table(text, source=source, schema=_schemas()[name] if schema is None else schema,
                       problems=problems)


@lru_cache(maxsize=None)
def _packaged(name: str) -> dict:
    return check_table(table_text(name), source=f"ordos_geo/resources/{name}.yaml",
                       schema=_schemas()[name])


def _read_user_file(path: Path) -> str:
    if not path.is_file():
        raise ValidationError(f"{str(path)!r}: the table is not there (or is a folder); give the "
                              "path of a YAML file.")
    data = path.read_bytes()
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"{str(path)!r}: neither UTF-8 nor GBK text; save the table as UTF-8.")


def check_table(text: str, *, source: str, schema, problems: list[str] | None = None) -> dict:
    """Parse ``text`` (YAML) and check it against ``schema`` (or ``schema(table)``, for a table
    whose keys depend on its own content); the mapping it holds. Problems raise, or are added to
    ``problems`` when a list is given (text that is not YAML, or not a mapping, always raises)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError(f"{source}{where}: not valid YAML: {why}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: expected a table of keys and values (a YAML mapping), "
                              f"got {type(data).__name__}.")
    schema = schema(data) if callable(schema) else schema
    lines = key_lines(text)
    found = duplicate_keys(text, source=source)
    found += unknown_keys(data, schema, lines=lines, source=source)
    found += wrong_types(data, schema, lines=lines, source=source)
    if problems is not None:
        problems += found
    elif found:
        raise ValidationError(f"{source}: {len(found)} problem(s) in the table:\n- "
                              + "\n- ".join(found))
    return data


def key_lines(text: str) -> dict[tuple, int]:
    """The line (1-based) of every mapping key, by its path (``("rules", 2, "when")``)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    out: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
                out[path + (name,)] = key.start_mark.line + 1
                walk(value, path + (name,))
        elif isinstance(node, yaml.SequenceNode):
            for k, item in enumerate(node.value):
                out[path + (k,)] = item.start_mark.line + 1
                walk(item, path + (k,))

    if root is not None:
        walk(root, ())
    return out


_RESERVED = ("*", "?", "!")


def _sub(schema: dict, key):
    """The schema of ``key`` in a mapping schema (``...``: not allowed)."""
    key = str(key)
    if key in schema and key not in _RESERVED:
        return schema[key]
    return schema.get("*", ...)


def _where(lines: dict, path: tuple, source: str) -> str:
    for cut in range(len(path), -1, -1):  # the key's line, else its nearest parent's
        if path[:cut] in lines:
            return f"{source}, line {lines[path[:cut]]}"
    return source


def unknown_keys(data, schema, *, lines: dict[tuple, int], source: str,
                 path: tuple = ()) -> list[str]:
    """A message for every key of ``data`` that ``schema`` does not allow."""
    out: list[str] = []
    if isinstance(schema, list) and isinstance(data, list):
        for k, item in enumerate(data):
            out += unknown_keys(item, schema[0], lines=lines, source=source, path=path + (k,))
    if not isinstance(schema, dict) or not isinstance(data, dict):
        return out
    for key, value in data.items():
        sub = _sub(schema, key)
        if sub is ...:
            allowed = ", ".join(str(k) for k in schema if k not in _RESERVED)
            shown = ".".join(str(p) for p in path) or "the top level"
            out.append(f"{_where(lines, path + (str(key),), source)}: unknown key {str(key)!r} "
                       f"in {shown}; allowed: {allowed}")
            continue
        out += unknown_keys(value, sub, lines=lines, source=source, path=path + (str(key),))
    return out


def wrong_types(data, schema, *, lines: dict[tuple, int], source: str,
                path: tuple = ()) -> list[str]:
    """A message for every value of ``data`` whose type ``schema`` does not allow."""
    shown = ".".join(str(p) for p in path) or "the table"
    if schema is None or schema == "any":
        return []
    if isinstance(schema, str):
        kinds = [k.strip() for k in schema.split("|")]
        if any(TYPES[k](data) for k in kinds):
            return []
        return [f"{_where(lines, path, source)}: {shown} is {data!r}; expected {schema}"]
    if isinstance(schema, list):
        if not isinstance(data, list):
            return [f"{_where(lines, path, source)}: {shown} is {data!r}; expected a list"]
        return [m for k, item in enumerate(data)
                for m in wrong_types(item, schema[0], lines=lines, source=source,
                                     path=path + (k,))]
    if data is None and schema.get("?"):
        return []
    if not isinstance(data, dict):
        return [f"{_where(lines, path, source)}: {shown} is {data!r}; expected a mapping"]
    out = [f"{_where(lines, path, source)}: {shown} lacks the key {key!r} (required)"
           for key in schema.get("!", ()) if key not in data]
    return out + [m for key, value in data.items() if _sub(schema, key) is not ...
                  for m in wrong_types(value, _sub(schema, key), lines=lines, source=source,
                                       path=path + (str(key),))]


def duplicate_keys(text: str, *, source: str) -> list[str]:
    """A message for every key given twice in one mapping (YAML keeps only the last)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    out: list[str] = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
                line = key.start_mark.line + 1
                if name in seen:
                    out.append(f"{source}, line {line}: key {name!r} given twice (also line "
                               f"{seen[name]}); only one counts — keep one")
                seen.setdefault(name, line)
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)

    if root is not None:
        walk(root)
    return out
