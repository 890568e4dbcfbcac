"""The reference engine: a plain SimPy model of one run, kept simple rather than fast.

It is written independently of the fast engine from the scenario and the plan themselves
(opening hours and days from the time zones, closures from the scenario, order rules from the
scenario's rules); it shares with the fast engine only the plan's structure (dispatch order,
tail chains, parking stands) and the drawn disruptions.

A run has two parts:

1. The **control cell** re-times the plan in dispatch order with the dispatch policy. It knows
   the run's disruptions as they will be reported: the weather as forecast, a fault when it
   grounds an aircraft, a technical delay when it is found at the gate, an abort when it
   happens, a handover slip as the handover is negotiated. Each sortie takes the first minute
   at which every rule holds, trying candidate times in order and jumping to the next moment a
   failing condition can change.
2. The **execution** plays the re-timed plan in a SimPy environment: handover processes,
   aircraft processes flying their legs, convoys driving in their daily windows, aprons as
   ``simpy.Resource`` with ``max_on_ground`` places, and counters for daily departures. Every
   rule is re-checked as it happens; a breach raises :class:`ExecutionError`, so the model also
   checks the control cell.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import simpy

from contingent.planfile import Plan
from contingent.risk.draws import Realization
from contingent.risk.model import NEVER, Event, ExecModel, sort_trace
from contingent.risk.policy import DispatchPolicy, PlanOrder
from contingent.scenario.model import Scenario


class ExecutionError(RuntimeError):
    """The executed run broke a rule (a bug in the dispatcher, never bad input)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """One reference run (times in minutes after the epoch)."""

    trace: tuple[Event, ...]
    completion: int
    nations: dict[str, int]
    breach: tuple[bool, ...]  # per soft limit, as ExecModel.soft_limits
    late_handover: int


class _Calendar:
    """Clock questions about one run, answered from the scenario and the run's disruptions."""

    def __init__(self, scenario: Scenario, model: ExecModel, real: Realization) -> None:
        self.s = scenario
        self.m = model
        self.epoch = model.epoch
        self.weather = {a: real.intervals("closures", i, 0) for i, a in enumerate(model.airfields)}
        self.faults = {t: real.intervals("unserviceable", i, 0) for i, t in enumerate(model.tails)}

    def dt(self, minute: int, tz: ZoneInfo) -> datetime:
        return (self.epoch + timedelta(minutes=minute)).astimezone(tz)

    def minute(self, dt: datetime) -> int:
        return math.ceil((dt - self.epoch).total_seconds() / 60 - 1e-9)

    def local_date(self, airfield: str | None, minute: int) -> date:
        return self.dt(minute, self.s.tz(airfield)).date()

    def next_midnight(self, airfield: str | None, minute: int) -> int:
        tz = self.s.tz(airfield)
        d = self.dt(minute, tz).date() + timedelta(days=1)
        return self.minute(datetime.combine(d, time(0, 0), tzinfo=tz))

    def open_at(self, airfield: str, minute: int) -> int:
        """``minute`` if the airfield is open then, else the next moment worth trying."""
        a = self.s.airfield[airfield]
        if a.hours is not None:
            tz = self.s.tz(airfield)
            local = self.dt(minute, tz)
            clock = local.hour * 60 + local.minute
            if clock < a.hours.open_min:
                return self.minute(datetime.combine(local.date(), time(0, 0), tzinfo=tz)
                                   + timedelta(minutes=a.hours.open_min))
            if clock > a.hours.close_min:
                nxt = local.date() + timedelta(days=1)
                return self.minute(datetime.combine(nxt, time(0, 0), tzinfo=tz)
                                   + timedelta(minutes=a.hours.open_min))
        for c in a.closures:
            if self.minute(c.from_) <= minute < self.minute(c.to):
                return self.minute(c.to)
        for f, t in self.weather[airfield]:
            if f <= minute < t:
                return t
        return minute

    def serviceable_at(self, tail: str, minute: int) -> int:
        for f, t in self.faults.get(tail, []):
            if f <= minute < t:
                return t
        return minute


class _ControlCell:
    """Re-times the plan in dispatch order (see the module docs)."""

    def __init__(self, scenario: Scenario, plan: Plan, model: ExecModel, real: Realization,
                 policy: DispatchPolicy) -> None:
        self.s, self.p, self.m, self.real = scenario, plan, model, real
        self.cal = _Calendar(scenario, model, real)
        self.phase = plan.phase
        self.sorties = list(plan.sorties)
        self.roads = list(plan.road_moves)
        self.departures: Counter[tuple[str, date]] = Counter()  # (airfield or group:id, day)
        # Per item: not before the phase start, a fly_within window's start, the policy's own.
        planned = [self.cal.minute(x.departure) for x in self.sorties] + [
            self.cal.minute(r.start) for r in self.roads]
        self.low, self.high = self._rule_windows(len(planned))
        self.own = [int(v) for v in policy.not_before(np.asarray(planned), np.asarray(self.low))]

    # --- who carries whom ---------------------------------------------------------------
    def nations_of(self, i: int) -> set[str]:
        if i < len(self.sorties):
            return {self.s.unit[ld.unit].nation for ld in self.sorties[i].loads}
        r = self.roads[i - len(self.sorties)]
        return {self.s.unit[u].nation for u in r.units} or {r.nation}

    def is_mover(self, i: int) -> bool:
        return i >= len(self.sorties) or bool(self.sorties[i].loads)

    def _rule_windows(self, n: int) -> tuple[list[int], list[int]]:
        start = self.cal.minute(self.s.window(self.phase).start)
        low, high = [start] * n, [NEVER] * n
        air = {u.nation for u in self.s.units if u.mode == "air"}
        for rule in self.s.rules_for(self.phase):
            if rule.kind != "fly_within":
                continue
            a, b = self.s.rule_window(rule)
            want = set(rule.nations) or air
            for i in range(len(self.sorties)):
                if self.is_mover(i) and self.nations_of(i) & want:
                    if a is not None:
                        low[i] = max(low[i], self.cal.minute(a))
                    if b is not None:
                        secs = (b - self.cal.epoch).total_seconds() / 60
                        latest = math.ceil(secs) - 1 if rule.day is not None else math.floor(secs)
                        high[i] = min(high[i], latest)
        return low, high

    def release(self, unit: str) -> int:
        u = self.s.unit[unit]
        t = self.cal.minute(self.s.window(self.phase).start)
        if u.ready is not None:
            t = max(t, self.cal.minute(u.ready))
        if self.phase == "withdrawal":
            for f in self.s.unit_facilities.get(unit, ()):
                fi = self.m.facilities.index(f)
                t = max(t, self.cal.minute(self.s.facility[f].handover)
                        + int(self.real.slip[0, fi]))
        return t

    # --- slots --------------------------------------------------------------------------
    def counters(self, airfield: str, minute: int) -> list[tuple[tuple[str, date], int, int]]:
        """(key, cap, next day start) of each cap counting a departure from ``airfield``."""
        a = self.s.airfield[airfield]
        out = []
        if a.departure_cap_per_day is not None:
            out.append(((airfield, self.cal.local_date(airfield, minute)),
                        a.departure_cap_per_day, self.cal.next_midnight(airfield, minute)))
        for g in self.s.cap_groups_of(airfield):
            out.append(((f"group:{g.id}", self.cal.local_date(None, minute)),
                        g.departure_cap_per_day, self.cal.next_midnight(None, minute)))
        return out

    def book(self, airfield: str, minute: int) -> None:
        for key, _cap, _next in self.counters(airfield, minute):
            self.departures[key] += 1

    def first_slot(self, k: int, t: int) -> int:
        """The first minute >= t at which sortie k may leave."""
        x = self.sorties[k]
        block = self.cal.minute(x.arrival) - self.cal.minute(x.departure)
        while True:
            u = self.cal.open_at(x.origin, t)
            if u != t:
                t = u
                continue
            u = self.cal.serviceable_at(x.tail, t)
            if u != t:
                t = u
                continue
            u = self.cal.open_at(x.destination, t + block)
            if u != t + block:
                t = u - block
                continue
            full = [nxt for key, cap, nxt in self.counters(x.origin, t)
                    if self.departures[key] >= cap]
            if full:
                t = min(full)
                continue
            return t

    # --- the re-timing ------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        m, S = self.m, len(self.sorties)
        start: dict[int, int] = {}
        end: dict[int, int] = {}
        aborts: dict[int, int] = {}
        delays: dict[int, int] = {}
        tail_ready: dict[str, int] = {}
        for tail in m.tails:
            fl = self.s.tail_fleet[tail]
            tail_ready[tail] = self.cal.minute(fl.available_from) if fl.available_from else -NEVER
        befores = [r for r in self.s.rules_for(self.phase) if r.kind == "before"]
        for i in m.order.tolist():
            lb = self.own[i]
            for r in befores:
                if self.is_mover(i) and self.nations_of(i) & set(r.then):
                    firsts = [start[j] for j in start
                              if j != i and self.is_mover(j) and self.nations_of(j) & set(r.first)]
                    if firsts:
                        lb = max(lb, max(firsts) + 1)
            if i >= S:
                r = self.roads[i - S]
                for u in r.units:
                    lb = max(lb, self.release(u))
                start[i] = lb
                continue
            x = self.sorties[i]
            block = self.cal.minute(x.arrival) - self.cal.minute(x.departure)
            lb = max(lb, tail_ready[x.tail])
            for ld in x.loads:
                lb = max(lb, self.release(ld.unit))
            sp = int(m.stand_pred[i])
            if sp >= 0:
                lb = max(lb, start[sp] - block)
            t = self.first_slot(i, lb)
            if self.real.delay[0, i] > 0:
                delays[i] = t
                t = self.first_slot(i, t + int(self.real.delay[0, i]))
            if self.real.abort_hold[0, i] >= 0:
                aborts[i] = t
                self.book(x.origin, t)
                t = self.first_slot(i, t + int(self.real.abort_hold[0, i]))
            self.book(x.origin, t)
            start[i], end[i] = t, t + block
            tf = self.s.tail_fleet[x.tail]
            tail_ready[x.tail] = t + block + self.s.aircraft_type[tf.type].turnaround_min
        return {"start": start, "aborts": aborts, "delays": delays}


def run_reference(
    scenario: Scenario,
    plan: Plan,
    model: ExecModel,
    real: Realization,
    policy: DispatchPolicy | None = None,
) -> RunResult:
    """Execute one run (``real`` holds exactly one) with SimPy; see the module docs."""
    if real.runs != 1:
        raise ValueError("the reference engine runs one realization at a time")
    cell = _ControlCell(scenario, plan, model, real, policy or PlanOrder())
    booked = cell.run()
    cal = cell.cal
    S = len(cell.sorties)
    env = simpy.Environment(initial_time=min(
        [*booked["start"].values(), *booked["delays"].values(), *booked["aborts"].values(),
         *[cal.minute(f.handover) for f in scenario.facilities], 0]))
    trace: list[Event] = []
    arrivals: dict[int, int] = {}
    road_ends: dict[int, int] = {}
    departed: Counter[tuple[str, date]] = Counter()

    def now() -> int:
        return int(env.now)

    def fail(msg: str) -> None:
        raise ExecutionError(f"{scenario.scenario} run: {msg}")

    # handovers and releases
    handed: dict[str, simpy.Event] = {}

    def handover(fid: str, at: int) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(at - now())
        trace.append(Event(now(), "handover", fid))
        handed[fid].succeed()

    for fi, fid in enumerate(model.facilities):
        handed[fid] = env.event()
        env.process(handover(fid, cal.minute(scenario.facility[fid].handover)
                             + int(real.slip[0, fi])))

    def released(unit: str) -> bool:
        if plan.phase == "withdrawal":
            for f in scenario.unit_facilities.get(unit, ()):
                if not handed[f].processed and not handed[f].triggered:
                    return False
        return now() >= cell.release(unit)

    def check_departure(x: Any, what: str) -> None:
        if cal.open_at(x.origin, now()) != now():
            fail(f"sortie {x.id} {what} while {x.origin} is closed")
        for key, cap, _ in cell.counters(x.origin, now()):
            departed[key] += 1
            if departed[key] > cap:
                fail(f"sortie {x.id} {what}: more than {cap} departures at {key}")
        if cal.serviceable_at(x.tail, now()) != now():
            fail(f"sortie {x.id} {what} with an unserviceable aircraft")

    aprons = {a.id: simpy.Resource(env, capacity=a.max_on_ground)
              for a in scenario.airfields if a.max_on_ground is not None}

    def aircraft(tail: str, legs: list[int]) -> Generator[simpy.Event, Any, None]:
        stand: tuple[str, Any] | None = None
        landed = -NEVER
        where = scenario.tail_fleet[tail].base
        turn = scenario.aircraft_type[scenario.tail_fleet[tail].type].turnaround_min
        for k in legs:
            x = cell.sorties[k]
            if where != x.origin:
                fail(f"sortie {x.id}: {tail} is at {where}, not {x.origin}")
            if k in booked["delays"]:
                yield env.timeout(booked["delays"][k] - now())
                trace.append(Event(now(), "delay", x.id))
            if k in booked["aborts"]:
                yield env.timeout(booked["aborts"][k] - now())
                check_departure(x, "aborts")
                trace.append(Event(now(), "abort", x.id))
            yield env.timeout(booked["start"][k] - now())
            if now() < landed + turn:
                fail(f"sortie {x.id} leaves before its aircraft has turned around")
            for ld in x.loads:
                if not released(ld.unit):
                    fail(f"sortie {x.id} carries {ld.unit} before its release")
            check_departure(x, "departs")
            if stand is not None:
                aprons[stand[0]].release(stand[1])
                stand = None
            trace.append(Event(now(), "depart", x.id))
            yield env.timeout(cal.minute(x.arrival) - cal.minute(x.departure))
            if cal.open_at(x.destination, now()) != now():
                fail(f"sortie {x.id} lands while {x.destination} is closed")
            if x.destination in aprons:
                due = now()
                req = aprons[x.destination].request()
                yield req
                if now() != due:
                    fail(f"sortie {x.id} finds no room on the ground at {x.destination}")
                stand = (x.destination, req)
            trace.append(Event(now(), "arrive", x.id))
            arrivals[k] = now()
            landed, where = now(), x.destination

    legs: dict[str, list[int]] = {}
    for k in sorted(range(S), key=lambda k: (cell.sorties[k].departure, cell.sorties[k].arrival,
                                             cell.sorties[k].id)):
        legs.setdefault(cell.sorties[k].tail, []).append(k)
    for tail, ks in legs.items():
        env.process(aircraft(tail, ks))

    def convoy(j: int) -> Generator[simpy.Event, Any, None]:
        r = cell.roads[j]
        yield env.timeout(booked["start"][S + j] - now())
        for u in r.units:
            if not released(u):
                fail(f"road move {r.id} moves {u} before its release")
        trace.append(Event(now(), "road-start", r.id))
        route = scenario.route.get((r.from_, r.to)) or scenario.route[(r.to, r.from_)]
        remaining = math.ceil(route.distance_km / route.speed_kmh * 60)
        h, mi = (int(v) for v in route.driving_from.split(":"))
        length = round(route.driving_hours_per_day * 60)
        tz = scenario.operation.tz
        while remaining > 0:
            local = cal.dt(now(), tz)
            w0 = cal.minute(datetime.combine(local.date(), time(h, mi), tzinfo=tz))
            if now() < w0:
                yield env.timeout(w0 - now())
            elif now() >= w0 + length:
                nxt = datetime.combine(local.date() + timedelta(days=1), time(h, mi), tzinfo=tz)
                yield env.timeout(cal.minute(nxt) - now())
            else:
                drive = min(remaining, w0 + length - now())
                yield env.timeout(drive)
                remaining -= drive
        if booked["start"][S + j] == cal.minute(r.start):
            # Leaving as planned, the convoy keeps the plan's own arrival.
            yield env.timeout(max(0, cal.minute(r.end) - now()))
        trace.append(Event(now(), "road-end", r.id))
        road_ends[j] = now()

    for j in range(len(cell.roads)):
        env.process(convoy(j))
    env.run()

    ends = [arrivals[k] for k in range(S) if cell.sorties[k].loads] + list(road_ends.values())
    nations: dict[str, int] = {}
    for k in range(S):
        if cell.sorties[k].loads:
            for n in cell.nations_of(k):
                nations[n] = max(nations.get(n, -NEVER), arrivals[k])
    for j, t in road_ends.items():
        for n in cell.nations_of(S + j):
            nations[n] = max(nations.get(n, -NEVER), t)
    # Soft limits, re-derived from the scenario: each fly_within window's end, then fleets.
    breach: list[bool] = []
    air = {u.nation for u in scenario.units if u.mode == "air"}
    for rule in scenario.rules_for(plan.phase):
        end = scenario.rule_window(rule)[1] if rule.kind == "fly_within" else None
        if end is None:
            continue
        want = set(rule.nations) or air
        late = False
        for k in range(S):
            if cell.is_mover(k) and cell.nations_of(k) & want:
                when = cal.epoch + timedelta(minutes=booked["start"][k])
                late |= when >= end if rule.day is not None else when > end
        breach.append(late)
    fleets = {scenario.tail_fleet[t] for t in model.tails}
    if any(f.available_until is not None for f in fleets):
        breach.append(any(
            arrivals[k] > cal.minute(f.available_until)
            for k in range(S)
            if (f := scenario.tail_fleet[cell.sorties[k].tail]).available_until is not None))
    return RunResult(
        trace=tuple(sort_trace(trace)),
        completion=max(ends) if ends else 0,
        nations=nations,
        breach=tuple(breach),
        late_handover=int(real.slip[0].sum()),
    )
