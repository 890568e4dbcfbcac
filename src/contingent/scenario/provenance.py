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

    def walk(node: Any, path: PathKey, inherited: tuple[Kind, str] | None) -> Any:
        if isinstance(node, dict):
            own = provenance_of(node, path)
            scope = own or inherited
            if "value" in node and set(node) <= {"value", *_PROVENANCE_KEYS}:
                value = node["value"]
                if isinstance(value, dict | list):
                    raise InputError("a figure's 'value' must be a single value", **where(path))
                if scope is None:
                    raise InputError("figure has no provenance: add 'source:' or 'assumed:'",
                                     **where(path))
                figures.append(Figure(format_path(path, root), value, scope[0], scope[1],
                                      line_of(lines, path)))
                return value
            return {
                k: walk(v, (*path, k), scope)
                for k, v in node.items()
                if k not in _PROVENANCE_KEYS
            }
        if isinstance(node, list):
            return [walk(v, (*path, i), inherited) for i, v in enumerate(node)]
        if is_figure(node):
            if inherited is None:
                raise InputError(
                    f"figure {node!r} has no provenance: write {{value: ..., source: ...}} "
                    "or {value: ..., assumed: <reason>}",
                    **where(path),
                )
            figures.append(Figure(format_path(path, root), node, inherited[0], inherited[1],
                                  line_of(lines, path)))
        return node

    if not isinstance(data, dict):
        return data, figures
    out = {k: (v if k == "sources" else walk(v, (k,), None)) for k, v in data.items()}
    return out, figures
