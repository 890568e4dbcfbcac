"""YAML reading that remembers where every value came from.

PyYAML's composed node tree knows the line of every node; we turn it into plain Python data
plus a map from path (a tuple of keys and list indices) to the 1-based line, so that any later
error, even one found by pydantic, can name the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contingent.errors import InputError

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings: we parse times ourselves, with offsets."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, file: str) -> tuple[Any, dict[PathKey, int]]:
    """Parse YAML text into plain data and a path-to-line map.

    Raises
    ------
    InputError
        On a syntax error or a duplicate key, located at the offending line.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"YAML syntax error: {problem}", file=file, line=line) from None
    lines: dict[PathKey, int] = {}
    if node is None:
        return None, lines
    constructor = _Loader(text)
    return _convert(node, (), lines, constructor, file), lines


def _convert(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    constructor: yaml.SafeLoader,
    file: str,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise InputError(
                    f"duplicate key {key!r}",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=format_path((*path, key)),
                )
            out[key] = _convert(value_node, (*path, key), lines, constructor, file)
            # A key's own line is more useful than its value's when the value is a block.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(child, (*path, i), lines, constructor, file)
            for i, child in enumerate(node.value)
        ]
    return constructor.construct_object(node)


def format_path(path: PathKey, data: Any = None) -> str:
    """Render a path as ``units[RUS-1].vehicles.BMD-2``; list items by ``id`` when known."""
    out = ""
    cur = data
    for key in path:
        if isinstance(key, int):
            label: str | int = key
            if isinstance(cur, list) and 0 <= key < len(cur):
                item = cur[key]
                if isinstance(item, dict) and isinstance(item.get("id"), str | int):
                    label = str(item["id"])
            out += f"[{label}]"
        else:
            out += f".{key}" if out else key
        if isinstance(cur, dict):
            cur = cur.get(key) if isinstance(key, str) else None
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            cur = None
    return out or "(document)"


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    p = tuple(path)
    while True:
        if p in lines:
            return lines[p]
        if not p:
            return None
        p = p[:-1]


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning OS errors into located input errors."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", file=str(path)) from None
