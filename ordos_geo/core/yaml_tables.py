"""The one loader of the YAML tables ordos_geo reads — rule tables, thresholds, aliases, headers,
the site schema, the register's and supervision's tables, symbology — packaged
(``ordos_geo/resources/<name>.yaml``) or a user's edited copy.

:func:`load_table` returns one shape, the table as a mapping, after checking it against its schema
(``resources/table_schemas.yaml``: the mini-language is described there): valid YAML, a mapping,
no key given twice, no unknown key, no required key missing, every value of its type (a number is finite: ``.nan`` and
``.inf`` are refused) and in its range. Every problem is reported at once with the file, the line
and the key. A user's file may be UTF-8 (with or without BOM) or GBK/GB18030.

Tables are parsed by :func:`parse_yaml`, guarded against what a hostile file can do to a YAML
parser: anchors and aliases are refused (a few hundred bytes of nested aliases expand to
gigabytes), nesting deeper than :data:`MAX_DEPTH` and numbers longer than :data:`MAX_DIGITS`
digits are refused, and numbers read as YAML 1.2 does (``1:30`` is text, not the base-60
number 90; ``2e3`` is the number 2000).
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
           "duplicate_keys", "TYPES", "parse_yaml", "MAX_DEPTH", "MAX_DIGITS"]

MAX_DEPTH = 40  #: deepest nesting of mappings and lists a table may have
MAX_DIGITS = 40  #: longest number (digits) a table may hold


class _Loader(yaml.SafeLoader):
    """Safe loading with YAML 1.2's numbers: no base-60 (``1:30``), exponents without a dot."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))


def parse_yaml(text: str, *, source: str):
    """``text`` parsed as YAML, guarded (module text); a :class:`ValidationError` naming the
    file and line for anything refused or not YAML."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            where = f"{source}, line {event.start_mark.line + 1}"
            if isinstance(event, (yaml.AliasEvent,)) or getattr(event, "anchor", None):
                raise ValidationError(f"{where}: anchors and aliases (&name, *name) are not "
                                      "allowed in a table; write the values out.")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ValidationError(f"{where}: nested deeper than {MAX_DEPTH} levels; "
                                          "a table is not that deep.")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and \
                    len(re.sub(r"[^0-9]", "", event.value[:1000])) > MAX_DIGITS and \
                    re.fullmatch(r"[-+0-9._eExXoO]+", event.value[:1000] or "x"):
                raise ValidationError(f"{where}: a number of more than {MAX_DIGITS} digits.")
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except ValidationError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError(f"{source}{where}: not valid YAML: {why}") from None
    except (ValueError, RecursionError, OverflowError) as exc:
        raise ValidationError(f"{source}: not a table ordos_geo can read ({type(exc).__name__}: "
                              f"{str(exc)[:120]}).") from None

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


_RANGE = re.compile(r"^(number|int)([\[(])\s*([^,]*?)\s*,\s*([^\])]*?)\s*([\])])$")


def _accepts(kind: str, value) -> bool:
    """Whether ``value`` is of ``kind``: a type of :data:`TYPES`, or ``number``/``int`` with an
    interval (``number(0,1]``: above 0, at most 1; an empty end is unbounded)."""
    found = _RANGE.match(kind)
    if not found:
        return TYPES[kind](value)
    base, left, lo, hi, right = found.groups()
    if not TYPES[base](value):
        return False
    if lo and (value < float(lo) or (left == "(" and value == float(lo))):
        return False
    return not (hi and (value > float(hi) or (right == ")" and value == float(hi))))


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
    data = parse_yaml(text, source=source)
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
        root = yaml.compose(text, Loader=_Loader)
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
        if any(_accepts(k, data) for k in kinds):
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
        root = yaml.compose(text, Loader=_Loader)
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
