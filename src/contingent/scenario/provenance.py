"""Provenance: every figure in a scenario says where it comes from.

A *figure* is any number, date-time, date or clock time in the document. It is written either
as a mapping ``{value: 2030, source: "..."}`` / ``{value: 90, assumed: "..."}`` or as a bare
value inside a mapping that carries ``source:`` or ``assumed:`` itself; that provenance then
covers every figure nested in the mapping that has none of its own. A figure with neither is
an error. The ``sources:`` section (the register of cited reports) is text, not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from contingent.errors import InputError
from contingent.scenario.yamlio import PathKey, format_path, line_of

_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# A source written as a register id (R2) or id/fact (R2/F15) must name a declared source.
_SOURCE_ID = re.compile(r"^([A-Z][A-Za-z0-9_-]*)(?:/([A-Z][A-Za-z0-9_.-]*))?$")
_PROVENANCE_KEYS = ("source", "assumed")
_FIGURE_KEYS = frozenset({"value", *_PROVENANCE_KEYS})
Kind = Literal["reported", "assumed"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One input figure and where it comes from.

    Attributes
    ----------
    path
        Human-readable field path, e.g. ``units[RUS-1].personnel``.
    value
        The figure as written.
    kind
        ``"reported"`` for a ``source:``, ``"assumed"`` for an ``assumed:``.
    provenance
        The source reference or the assumption's reason.
    line
        1-based line in the scenario file.
    """

    path: str
    value: Any
    kind: Kind
    provenance: str
    line: int | None


def is_figure(value: Any) -> bool:
    """Numbers, date-times, dates and clock times are figures; names and ids are not."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_DATE.match(value) or _CLOCK.match(value))


def strip_provenance(
    data: Any,
    lines: dict[PathKey, int],
    file: str,
    declared_sources: set[str],
) -> tuple[Any, list[Figure]]:
    """Replace figure mappings by their values and collect every figure's provenance.

    Raises
    ------
    InputError
        For a figure with no provenance, an empty reason, or an undeclared source id.
    """
    figures: list[Figure] = []
    root = data

    def where(path: PathKey) -> dict[str, Any]:
        return {"file": file, "line": line_of(lines, path), "field": format_path(path, root)}

    def provenance_of(node: dict[str, Any], path: PathKey) -> tuple[Kind, str] | None:
        found = [k for k in _PROVENANCE_KEYS if k in node]
        if not found:
            return None
        if len(found) > 1:
            raise InputError("give either 'source' or 'assumed', not both", **where(path))
        key = found[0]
        text = node[key]
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"'{key}' needs a non-empty text", **where((*path, key)))
        if key == "source":
            m = _SOURCE_ID.match(text.strip())
            if m and declared_sources and m.group(1) not in declared_sources:
                raise InputError(
                    f"source {m.group(1)!r} is not declared in 'sources'",
                    **where((*path, key)),
                )
        return ("reported" if key == "source" else "assumed", text.strip())

    def figure(label: str, path: PathKey, value: Any, scope: tuple[Kind, str]) -> None:
        line = lines.get(path)
        if line is None:
            line = line_of(lines, path)
        figures.append(Figure(label or "(document)", value, scope[0], scope[1], line))

    # ``label`` is ``format_path(path, root)`` without its "(document)" default, built up
    # along the walk instead of from the root for every figure.
    def walk(node: Any, path: PathKey, label: str, inherited: tuple[Kind, str] | None) -> Any:
        if isinstance(node, dict):
            if "source" in node or "assumed" in node:
                own = provenance_of(node, path)
                scope = own or inherited
            else:
                scope = inherited
            if "value" in node and set(node) <= _FIGURE_KEYS:
                value = node["value"]
                if isinstance(value, dict | list):
                    raise InputError("a figure's 'value' must be a single value", **where(path))
                if scope is None:
                    raise InputError("figure has no provenance: add 'source:' or 'assumed:'",
                                     **where(path))
                figure(label, path, value, scope)
                return value
            out = {}
            for k, v in node.items():
                if k in _PROVENANCE_KEYS:
                    continue
                sub = f"{label}.{k}" if label else k
                if type(v) is dict or type(v) is list:
                    out[k] = walk(v, (*path, k), sub, scope)
                else:
                    out[k] = leaf(v, (*path, k), sub, scope)
            return out
        if isinstance(node, list):
            items = []
            for i, v in enumerate(node):
                item_id = v.get("id") if isinstance(v, dict) else None
                sub = f"{label}[{item_id if isinstance(item_id, str | int) else i}]"
                items.append(walk(v, (*path, i), sub, inherited))
            return items
        return leaf(node, path, label, inherited)

    def leaf(node: Any, path: PathKey, label: str, inherited: tuple[Kind, str] | None) -> Any:
        if isinstance(node, dict | list):
            return walk(node, path, label, inherited)
        kind = type(node)
        if kind is str:
            fig = bool(_DATE.match(node) or _CLOCK.match(node))
        elif kind is int or kind is float:
            fig = True
        else:
            fig = is_figure(node)
        if fig:
            if inherited is None:
                raise InputError(
                    f"figure {node!r} has no provenance: write {{value: ..., source: ...}} "
                    "or {value: ..., assumed: <reason>}",
                    **where(path),
                )
            figure(label, path, node, inherited)
        return node

    if not isinstance(data, dict):
        return data, figures
    out = {k: (v if k == "sources" else walk(v, (k,), k, None)) for k, v in data.items()}
    return out, figures
