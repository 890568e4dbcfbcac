"""The plain plan: what the planner produces and the checker verifies.

Nothing here knows about OR-Tools. A plan is immutable; times are aware ``datetime`` objects
and are written to JSON in ISO 8601 with the theatre's UTC offset. See ``docs/plan-format.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from contingent.errors import InputError
from contingent.scenario.yamlio import PathKey, format_path, line_of, read_text, read_yaml

Status = Literal["optimal", "feasible", "infeasible", "unknown", "given"]
PLAN_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Load:
    """Part of one unit on one sortie (a chalk)."""

    unit: str
    pax: int = 0
    vehicles: Mapping[str, int] = field(default_factory=dict)
    cargo_kg: int = 0


@dataclass(frozen=True, slots=True)
class Sortie:
    """One flight leg of one aircraft: a lift (carrying units) or a positioning leg (empty)."""

    id: str
    kind: Literal["lift", "positioning"]
    aircraft_type: str
    tail: str
    operator: str
    origin: str
    destination: str
    departure: datetime
    arrival: datetime
    loads: tuple[Load, ...] = ()
    nations: tuple[str, ...] = ()

    @property
    def pax(self) -> int:
        """Personnel on board."""
        return sum(ld.pax for ld in self.loads)

    @property
    def vehicles(self) -> dict[str, int]:
        """Vehicles on board by class."""
        out: dict[str, int] = {}
        for ld in self.loads:
            for c, n in ld.vehicles.items():
                out[c] = out.get(c, 0) + n
        return out

    @property
    def cargo_kg(self) -> int:
        """Other cargo on board, kg."""
        return sum(ld.cargo_kg for ld in self.loads)

    @property
    def units(self) -> tuple[str, ...]:
        """Units with something on board."""
        return tuple(ld.unit for ld in self.loads)


@dataclass(frozen=True, slots=True)
class RoadMove:
    """A convoy move of one or more units of one nation."""

    id: str
    nation: str
    units: tuple[str, ...]
    from_: str
    to: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Handover:
    """A facility handed over to host-nation forces, and the units that it releases."""

    id: str
    handover: datetime
    released_units: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    """One lower bound on completion, with how it was obtained."""

    name: str
    value: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """A movement plan for one phase of one scenario.

    Attributes
    ----------
    status
        ``optimal`` (completion equals a proven lower bound), ``feasible``, ``infeasible``,
        ``unknown`` (time limit, nothing found) or ``given`` (hand-made, not from the planner).
    completion
        Last arrival of any unit at its destination (None when there is no plan).
    lower_bound
        The best proven lower bound on completion over all plans.
    nations
        Completion per nation.
    message
        For an infeasible phase: which rules conflict, with the numbers.
    """

    scenario: str
    phase: Literal["deployment", "withdrawal"]
    status: Status
    completion: datetime | None
    lower_bound: datetime | None
    sorties: tuple[Sortie, ...] = ()
    road_moves: tuple[RoadMove, ...] = ()
    facilities: tuple[Handover, ...] = ()
    nations: Mapping[str, datetime] = field(default_factory=dict)
    bounds: tuple[Bound, ...] = ()
    binding: str = ""
    message: str = ""
    sorties_lower_bound: int | None = None
    solve_seconds: float | None = None

    def replace(self, **changes: Any) -> Plan:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def gap_minutes(self) -> int | None:
        """Completion minus lower bound, whole minutes."""
        if self.completion is None or self.lower_bound is None:
            return None
        return int((self.completion - self.lower_bound).total_seconds() // 60)

    @property
    def lifts(self) -> tuple[Sortie, ...]:
        """Lift sorties only."""
        return tuple(s for s in self.sorties if s.kind == "lift")


# --- JSON -----------------------------------------------------------------------------


def _t(dt: datetime | None, tz: tzinfo | None) -> str | None:
    if dt is None:
        return None
    return (dt.astimezone(tz) if tz is not None else dt).isoformat()


def plan_to_dict(plan: Plan, tz: tzinfo | None = None) -> dict[str, Any]:
    """The plan as JSON-ready data; times in ``tz`` (the theatre's) when given."""
    return {
        "format": PLAN_FORMAT,
        "scenario": plan.scenario,
        "phase": plan.phase,
        "status": plan.status,
        "completion": _t(plan.completion, tz),
        "lower_bound": _t(plan.lower_bound, tz),
        "gap_minutes": plan.gap_minutes,
        "binding": plan.binding,
        "message": plan.message,
        "sorties_count": len(plan.sorties),
        "sorties_lower_bound": plan.sorties_lower_bound,
        "solve_seconds": plan.solve_seconds,
        "bounds": [{"name": b.name, "value": _t(b.value, tz), "detail": b.detail}
                   for b in plan.bounds],
        "nations": {n: _t(t, tz) for n, t in sorted(plan.nations.items())},
        "sorties": [
            {
                "id": s.id,
                "kind": s.kind,
                "aircraft_type": s.aircraft_type,
                "tail": s.tail,
                "operator": s.operator,
                "nations": list(s.nations),
                "origin": s.origin,
                "destination": s.destination,
                "departure": _t(s.departure, tz),
                "arrival": _t(s.arrival, tz),
                "pax": s.pax,
                "vehicles": dict(sorted(s.vehicles.items())),
                "cargo_kg": s.cargo_kg,
                "units": [
                    {"unit": ld.unit, "pax": ld.pax,
                     "vehicles": dict(sorted(ld.vehicles.items())), "cargo_kg": ld.cargo_kg}
                    for ld in s.loads
                ],
            }
            for s in plan.sorties
        ],
        "road_moves": [
            {"id": r.id, "nation": r.nation, "units": list(r.units), "from": r.from_,
             "to": r.to, "start": _t(r.start, tz), "end": _t(r.end, tz)}
            for r in plan.road_moves
        ],
        "facilities": [
            {"id": h.id, "handover": _t(h.handover, tz), "released_units": list(h.released_units)}
            for h in plan.facilities
        ],
    }


def dumps_plan(plan: Plan, tz: tzinfo | None = None) -> str:
    """The plan as JSON text."""
    return json.dumps(plan_to_dict(plan, tz), indent=2, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, path: Path, tz: tzinfo | None = None) -> None:
    """Write a plan file atomically: a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps_plan(plan, tz), encoding="utf-8")
    tmp.replace(path)


def read_plan(path: Path | str) -> Plan:
    """Read a plan file (computed or hand-made).

    Raises
    ------
    InputError
        Located by file, line and field, for malformed JSON or a field of the wrong form.
    """
    path = Path(path)
    return loads_plan(read_text(path), file=str(path))


def loads_plan(text: str, file: str = "<string>") -> Plan:
    """Parse plan JSON text; see :func:`read_plan`."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    # JSON is valid YAML flow style: the YAML reader gives us line numbers for every field.
    data, lines = read_yaml(text, file)
    return _PlanReader(data, lines, file).plan()


class _PlanReader:
    def __init__(self, data: Any, lines: dict[PathKey, int], file: str) -> None:
        self.data, self.lines, self.file = data, lines, file

    def fail(self, path: PathKey, msg: str) -> InputError:
        return InputError(msg, file=self.file, line=line_of(self.lines, path),
                          field=format_path(path, self.data))

    def get(self, obj: Any, path: PathKey, key: str, kind: type | tuple[type, ...],
            default: Any = ...) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(path, "expected an object")
        if key not in obj or obj[key] is None:
            if default is ...:
                raise self.fail((*path, key), f"required field {key!r} is missing")
            return default
        v = obj[key]
        if isinstance(v, bool) and kind in (int, float, (int, float)):
            raise self.fail((*path, key), f"expected a number, got {v!r}")
        if not isinstance(v, kind):
            name = kind.__name__ if isinstance(kind, type) else "number"
            raise self.fail((*path, key), f"expected {name}, got {v!r}")
        if isinstance(v, int) and not isinstance(v, bool) and v < 0:
            raise self.fail((*path, key), f"must not be negative, got {v}")
        return v

    def time(self, obj: Any, path: PathKey, key: str, optional: bool = False) -> datetime | None:
        v = self.get(obj, path, key, str, None if optional else ...)
        if v is None:
            return None
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise self.fail((*path, key), f"{v!r} is not an ISO 8601 date-time") from None
        if dt.tzinfo is None:
            raise self.fail((*path, key), f"{v!r} has no UTC offset")
        return dt

    def counts(self, obj: Any, path: PathKey, key: str) -> dict[str, int]:
        v = self.get(obj, path, key, dict, {})
        for k, n in v.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise self.fail((*path, key, k), f"expected a whole number >= 0, got {n!r}")
        return {str(k): int(n) for k, n in v.items()}

    def plan(self) -> Plan:
        d = self.data
        if not isinstance(d, dict):
            raise self.fail((), "a plan file must be a JSON object")
        phase = self.get(d, (), "phase", str)
        if phase not in ("deployment", "withdrawal"):
            raise self.fail(("phase",), f"expected 'deployment' or 'withdrawal', got {phase!r}")
        status = self.get(d, (), "status", str, "given")
        sorties = []
        for i, s in enumerate(self.get(d, (), "sorties", list, [])):
            p: PathKey = ("sorties", i)
            kind = self.get(s, p, "kind", str)
            if kind not in ("lift", "positioning"):
                raise self.fail((*p, "kind"), f"expected 'lift' or 'positioning', got {kind!r}")
            loads = []
            for j, u in enumerate(self.get(s, p, "units", list, [])):
                q: PathKey = (*p, "units", j)
                if isinstance(u, str):
                    raise self.fail(q, "each entry of 'units' must be an object "
                                       "{unit, pax, vehicles, cargo_kg}")
                loads.append(Load(
                    unit=self.get(u, q, "unit", str),
                    pax=self.get(u, q, "pax", int, 0),
                    vehicles=self.counts(u, q, "vehicles"),
                    cargo_kg=self.get(u, q, "cargo_kg", int, 0),
                ))
            sorties.append(Sortie(
                id=str(self.get(s, p, "id", (str, int))),
                kind=kind,
                aircraft_type=self.get(s, p, "aircraft_type", str),
                tail=self.get(s, p, "tail", str),
                operator=self.get(s, p, "operator", str, ""),
                origin=self.get(s, p, "origin", str),
                destination=self.get(s, p, "destination", str),
                departure=self.time(s, p, "departure"),  # type: ignore[arg-type]
                arrival=self.time(s, p, "arrival"),  # type: ignore[arg-type]
                loads=tuple(loads),
                nations=tuple(self.get(s, p, "nations", list, [])),
            ))
        roads = []
        for i, r in enumerate(self.get(d, (), "road_moves", list, [])):
            p = ("road_moves", i)
            roads.append(RoadMove(
                id=str(self.get(r, p, "id", (str, int), f"R{i + 1}")),
                nation=self.get(r, p, "nation", str),
                units=tuple(self.get(r, p, "units", list)),
                from_=self.get(r, p, "from", str),
                to=self.get(r, p, "to", str),
                start=self.time(r, p, "start"),  # type: ignore[arg-type]
                end=self.time(r, p, "end"),  # type: ignore[arg-type]
            ))
        facs = []
        for i, f in enumerate(self.get(d, (), "facilities", list, [])):
            p = ("facilities", i)
            facs.append(Handover(
                id=self.get(f, p, "id", str),
                handover=self.time(f, p, "handover"),  # type: ignore[arg-type]
                released_units=tuple(self.get(f, p, "released_units", list, [])),
            ))
        nations = {
            str(k): t for k in self.get(d, (), "nations", dict, {})
            if (t := self.time(d["nations"], ("nations",), k)) is not None
        }
        return Plan(
            scenario=self.get(d, (), "scenario", str, ""),
            phase=phase,
            status=status,
            completion=self.time(d, (), "completion", optional=True),
            lower_bound=self.time(d, (), "lower_bound", optional=True),
            sorties=tuple(sorties),
            road_moves=tuple(roads),
            facilities=tuple(facs),
            nations=nations,
            binding=self.get(d, (), "binding", str, ""),
            message=self.get(d, (), "message", str, ""),
            sorties_lower_bound=self.get(d, (), "sorties_lower_bound", int, None),
            solve_seconds=self.get(d, (), "solve_seconds", (int, float), None),
        )


__all__ = [
    "Bound", "Handover", "Load", "Plan", "RoadMove", "Sortie",
    "dumps_plan", "loads_plan", "plan_to_dict", "read_plan", "write_plan",
]
