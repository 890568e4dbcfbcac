"""Reported events: what really happened while a plan was flown.

An events file (YAML or JSON, see ``docs/events.md``) is a list of events, each with a
``type``, a ``time`` and a ``reporter``. Reading checks the form of each event; then
:func:`validate_events` checks the events against the scenario, the announced plan and each
other. Both raise one :class:`~contingent.errors.InputError` (with every further problem in
``more``), so a file is taken whole or not at all: nothing is half-applied.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

from contingent.errors import InputError
from contingent.planfile import Load, Plan, Sortie
from contingent.scenario.model import Scenario, parse_time
from contingent.scenario.yamlio import PathKey, format_path, line_of, read_text, read_yaml

EventKind = Literal[
    "departed", "arrived", "cancelled", "airfield_closed", "aircraft_unserviceable",
    "facility_handed_over", "unit_ready_late",
]
EVENT_KINDS: tuple[EventKind, ...] = (
    "departed", "arrived", "cancelled", "airfield_closed", "aircraft_unserviceable",
    "facility_handed_over", "unit_ready_late",
)

# Per kind: the fields it needs besides type, time and reporter, and those it may have.
_NEEDS: dict[str, tuple[str, ...]] = {
    "departed": ("sortie",),
    "arrived": ("sortie",),
    "cancelled": ("sortie",),
    "airfield_closed": ("airfield", "from", "to"),
    "aircraft_unserviceable": ("tail", "from", "to"),
    "facility_handed_over": ("facility",),
    "unit_ready_late": ("unit",),
}
_MAY: dict[str, tuple[str, ...]] = {
    "departed": ("units", "tail"),
}
_COMMON = ("type", "time", "reporter", "note", "id")
# Events that report a fact: they cannot be reported for a time after "now".
_FACTS = ("departed", "arrived", "cancelled")


@dataclass(frozen=True, slots=True)
class Event:
    """One reported event.

    Attributes
    ----------
    kind
        One of :data:`EVENT_KINDS`.
    time
        When it happened (departure, arrival, cancellation, handover, readiness); for a
        closure or an unserviceable aircraft, when it was reported.
    reporter
        Who reported it.
    loads
        For ``departed``: the load actually on board; ``None`` means as planned.
    seq
        1-based position in its list: events are applied in this order.
    ref
        Where it came from, for messages: ``events.yaml:12`` or ``event #7``.
    """

    kind: EventKind
    time: datetime
    reporter: str
    sortie: str | None = None
    airfield: str | None = None
    tail: str | None = None
    facility: str | None = None
    unit: str | None = None
    from_: datetime | None = None
    to: datetime | None = None
    loads: tuple[Load, ...] | None = None
    note: str = ""
    seq: int = 0
    index: int = 0
    ref: str = ""
    line: int | None = None
    file: str = "<string>"
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """What the event is about, e.g. ``sortie S003`` or ``airfield UAAA``."""
        for name in ("sortie", "airfield", "tail", "facility", "unit"):
            v = getattr(self, name)
            if v is not None and not (name == "tail" and self.kind == "departed"):
                return f"{'aircraft' if name == 'tail' else name} {v}"
        return "?"

    def describe(self, tz: tzinfo | None = None) -> str:
        """One line for a person: ``event 4 (events.yaml:9): facility FAC-A handed over ...``."""

        def t(x: datetime | None) -> str:
            if x is None:
                return "?"
            return (x.astimezone(tz) if tz is not None else x).strftime("%d %b %H:%M")

        what = {
            "departed": f"sortie {self.sortie} departed {t(self.time)}",
            "arrived": f"sortie {self.sortie} arrived {t(self.time)}",
            "cancelled": f"sortie {self.sortie} cancelled",
            "airfield_closed": f"airfield {self.airfield} closed {t(self.from_)} to {t(self.to)}",
            "aircraft_unserviceable":
                f"aircraft {self.tail} unserviceable {t(self.from_)} to {t(self.to)}",
            "facility_handed_over": f"facility {self.facility} handed over {t(self.time)}",
            "unit_ready_late": f"unit {self.unit} ready {t(self.time)}",
        }[self.kind]
        where = f" ({self.ref})" if self.ref else ""
        return f"event {self.seq}{where}: {what}"

    def fail(self, key: str | None, message: str) -> InputError:
        """A located error about this event (or one of its fields)."""
        line = self.lines.get(key, self.line) if key is not None else self.line
        base = f"events[{self.index}]"
        return InputError(message, file=self.file, line=line,
                          field=f"{base}.{key}" if key else base)


# --- reading ---------------------------------------------------------------------------


def read_events(path: Path | str) -> list[Event]:
    """Read an events file (YAML or JSON).

    Raises
    ------
    InputError
        For a malformed event, located by file, line and field.
    """
    path = Path(path)
    return loads_events(read_text(path), file=str(path))


def loads_events(text: str, file: str = "<string>") -> list[Event]:
    """Parse events from YAML or JSON text; see :func:`read_events`."""
    data, lines = read_yaml(text, file)
    return parse_events(data, file=file, lines=lines)


def parse_events(data: Any, *, file: str = "<request>", lines: dict[PathKey, int] | None = None,
                 first_seq: int = 1, numbered: bool = False) -> list[Event]:
    """Turn plain data (a list of event mappings, or ``{events: [...]}``) into events.

    ``first_seq`` numbers the events when they extend an existing list (the service);
    ``numbered`` names them by number alone (``event 7``) instead of by file and line.
    """
    lines = lines or {}
    root: PathKey = ()
    if isinstance(data, dict) and "events" in data:
        extra = sorted(set(data) - {"events"})
        if extra:
            raise InputError("unknown field", file=file, line=line_of(lines, (extra[0],)),
                             field=extra[0])
        data, root = data["events"], ("events",)
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError("expected a list of events (or a mapping with 'events:')", file=file,
                         line=line_of(lines, root), field=format_path(root))
    out: list[Event] = []
    errors: list[InputError] = []
    for i, item in enumerate(data):
        try:
            out.append(_parse_one(item, (*root, i), i, file, lines, first_seq, numbered))
        except InputError as exc:
            errors.append(exc)
    if errors:
        errors[0].more = errors[1:]
        raise errors[0]
    return out


def _parse_one(item: Any, path: PathKey, i: int, file: str, lines: dict[PathKey, int],
               first_seq: int, numbered: bool) -> Event:
    seq = first_seq + i

    def fail(key: str | None, msg: str) -> InputError:
        p = (*path, key) if key is not None else path
        return InputError(msg, file=file, line=line_of(lines, p),
                          field=f"events[{i}]" + (f".{key}" if key else ""))

    if not isinstance(item, dict):
        raise fail(None, "each event must be a mapping with type, time and reporter")
    kind = item.get("type")
    if kind is None:
        raise fail("type", "required field 'type' is missing")
    if kind not in EVENT_KINDS:
        raise fail("type", f"unknown event type {kind!r} (one of {', '.join(EVENT_KINDS)})")
    allowed = set(_COMMON) | set(_NEEDS[kind]) | set(_MAY.get(kind, ()))
    for key in item:
        if key not in allowed:
            raise fail(str(key), f"unknown field for a {kind} event")
    for key in ("time", "reporter", *_NEEDS[kind]):
        if item.get(key) in (None, ""):
            raise fail(key, f"required field {key!r} is missing")

    def text(key: str) -> str | None:
        v = item.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise fail(key, f"expected text, got {v!r}")
        if len(str(v)) > 200:
            raise fail(key, "too long (at most 200 characters)")
        return str(v)

    def when(key: str) -> datetime | None:
        v = item.get(key)
        if v is None:
            return None
        try:
            return parse_time(v)
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    loads = None
    if "units" in item and item["units"] is not None:
        loads = _parse_loads(item["units"], (*path, "units"), fail, lines, file, i)
    line = line_of(lines, path)
    key_lines = {str(k): ln for k in item if (ln := line_of(lines, (*path, k))) is not None}
    ev = Event(
        kind=kind, time=when("time"), reporter=text("reporter") or "",  # type: ignore[arg-type]
        sortie=text("sortie"), airfield=text("airfield"), tail=text("tail"),
        facility=text("facility"), unit=text("unit"), from_=when("from"), to=when("to"),
        loads=loads, note=text("note") or "", seq=seq, index=i,
        # Service events are known by their number alone; file events also by file and line.
        ref="" if numbered else (f"{file}:{line}" if line is not None else file),
        line=line, file=file, lines=key_lines,
    )
    if ev.from_ is not None and ev.to is not None and ev.to <= ev.from_:
        raise fail("to", "'to' must be after 'from'")
    return ev


def _parse_loads(raw: Any, path: PathKey, fail: Any, lines: dict[PathKey, int], file: str,
                 index: int) -> tuple[Load, ...]:
    if not isinstance(raw, list):
        raise fail("units", "expected a list of {unit, pax, vehicles, cargo_kg}")
    out = []
    for j, u in enumerate(raw):
        where = f"events[{index}].units[{j}]"

        def bad(key: str, msg: str, j: int = j, where: str = where) -> InputError:
            return InputError(msg, file=file, line=line_of(lines, (*path, j, key)),
                              field=f"{where}.{key}")

        if not isinstance(u, dict) or "unit" not in u:
            raise bad("unit", "each load needs 'unit' (and pax, vehicles, cargo_kg)")
        for k in u:
            if k not in ("unit", "pax", "vehicles", "cargo_kg"):
                raise bad(str(k), "unknown field for a load")
        counts: dict[str, int] = {}
        for k in ("pax", "cargo_kg"):
            v = u.get(k, 0)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise bad(k, f"expected a whole number >= 0, got {v!r}")
            counts[k] = v
        veh = u.get("vehicles") or {}
        if not isinstance(veh, dict):
            raise bad("vehicles", "expected a mapping of vehicle class to count")
        for c, n in veh.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise bad("vehicles", f"expected a whole number >= 0 for {c}, got {n!r}")
        out.append(Load(unit=str(u["unit"]), pax=counts["pax"],
                        vehicles={str(c): int(n) for c, n in veh.items() if n},
                        cargo_kg=counts["cargo_kg"]))
    return tuple(out)


def event_to_dict(e: Event, tz: tzinfo | None = None) -> dict[str, Any]:
    """An event as JSON-ready data in the file format (round-trips through parse_events)."""

    def t(x: datetime | None) -> str | None:
        return None if x is None else (x.astimezone(tz) if tz is not None else x).isoformat()

    d: dict[str, Any] = {"type": e.kind, "time": t(e.time), "reporter": e.reporter}
    for name in ("sortie", "airfield", "tail", "facility", "unit"):
        v = getattr(e, name)
        if v is not None:
            d[name] = v
    if e.from_ is not None:
        d["from"] = t(e.from_)
    if e.to is not None:
        d["to"] = t(e.to)
    if e.loads is not None:
        d["units"] = [{"unit": ld.unit, "pax": ld.pax, "vehicles": dict(ld.vehicles),
                       "cargo_kg": ld.cargo_kg} for ld in e.loads]
    if e.note:
        d["note"] = e.note
    return d


def dumps_events(events: Iterable[Event], tz: tzinfo | None = None) -> str:
    """Events as JSON text in the file format."""
    return json.dumps({"events": [event_to_dict(e, tz) for e in events]}, indent=2,
                      ensure_ascii=False) + "\n"


# --- what the events say, once validated -----------------------------------------------


@dataclass
class Facts:
    """The events boiled down: per sortie, airfield, tail, facility and unit.

    Built by :func:`validate_events`; :mod:`contingent.replan` reads only this.
    """

    departed: dict[str, Event] = field(default_factory=dict)
    arrived: dict[str, Event] = field(default_factory=dict)
    cancelled: dict[str, Event] = field(default_factory=dict)
    closures: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    unserviceable: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    handovers: dict[str, Event] = field(default_factory=dict)
    ready: dict[str, Event] = field(default_factory=dict)

    def loads_of(self, s: Sortie) -> tuple[Load, ...]:
        """The load a departed sortie really carried (the plan's unless reported)."""
        ev = self.departed.get(s.id)
        if ev is not None and ev.loads is not None:
            return ev.loads
        return s.loads

    def arrival_of(self, s: Sortie) -> datetime:
        """A departed sortie's arrival: reported, else its planned block time after departure."""
        if s.id in self.arrived:
            return self.arrived[s.id].time
        dep = self.departed[s.id].time if s.id in self.departed else s.departure
        return dep + (s.arrival - s.departure)


def handover_time(scenario: Scenario, facts: Facts, facility: str) -> datetime:
    """A facility's handover: the reported one, else the scenario's."""
    ev = facts.handovers.get(facility)
    return ev.time if ev is not None else scenario.facility[facility].handover


def validate_events(scenario: Scenario, plan: Plan, events: Sequence[Event],
                    now: datetime | None = None) -> Facts:
    """Check events against the scenario, the announced plan and each other.

    Parameters
    ----------
    scenario, plan
        The operation and the announced plan the events report on.
    events
        In the order they are applied.
    now
        When given, facts (departed, arrived, cancelled) and reports cannot be later.

    Returns
    -------
    Facts
        What the events say, indexed.

    Raises
    ------
    InputError
        Every contradiction found (the first, with the others in ``more``): an unknown
        sortie, tail, airfield, facility or unit; a sortie departed twice or after being
        cancelled; an arrival before its departure; an aircraft in two places at once or
        flying while reported unserviceable; a departure from a reported closed airfield; a
        unit leaving before its (reported) release.
    """
    errors: list[InputError] = []
    facts = Facts()
    sorties = {s.id: s for s in plan.sorties}
    phase_start = scenario.window(plan.phase).start if plan.phase in scenario.operation.phases \
        else None
    tz = scenario.operation.tz

    def t(x: datetime) -> str:
        return x.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    for e in events:
        # References first: a later check may rely on them.
        if e.sortie is not None and e.sortie not in sorties:
            errors.append(e.fail("sortie", f"unknown sortie {e.sortie!r} (not in the plan)"))
            continue
        if e.airfield is not None and e.airfield not in scenario.airfield:
            errors.append(e.fail("airfield", f"unknown airfield {e.airfield!r}"))
            continue
        if e.tail is not None and e.tail not in scenario.tail_fleet:
            errors.append(e.fail("tail", f"unknown tail {e.tail!r}"))
            continue
        if e.facility is not None and e.facility not in scenario.facility:
            errors.append(e.fail("facility", f"unknown facility {e.facility!r}"))
            continue
        if e.unit is not None and e.unit not in scenario.unit:
            errors.append(e.fail("unit", f"unknown unit {e.unit!r}"))
            continue
        if now is not None and e.kind not in ("facility_handed_over", "unit_ready_late") \
                and e.time > now:
            errors.append(e.fail("time", f"reported for {t(e.time)}, after now ({t(now)})"))
            continue
        s = sorties.get(e.sortie or "")
        if e.kind == "departed":
            assert s is not None
            if s.id in facts.departed:
                first = facts.departed[s.id]
                where = f", {first.ref}" if first.ref else ""
                errors.append(e.fail("sortie", f"sortie {s.id} already departed "
                                               f"(event {first.seq}{where})"))
                continue
            if s.id in facts.cancelled:
                errors.append(e.fail("sortie", f"sortie {s.id} was cancelled "
                                               f"(event {facts.cancelled[s.id].seq})"))
                continue
            if e.tail is not None and e.tail != s.tail:
                errors.append(e.fail("tail", f"sortie {s.id} is flown by {s.tail}, not {e.tail}"))
                continue
            if phase_start is not None and e.time < phase_start:
                errors.append(e.fail("time", f"departure {t(e.time)} is before the phase "
                                             f"start {t(phase_start)}"))
                continue
            bad = _check_loads(scenario, plan, s, e)
            if bad is not None:
                errors.append(bad)
                continue
            facts.departed[s.id] = e
        elif e.kind == "arrived":
            assert s is not None
            if s.id in facts.arrived:
                errors.append(e.fail("sortie", f"sortie {s.id} already arrived "
                                               f"(event {facts.arrived[s.id].seq})"))
                continue
            dep = facts.departed.get(s.id)
            if dep is None:
                errors.append(e.fail("sortie", f"sortie {s.id} arrived but no earlier event "
                                               "says it departed"))
                continue
            if e.time <= dep.time:
                errors.append(e.fail("time", f"arrival {t(e.time)} is not after the "
                                             f"departure {t(dep.time)} (event {dep.seq})"))
                continue
            facts.arrived[s.id] = e
        elif e.kind == "cancelled":
            assert s is not None
            if s.id in facts.departed:
                errors.append(e.fail("sortie", f"sortie {s.id} already departed "
                                               f"(event {facts.departed[s.id].seq})"))
                continue
            if s.id in facts.cancelled:
                errors.append(e.fail("sortie", f"sortie {s.id} already cancelled "
                                               f"(event {facts.cancelled[s.id].seq})"))
                continue
            facts.cancelled[s.id] = e
        elif e.kind == "airfield_closed":
            facts.closures[e.airfield or ""].append(e)
        elif e.kind == "aircraft_unserviceable":
            facts.unserviceable[e.tail or ""].append(e)
        elif e.kind == "facility_handed_over":
            if e.facility in facts.handovers:
                errors.append(e.fail("facility", f"facility {e.facility} already handed over "
                                                 f"(event {facts.handovers[e.facility].seq})"))
                continue
            facts.handovers[e.facility or ""] = e
        elif e.kind == "unit_ready_late":
            facts.ready[e.unit or ""] = e
    if not errors:
        errors += _cross_checks(scenario, plan, facts)
    if errors:
        errors[0].more = errors[1:]
        raise errors[0]
    return facts


def _check_loads(scenario: Scenario, plan: Plan, s: Sortie, e: Event) -> InputError | None:
    """A reported load must fit the sortie: lift, known units on their route, carried."""
    if e.loads is None:
        return None
    if s.kind != "lift" and any(ld.pax or ld.cargo_kg or any(ld.vehicles.values())
                                for ld in e.loads):
        return e.fail("units", f"sortie {s.id} is a positioning leg and carries nothing")
    fleet = scenario.tail_fleet.get(s.tail)
    for ld in e.loads:
        u = scenario.unit.get(ld.unit)
        if u is None:
            return e.fail("units", f"unknown unit {ld.unit!r}")
        if u.mode != "air":
            return e.fail("units", f"unit {u.id} moves by road")
        if (scenario.origin_of(u, plan.phase), scenario.destination_of(u, plan.phase)) != (
                s.origin, s.destination):
            return e.fail("units", f"unit {u.id} does not fly {s.origin} to {s.destination}")
        if fleet is not None and u.nation not in fleet.carries:
            return e.fail("units", f"fleet {fleet.id} does not carry {u.nation}")
        for c in ld.vehicles:
            if c not in u.vehicles:
                return e.fail("units", f"unit {u.id} has no {c} vehicles")
    return None


def _cross_checks(scenario: Scenario, plan: Plan, facts: Facts) -> list[InputError]:
    """Contradictions between events and the plan: chains, closures, releases, totals."""
    errors: list[InputError] = []
    tz = scenario.operation.tz

    def t(x: datetime) -> str:
        return x.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    by_tail: dict[str, list[Sortie]] = defaultdict(list)
    for s in plan.sorties:
        by_tail[s.tail].append(s)
    for tail, legs in by_tail.items():
        legs.sort(key=lambda s: (s.departure, s.id))
        fleet = scenario.tail_fleet.get(tail)
        where = fleet.base if fleet is not None else None
        free_at: datetime | None = None
        previous: Sortie | None = None
        pending: list[Sortie] = []  # earlier legs nobody reported
        for s in legs:
            if s.id in facts.cancelled:
                continue
            ev = facts.departed.get(s.id)
            if ev is None:
                pending.append(s)
                continue
            # A reported departure implies the unreported legs before it were flown as
            # announced; that is a contradiction only if they could not have landed by then.
            late = [p for p in pending if p.arrival > ev.time]
            if late:
                errors.append(ev.fail("time", f"sortie {s.id} of {tail} departed "
                                              f"{t(ev.time)}, but its earlier sortie "
                                              f"{late[0].id} (announced to land "
                                              f"{t(late[0].arrival)}) is not reported departed "
                                              "or cancelled"))
                break
            for p in pending:
                where, free_at, previous = p.destination, p.arrival, p
            pending = []
            if where is not None and s.origin != where:
                errors.append(ev.fail("sortie", f"{tail} is at {where} after "
                                                f"{previous.id if previous else 'its base'}, "
                                                f"but sortie {s.id} leaves {s.origin}"))
                break
            if free_at is not None and ev.time < free_at:
                errors.append(ev.fail("time", f"{tail} departs {s.id} at {t(ev.time)} while "
                                              f"still flying {previous.id if previous else ''} "
                                              f"(arrives {t(free_at)})"))
                break
            arr = facts.arrival_of(s)
            for us in facts.unserviceable.get(tail, ()):
                assert us.from_ is not None and us.to is not None
                if ev.time < us.to and arr > us.from_:
                    errors.append(ev.fail("sortie", f"{tail} flew {s.id} at {t(ev.time)} while "
                                                    f"reported unserviceable (event {us.seq})"))
            for aid, at, verb in ((s.origin, ev.time, "departed"),
                                  (s.destination, arr, "arrived")):
                for c in facts.closures.get(aid, ()):
                    assert c.from_ is not None and c.to is not None
                    if c.from_ <= at < c.to:
                        bad = ev if verb == "departed" else facts.arrived.get(s.id, ev)
                        errors.append(bad.fail("time", f"sortie {s.id} {verb} {aid} at "
                                                       f"{t(at)}, reported closed (event "
                                                       f"{c.seq})"))
            where, free_at, previous = s.destination, arr, s
    # Units leaving before their reported release, or more than they have.
    moved: dict[str, Counter[str]] = defaultdict(Counter)
    for sid, ev in facts.departed.items():
        s = next(x for x in plan.sorties if x.id == sid)
        for ld in facts.loads_of(s):
            u = scenario.unit.get(ld.unit)
            if u is None:
                continue
            rel = reported_release(scenario, plan.phase, facts, u.id)
            if ev.time < rel[0]:
                errors.append(ev.fail("time", f"unit {u.id} left on {sid} at {t(ev.time)}, "
                                              f"before its release {t(rel[0])}{rel[1]}"))
            tally = moved[u.id]
            tally["_pax"] += ld.pax
            tally["_cargo"] += ld.cargo_kg
            for k, n in ld.vehicles.items():
                tally[k] += n
            have = {"_pax": u.personnel, "_cargo": u.cargo_kg, **u.vehicles}
            over = [k for k in tally if tally[k] > have.get(k, 0)]
            if over:
                what = {"_pax": "personnel", "_cargo": "cargo kg"}.get(over[0], over[0])
                errors.append(ev.fail("units", f"unit {u.id} has {have.get(over[0], 0)} "
                                               f"{what}; the reports move {tally[over[0]]}"))
    return errors


def reported_release(scenario: Scenario, phase: str, facts: Facts, unit: str
                     ) -> tuple[datetime, str]:
    """A unit's release with the reported handovers and readiness, and why (for messages)."""
    u = scenario.unit[unit]
    t = scenario.window(phase).start  # type: ignore[arg-type]
    why = ""
    if u.ready is not None and u.ready > t:
        t = u.ready
    if unit in facts.ready and facts.ready[unit].time > t:
        t, why = facts.ready[unit].time, f" (event {facts.ready[unit].seq})"
    if phase == "withdrawal":
        for fid in scenario.unit_facilities.get(unit, ()):
            h = handover_time(scenario, facts, fid)
            if h > t:
                t = h
                ev = facts.handovers.get(fid)
                why = f" (facility {fid} handed over, event {ev.seq})" if ev else \
                    f" (facility {fid} handover)"
    return t, why


def minutes_between(a: datetime, b: datetime) -> int:
    """Whole minutes from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    return int((b - a) / timedelta(minutes=1))


__all__ = [
    "EVENT_KINDS", "Event", "EventKind", "Facts", "dumps_events", "event_to_dict",
    "handover_time", "loads_events", "parse_events", "read_events", "reported_release",
    "validate_events",
]
