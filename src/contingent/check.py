"""The independent plan checker: does a plan keep every rule of its scenario?

The checker re-derives every rule from the scenario and the plain plan alone. It shares the
scenario's physics (block times, road timing, release times, rule windows) but never the
planner's code or solver, so a planner bug cannot hide behind itself. See ``docs/rules.md``.

A plan may be hand-made and wrong in any way: unknown tails, airfields, units or vehicle
classes are reported under ``reference`` and only the checks that need the missing item are
skipped for that sortie, load or road move.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from contingent.planfile import Load, Plan, RoadMove, Sortie
from contingent.scenario.model import (
    Fleet,
    Phase,
    PhaseWindow,
    Rule,
    Scenario,
    Unit,
    block_minutes,
    road_end,
)

log = logging.getLogger(__name__)

_SPACE_TOLERANCE_M = 1e-6

RULES: dict[str, str] = {
    "reference": "everything the plan names exists in the scenario and fits together",
    "block-time": "each sortie lasts at least its block time",
    "tail-chain": "each tail starts at its base, flies a connected chain and turns around",
    "fleet-availability": "each sortie lies inside its fleet's availability",
    "capacity": "each sortie keeps to its seats, vehicle space and payload",
    "carriage": "fleets carry only their nations; positioning is empty, lifts are not",
    "routing": "air units fly from their origin to their destination; road units never fly",
    "completeness": "every unit is moved whole, exactly once, by its own mode",
    "phase-window": "nothing starts before the phase window opens",
    "deadline": "every lift and road move ends by the phase deadline",
    "daily-cap": "departures per day keep to airfield and cap-group limits",
    "ground": "aircraft on the ground keep to each airfield's limit",
    "hours": "departures and arrivals fall in opening hours and outside closures",
    "release": "no unit moves before its release (phase start, readiness, handovers)",
    "coverage": "facilities keep their guard strength until handover (withdrawal)",
    "order": "the scenario's order rules (fly_within, before, road) hold",
    "road": "road moves follow a route, carry their own nation's units and take long enough",
    "reporting": "the plan's completion and per-nation times match its moves",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    rule
        Rule id, a key of :data:`RULES`.
    subject
        What breaks it, e.g. ``sortie S12`` or ``airfield UAAA on 2022-01-14``.
    message
        One line with the numbers.
    """

    rule: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Everything the rules share, built once per check."""

    scenario: Scenario
    plan: Plan
    phase: Phase
    window: PhaseWindow | None  # None when the scenario lacks the plan's phase
    tz: ZoneInfo
    legs: Mapping[str, tuple[Sortie, ...]]  # known tails -> their sorties by departure
    loads: tuple[tuple[Sortie, Load, Unit], ...]  # every load of a known unit

    def t(self, dt: datetime | None) -> str:
        """A time for a message, in theatre time."""
        return "none" if dt is None else dt.astimezone(self.tz).isoformat(timespec="minutes")

    def fleet_of(self, s: Sortie) -> Fleet | None:
        return self.scenario.tail_fleet.get(s.tail)

    def unit(self, uid: str) -> Unit | None:
        return self.scenario.unit.get(uid)

    def move_units(self, r: RoadMove) -> list[Unit]:
        return [u for uid in r.units if (u := self.unit(uid)) is not None]

    def sortie_nations(self, s: Sortie) -> set[str]:
        out = set()
        for ld in s.loads:
            u = self.unit(ld.unit)
            if u is not None:
                out.add(u.nation)
        return out

    def move_nations(self, r: RoadMove) -> set[str]:
        # Known units say who is really on the road; the move's own label is the fallback.
        return {u.nation for u in self.move_units(r)} or {r.nation}


def _context(scenario: Scenario, plan: Plan) -> _Ctx:
    legs: dict[str, list[Sortie]] = defaultdict(list)
    for s in plan.sorties:
        if s.tail in scenario.tail_fleet:
            legs[s.tail].append(s)
    loads = tuple(
        (s, ld, scenario.unit[ld.unit])
        for s in plan.sorties for ld in s.loads if ld.unit in scenario.unit
    )
    return _Ctx(
        scenario=scenario,
        plan=plan,
        phase=plan.phase,
        window=scenario.operation.phases.get(plan.phase),
        tz=scenario.operation.tz,
        legs={
            tail: tuple(sorted(ss, key=lambda s: (s.departure, s.arrival, s.id)))
            for tail, ss in sorted(legs.items())
        },
        loads=loads,
    )


def _minutes(td_seconds: float) -> str:
    m = td_seconds / 60
    return f"{m:g}" if m != int(m) else str(int(m))


# --- 1. reference -----------------------------------------------------------------------


def _check_reference(ctx: _Ctx) -> Iterator[Violation]:
    sc, plan = ctx.scenario, ctx.plan
    if ctx.window is None:
        yield Violation("reference", "plan",
                        f"phase {plan.phase!r} is not in scenario {sc.scenario}")
    for s in plan.sorties:
        subj = f"sortie {s.id}"
        if s.aircraft_type not in sc.aircraft_type:
            yield Violation("reference", subj, f"unknown aircraft type {s.aircraft_type!r}")
        fleet = ctx.fleet_of(s)
        if fleet is None:
            yield Violation("reference", subj, f"unknown tail {s.tail!r}")
        else:
            if fleet.type != s.aircraft_type:
                yield Violation("reference", subj, f"tail {s.tail} is a {fleet.type}, "
                                                   f"not a {s.aircraft_type}")
            if s.operator and s.operator != fleet.operator:
                yield Violation("reference", subj, f"operator {s.operator} but tail {s.tail} "
                                                   f"belongs to {fleet.operator}")
        for end in (s.origin, s.destination):
            if end not in sc.airfield:
                yield Violation("reference", subj, f"unknown airfield {end!r}")
        if s.origin == s.destination:
            yield Violation("reference", subj, f"origin and destination are both {s.origin}")
        for ld in s.loads:
            if ld.unit not in sc.unit:
                yield Violation("reference", subj, f"unknown unit {ld.unit!r}")
            for c in sorted(ld.vehicles):
                if c not in sc.vehicle_class:
                    yield Violation("reference", subj,
                                    f"unknown vehicle class {c!r} (unit {ld.unit})")
    for r in plan.road_moves:
        for uid in r.units:
            if uid not in sc.unit:
                yield Violation("reference", f"road move {r.id}", f"unknown unit {uid!r}")


# --- 2. block-time ----------------------------------------------------------------------


def _check_block_time(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    for s in ctx.plan.sorties:
        if (s.aircraft_type not in sc.aircraft_type or s.origin not in sc.airfield
                or s.destination not in sc.airfield):
            continue
        need = block_minutes(sc, s.aircraft_type, s.origin, s.destination)
        got = (s.arrival - s.departure).total_seconds()
        if got < need * 60:
            yield Violation(
                "block-time", f"sortie {s.id}",
                f"block {_minutes(got)} min, needs {need} min "
                f"({s.aircraft_type} {s.origin}->{s.destination})",
            )


# --- 3. tail-chain ----------------------------------------------------------------------


def _check_tail_chain(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    for tail, legs in ctx.legs.items():
        fleet = sc.tail_fleet[tail]
        atype = sc.aircraft_type.get(fleet.type)
        turn = atype.turnaround_min if atype is not None else 0
        subj = f"tail {tail}"
        first = legs[0]
        if first.origin != fleet.base:
            yield Violation("tail-chain", subj,
                            f"first sortie {first.id} leaves {first.origin}, base is {fleet.base}")
        for prev, nxt in pairwise(legs):
            if nxt.origin != prev.destination:
                yield Violation(
                    "tail-chain", subj,
                    f"sortie {nxt.id} leaves {nxt.origin} but {prev.id} arrived at "
                    f"{prev.destination}",
                )
            gap = (nxt.departure - prev.arrival).total_seconds()
            if gap < turn * 60:
                yield Violation(
                    "tail-chain", subj,
                    f"sortie {nxt.id} departs {_minutes(gap)} min after {prev.id} arrives, "
                    f"turnaround {turn} min",
                )


# --- 4. fleet-availability --------------------------------------------------------------


def _check_fleet_availability(ctx: _Ctx) -> Iterator[Violation]:
    for s in ctx.plan.sorties:
        fleet = ctx.fleet_of(s)
        if fleet is None:
            continue
        if fleet.available_from is not None and s.departure < fleet.available_from:
            yield Violation(
                "fleet-availability", f"sortie {s.id}",
                f"departs {ctx.t(s.departure)}, fleet {fleet.id} available from "
                f"{ctx.t(fleet.available_from)}",
            )
        if fleet.available_until is not None and s.arrival > fleet.available_until:
            yield Violation(
                "fleet-availability", f"sortie {s.id}",
                f"arrives {ctx.t(s.arrival)}, fleet {fleet.id} available until "
                f"{ctx.t(fleet.available_until)}",
            )


# --- 5. capacity ------------------------------------------------------------------------


def _check_capacity(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    per_pax = sc.operation.personnel_mass_kg
    for s in ctx.plan.sorties:
        atype = sc.aircraft_type.get(s.aircraft_type)
        if atype is None:
            continue
        subj = f"sortie {s.id}"
        pax = s.pax
        if pax > atype.seats:
            yield Violation("capacity", subj, f"{pax} pax, {atype.seats} seats")
        space = 0.0
        mass = pax * per_pax + s.cargo_kg
        for c, n in sorted(s.vehicles.items()):
            vc = sc.vehicle_class.get(c)
            if vc is None or n == 0:
                continue  # unknown classes are a reference problem
            mass += n * vc.mass_kg
            if atype.id not in vc.space_m:
                yield Violation("capacity", subj,
                                f"vehicle class {c} has no space figure for {atype.id}")
                continue
            space += n * vc.space_m[atype.id]
        if space > atype.vehicle_space_m + _SPACE_TOLERANCE_M:
            yield Violation("capacity", subj,
                            f"vehicles take {space:g} m, hold {atype.vehicle_space_m:g} m")
        if mass > atype.payload_kg:
            yield Violation("capacity", subj, f"mass {mass} kg, payload {atype.payload_kg} kg")


# --- 6. carriage ------------------------------------------------------------------------


def _carries_something(s: Sortie) -> bool:
    return s.pax > 0 or s.cargo_kg > 0 or any(n > 0 for n in s.vehicles.values())


def _check_carriage(ctx: _Ctx) -> Iterator[Violation]:
    for s in ctx.plan.sorties:
        subj = f"sortie {s.id}"
        if s.kind == "positioning" and _carries_something(s):
            yield Violation("carriage", subj,
                            f"positioning leg carries {s.pax} pax, "
                            f"{sum(s.vehicles.values())} vehicles, {s.cargo_kg} kg cargo")
        if s.kind == "lift" and not _carries_something(s):
            yield Violation("carriage", subj, "lift carries nothing")
        fleet = ctx.fleet_of(s)
        if fleet is None:
            continue
        for ld in s.loads:
            u = ctx.unit(ld.unit)
            if u is not None and u.nation not in fleet.carries:
                yield Violation(
                    "carriage", subj,
                    f"unit {u.id} is {u.nation}; fleet {fleet.id} carries "
                    f"{', '.join(fleet.carries)}",
                )


# --- 7. routing -------------------------------------------------------------------------


def _check_routing(ctx: _Ctx) -> Iterator[Violation]:
    sc, phase = ctx.scenario, ctx.phase
    for s, _ld, u in ctx.loads:
        subj = f"sortie {s.id}"
        if u.mode == "road":
            yield Violation("routing", subj, f"road unit {u.id} rides a sortie")
            continue
        frm, to = sc.origin_of(u, phase), sc.destination_of(u, phase)
        if (s.origin, s.destination) != (frm, to):
            yield Violation(
                "routing", subj,
                f"carries unit {u.id} {s.origin}->{s.destination}, it moves {frm}->{to}",
            )


# --- 8. completeness --------------------------------------------------------------------


def _check_completeness(ctx: _Ctx) -> Iterator[Violation]:
    pax: Counter[str] = Counter()
    cargo: Counter[str] = Counter()
    vehicles: dict[str, Counter[str]] = defaultdict(Counter)
    for _s, ld, u in ctx.loads:
        pax[u.id] += ld.pax
        cargo[u.id] += ld.cargo_kg
        for c, n in ld.vehicles.items():
            vehicles[u.id][c] += n
    road_count: Counter[str] = Counter()
    for r in ctx.plan.road_moves:
        for u in ctx.move_units(r):
            road_count[u.id] += 1
            if u.mode == "air":
                yield Violation("completeness", f"unit {u.id}",
                                f"air unit is in road move {r.id}")
    for u in ctx.scenario.units:
        subj = f"unit {u.id}"
        if u.mode == "road":
            if road_count[u.id] != 1:
                yield Violation("completeness", subj,
                                f"road unit is in {road_count[u.id]} road moves, needs 1")
            continue
        problems = []
        for what, want, got in (
            ("personnel", u.personnel, pax[u.id]),
            *((c, u.vehicles.get(c, 0), vehicles[u.id][c])
              for c in sorted(set(u.vehicles) | set(vehicles[u.id]))),
            ("cargo kg", u.cargo_kg, cargo[u.id]),
        ):
            if got < want:
                problems.append(f"{what} {got} of {want} ({want - got} missing)")
            elif got > want:
                problems.append(f"{what} {got} of {want} ({got - want} extra)")
        if problems:
            yield Violation("completeness", subj, "; ".join(problems))


# --- 9. phase-window --------------------------------------------------------------------


def _check_phase_window(ctx: _Ctx) -> Iterator[Violation]:
    if ctx.window is None:
        return
    start = ctx.window.start
    for s in ctx.plan.sorties:
        if s.departure < start:
            yield Violation("phase-window", f"sortie {s.id}",
                            f"departs {ctx.t(s.departure)}, phase starts {ctx.t(start)}")
    for r in ctx.plan.road_moves:
        if r.start < start:
            yield Violation("phase-window", f"road move {r.id}",
                            f"starts {ctx.t(r.start)}, phase starts {ctx.t(start)}")


# --- 10. deadline -----------------------------------------------------------------------


def _check_deadline(ctx: _Ctx) -> Iterator[Violation]:
    if ctx.window is None or ctx.window.deadline is None:
        return
    dl = ctx.window.deadline
    for s in ctx.plan.lifts:
        if s.arrival > dl:
            yield Violation("deadline", f"sortie {s.id}",
                            f"arrives {ctx.t(s.arrival)}, deadline {ctx.t(dl)}")
    for r in ctx.plan.road_moves:
        if r.end > dl:
            yield Violation("deadline", f"road move {r.id}",
                            f"ends {ctx.t(r.end)}, deadline {ctx.t(dl)}")


# --- 11. daily-cap ----------------------------------------------------------------------


def _check_daily_cap(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    # Airfield caps count local calendar days; group caps count theatre days.
    per_airfield: Counter[tuple[str, str]] = Counter()
    per_group: Counter[tuple[str, str]] = Counter()
    for s in ctx.plan.sorties:
        a = sc.airfield.get(s.origin)
        if a is None:
            continue
        if a.departure_cap_per_day is not None:
            day = s.departure.astimezone(sc.tz(a.id)).date().isoformat()
            per_airfield[a.id, day] += 1
        for g in sc.cap_groups_of(a.id):
            per_group[g.id, s.departure.astimezone(ctx.tz).date().isoformat()] += 1
    for (aid, day), n in sorted(per_airfield.items()):
        cap = sc.airfield[aid].departure_cap_per_day
        if cap is not None and n > cap:
            yield Violation("daily-cap", f"airfield {aid} on {day}",
                            f"{n} departures, cap {cap}")
    groups = {g.id: g for g in sc.cap_groups}
    for (gid, day), n in sorted(per_group.items()):
        cap = groups[gid].departure_cap_per_day
        if n > cap:
            yield Violation("daily-cap", f"group {gid} on {day}", f"{n} departures, cap {cap}")


# --- 12. ground -------------------------------------------------------------------------


def _check_ground(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    # A stay is [arrival, next departure), open-ended after the last leg; time at the base
    # before the first leg is not counted, as the base apron is not the operation's.
    events: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for legs in ctx.legs.values():
        for i, s in enumerate(legs):
            a = sc.airfield.get(s.destination)
            if a is None or a.max_on_ground is None:
                continue
            leave = legs[i + 1].departure if i + 1 < len(legs) else None
            if leave is not None and leave <= s.arrival:
                continue  # no stay; a broken chain is tail-chain's business
            events[a.id].append((s.arrival, 1))
            if leave is not None:
                events[a.id].append((leave, -1))
    for aid, evs in sorted(events.items()):
        limit = sc.airfield[aid].max_on_ground
        assert limit is not None
        by_time: Counter[datetime] = Counter()
        for t, d in evs:
            by_time[t] += d
        count, first, peak, peak_at = 0, None, 0, None
        for t in sorted(by_time):
            # Every change at one instant applies together: that is what half-open means.
            count += by_time[t]
            if count > limit and first is None:
                first = t
            if count > peak:
                peak, peak_at = count, t
        if first is not None:
            yield Violation(
                "ground", f"airfield {aid}",
                f"{peak} aircraft on the ground at {ctx.t(peak_at)}, max {limit} "
                f"(first exceeded at {ctx.t(first)})",
            )


# --- 13. hours --------------------------------------------------------------------------


def _check_hours(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    for s in ctx.plan.sorties:
        for verb, aid, t in (("departs", s.origin, s.departure),
                             ("arrives", s.destination, s.arrival)):
            a = sc.airfield.get(aid)
            if a is None:
                continue
            subj = f"sortie {s.id}"
            if a.hours is not None:
                loc = t.astimezone(sc.tz(aid))
                m = loc.hour * 60 + loc.minute + (loc.second + loc.microsecond / 1e6) / 60
                if not a.hours.open_min <= m <= a.hours.close_min:
                    yield Violation(
                        "hours", subj,
                        f"{verb} {aid} at {loc.strftime('%Y-%m-%d %H:%M')} local, "
                        f"open {a.hours.open}-{a.hours.close}",
                    )
            for c in a.closures:
                if c.from_ <= t < c.to:
                    why = f" ({c.reason})" if c.reason else ""
                    yield Violation(
                        "hours", subj,
                        f"{verb} {aid} at {ctx.t(t)}, closed {ctx.t(c.from_)} to "
                        f"{ctx.t(c.to)}{why}",
                    )


# --- 14. release ------------------------------------------------------------------------


def _check_release(ctx: _Ctx) -> Iterator[Violation]:
    if ctx.window is None:
        return
    sc, phase = ctx.scenario, ctx.phase
    for s, _ld, u in ctx.loads:
        rel = sc.release(u, phase)
        if s.departure < rel:
            yield Violation("release", f"sortie {s.id}",
                            f"carries unit {u.id} at {ctx.t(s.departure)}, "
                            f"released {ctx.t(rel)}")
    for r in ctx.plan.road_moves:
        for u in ctx.move_units(r):
            rel = sc.release(u, phase)
            if r.start < rel:
                yield Violation("release", f"road move {r.id}",
                                f"moves unit {u.id} at {ctx.t(r.start)}, released {ctx.t(rel)}")


# --- 15. coverage -----------------------------------------------------------------------


def _check_coverage(ctx: _Ctx) -> Iterator[Violation]:
    if ctx.phase != "withdrawal" or not ctx.scenario.facilities:
        return
    # Each unit's departures: (time, personnel leaving); a road move takes everyone.
    leaving: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for s, ld, u in ctx.loads:
        leaving[u.id].append((s.departure, ld.pax))
    for r in ctx.plan.road_moves:
        for u in ctx.move_units(r):
            leaving[u.id].append((r.start, u.personnel))
    instants = sorted({s.departure for s in ctx.plan.sorties}
                      | {r.start for r in ctx.plan.road_moves})

    def present(uid: str, at: datetime) -> int:
        u = ctx.scenario.unit.get(uid)
        if u is None:
            return 0
        gone = sum(n for t, n in leaving[uid] if t <= at)
        return max(0, u.personnel - gone)

    for f in ctx.scenario.facilities:
        for at in instants:
            if at >= f.handover:
                break
            strength = sum(min(g.personnel, present(g.unit, at)) for g in f.guards)
            if strength < f.guard_required:
                yield Violation(
                    "coverage", f"facility {f.id}",
                    f"guard {strength} at {ctx.t(at)}, required {f.guard_required} "
                    f"until handover {ctx.t(f.handover)}",
                )
                break  # the first gap says enough


# --- 16. order --------------------------------------------------------------------------


def _departures(ctx: _Ctx, nations: Iterable[str]) -> list[tuple[datetime, str]]:
    """Departures (lift or road move start) carrying any of ``nations``, with a label."""
    want = set(nations)
    out = [(s.departure, f"sortie {s.id}") for s in ctx.plan.lifts
           if ctx.sortie_nations(s) & want]
    out += [(r.start, f"road move {r.id}") for r in ctx.plan.road_moves
            if ctx.move_nations(r) & want]
    return out


def _rule_label(rule: Rule) -> str:
    return f" ({rule.note})" if rule.note else ""


def _check_order(ctx: _Ctx) -> Iterator[Violation]:
    sc = ctx.scenario
    air_nations = {u.nation for u in sc.units if u.mode == "air"}
    for rule in sc.rules_for(ctx.phase):
        if rule.kind == "fly_within":
            lo, hi = sc.rule_window(rule)
            want = set(rule.nations) or air_nations
            # A day is [00:00, next 00:00); explicit bounds include both ends.
            end_open = rule.day is not None
            for s in ctx.plan.lifts:
                hit = sorted(ctx.sortie_nations(s) & want)
                if not hit:
                    continue
                t = s.departure
                late = hi is not None and (t >= hi if end_open else t > hi)
                if (lo is not None and t < lo) or late:
                    span = f"[{ctx.t(lo)}, {ctx.t(hi)}{')' if end_open else ']'}"
                    yield Violation(
                        "order", f"sortie {s.id}",
                        f"carries {', '.join(hit)}, departs {ctx.t(t)}, outside "
                        f"{span}{_rule_label(rule)}",
                    )
        elif rule.kind == "before":
            firsts, thens = _departures(ctx, rule.first), _departures(ctx, rule.then)
            if not firsts or not thens:
                continue
            last, first = max(firsts), min(thens)
            if not last[0] < first[0]:
                yield Violation(
                    "order",
                    f"nations {','.join(rule.first)} before {','.join(rule.then)}",
                    f"last {','.join(rule.first)} departure {ctx.t(last[0])} ({last[1]}) is "
                    f"not before first {','.join(rule.then)} departure {ctx.t(first[0])} "
                    f"({first[1]}){_rule_label(rule)}",
                )
        elif rule.kind == "road":
            flown: dict[str, list[str]] = defaultdict(list)
            for s, _ld, u in ctx.loads:
                if u.nation in rule.nations:
                    flown[u.id].append(s.id)
            for uid, sids in sorted(flown.items()):
                yield Violation(
                    "order", f"unit {uid}",
                    f"nation {sc.unit[uid].nation} moves by road, but the unit rides "
                    f"sortie {', '.join(sids)}{_rule_label(rule)}",
                )


# --- 17. road ---------------------------------------------------------------------------


def _check_road(ctx: _Ctx) -> Iterator[Violation]:
    sc, phase = ctx.scenario, ctx.phase
    for r in ctx.plan.road_moves:
        subj = f"road move {r.id}"
        route = sc.route.get((r.from_, r.to)) or sc.route.get((r.to, r.from_))
        if route is None:
            yield Violation("road", subj, f"no road route joins {r.from_} and {r.to}")
        for u in ctx.move_units(r):
            frm, to = sc.origin_of(u, phase), sc.destination_of(u, phase)
            if (r.from_, r.to) != (frm, to):
                yield Violation("road", subj,
                                f"moves unit {u.id} {r.from_}->{r.to}, it moves {frm}->{to}")
            if u.nation != r.nation:
                yield Violation("road", subj,
                                f"unit {u.id} is {u.nation}, the move is {r.nation}")
        if route is not None:
            earliest = road_end(route, r.start, ctx.tz)
            if r.end < earliest:
                yield Violation(
                    "road", subj,
                    f"ends {ctx.t(r.end)}, route {route.id} from {ctx.t(r.start)} ends "
                    f"{ctx.t(earliest)} at the earliest",
                )


# --- 18. reporting ----------------------------------------------------------------------


def _check_reporting(ctx: _Ctx) -> Iterator[Violation]:
    plan = ctx.plan
    ends = [s.arrival for s in plan.lifts] + [r.end for r in plan.road_moves]
    if plan.completion is not None:
        last = max(ends, default=None)
        if last is None:
            yield Violation("reporting", "plan",
                            f"completion {ctx.t(plan.completion)} but nothing moves")
        elif plan.completion != last:
            yield Violation("reporting", "plan",
                            f"completion {ctx.t(plan.completion)}, last arrival {ctx.t(last)}")
    if not plan.nations:
        return
    last_of: dict[str, datetime] = {}

    def note(n: str, t: datetime) -> None:
        if n not in last_of or t > last_of[n]:
            last_of[n] = t

    for s in plan.lifts:
        for n in ctx.sortie_nations(s):
            note(n, s.arrival)
    for r in plan.road_moves:
        for n in ctx.move_nations(r):
            note(n, r.end)
    for n in sorted(set(plan.nations) | set(ctx.scenario.nations)):
        subj = f"nation {n}"
        given, actual = plan.nations.get(n), last_of.get(n)
        if given is None:
            seen = "the nation does not move" if actual is None else f"last arrival {ctx.t(actual)}"
            yield Violation("reporting", subj, f"no completion given; {seen}")
        elif actual is None:
            yield Violation("reporting", subj,
                            f"completion {ctx.t(given)} but the nation does not move")
        elif given != actual:
            yield Violation("reporting", subj,
                            f"completion {ctx.t(given)}, last arrival {ctx.t(actual)}")


# --- driver -----------------------------------------------------------------------------

_CHECKS: dict[str, Callable[[_Ctx], Iterator[Violation]]] = {
    "reference": _check_reference,
    "block-time": _check_block_time,
    "tail-chain": _check_tail_chain,
    "fleet-availability": _check_fleet_availability,
    "capacity": _check_capacity,
    "carriage": _check_carriage,
    "routing": _check_routing,
    "completeness": _check_completeness,
    "phase-window": _check_phase_window,
    "deadline": _check_deadline,
    "daily-cap": _check_daily_cap,
    "ground": _check_ground,
    "hours": _check_hours,
    "release": _check_release,
    "coverage": _check_coverage,
    "order": _check_order,
    "road": _check_road,
    "reporting": _check_reporting,
}
assert list(_CHECKS) == list(RULES)

_RANK = {rule: i for i, rule in enumerate(RULES)}
_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[str | int, ...]:
    # "sortie S2" before "sortie S10"; split() alternates text and digits, so it compares.
    return tuple(int(p) if i % 2 else p for i, p in enumerate(_DIGITS.split(text)))


def check(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Check a plan against every rule of its scenario.

    Parameters
    ----------
    scenario
        The scenario the plan is for.
    plan
        A plan from the planner or made by hand; it may name things the scenario lacks.

    Returns
    -------
    list of Violation
        Every violation found, sorted by rule (in :data:`RULES` order), then subject; empty
        when the plan keeps every rule.
    """
    ctx = _context(scenario, plan)
    found = [v for fn in _CHECKS.values() for v in fn(ctx)]
    found.sort(key=lambda v: (_RANK[v.rule], _natural(v.subject), _natural(v.message)))
    log.debug("checked %s %s plan: %d sorties, %d road moves, %d violations",
              scenario.scenario, plan.phase, len(plan.sorties), len(plan.road_moves),
              len(found))
    return found


__all__ = ["RULES", "Violation", "check"]
