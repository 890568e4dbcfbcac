"""Re-planning from reported events: fix what has happened, re-plan the rest with few changes.

:func:`replan` takes the scenario, the announced plan, the events and "now":

1. The events are validated (:func:`contingent.events.validate_events`); a contradiction is
   refused whole.
2. History is fixed: sorties reported departed keep their reported times and loads; a sortie
   announced before now with no report is assumed flown as announced, unless the events make
   that impossible (its tail's chain is broken, a unit on board was not yet released, an
   airfield was closed, the aircraft was unserviceable, a ``before`` rule would break).
3. What is left (loads not departed, tails where they are, handovers and readiness as
   reported, closures) becomes a derived scenario that starts at now.
4. Two candidates are built for the rest: *shift*, the announced sorties kept on their tails
   and routes and pushed later only as far as the events require; and *re-plan*, the planner
   run on the derived scenario. Each must pass the checker on the derived scenario and, merged
   with history, add no violation of the scenario as reported. The candidate with the lower
   cost wins: minutes to completion plus ``move_cost`` minutes per changed sortie.
5. Every moved, added, cancelled or re-loaded sortie names the events that caused it.

See ``docs/events.md``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

from contingent.check import Violation, check
from contingent.errors import InputError
from contingent.events import (
    Event,
    Facts,
    event_to_dict,
    handover_time,
    validate_events,
)
from contingent.planfile import Handover, Load, Plan, RoadMove, Sortie, plan_to_dict
from contingent.scenario.model import (
    Airfield,
    Closure,
    Facility,
    Fleet,
    Guard,
    Phase,
    PhaseWindow,
    Scenario,
    Unit,
    road_end,
)

log = logging.getLogger(__name__)

ChangeKind = Literal["moved", "added", "cancelled", "reloaded"]
DEFAULT_MOVE_COST = 60  # minutes of completion one changed sortie is worth


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortieChange:
    """One sortie that differs between two plans.

    ``moved``: same tail and route, other times; ``reloaded``: same times, other load;
    ``added`` / ``cancelled``: in one plan only. ``reason`` names the events behind it.
    """

    change: ChangeKind
    sortie: str  # the new plan's id (the old one's for a cancelled sortie)
    was: str | None
    kind: str
    tail: str
    origin: str
    destination: str
    old_departure: datetime | None
    new_departure: datetime | None
    minutes: int | None = None  # how far the departure moved
    reloaded: bool = False
    events: tuple[int, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NationChange:
    """A nation's completion in the old and the new plan."""

    nation: str
    old: datetime | None
    new: datetime | None

    @property
    def minutes(self) -> int | None:
        """New minus old, whole minutes."""
        if self.old is None or self.new is None:
            return None
        return round((self.new - self.old).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """What changed from one plan to another."""

    changes: tuple[SortieChange, ...]
    nations: tuple[NationChange, ...]
    old_completion: datetime | None
    new_completion: datetime | None
    unchanged: int

    def count(self, kind: ChangeKind) -> int:
        """How many changes of one kind."""
        return sum(1 for c in self.changes if c.change == kind)

    @property
    def completion_minutes(self) -> int | None:
        """New completion minus old, whole minutes."""
        if self.old_completion is None or self.new_completion is None:
            return None
        return round((self.new_completion - self.old_completion).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class Replan(Plan):
    """A re-plan: a :class:`Plan` for the whole phase plus how it came about.

    Attributes
    ----------
    now
        The instant the re-plan starts from.
    strategy
        ``kept`` (nothing to change), ``shifted`` (announced sorties moved later),
        ``replanned`` (the planner re-optimised the rest) or ``none`` (no valid re-plan).
    fixed
        Ids of sorties that have happened (reported or assumed) and were not re-planned.
    assumed
        Those of ``fixed`` that nobody reported: assumed flown as announced.
    changes
        Moved, added, cancelled and re-loaded sorties against the announced plan, with reasons.
    events
        The events applied, in order.
    warnings
        Things a planner should know (e.g. a rule history has already broken).
    """

    now: datetime | None = None
    strategy: str = ""
    fixed: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()
    changes: tuple[SortieChange, ...] = ()
    events: tuple[Event, ...] = ()
    warnings: tuple[str, ...] = ()
    move_cost: int = DEFAULT_MOVE_COST
    assume_flown: bool = True
    based_on: Plan | None = None

    @property
    def diff(self) -> PlanDiff:
        """The change against the announced plan."""
        assert self.based_on is not None
        return diff_plans(self.based_on, self, self.changes)


# --- diff -------------------------------------------------------------------------------


def _load_key(loads: Iterable[Load]) -> tuple[Any, ...]:
    return tuple(sorted((ld.unit, ld.pax, tuple(sorted((k, v) for k, v in ld.vehicles.items()
                                                      if v)), ld.cargo_kg) for ld in loads))


def _route(s: Sortie) -> tuple[str, str, str, str]:
    return (s.tail, s.kind, s.origin, s.destination)


def match_sorties(old: Sequence[Sortie], new: Sequence[Sortie]
                  ) -> tuple[list[tuple[Sortie, Sortie]], list[Sortie], list[Sortie]]:
    """Pair the sorties of two plans: by id on the same tail and route, then by tail and route
    in departure order. Returns the pairs, the old sorties left over and the new ones."""
    return _match(old, new, set(), set())


def _match(old: Sequence[Sortie], new: Sequence[Sortie], alone_old: set[str],
           alone_new: set[str]) -> tuple[list[tuple[Sortie, Sortie]], list[Sortie], list[Sortie]]:
    new_by_id = {s.id: s for s in new}
    pairs: list[tuple[Sortie, Sortie]] = []
    used_old: set[str] = set(alone_old)
    used_new: set[str] = set(alone_new)
    for o in old:
        n = new_by_id.get(o.id)
        if n is not None and _route(n) == _route(o) and n.id not in used_new \
                and o.id not in used_old:
            pairs.append((o, n))
            used_old.add(o.id)
            used_new.add(n.id)
    left_old: dict[tuple[str, str, str, str], list[Sortie]] = defaultdict(list)
    for o in sorted(old, key=lambda s: (s.departure, s.id)):
        if o.id not in used_old:
            left_old[_route(o)].append(o)
    for n in sorted(new, key=lambda s: (s.departure, s.id)):
        if n.id in used_new:
            continue
        cands = left_old.get(_route(n))
        if cands:
            o = cands.pop(0)
            pairs.append((o, n))
            used_old.add(o.id)
            used_new.add(n.id)
    paired_old = {o.id for o, _ in pairs}
    paired_new = {n.id for _, n in pairs}
    return (pairs, [o for o in old if o.id not in paired_old],
            [n for n in new if n.id not in paired_new])


def diff_plans(old: Plan, new: Plan, reasons: Iterable[SortieChange] = ()) -> PlanDiff:
    """Moved, added, cancelled and re-loaded sorties from ``old`` to ``new``.

    ``reasons`` are changes already explained (a re-plan's own); their events and reasons are
    copied onto the matching changes found here.
    """
    known = {(c.change, c.sortie): c for c in reasons}
    # A sortie explained as cancelled or added stays so, even if another shares its route.
    pairs, gone, came = _match(old.sorties, new.sorties,
                               {c.sortie for c in known.values() if c.change == "cancelled"},
                               {c.sortie for c in known.values() if c.change == "added"})
    out: list[SortieChange] = []
    unchanged = 0
    for o, n in pairs:
        moved = o.departure != n.departure or o.arrival != n.arrival
        reloaded = _load_key(o.loads) != _load_key(n.loads)
        if not moved and not reloaded:
            unchanged += 1
            continue
        kind: ChangeKind = "moved" if moved else "reloaded"
        why = known.get((kind, n.id))
        out.append(SortieChange(
            kind, n.id, o.id, n.kind, n.tail, n.origin, n.destination, o.departure,
            n.departure, round((n.departure - o.departure).total_seconds() / 60), reloaded,
            why.events if why else (), why.reason if why else ""))
    for n in came:
        why = known.get(("added", n.id))
        out.append(SortieChange("added", n.id, None, n.kind, n.tail, n.origin, n.destination,
                                None, n.departure, None, False,
                                why.events if why else (), why.reason if why else ""))
    for o in gone:
        why = known.get(("cancelled", o.id))
        out.append(SortieChange("cancelled", o.id, o.id, o.kind, o.tail, o.origin,
                                o.destination, o.departure, None, None, False,
                                why.events if why else (), why.reason if why else ""))
    order = {"moved": 0, "reloaded": 1, "added": 2, "cancelled": 3}
    out.sort(key=lambda c: (order[c.change], c.new_departure or c.old_departure, c.sortie))
    nations = tuple(
        NationChange(n, old.nations.get(n), new.nations.get(n))
        for n in sorted(set(old.nations) | set(new.nations))
    )
    return PlanDiff(tuple(out), nations, old.completion, new.completion, unchanged)


# --- the state after the events ---------------------------------------------------------


@dataclass
class _TailState:
    tail: str
    fleet: Fleet
    where: str
    free_at: datetime  # may depart from here on (turnaround done)
    flown: bool  # has history legs (then it counts on the apron where it is)
    available_from: datetime
    available_until: datetime | None


@dataclass
class _State:
    """Everything both candidates share."""

    scenario: Scenario
    actual: Scenario  # the scenario as reported: handovers, readiness, closures
    plan: Plan
    phase: Phase
    facts: Facts
    events: tuple[Event, ...]
    now: datetime
    start: datetime  # the rest starts here: max(now, phase start)
    history: list[Sortie]  # fixed sorties, with reported times and loads
    history_roads: list[RoadMove]
    assumed: set[str]
    pending: list[Sortie]  # announced, neither flown nor cancelled, in departure order
    pending_roads: list[RoadMove]
    why: dict[str, set[int]]  # announced sortie -> events that stopped it being flown
    unit_causes: dict[str, set[int]]
    remaining: dict[str, dict[str, int]]  # unit -> _pax, _cargo, vehicle classes
    tails: dict[str, _TailState]
    warnings: list[str] = field(default_factory=list)
    move_cost: int = DEFAULT_MOVE_COST
    assume_flown: bool = True

    def release(self, unit: str) -> datetime:
        return ceil_minute(max(self.start,
                               self.actual.release(self.actual.unit[unit], self.phase)))


def ceil_minute(t: datetime) -> datetime:
    """``t`` rounded up to a whole minute: plans are made in whole minutes, and reported
    times may carry seconds."""
    if t.second or t.microsecond:
        return t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return t


def _closure(c_from: datetime, c_to: datetime, reason: str) -> Closure:
    return Closure.model_validate({"from": c_from, "to": c_to, "reason": reason})


def _actual_scenario(s: Scenario, facts: Facts) -> Scenario:
    """The scenario as reported: real handovers, later readiness, reported closures."""
    facilities = tuple(
        f.model_copy(update={"handover": handover_time(s, facts, f.id)}) for f in s.facilities
    )
    units = []
    for u in s.units:
        ev = facts.ready.get(u.id)
        if ev is not None and (u.ready is None or ev.time > u.ready):
            u = u.model_copy(update={"ready": ev.time})
        units.append(u)
    airfields = []
    for a in s.airfields:
        extra = tuple(_closure(e.from_, e.to, f"event {e.seq}")  # type: ignore[arg-type]
                      for e in facts.closures.get(a.id, ()))
        airfields.append(a.model_copy(update={"closures": a.closures + extra}) if extra else a)
    return _copy_scenario(s, facilities=tuple(facilities), units=tuple(units),
                          airfields=tuple(airfields))


def _copy_scenario(s: Scenario, **update: Any) -> Scenario:
    # model_copy keeps cached lookups of the original; drop them so they are rebuilt.
    new = s.model_copy(update=update)
    for name in ("airfield", "aircraft_type", "fleet", "tail_fleet", "unit", "vehicle_class",
                 "facility", "route", "nations", "unit_facilities"):
        new.__dict__.pop(name, None)
    return new


def _state(scenario: Scenario, plan: Plan, events: Sequence[Event], now: datetime,
           assume_flown: bool) -> _State:
    facts = validate_events(scenario, plan, events, now)
    phase: Phase = plan.phase
    actual = _actual_scenario(scenario, facts)
    start = ceil_minute(max(now, scenario.window(phase).start))
    by_tail: dict[str, list[Sortie]] = defaultdict(list)
    for s in sorted(plan.sorties, key=lambda s: (s.departure, s.id)):
        by_tail[s.tail].append(s)

    # Which announced sorties have happened: reported, or assumed unless the events forbid.
    flown = set(facts.departed)
    why: dict[str, set[int]] = defaultdict(set)
    if assume_flown:
        flown |= {s.id for s in plan.sorties
                  if s.departure < now and s.id not in facts.cancelled}
    implied: set[str] = set()
    for legs in by_tail.values():
        # A reported departure implies the tail flew its earlier legs.
        last = max((i for i, s in enumerate(legs) if s.id in facts.departed), default=0)
        implied |= {s.id for s in legs[:last] if s.id not in facts.cancelled}
    flown |= implied
    nation = {u.id: u.nation for u in scenario.units}
    befores = [r for r in scenario.rules_for(phase) if r.kind == "before"]
    changed = True
    while changed:
        changed = False
        for legs in by_tail.values():
            blocked: set[int] | None = None
            for s in legs:
                if s.id in facts.departed or s.id in implied:
                    continue
                reasons = _not_flown_reasons(actual, phase, facts, s)
                if s.id in facts.cancelled:
                    blocked = {facts.cancelled[s.id].seq}
                    continue
                if blocked is not None:
                    reasons |= blocked
                if s.id in flown and (reasons or blocked is not None):
                    flown.discard(s.id)
                    changed = True
                if s.id not in flown:
                    why[s.id] |= reasons
                    blocked = set(why[s.id])
        for r in befores:
            late = [s for s in plan.lifts if s.id not in flown and s.id not in facts.cancelled
                    and {nation.get(ld.unit) for ld in s.loads} & set(r.first)]
            if not late:
                continue
            causes = set().union(*(why.get(s.id, set()) for s in late))
            for s in plan.lifts:
                if s.id in flown and s.id not in facts.departed and s.id not in implied and \
                        {nation.get(ld.unit) for ld in s.loads} & set(r.then):
                    flown.discard(s.id)
                    why[s.id] |= causes
                    changed = True

    history: list[Sortie] = []
    for s in plan.sorties:
        if s.id not in flown:
            continue
        ev = facts.departed.get(s.id)
        dep = ev.time if ev is not None else s.departure
        history.append(Sortie(s.id, s.kind, s.aircraft_type, s.tail, s.operator, s.origin,
                              s.destination, dep, facts.arrival_of(s), facts.loads_of(s),
                              s.nations))
    pending = [s for s in sorted(plan.sorties, key=lambda s: (s.departure, s.id))
               if s.id not in flown and s.id not in facts.cancelled]

    # Road moves under way stay; those not yet started wait for their units' release.
    history_roads: list[RoadMove] = []
    pending_roads: list[RoadMove] = []
    for rm in plan.road_moves:
        rel = max((actual.release(actual.unit[x], phase) for x in rm.units
                   if x in actual.unit), default=rm.start)
        if rm.start < now and rel <= rm.start:
            history_roads.append(rm)
        else:
            pending_roads.append(rm)

    # What each unit still has to move.
    remaining: dict[str, dict[str, int]] = {}
    for u in scenario.units:
        if u.mode == "air":
            remaining[u.id] = {"_pax": u.personnel, "_cargo": u.cargo_kg, **u.vehicles}
    for s in history:
        for ld in s.loads:
            rem = remaining.get(ld.unit)
            if rem is None:
                continue
            rem["_pax"] -= ld.pax
            rem["_cargo"] -= ld.cargo_kg
            for c, n in ld.vehicles.items():
                rem[c] = rem.get(c, 0) - n
    warnings: list[str] = []
    for uid, rem in remaining.items():
        for k, v in rem.items():
            if v < 0:
                warnings.append(f"unit {uid}: history moves {-v} more {k.lstrip('_')} than "
                                "it has; counted as none left")
                rem[k] = 0

    # Where each aircraft is, and when it is free.
    tails: dict[str, _TailState] = {}
    for f in scenario.fleets:
        t = f.type
        turn = timedelta(minutes=scenario.aircraft_type[t].turnaround_min)
        for tail in f.tails():
            legs = [s for s in history if s.tail == tail]
            avail_from = max(start, f.available_from or start)
            if legs:
                final = max(legs, key=lambda s: s.departure)
                free = ceil_minute(final.arrival + turn)
                tails[tail] = _TailState(tail, f, final.destination, free, True,
                                         max(avail_from, free), f.available_until)
            else:
                tails[tail] = _TailState(tail, f, f.base, avail_from, False, avail_from,
                                         f.available_until)

    unit_causes: dict[str, set[int]] = defaultdict(set)
    for u in scenario.units:
        ev = facts.ready.get(u.id)
        if ev is not None:
            unit_causes[u.id].add(ev.seq)
        for fid in scenario.unit_facilities.get(u.id, ()):
            h = facts.handovers.get(fid)
            if h is not None and h.time != scenario.facility[fid].handover:
                unit_causes[u.id].add(h.seq)
    for sid, ev in facts.cancelled.items():
        s = next(x for x in plan.sorties if x.id == sid)
        for ld in s.loads:
            unit_causes[ld.unit].add(ev.seq)
    for sid, ev in facts.departed.items():
        s = next(x for x in plan.sorties if x.id == sid)
        if ev.loads is not None and _load_key(ev.loads) != _load_key(s.loads):
            for ld in (*s.loads, *ev.loads):
                unit_causes[ld.unit].add(ev.seq)
    return _State(scenario, actual, plan, phase, facts, tuple(events), now, start, history,
                  history_roads, {s for s in flown if s not in facts.departed}, pending,
                  pending_roads, why, unit_causes, remaining, tails, warnings)


def _not_flown_reasons(actual: Scenario, phase: Phase, facts: Facts, s: Sortie) -> set[int]:
    """Events that make an announced sortie impossible as announced."""
    out: set[int] = set()
    for ld in s.loads:
        if ld.unit in actual.unit:
            rel = actual.release(actual.unit[ld.unit], phase)
            if s.departure < rel:
                ev = facts.ready.get(ld.unit)
                if ev is not None and ev.time > s.departure:
                    out.add(ev.seq)
                for fid in actual.unit_facilities.get(ld.unit, ()):
                    h = facts.handovers.get(fid)
                    if h is not None and h.time > s.departure:
                        out.add(h.seq)
    for aid, at in ((s.origin, s.departure), (s.destination, s.arrival)):
        for c in facts.closures.get(aid, ()):
            if c.from_ <= at < c.to:  # type: ignore[operator]
                out.add(c.seq)
    for u in facts.unserviceable.get(s.tail, ()):
        if s.departure < u.to and s.arrival > u.from_:  # type: ignore[operator]
            out.add(u.seq)
    return out


# --- the derived scenario for the rest --------------------------------------------------


@dataclass
class _Derived:
    scenario: Scenario  # what the planner gets (availability shaped by unserviceability)
    checking: Scenario  # availability as if serviceable (checked separately), real aprons
    tail_of: dict[str, str]  # derived tail -> real tail
    derived_of: dict[str, str]  # real tail -> derived tail
    empty: bool  # nothing left to move


def _fleet_end(st: _State) -> datetime:
    dl = st.scenario.window(st.phase).deadline
    if dl is not None:
        return dl
    done = st.plan.completion or st.start
    return max(done, st.start) + timedelta(days=1)


def _derived(st: _State, extra_closures: Mapping[str, list[Closure]]) -> _Derived:
    """The rest of the phase as a scenario of its own, starting at ``st.start``."""
    s, phase = st.scenario, st.phase
    units: list[Unit] = []
    kept: dict[str, Unit] = {}
    pending_road_units = {u for r in st.pending_roads for u in r.units}
    for u in s.units:
        # The whole release (readiness and handovers as reported) is baked into `ready`, so
        # dropping handed-over facilities below does not release anyone early.
        ready = ceil_minute(st.actual.release(st.actual.unit[u.id], phase))
        if u.mode == "air":
            rem = st.remaining[u.id]
            veh = {c: n for c, n in rem.items() if not c.startswith("_") and n > 0}
            if rem["_pax"] <= 0 and rem["_cargo"] <= 0 and not veh:
                continue
            nu = u.model_copy(update={"personnel": rem["_pax"], "cargo_kg": rem["_cargo"],
                                      "vehicles": veh, "ready": ready})
        else:
            if u.id not in pending_road_units:
                continue
            nu = u.model_copy(update={"ready": ready})
        units.append(nu)
        kept[u.id] = nu
    facilities: list[Facility] = []
    if phase == "withdrawal":
        for f in st.actual.facilities:
            if f.handover <= st.start:
                continue
            guards = tuple(Guard(unit=g.unit, personnel=min(g.personnel, kept[g.unit].personnel))
                           for g in f.guards
                           if g.unit in kept and kept[g.unit].personnel > 0)
            need = min(f.guard_required, sum(g.personnel for g in guards))
            if guards and need > 0:
                facilities.append(f.model_copy(update={"guards": guards,
                                                       "guard_required": need}))
    # Tails grouped by fleet, position and availability: each group a fleet based where the
    # aircraft are, so the planner's chains start from there.
    end = _fleet_end(st)
    groups: dict[tuple[Any, ...], list[_TailState]] = defaultdict(list)
    plain: dict[tuple[Any, ...], tuple[datetime, datetime | None]] = {}
    for ts in st.tails.values():
        a0, a1 = ts.available_from, ts.available_until
        p0, p1 = a0, a1
        for ev in st.facts.unserviceable.get(ts.tail, ()):
            u0, u1 = ev.from_, ev.to
            assert u0 is not None and u1 is not None
            if u1 <= p0 or (p1 is not None and u0 >= p1):
                continue
            # The planner knows one availability window per fleet: keep the longer part.
            if u0 <= p0 or (u0 - p0) < ((p1 or end) - u1):
                p0 = max(p0, u1)
            else:
                p1 = u0 if p1 is None else min(p1, u0)
        key = (ts.fleet.id, ts.where, p0, p1, a0, a1)
        groups[key].append(ts)
        plain[key] = (a0, a1)
    fleets: list[Fleet] = []
    check_fleets: list[Fleet] = []
    tail_of: dict[str, str] = {}
    derived_of: dict[str, str] = {}
    counter: Counter[str] = Counter()
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0].tail)):
        fid, where, p0, p1, a0, a1 = key
        counter[fid] += 1
        did = f"{fid}.g{counter[fid]}"
        base = {"id": did, "count": len(members), "base": where}
        if p1 is None or p1 > p0:
            fleets.append(members[0].fleet.model_copy(update={
                **base, "available_from": p0, "available_until": p1}))
        check_fleets.append(members[0].fleet.model_copy(update={
            **base, "available_from": a0, "available_until": a1}))
        dtails = check_fleets[-1].tails()
        for ts, dt in zip(sorted(members, key=lambda m: m.tail), dtails, strict=True):
            tail_of[dt] = ts.tail
            derived_of[ts.tail] = dt
    # Airfields: reported closures, and the apron taken by aircraft that are already there.
    parked: Counter[str] = Counter(ts.where for ts in st.tails.values() if ts.flown)
    airfields: list[Airfield] = []
    checked: list[Airfield] = []
    for a in st.actual.airfields:
        upd: dict[str, Any] = {}
        if a.id in extra_closures:
            upd["closures"] = a.closures + tuple(extra_closures[a.id])
        checked.append(a.model_copy(update=upd) if upd else a)
        if a.max_on_ground is not None and parked[a.id]:
            # For the planner these aircraft are "at base" and not counted, so the room they
            # take is taken off the limit (never below one). The check keeps the real limit:
            # the whole plan is checked against the scenario as reported, aprons included.
            upd["max_on_ground"] = max(1, a.max_on_ground - parked[a.id])
        airfields.append(a.model_copy(update=upd) if upd else a)
    win = s.window(phase)
    window = PhaseWindow.model_construct(start=st.start, deadline=win.deadline)
    operation = s.operation.model_copy(update={"phases": {phase: window}})
    common = dict(operation=operation, units=tuple(units), facilities=tuple(facilities),
                  disruptions=None, figures=())
    return _Derived(
        _copy_scenario(s, fleets=tuple(fleets), airfields=tuple(airfields), **common),
        _copy_scenario(s, fleets=tuple(check_fleets), airfields=tuple(checked), **common),
        tail_of, derived_of, not units,
    )


def _boundary_closures(st: _State, full_only: bool) -> dict[str, list[Closure]]:
    """Close airfields for the rest of today when history used up today's departure cap.

    With ``full_only`` false, any airfield with departures today is closed until midnight:
    the fallback when a partly used cap was exceeded.
    """
    s = st.scenario
    out: dict[str, list[Closure]] = defaultdict(list)

    def midnight(tz: tzinfo) -> datetime:
        local = st.start.astimezone(tz)
        return (local.replace(hour=0, minute=0, second=0, microsecond=0)
                + timedelta(days=1, hours=3)).replace(hour=0)

    def used(aids: set[str], tz: tzinfo) -> int:
        day = st.start.astimezone(tz).date()
        return sum(1 for h in st.history
                   if h.origin in aids and h.departure.astimezone(tz).date() == day)

    for a in s.airfields:
        if a.departure_cap_per_day is None:
            continue
        n = used({a.id}, s.tz(a.id))
        if n >= a.departure_cap_per_day or (n and not full_only):
            end = midnight(s.tz(a.id))
            if end > st.start:
                out[a.id].append(_closure(st.start, end, "daily cap used by history"))
    for g in s.cap_groups:
        n = used(set(g.airfields), s.operation.tz)
        if n >= g.departure_cap_per_day or (n and not full_only):
            end = midnight(s.operation.tz)
            for aid in g.airfields:
                if end > st.start:
                    out[aid].append(_closure(st.start, end, f"cap group {g.id} used by history"))
    return out


# --- candidates -------------------------------------------------------------------------


@dataclass
class _Candidate:
    name: str
    rest: list[Sortie]  # real tails, final ids
    roads: list[RoadMove]
    causes: dict[str, set[int]]  # new sortie id (old id for cancelled) -> events
    derived: _Derived
    status: str = "feasible"
    message: str = ""
    problems: list[str] = field(default_factory=list)
    merged: Plan | None = None
    changes: list[SortieChange] = field(default_factory=list)
    cost: float = float("inf")


def _capacity_left(s: Scenario, so: Sortie, loads: Sequence[Load]) -> tuple[int, int, float]:
    """Seats, payload kg and hold metres still free on a sortie with ``loads``."""
    t = s.aircraft_type[so.aircraft_type]
    pax = sum(ld.pax for ld in loads)
    mass = pax * s.operation.personnel_mass_kg + sum(ld.cargo_kg for ld in loads)
    space = 0.0
    for ld in loads:
        for c, n in ld.vehicles.items():
            vc = s.vehicle_class[c]
            mass += vc.mass_kg * n
            space += vc.space_m.get(t.id, 1e9) * n
    return t.seats - pax, t.payload_kg - mass, t.vehicle_space_m - space


def _fit_loads(st: _State, legs: list[Sortie]) -> dict[str, tuple[Load, ...]] | None:
    """Loads for the announced remaining lifts that move exactly what is left.

    Extra is taken off the last lifts of a unit; a shortfall is topped up on its lifts with
    room to spare. None when it does not work out (a lift left empty, or no room).
    """
    s = st.scenario
    loads: dict[str, list[Load]] = {so.id: list(so.loads) for so in legs if so.kind == "lift"}
    planned: dict[str, Counter[str]] = defaultdict(Counter)
    for so in legs:
        for ld in so.loads:
            c = planned[ld.unit]
            c["_pax"] += ld.pax
            c["_cargo"] += ld.cargo_kg
            for k, n in ld.vehicles.items():
                c[k] += n
    lifts_of: dict[str, list[Sortie]] = defaultdict(list)
    for so in legs:
        for ld in so.loads:
            lifts_of[ld.unit].append(so)
    for uid, rem in st.remaining.items():
        have = planned.get(uid, Counter())
        for key in sorted(set(rem) | set(have)):
            diff = rem.get(key, 0) - have.get(key, 0)
            if diff == 0:
                continue
            order = list(reversed(lifts_of.get(uid, [])))
            for so in order:
                if diff == 0:
                    break
                lst = loads[so.id]
                i = next(j for j, ld in enumerate(lst) if ld.unit == uid)
                ld = lst[i]
                cur = ld.pax if key == "_pax" else ld.cargo_kg if key == "_cargo" else \
                    ld.vehicles.get(key, 0)
                if diff < 0:
                    take = min(cur, -diff)
                    new = cur - take
                    diff += take
                else:
                    seats, mass, space = _capacity_left(s, so, lst)
                    if key == "_pax":
                        room = min(seats, mass // s.operation.personnel_mass_kg)
                    elif key == "_cargo":
                        room = mass
                    else:
                        vc = s.vehicle_class.get(key)
                        per = vc.space_m.get(so.aircraft_type) if vc is not None else None
                        if vc is None or per is None:
                            continue
                        room = min(int(space // per + 1e-9), mass // vc.mass_kg)
                    take = max(0, min(room, diff))
                    new = cur + take
                    diff -= take
                if key == "_pax":
                    ld = Load(ld.unit, new, ld.vehicles, ld.cargo_kg)
                elif key == "_cargo":
                    ld = Load(ld.unit, ld.pax, ld.vehicles, new)
                else:
                    veh = {**ld.vehicles, key: new}
                    ld = Load(ld.unit, ld.pax, {k: v for k, v in veh.items() if v}, ld.cargo_kg)
                lst[i] = ld
            if diff != 0:
                return None
    out: dict[str, tuple[Load, ...]] = {}
    for sid, lst in loads.items():
        kept = tuple(ld for ld in lst if ld.pax or ld.cargo_kg or any(ld.vehicles.values()))
        if not kept:
            return None
        out[sid] = kept
    return out


class _Slots:
    """Departures per day at capped airfields and groups, for the shift candidate."""

    def __init__(self, st: _State) -> None:
        self.s = st.scenario
        self.used: Counter[tuple[str, Any]] = Counter()
        for h in st.history:
            self.book(h.origin, h.departure)

    def _keys(self, aid: str, t: datetime) -> list[tuple[tuple[str, Any], int, datetime]]:
        out = []
        a = self.s.airfield.get(aid)
        if a is not None and a.departure_cap_per_day is not None:
            tz = self.s.tz(aid)
            out.append(((aid, t.astimezone(tz).date()), a.departure_cap_per_day,
                        _next_midnight(t, tz)))
        for g in self.s.cap_groups_of(aid):
            tz = self.s.operation.tz
            out.append(((f"group:{g.id}", t.astimezone(tz).date()), g.departure_cap_per_day,
                        _next_midnight(t, tz)))
        return out

    def next_free(self, aid: str, t: datetime) -> datetime:
        for key, cap, nxt in self._keys(aid, t):
            if self.used[key] >= cap:
                return nxt
        return t

    def book(self, aid: str, t: datetime) -> None:
        for key, _cap, _nxt in self._keys(aid, t):
            self.used[key] += 1


def _next_midnight(t: datetime, tz: tzinfo) -> datetime:
    local = t.astimezone(tz)
    return (local.replace(hour=0, minute=0, second=0, microsecond=0)
            + timedelta(days=1, hours=3)).replace(hour=0)


def _open_at(s: Scenario, aid: str, t: datetime) -> tuple[datetime, set[int]]:
    """First instant >= t at which an airfield accepts a movement, and closure events met."""
    a = s.airfield.get(aid)
    met: set[int] = set()
    if a is None:
        return t, met
    for _ in range(100):
        moved = False
        for c in a.closures:
            if c.from_ <= t < c.to:
                t, moved = c.to, True
                m = re.match(r"event (\d+)$", c.reason)
                if m:
                    met.add(int(m.group(1)))
        if a.hours is not None:
            loc = t.astimezone(s.tz(aid))
            mins = loc.hour * 60 + loc.minute + (loc.second or loc.microsecond) / 1e9
            day0 = loc.replace(hour=0, minute=0, second=0, microsecond=0)
            if mins < a.hours.open_min:
                t, moved = day0 + timedelta(minutes=a.hours.open_min), True
            elif mins > a.hours.close_min:
                nxt = (day0 + timedelta(days=1, hours=3)).replace(hour=0)
                t, moved = nxt + timedelta(minutes=a.hours.open_min), True
        if not moved:
            return t, met
    return t, met


def _shift(st: _State, derived: _Derived) -> _Candidate:
    """Keep the announced sorties on their tails and routes; push them later as needed."""
    s = st.actual
    cand = _Candidate("shifted", [], [], defaultdict(set), derived)
    fitted = _fit_loads(st, st.pending)
    if fitted is None:
        cand.problems.append("the announced sorties left cannot carry what is left to move")
        return cand
    # Each tail's remaining legs must join up where the aircraft is.
    legs_of: dict[str, list[Sortie]] = defaultdict(list)
    for so in st.pending:
        legs_of[so.tail].append(so)
    for tail, legs in legs_of.items():
        where = st.tails[tail].where
        for so in legs:
            if so.origin != where:
                cand.problems.append(f"{tail} would be at {where}, but {so.id} leaves "
                                     f"{so.origin}")
                return cand
            where = so.destination
    slots = _Slots(st)
    free = {t: ts.free_at for t, ts in st.tails.items()}
    tail_causes: dict[str, set[int]] = defaultdict(set)
    last_first: dict[str, datetime] = {}
    nation = {u.id: u.nation for u in s.units}
    for h in st.history:
        for n in {nation[ld.unit] for ld in h.loads if ld.unit in nation}:
            last_first[n] = max(last_first.get(n, h.departure), h.departure)
    befores = [r for r in s.rules_for(st.phase) if r.kind == "before"]
    rest: list[Sortie] = []
    for so in st.pending:
        ts = st.tails[so.tail]
        turn = timedelta(minutes=s.aircraft_type[so.aircraft_type].turnaround_min)
        dur = so.arrival - so.departure
        loads = fitted.get(so.id, so.loads)
        causes: set[int] = set(st.why.get(so.id, set()))
        t = max(so.departure, st.start, ts.available_from)
        if free[so.tail] > t:
            t = free[so.tail]
            causes |= tail_causes[so.tail]
        nations = {nation[ld.unit] for ld in loads if ld.unit in nation}
        for ld in loads:
            rel = st.release(ld.unit)
            if rel > t:
                t = rel
                causes |= st.unit_causes.get(ld.unit, set())
        for r in befores:
            if nations & set(r.then):
                after = max((last_first[n] for n in r.first if n in last_first), default=None)
                if after is not None and after + timedelta(minutes=1) > t:
                    t = after + timedelta(minutes=1)
        for _ in range(200):
            t = t0 = ceil_minute(t)
            t, met = _open_at(s, so.origin, t)
            causes |= met
            arr, met = _open_at(s, so.destination, t + dur)
            causes |= met
            t = arr - dur
            for ev in st.facts.unserviceable.get(so.tail, ()):
                assert ev.from_ is not None and ev.to is not None
                if t < ev.to and t + dur > ev.from_:
                    t = ev.to
                    causes.add(ev.seq)
            nt = slots.next_free(so.origin, t)
            if nt != t:
                t = nt
                causes |= tail_causes[so.tail] | st.why.get(so.id, set())
            if t == t0:
                break
        slots.book(so.origin, t)
        new = Sortie(so.id, so.kind, so.aircraft_type, so.tail, so.operator, so.origin,
                     so.destination, t, t + dur, loads,
                     tuple(sorted(nations)) if so.kind == "lift" else so.nations)
        rest.append(new)
        free[so.tail] = t + dur + turn
        if _load_key(loads) != _load_key(so.loads):
            for ld in (*loads, *so.loads):
                causes |= st.unit_causes.get(ld.unit, set())
        if t != so.departure or _load_key(loads) != _load_key(so.loads):
            tail_causes[so.tail] |= causes
        cand.causes[so.id] |= causes
        for n in nations:
            last_first[n] = max(last_first.get(n, t), t)
    cand.rest = rest
    cand.roads = [_retimed_road(st, r) for r in st.pending_roads]
    return cand


def _retimed_road(st: _State, r: RoadMove) -> RoadMove:
    s = st.actual
    rel = ceil_minute(max([st.start, *(st.release(u) for u in r.units if u in s.unit)]))
    start = max(r.start, rel)
    if start == r.start:
        return r
    route = s.route.get((r.from_, r.to)) or s.route.get((r.to, r.from_))
    end = road_end(route, start, s.operation.tz) if route is not None else \
        start + (r.end - r.start)
    return RoadMove(r.id, r.nation, r.units, r.from_, r.to, start.astimezone(s.operation.tz),
                    end.astimezone(s.operation.tz))


def _replanned(st: _State, derived: _Derived, *, time_limit: float | None,
               workers: int | None, progress: Callable[[str], None] | None) -> _Candidate:
    """Run the planner on the derived scenario and map its sorties back to real tails."""
    from contingent.plan import plan as make_plan  # OR-Tools only when re-optimising

    cand = _Candidate("replanned", [], [], defaultdict(set), derived)
    if derived.empty:
        return cand
    try:
        sub = make_plan(derived.scenario, st.phase, time_limit=time_limit, workers=workers,
                        progress=progress)
    except Exception as exc:  # a planner failure must not lose the shift candidate
        log.exception("planner failed on the derived scenario")
        cand.problems.append(f"the planner failed: {exc}")
        return cand
    cand.status = sub.status
    if sub.completion is None or sub.status not in ("optimal", "feasible"):
        cand.problems.append(sub.message or f"the planner found no plan ({sub.status})")
        cand.message = sub.message
        return cand
    # Tails within a derived fleet are interchangeable: give each derived tail the real tail
    # whose announced legs it repeats most.
    announced: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
    for so in st.pending:
        announced[so.tail][(so.kind, so.origin, so.destination)] += 1
    flown: dict[str, list[Sortie]] = defaultdict(list)
    for so in sub.sorties:
        flown[so.tail].append(so)
    by_group: dict[str, list[str]] = defaultdict(list)
    for dt in derived.tail_of:
        by_group[dt.rsplit("-", 1)[0]].append(dt)
    real_for: dict[str, str] = {}
    for dts in by_group.values():
        reals = [derived.tail_of[d] for d in dts]
        def overlap(d: str, r: str) -> int:
            got: Counter[tuple[str, str, str]] = Counter(
                (x.kind, x.origin, x.destination) for x in flown.get(d, []))
            return sum((got & announced.get(r, Counter())).values())

        scores = sorted((-overlap(d, r), d, r) for d in dts for r in reals)
        used_d: set[str] = set()
        used_r: set[str] = set()
        for _score, d, r in scores:
            if d in used_d or r in used_r:
                continue
            real_for[d] = r
            used_d.add(d)
            used_r.add(r)
    rest = []
    for so in sub.sorties:
        real = real_for[so.tail]
        f = st.scenario.tail_fleet[real]
        rest.append(Sortie(so.id, so.kind, so.aircraft_type, real, f.operator, so.origin,
                           so.destination, so.departure, so.arrival, so.loads, so.nations))
    # Keep announced ids where the new sortie repeats an announced one on the same tail.
    pairs, _gone, came = match_sorties(st.pending, rest)
    ids = {n.id: o.id for o, n in pairs}
    fresh = _id_maker(st.plan)
    for n in sorted(came, key=lambda x: (x.departure, x.tail)):
        ids[n.id] = fresh()
    cand.rest = [Sortie(ids[x.id], x.kind, x.aircraft_type, x.tail, x.operator, x.origin,
                        x.destination, x.departure, x.arrival, x.loads, x.nations)
                 for x in rest]
    cand.roads = _match_roads(st, list(sub.road_moves))
    cand.status = sub.status
    return cand


def _match_roads(st: _State, roads: list[RoadMove]) -> list[RoadMove]:
    """Road moves keep their announced ids when they move the same units."""
    by_units = {tuple(sorted(r.units)): r.id for r in st.plan.road_moves}
    taken = {r.id for r in st.history_roads}
    out = []
    n = 0
    for r in roads:
        rid = by_units.get(tuple(sorted(r.units)))
        if rid is None or rid in taken:
            n += 1
            while f"R{len(st.plan.road_moves) + n}" in taken:
                n += 1
            rid = f"R{len(st.plan.road_moves) + n}"
        taken.add(rid)
        out.append(RoadMove(rid, r.nation, r.units, r.from_, r.to, r.start, r.end))
    return out


def _id_maker(plan: Plan) -> Callable[[], str]:
    """New sortie ids after the highest numbered one of the announced plan (S041, S042...)."""
    best, prefix, width = 0, "S", 3
    for so in plan.sorties:
        m = re.fullmatch(r"([A-Za-z_\-]*)(\d+)", so.id)
        if m and int(m.group(2)) >= best:
            best, prefix, width = int(m.group(2)), m.group(1), len(m.group(2))
    counter = [best]

    def fresh() -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]:0{width}d}"

    return fresh


# --- validation, costs and the merged plan ----------------------------------------------


def _in_derived(st: _State, cand: _Candidate) -> Plan:
    d = cand.derived
    rest = [Sortie(so.id, so.kind, so.aircraft_type, d.derived_of[so.tail], so.operator,
                   so.origin, so.destination, so.departure, so.arrival, so.loads, so.nations)
            for so in cand.rest]
    return Plan(d.checking.scenario, st.phase, "given", None, None, tuple(rest),
                tuple(cand.roads))


def _merge(st: _State, cand: _Candidate) -> Plan:
    """History and the candidate's rest as one plan for the whole phase."""
    s = st.actual
    tz = s.operation.tz
    sorties = sorted([*st.history, *cand.rest], key=lambda x: (x.departure, x.id))
    roads = sorted([*st.history_roads, *cand.roads], key=lambda r: (r.start, r.id))
    nations: dict[str, datetime] = {}
    for so in sorties:
        if so.kind != "lift":
            continue
        for n in {s.unit[ld.unit].nation for ld in so.loads if ld.unit in s.unit}:
            nations[n] = max(nations.get(n, so.arrival), so.arrival)
    for r in roads:
        nations[r.nation] = max(nations.get(r.nation, r.end), r.end)
    ends = [so.arrival for so in sorties if so.kind == "lift"] + [r.end for r in roads]
    handovers = []
    if st.phase == "withdrawal":
        for fac in sorted(s.facilities, key=lambda f: (f.handover, f.id)):
            released = tuple(
                u for u, facs in s.unit_facilities.items()
                if fac.id in facs and max(s.facility[x].handover for x in facs) == fac.handover
            )
            handovers.append(Handover(fac.id, fac.handover.astimezone(tz), released))
    return Plan(
        st.plan.scenario or s.scenario, st.phase, "feasible",
        max(ends).astimezone(tz) if ends else None, None,
        tuple(_tz_sortie(x, tz) for x in sorties), tuple(roads), tuple(handovers),
        {n: t.astimezone(tz) for n, t in sorted(nations.items())},
    )


def _tz_sortie(so: Sortie, tz: tzinfo) -> Sortie:
    return Sortie(so.id, so.kind, so.aircraft_type, so.tail, so.operator, so.origin,
                  so.destination, so.departure.astimezone(tz), so.arrival.astimezone(tz),
                  so.loads, so.nations)


def _history_only(st: _State) -> Plan:
    return Plan(st.plan.scenario, st.phase, "given", None, None, tuple(st.history),
                tuple(st.history_roads))


_IGNORED_ON_MERGE = ("reporting",)


def _validate(st: _State, cand: _Candidate, history_keys: set[tuple[str, str]]) -> None:
    """Fill ``cand.problems``: the rest against the derived scenario, the whole as reported."""
    if cand.problems:
        return
    for v in check(cand.derived.checking, _in_derived(st, cand)):
        cand.problems.append(f"rest: {v}")
    for so in cand.rest:
        for ev in st.facts.unserviceable.get(so.tail, ()):
            assert ev.from_ is not None and ev.to is not None
            if so.departure < ev.to and so.arrival > ev.from_:
                cand.problems.append(f"rest: sortie {so.id}: {so.tail} unserviceable "
                                     f"(event {ev.seq})")
    merged = _merge(st, cand)
    cand.merged = merged
    for v in check(st.actual, merged):
        if v.rule in _IGNORED_ON_MERGE or (v.rule, v.subject) in history_keys:
            continue
        cand.problems.append(f"whole: {v}")


def _when_of(c: SortieChange) -> datetime:
    t = c.new_departure or c.old_departure
    assert t is not None
    return t


def _explain(st: _State, cand: _Candidate) -> None:
    """Changes against the announced plan, each with the events behind it, and the cost."""
    assert cand.merged is not None
    tz = st.scenario.operation.tz
    effective = sorted(_effective_events(st))
    seqs = {e.seq: e for e in st.events}
    # The rest keeps announced ids for the sorties it repeats: pair by id only, so a sortie
    # cancelled by an event is never "moved" onto a new one on the same route.
    known = [SortieChange("cancelled", sid, sid, "", "", "", "", None, None)
             for sid in st.facts.cancelled]
    fresh = {x.id for x in cand.rest} - {so.id for so in st.plan.sorties}
    known += [SortieChange("added", sid, None, "", "", "", "", None, None) for sid in fresh]
    diff = diff_plans(st.plan, cand.merged, known)
    by_id = {so.id: so for so in st.plan.sorties}
    rest_by_id = {x.id: x for x in cand.rest}
    changes = []
    chain: dict[str, set[int]] = defaultdict(set)
    for c in sorted(diff.changes, key=_when_of):
        causes: set[int] = set()
        if c.sortie in st.facts.departed:
            causes.add(st.facts.departed[c.sortie].seq)
            if c.sortie in st.facts.arrived:
                causes.add(st.facts.arrived[c.sortie].seq)
        elif c.change == "cancelled" and c.sortie in st.facts.cancelled:
            causes.add(st.facts.cancelled[c.sortie].seq)
        else:
            # Most direct first: what hit this sortie itself, then its units, then its tail.
            old = by_id.get(c.was or "")
            causes |= cand.causes.get(c.sortie, set()) | st.why.get(c.was or "", set())
            if old is not None:
                causes |= _not_flown_reasons(st.actual, st.phase, st.facts, old)
            if not causes:
                new = rest_by_id.get(c.sortie)
                for ld in (*(old.loads if old else ()), *(new.loads if new else ())):
                    causes |= st.unit_causes.get(ld.unit, set())
            if not causes:
                causes |= chain[c.tail]
        chain[c.tail] |= causes
        causes &= set(seqs)
        if causes:
            reason = "; ".join(seqs[n].describe(tz) for n in sorted(causes))
        elif effective:
            causes = set(effective)
            reason = "knock-on of re-planning after " + ", ".join(f"event {n}"
                                                                   for n in effective)
        else:
            reason = "not reported departed by now" if c.change == "moved" else "re-planned"
        changes.append(SortieChange(c.change, c.sortie, c.was, c.kind, c.tail, c.origin,
                                    c.destination, c.old_departure, c.new_departure,
                                    c.minutes, c.reloaded, tuple(sorted(causes)), reason))
    cand.changes = changes
    rest_changes = sum(1 for c in changes if c.sortie not in st.facts.departed)
    done = cand.merged.completion or st.start
    cand.cost = max(0.0, (done - st.start).total_seconds() / 60) + \
        rest_changes * st.move_cost


def _effective_events(st: _State) -> set[int]:
    """Events that change anything: not a departure or arrival exactly as announced."""
    out = set()
    by_id = {so.id: so for so in st.plan.sorties}
    for e in st.events:
        so = by_id.get(e.sortie or "")
        if e.kind == "departed" and so is not None and e.time == so.departure and (
                e.loads is None or _load_key(e.loads) == _load_key(so.loads)):
            continue
        if e.kind == "arrived" and so is not None and e.time == so.arrival:
            continue
        if e.kind == "facility_handed_over" and e.facility is not None and \
                e.time <= st.scenario.facility[e.facility].handover:
            continue
        out.add(e.seq)
    return out


# --- entry point ------------------------------------------------------------------------


def replan(
    scenario: Scenario,
    plan: Plan,
    events: Sequence[Event],
    now: datetime,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    move_cost: int = DEFAULT_MOVE_COST,
    assume_flown: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Replan:
    """Re-plan the rest of a phase after reported events.

    Parameters
    ----------
    scenario
        The operation.
    plan
        The announced plan (for ``plan.phase``).
    events
        Reported events, in order (see :mod:`contingent.events`).
    now
        The instant of the re-plan: what happened before it is history.
    time_limit, workers
        For the planner when the rest is re-optimised.
    move_cost
        Minutes of completion one changed sortie is worth when choosing between keeping the
        announced sorties (shifted later) and re-optimising the rest.
    assume_flown
        Take announced sorties before ``now`` that nobody reported as flown as announced
        (unless the events make that impossible); if false, they are re-planned.
    progress
        Called with short status lines.

    Returns
    -------
    Replan
        A plan for the whole phase (history plus the rest) with the changes and their
        reasons. ``strategy == "none"`` and ``status == "infeasible"`` when no re-plan keeps
        every rule; ``message`` says why.

    Raises
    ------
    InputError
        When the events contradict the plan, the scenario or each other, or ``now`` has no
        UTC offset.
    """
    if now.tzinfo is None:
        raise InputError("'now' has no UTC offset", field="now")
    if plan.phase not in scenario.operation.phases:
        raise InputError(f"the scenario has no {plan.phase} phase", field="phase")
    st = _state(scenario, plan, events, now, assume_flown)
    st.move_cost, st.assume_flown = move_cost, assume_flown
    return _replan(st, time_limit, workers, progress)


def _replan(st: _State, time_limit: float | None, workers: int | None,
            progress: Callable[[str], None] | None) -> Replan:
    tz = st.scenario.operation.tz
    history_keys = {(v.rule, v.subject) for v in check(st.actual, _history_only(st))}
    deadline = st.scenario.window(st.phase).deadline
    closures = _boundary_closures(st, full_only=True)
    derived = _derived(st, closures)
    if progress:
        progress("shifting the announced sorties")
    shifted = _shift(st, derived)
    _validate(st, shifted, history_keys)
    candidates = [shifted]
    if not shifted.problems:
        _explain(st, shifted)
    rest_changed = not shifted.problems and any(
        c.sortie not in st.facts.departed for c in shifted.changes)
    if rest_changed and shifted.merged is not None and shifted.merged.completion is not None:
        # A shift that already completes at the rest's proven lower bound cannot be beaten
        # on completion, and it moves only what the events force: no need to re-optimise.
        lb = _rest_bound(derived)
        if lb is not None and shifted.merged.completion <= lb:
            log.info("the shift meets the lower bound %s: not re-optimising", lb)
            rest_changed = False
    if shifted.problems or rest_changed:
        if deadline is not None and deadline <= st.start and not derived.empty:
            shifted.problems.append("the deadline has passed with units still to move")
        else:
            if progress:
                progress("re-optimising the rest")
            again = _replanned(st, derived, time_limit=time_limit, workers=workers,
                               progress=progress)
            _validate(st, again, history_keys)
            if again.problems and any("daily-cap" in p for p in again.problems):
                # History used part of today's cap: close today's rest and try once more.
                derived2 = _derived(st, _boundary_closures(st, full_only=False))
                again = _replanned(st, derived2, time_limit=time_limit, workers=workers,
                                   progress=progress)
                _validate(st, again, history_keys)
            if not again.problems:
                _explain(st, again)
            candidates.append(again)
    good = [c for c in candidates if not c.problems]
    for c in candidates:
        if c.problems:
            log.info("candidate %s rejected: %s", c.name, "; ".join(c.problems[:5]))
    fixed = tuple(h.id for h in sorted(st.history, key=lambda x: (x.departure, x.id)))
    common = dict(now=st.now.astimezone(tz), fixed=fixed, assumed=tuple(sorted(st.assumed)),
                  events=st.events, move_cost=st.move_cost, assume_flown=st.assume_flown,
                  based_on=st.plan)
    if not good:
        why = "; ".join(p for c in candidates for p in c.problems[:3])
        return Replan(st.plan.scenario, st.phase, "infeasible", None, None,
                      tuple(_tz_sortie(h, tz) for h in st.history), tuple(st.history_roads),
                      message=f"no re-plan keeps every rule: {why}", strategy="none",
                      warnings=tuple(st.warnings), **common)  # type: ignore[arg-type]
    best = min(good, key=lambda c: (c.cost, c.name != "shifted"))
    assert best.merged is not None
    strategy = best.name
    if best.name == "shifted" and not any(c.sortie not in st.facts.departed
                                          for c in best.changes):
        strategy = "kept"
    merged = best.merged
    status, lower = "feasible", None
    lb = _rest_bound(best.derived)
    if lb is not None and merged.completion is not None:
        hist_end = max((h.arrival for h in st.history if h.kind == "lift"), default=None)
        lower = max(x for x in (lb, hist_end) if x is not None).astimezone(tz)
        if merged.completion <= lower:
            status = "optimal"
    other = [c for c in good if c is not best]
    note = f"{strategy}: cost {best.cost:.0f}"
    if other:
        note += f" (vs {other[0].name} {other[0].cost:.0f})"
    log.info("re-plan %s", note)
    return Replan(
        merged.scenario, st.phase, status, merged.completion,  # type: ignore[arg-type]
        lower, merged.sorties, merged.road_moves, merged.facilities, merged.nations,
        binding=note, message="", strategy=strategy, changes=tuple(best.changes),
        warnings=tuple(st.warnings), **common,  # type: ignore[arg-type]
    )


def _rest_bound(derived: _Derived) -> datetime | None:
    if derived.empty:
        return None
    from contingent.plan import build_problem
    from contingent.plan.bounds import all_bounds

    try:
        p = build_problem(derived.scenario, next(iter(derived.scenario.operation.phases)))
        return p.time(all_bounds(p)[0].minute)
    except Exception:  # a bound is a nicety; the re-plan stands without one
        log.exception("no lower bound for the derived scenario")
        return None


def reported_scenario(scenario: Scenario, plan: Plan, events: Sequence[Event]) -> Scenario:
    """The scenario as the events report it: real handovers, later readiness, closures."""
    return _actual_scenario(scenario, validate_events(scenario, plan, events))


def check_remaining(scenario: Scenario, result: Replan) -> list[Violation]:
    """Check the part of a re-plan that is still to come.

    The rest (every sortie and road move not in ``result.fixed``) is checked against the
    derived scenario the re-plan started from (what is left to move, aircraft where they
    are, reported handovers, readiness and closures), and the whole plan against the
    scenario as reported; violations that history alone already has are not counted.
    Unserviceable aircraft are checked too (rule ``unserviceable``).
    """
    assert result.based_on is not None and result.now is not None
    st = _state(scenario, result.based_on, result.events, result.now, result.assume_flown)
    fixed = set(result.fixed)
    derived = _derived(st, {})
    rest = [so for so in result.sorties if so.id not in fixed]
    roads = [r for r in result.road_moves if r not in st.history_roads]
    cand = _Candidate(result.strategy, rest, roads, {}, derived)
    found = list(check(derived.checking, _in_derived(st, cand)))
    for so in rest:
        for ev in st.facts.unserviceable.get(so.tail, ()):
            assert ev.from_ is not None and ev.to is not None
            if so.departure < ev.to and so.arrival > ev.from_:
                found.append(Violation("unserviceable", f"sortie {so.id}",
                                       f"{so.tail} reported unserviceable (event {ev.seq})"))
    history = {(v.rule, v.subject) for v in check(st.actual, _history_only(st))}
    found += [v for v in check(st.actual, result)
              if v.rule not in _IGNORED_ON_MERGE and (v.rule, v.subject) not in history]
    return found


# --- files ------------------------------------------------------------------------------


def replan_meta(r: Replan, tz: tzinfo | None = None) -> dict[str, Any]:
    """The re-plan's own section of a plan file: what it was based on and what changed."""

    def t(x: datetime | None) -> str | None:
        return None if x is None else (x.astimezone(tz) if tz is not None else x).isoformat()

    base = r.based_on
    return {
        "now": t(r.now),
        "strategy": r.strategy,
        "move_cost_minutes": r.move_cost,
        "assume_flown": r.assume_flown,
        "based_on": None if base is None else {
            "status": base.status, "completion": t(base.completion),
            "nations": {n: t(v) for n, v in sorted(base.nations.items())},
        },
        "fixed": list(r.fixed),
        "assumed_flown": list(r.assumed),
        "events": [{"seq": e.seq, **event_to_dict(e, tz)} for e in r.events],
        "changes": [change_to_dict(c, tz) for c in r.changes],
        "warnings": list(r.warnings),
    }


def change_to_dict(c: SortieChange, tz: tzinfo | None = None) -> dict[str, Any]:
    """A change as JSON-ready data."""

    def t(x: datetime | None) -> str | None:
        return None if x is None else (x.astimezone(tz) if tz is not None else x).isoformat()

    return {"change": c.change, "sortie": c.sortie, "was": c.was, "kind": c.kind,
            "tail": c.tail, "origin": c.origin, "destination": c.destination,
            "old_departure": t(c.old_departure), "new_departure": t(c.new_departure),
            "minutes": c.minutes, "reloaded": c.reloaded, "events": list(c.events),
            "reason": c.reason}


def replan_to_dict(r: Replan, tz: tzinfo | None = None) -> dict[str, Any]:
    """A re-plan as plan-file data with a ``replan`` section (``read_plan`` ignores it)."""
    return {**plan_to_dict(r, tz), "replan": replan_meta(r, tz)}


def write_replan(r: Replan, path: Path, tz: tzinfo | None = None) -> None:
    """Write a re-plan file atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(replan_to_dict(r, tz), indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def changes_from_dict(data: Any) -> list[SortieChange]:
    """The explained changes of a plan file's ``replan`` section (empty when there is none)."""
    if not isinstance(data, dict) or not isinstance(data.get("replan"), dict):
        return []
    out = []
    for c in data["replan"].get("changes") or []:
        if not isinstance(c, dict) or c.get("change") not in ("moved", "added", "cancelled",
                                                              "reloaded"):
            continue
        out.append(SortieChange(
            c["change"], str(c.get("sortie", "")), c.get("was"), str(c.get("kind", "")),
            str(c.get("tail", "")), str(c.get("origin", "")), str(c.get("destination", "")),
            None, None, c.get("minutes"), bool(c.get("reloaded")),
            tuple(int(x) for x in c.get("events") or () if isinstance(x, int)),
            str(c.get("reason", ""))))
    return out


def diff_to_dict(d: PlanDiff, tz: tzinfo | None = None) -> dict[str, Any]:
    """A diff as JSON-ready data."""

    def t(x: datetime | None) -> str | None:
        return None if x is None else (x.astimezone(tz) if tz is not None else x).isoformat()

    return {
        "completion": {"old": t(d.old_completion), "new": t(d.new_completion),
                       "minutes": d.completion_minutes},
        "counts": {k: d.count(k) for k in ("moved", "added", "cancelled", "reloaded")}
        | {"unchanged": d.unchanged},
        "nations": [{"nation": n.nation, "old": t(n.old), "new": t(n.new),
                     "minutes": n.minutes} for n in d.nations],
        "changes": [change_to_dict(c, tz) for c in d.changes],
    }


def violations_text(vs: Iterable[Violation]) -> list[str]:
    """Violations as lines."""
    return [str(v) for v in vs]


__all__ = [
    "DEFAULT_MOVE_COST", "NationChange", "PlanDiff", "Replan", "SortieChange",
    "change_to_dict", "changes_from_dict", "check_remaining", "diff_plans", "diff_to_dict",
    "match_sorties", "replan", "replan_meta", "replan_to_dict", "reported_scenario",
    "write_replan",
]
