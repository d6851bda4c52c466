"""Key checks for the YAML tables users edit (rule tables): every key must be one the reader
knows. An unknown key — a typo such as ``whenn:`` for ``when:`` — is an error naming the file,
the line and the keys allowed, instead of being ignored.

A schema is a mapping of allowed keys to the schema of their values: ``None`` (any value),
another mapping, ``{"*": schema}`` (any key, each value of that schema) or a one-element list
``[schema]`` (a list whose items follow it)."""

from __future__ import annotations

import yaml

__all__ = ["key_lines", "unknown_keys", "duplicate_keys"]


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


def unknown_keys(data, schema, *, lines: dict[tuple, int], source: str,
                 path: tuple = ()) -> list[str]:
    """A message for every key of ``data`` that ``schema`` does not allow."""
    out: list[str] = []
    if schema is None:
        return out
    if isinstance(schema, list):
        if isinstance(data, list):
            for k, item in enumerate(data):
                out += unknown_keys(item, schema[0], lines=lines, source=source, path=path + (k,))
        return out
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        sub = schema.get("*", ...) if key not in schema else schema[key]
        if sub is ...:
            where = lines.get(path + (str(key),), "?")
            allowed = ", ".join(k for k in schema if k != "*")
            shown = ".".join(str(p) for p in path) or "the top level"
            out.append(f"{source}, line {where}: unknown key {str(key)!r} in {shown}; "
                       f"allowed: {allowed}")
            continue
        out += unknown_keys(value, sub, lines=lines, source=source, path=path + (str(key),))
    return out


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
