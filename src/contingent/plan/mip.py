"""Time-indexed MIP baseline: the classic time-expanded airlift formulation, solved by HiGHS.

A benchmark baseline, not the planner. Time is cut into buckets of ``bucket`` minutes from the
phase start; every flight departs at the start of a bucket. Per fleet, identical aircraft flow
through a time-expanded network whose nodes are (airfield, bucket): a flight arc a -> b leaving
in bucket t carries x aircraft and ends at the node where they are ready again (arrival plus
turnaround, rounded up to a bucket); ground arcs hold aircraft from one bucket to the next.
Loads of each unit ride the arcs of its route. The rules of ``docs/rules.md`` are modelled as
follows (all exact for plans whose departures lie on bucket starts, except where said):

- block time, tail chain, turnaround, fleet availability: by the arcs that exist;
- capacity: per arc, each aircraft flies one vehicle load from a list of loads that fit its
  hold and payload (every maximal mix of the arc's vehicle classes, up to MAX_PATTERNS, and
  each class alone); seats and the payload left by the load at its full mass bound personnel
  and cargo. Loads beyond the list, and the mass a partly filled load leaves free, are not
  used: a restriction, so every solution packs into aircraft exactly;
- daily caps (local days per airfield, theatre days per cap group), max on ground (counted at
  the end of every bucket, when the most aircraft are down), opening hours and closures (every
  departure and arrival instant), release, ``fly_within`` windows and the deadline: exact;
- ``before`` rules: a switch bucket per rule (first nations' lifts leave before it, the others'
  from it on); road-move starts prune the lifts they must precede or follow;
- aircraft do not stay in the theatre: as in the planner, at the end every aircraft is outside
  it (or at its base).

The objective is the completion bucket (per-unit cumulative "still to arrive" fractions force
the completion indicators), then, weighted below one bucket, the number of flights. The
solution is decomposed into tails and loads and returned as a :class:`~contingent.planfile.Plan`
that the checker must accept. Its ``optimal`` status follows the planner's meaning (completion
meets an independent lower bound); the MIP's own optimality is only within its buckets and is
reported in :class:`MipStats`.

HiGHS is driven through OR-Tools MathOpt: in OR-Tools 9.15, ``pywraplp`` and ``model_builder``
return no solution at all when HiGHS stops at its time limit with an incumbent.
"""

from __future__ import annotations

import heapq
import logging
import math
import time as _time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers import highs_pb2

from contingent.plan.bounds import all_bounds, sorties_lower_bound
from contingent.plan.cpsat import LegValue as _Leg
from contingent.plan.problem import FleetData, Problem, UnitDemand, build_problem
from contingent.planfile import Bound, Handover, Load, Plan, RoadMove, Sortie
from contingent.scenario.model import Phase, Scenario

log = logging.getLogger(__name__)

#: Days after the last possible lift arrival in which aircraft may still fly out.
RETURN_DAYS = 2
#: At most this many maximal vehicle loads per aircraft type and arc are enumerated.
MAX_PATTERNS = 24

__all__ = ["LegLike", "MipResult", "MipStats", "plan_from_legs", "solve_mip"]


class LegLike(Protocol):
    """A leg in minutes from the phase start (the greedy's and the MIP's legs both fit)."""

    @property
    def origin(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def dep(self) -> int: ...
    @property
    def arr(self) -> int: ...
    @property
    def loads(self) -> tuple[tuple[str, int, dict[str, int], int], ...]: ...


@dataclass(frozen=True)
class MipStats:
    """How the MIP went.

    Attributes
    ----------
    solver
        The backend actually used (``HIGHS`` unless it is missing from the OR-Tools build).
    status
        ``optimal`` (within the buckets), ``feasible``, ``infeasible``, ``no-solution`` (time
        limit first), ``too-large`` (not built: over ``max_arcs`` flight arcs) or ``error``.
    objective_bound_minutes
        The solver's bound on completion, valid only for bucket-aligned plans.
    """

    solver: str
    status: str
    bucket: int
    variables: int
    integer_variables: int
    constraints: int
    build_seconds: float
    solve_seconds: float
    objective_bound_minutes: float | None = None


@dataclass(frozen=True)
class MipResult:
    """The MIP's plan (status ``unknown`` when it found none) and its statistics."""

    plan: Plan
    stats: MipStats


@dataclass
class _Arc:
    fleet: FleetData
    origin: str
    dest: str
    t: int  # departure bucket
    dep: int  # minutes
    arr: int
    end: int  # bucket at which the aircraft are ready again
    x: Any
    units: list[UnitDemand] = field(default_factory=list)
    pax: dict[str, Any] = field(default_factory=dict)
    veh: dict[tuple[str, str], Any] = field(default_factory=dict)
    cargo: dict[str, Any] = field(default_factory=dict)
    # Vehicle loads: ((group, count), ...), their mass, and how many aircraft fly each.
    patterns: list[tuple[tuple[tuple[tuple[int, int], int], ...], int, Any]] = field(
        default_factory=list)


def _open_minutes(p: Problem, end: int) -> dict[str, bytearray]:
    """Per airfield with hours or closures: 1 at every minute in [0, end] it is open."""
    s = p.scenario
    out: dict[str, bytearray] = {}
    for a in s.airfields:
        if a.hours is None and not a.closures:
            continue
        ok = bytearray(b"\x01") * (end + 1)
        if a.hours is not None:
            ok = bytearray(end + 1)
            tz = s.tz(a.id)
            first = p.epoch.astimezone(tz).date() - timedelta(days=1)
            d = first
            while True:
                day = datetime(d.year, d.month, d.day, tzinfo=tz)
                lo = p.minutes(day + timedelta(minutes=a.hours.open_min))
                hi = math.floor((day + timedelta(minutes=a.hours.close_min) - p.epoch)
                                .total_seconds() / 60)
                if lo > end:
                    break
                for m in range(max(0, lo), min(end, hi) + 1):
                    ok[m] = 1
                d += timedelta(days=1)
        for c in a.closures:
            for m in range(max(0, p.minutes(c.from_)), min(end + 1, p.minutes(c.to))):
                ok[m] = 0
        out[a.id] = ok
    return out


class _Builder:
    """Builds the time-expanded model, solves it and reads the plan back."""

    def __init__(self, p: Problem, bucket: int, horizon: int | None) -> None:
        self.p = p
        self.dt = bucket
        self.m = mathopt.Model(name="contingent-mip")
        lift_end = p.deadline if p.deadline is not None else p.horizon
        if horizon is not None:
            lift_end = min(lift_end, horizon)
        self.lift_end = lift_end
        self.n_vars = 0
        self.n_int = 0
        self.n_rows = 0
        self.arcs: list[_Arc] = []
        self.ground: dict[tuple[str, str], dict[int, Any]] = {}
        self.units_of: dict[str, list[UnitDemand]] = {}
        self._pattern_cache: dict[Any, list[tuple[tuple[tuple[tuple[int, int], int], ...],
                                                   int]]] = {}
        self._befores()

    # -- helpers ---------------------------------------------------------------------------

    def _int(self, lb: int, ub: int, name: str) -> Any:
        self.n_vars += 1
        self.n_int += 1
        return self.m.add_integer_variable(lb=lb, ub=ub, name=name)

    def _num(self, lb: float, ub: float, name: str) -> Any:
        self.n_vars += 1
        return self.m.add_variable(lb=lb, ub=ub, name=name)

    def _row(self, terms: Sequence[tuple[Any, float]], lb: float, ub: float) -> None:
        if not terms:
            return
        self.n_rows += 1
        coef: dict[Any, float] = {}
        for v, c in terms:
            coef[v] = coef.get(v, 0.0) + c
        row = self.m.add_linear_constraint(lb=lb, ub=ub)
        for v, c in coef.items():
            row.set_coefficient(v, c)

    def _befores(self) -> None:
        """Before rules by nation sets, and the road-move starts that prune lifts."""
        p = self.p
        self.befores: list[tuple[frozenset[str], frozenset[str]]] = []
        self.not_before: dict[str, int] = {}  # unit -> lifts must depart after this minute
        self.not_after: dict[str, int] = {}  # unit -> lifts must depart before this minute
        for r in p.scenario.rules_for(p.phase):
            if r.kind != "before":
                continue
            first, then = frozenset(r.first), frozenset(r.then)
            self.befores.append((first, then))
            for road in p.roads:
                start = p.minutes(road.start)
                for u in p.units:
                    if road.nation in first and u.nation in then:
                        self.not_before[u.id] = max(self.not_before.get(u.id, -1), start)
                    if road.nation in then and u.nation in first:
                        self.not_after[u.id] = min(self.not_after.get(u.id, 10**9), start)

    def _carriable(self, u: UnitDemand, f: FleetData) -> bool:
        if u.nation not in f.carries:
            return False
        if u.pax and f.seats and self.p.personnel_mass <= f.payload_kg:
            return True
        if u.cargo_kg:
            return True
        return any(self._fits(c, f) for c in u.vehicles)

    def _fits(self, c: str, f: FleetData) -> bool:
        sp = self.p.space_cm.get((c, f.type))
        return sp is not None and sp <= f.space_cm and self.p.vehicle_mass[c] <= f.payload_kg

    def _eligible(self, u: UnitDemand, dep: int, arr: int) -> bool:
        lo = max(u.release, u.window[0], self.not_before.get(u.id, -1) + 1)
        hi = min(u.window[1], self.not_after.get(u.id, 10**9) - 1)
        return lo <= dep <= hi and arr <= self.lift_end

    # -- network ----------------------------------------------------------------------------

    def count_arcs(self, max_arcs: int) -> int:
        """Build the arc list (without variables); the number of flight arcs."""
        p, dt = self.p, self.dt
        end_min = self.lift_end
        for f in p.fleets:
            units = [u for u in p.units if self._carriable(u, f)]
            self.units_of[f.id] = units
            if units:
                back = max(p.block(f.type, u.destination, f.base) for u in units)
                back = max(back, max(p.block(f.type, u.origin, f.base) for u in units))
                end_min = max(end_min, self.lift_end + back + f.turnaround)
        # Flights out of the theatre after the last lift share its daily caps and may need
        # days of their own (the planner's model allows three).
        end_min += RETURN_DAYS * 1440
        self.T = math.ceil(end_min / dt) + 2
        self.end_min = self.T * dt + 1440
        self.open = _open_minutes(self.p, self.end_min)
        n = 0
        self.plan_arcs: list[tuple[FleetData, str, str, int, int, int, int, list[UnitDemand]]] = []
        for f in p.fleets:
            units = self.units_of[f.id]
            if not units:
                continue
            n += self._fleet_arcs(f, units, max_arcs - n)
            if n > max_arcs:
                return n
        return n

    def _fleet_arcs(self, f: FleetData, units: list[UnitDemand], budget: int) -> int:
        """Add the fleet's flight arcs; stop early once there are more than ``budget``."""
        p, dt, T = self.p, self.dt, self.T
        routes: dict[tuple[str, str], list[UnitDemand]] = defaultdict(list)
        for u in units:
            routes[(u.origin, u.destination)].append(u)
        origins = sorted({u.origin for u in units})
        places = sorted({f.base} | {u.origin for u in units} | {u.destination for u in units})
        # The last minute a lift can leave each origin (positioning later is useless).
        last_dep: dict[str, int] = {}
        for u in units:
            hi = min(u.window[1], self.lift_end - p.block(f.type, u.origin, u.destination))
            last_dep[u.origin] = max(last_dep.get(u.origin, -1), hi)
        pairs: set[tuple[str, str]] = set(routes)
        for a in places:
            for o in origins:
                if a != o:
                    pairs.add((a, o))
            if a in p.theatre and a != f.base:
                pairs.add((a, f.base))
        a0, a1 = f.available
        n = 0
        for a, b in sorted(pairs):
            blk = p.block(f.type, a, b)
            earliest = a0 if a == f.base else a0 + p.block(f.type, f.base, a) + f.turnaround
            on_route = routes.get((a, b), [])
            useful_empty = b == f.base or (b in last_dep)
            ok_a, ok_b = self.open.get(a), self.open.get(b)
            for t in range(math.ceil(earliest / dt), T):
                dep = t * dt
                arr = dep + blk
                end = math.ceil((arr + f.turnaround) / dt)
                if arr > a1 or end > T - 1:
                    break
                if (ok_a is not None and not ok_a[dep]) or (ok_b is not None and not ok_b[arr]):
                    continue
                elig = [u for u in on_route if self._eligible(u, dep, arr)]
                if not elig:
                    if not useful_empty:
                        continue
                    if b in last_dep and b != f.base and arr + f.turnaround > last_dep[b]:
                        continue
                self.plan_arcs.append((f, a, b, t, dep, arr, end, elig))
                n += 1
                if n > budget:
                    return n
        return n

    def build(self) -> None:
        """Variables and constraints."""
        for f, a, b, t, dep, arr, end, elig in self.plan_arcs:
            x = self._int(0, f.count, f"x[{f.id},{a}>{b},{t}]")
            arc = _Arc(f, a, b, t, dep, arr, end, x, elig)
            self.arcs.append(arc)
            if elig:
                self._loads(arc)
        del self.plan_arcs
        self._flow()
        self._demand()
        self._caps()
        self._ground_limits()
        self._before_rules()
        self._objective()

    def _patterns(self, f: FleetData, avail: dict[tuple[int, int], int]
                  ) -> list[tuple[tuple[tuple[tuple[int, int], int], ...], int]]:
        """Vehicle loads one aircraft of ``f`` can take: (group, count) pairs and their mass.

        Groups are (hold cm, kg) classes. Every maximal load (nothing available fits on top)
        up to :data:`MAX_PATTERNS`, plus each group's fullest single-group load, so that every
        group can always fly. A partly filled load is counted at its full mass (conservative).
        """
        key = (f.type, tuple(sorted(avail.items())))
        if key in self._pattern_cache:
            return self._pattern_cache[key]
        groups = sorted(avail, reverse=True)
        found: list[tuple[tuple[tuple[int, int], int], ...]] = []
        seen: set[tuple[tuple[tuple[int, int], int], ...]] = set()

        def add(load: dict[tuple[int, int], int]) -> None:
            t = tuple((g, n) for g, n in sorted(load.items()) if n)
            if t and t not in seen:
                seen.add(t)
                found.append(t)

        budget = [20_000]  # search nodes: the enumeration stops early on huge holds

        def walk(i: int, space: int, kg: int, load: dict[tuple[int, int], int]) -> None:
            budget[0] -= 1
            if len(found) >= MAX_PATTERNS or budget[0] < 0:
                return
            if i == len(groups):
                full = all(load.get(g, 0) >= avail[g] or g[0] > space or g[1] > kg
                           for g in groups)
                if full:
                    add(load)
                return
            g = groups[i]
            most = min(avail[g], space // g[0], kg // g[1])
            for n in range(most, -1, -1):
                load[g] = n
                walk(i + 1, space - n * g[0], kg - n * g[1], load)
            load[g] = 0

        walk(0, f.space_cm, f.payload_kg, {})
        for g in groups:
            add({g: min(avail[g], f.space_cm // g[0], f.payload_kg // g[1])})
        out = [(t, sum(n * g[1] for g, n in t)) for t in found]
        self._pattern_cache[key] = out
        return out

    def _loads(self, e: _Arc) -> None:
        p, f = self.p, e.fleet
        pm = p.personnel_mass
        name = f"{f.id},{e.origin}>{e.dest},{e.t}"
        groups: dict[tuple[int, int], list[Any]] = defaultdict(list)
        avail: dict[tuple[int, int], int] = defaultdict(int)
        for u in e.units:
            if u.pax and f.seats and pm <= f.payload_kg:
                e.pax[u.id] = self._int(0, min(u.pax, f.seats * f.count), f"pax[{u.id},{name}]")
            for c, n in u.vehicles.items():
                if self._fits(c, f):
                    v = self._int(0, n, f"veh[{u.id},{c},{name}]")
                    e.veh[(u.id, c)] = v
                    g = (p.space_cm[(c, f.type)], p.vehicle_mass[c])
                    groups[g].append(v)
                    avail[g] += n
            if u.cargo_kg:
                e.cargo[u.id] = self._int(0, min(u.cargo_kg, f.payload_kg * f.count),
                                          f"cargo[{u.id},{name}]")
        seats0 = min(f.seats, f.payload_kg // pm)
        pax_terms = [(v, 1.0) for v in e.pax.values()]
        cap_pax: list[tuple[Any, float]] = [(e.x, -float(seats0))]
        mass: list[tuple[Any, float]] = [(v, float(pm)) for v in e.pax.values()]
        mass += [(v, 1.0) for v in e.cargo.values()]
        mass.append((e.x, -float(f.payload_kg)))
        ys: list[tuple[Any, float]] = []
        per_group: dict[tuple[int, int], list[tuple[Any, float]]] = defaultdict(list)
        for i, (load, kg) in enumerate(self._patterns(f, dict(avail)) if avail else ()):
            y = self._int(0, f.count, f"y[{i},{name}]")
            e.patterns.append((load, kg, y))
            ys.append((y, 1.0))
            for g, n in load:
                per_group[g].append((y, -float(n)))
            seats = min(f.seats, (f.payload_kg - kg) // pm)
            cap_pax.append((y, -float(seats - seats0)))
            mass.append((y, float(kg)))
        for g, vs in groups.items():
            self._row([(v, 1.0) for v in vs] + per_group[g], -math.inf, 0)
        if ys:
            self._row([*ys, (e.x, -1.0)], -math.inf, 0)
        if pax_terms:
            self._row(pax_terms + cap_pax, -math.inf, 0)
        if e.pax or e.cargo or e.patterns:
            self._row(mass, -math.inf, 0)

    def _flow(self) -> None:
        """Conservation at every (fleet, airfield, bucket) node; aircraft leave the theatre."""
        p, T = self.p, self.T
        out: dict[tuple[str, str, int], list[Any]] = defaultdict(list)
        inn: dict[tuple[str, str, int], list[Any]] = defaultdict(list)
        first: dict[tuple[str, str], int] = {}
        for e in self.arcs:
            out[(e.fleet.id, e.origin, e.t)].append(e.x)
            inn[(e.fleet.id, e.dest, e.end)].append(e.x)
            for key, t in (((e.fleet.id, e.origin), e.t), ((e.fleet.id, e.dest), e.end)):
                first[key] = min(first.get(key, T), t)
        self.supply: dict[str, int] = {}
        for f in p.fleets:
            if not self.units_of.get(f.id):
                continue
            t0 = math.ceil(f.available[0] / self.dt)
            self.supply[f.id] = t0
            key = (f.id, f.base)
            first[key] = min(first.get(key, T), t0)
        fleets = {f.id: f for f in p.fleets}
        for (fid, a), t_first in sorted(first.items()):
            f = fleets[fid]
            g: dict[int, Any] = {}
            stays = a not in p.theatre or a == f.base
            for t in range(t_first, T):
                ub = f.count if (t < T - 1 or stays) else 0
                g[t] = self._num(0, ub, f"g[{fid},{a},{t}]")
            self.ground[(fid, a)] = g
            for t in range(t_first, T):
                terms: list[tuple[Any, float]] = [(g[t], -1.0)]
                if t > t_first:
                    terms.append((g[t - 1], 1.0))
                terms += [(x, 1.0) for x in inn.get((fid, a, t), ())]
                terms += [(x, -1.0) for x in out.get((fid, a, t), ())]
                supply = f.count if (a == f.base and t == self.supply[fid]) else 0
                self._row(terms, -supply, -supply)

    def _demand(self) -> None:
        """Every unit moved exactly: personnel, each vehicle class, cargo."""
        pax: dict[str, list[Any]] = defaultdict(list)
        veh: dict[tuple[str, str], list[Any]] = defaultdict(list)
        cargo: dict[str, list[Any]] = defaultdict(list)
        for e in self.arcs:
            for uid, v in e.pax.items():
                pax[uid].append(v)
            for key, v in e.veh.items():
                veh[key].append(v)
            for uid, v in e.cargo.items():
                cargo[uid].append(v)
        self.unmovable: list[str] = []
        for u in self.p.units:
            needs = [(pax[u.id], u.pax, "personnel")] if u.pax else []
            needs += [(veh[(u.id, c)], n, c) for c, n in u.vehicles.items()]
            if u.cargo_kg:
                needs.append((cargo[u.id], u.cargo_kg, "cargo"))
            for vs, amount, what in needs:
                if not vs:
                    self.unmovable.append(f"{u.id} ({what})")
                    continue
                self._row([(v, 1.0) for v in vs], amount, amount)

    def _caps(self) -> None:
        """Departures per local day (airfields) and theatre day (cap groups)."""
        s, p = self.p.scenario, self.p
        day_cache: dict[tuple[str, int], date] = {}

        def day_of(tz: ZoneInfo, dep: int) -> date:
            key = (str(tz), dep)
            if key not in day_cache:
                day_cache[key] = (p.epoch + timedelta(minutes=dep)).astimezone(tz).date()
            return day_cache[key]

        by_origin: dict[str, list[_Arc]] = defaultdict(list)
        for e in self.arcs:
            by_origin[e.origin].append(e)
        limits: list[tuple[list[str], int, ZoneInfo]] = [
            ([a.id], a.departure_cap_per_day, s.tz(a.id))
            for a in s.airfields if a.departure_cap_per_day is not None
        ]
        limits += [(list(g.airfields), g.departure_cap_per_day, s.operation.tz)
                   for g in s.cap_groups]
        for members, cap, tz in limits:
            per_day: dict[date, list[tuple[Any, float]]] = defaultdict(list)
            for a in members:
                for e in by_origin.get(a, ()):
                    per_day[day_of(tz, e.dep)].append((e.x, 1.0))
            for terms in per_day.values():
                if len(terms) > 0:
                    self._row(terms, -math.inf, cap)

    def _ground_limits(self) -> None:
        """Aircraft on the ground at the end of each bucket (the bucket's peak) <= limit."""
        s, dt = self.p.scenario, self.dt
        for a in s.airfields:
            if a.max_on_ground is None:
                continue
            at: dict[int, list[tuple[Any, float]]] = defaultdict(list)
            for (_fid, place), g in self.ground.items():
                if place == a.id:
                    for t, v in g.items():
                        at[t].append((v, 1.0))
            for e in self.arcs:
                if e.dest == a.id:
                    for t in range(e.arr // dt, e.end):
                        at[t].append((e.x, 1.0))
            for t in sorted(at):
                self._row(at[t], -math.inf, a.max_on_ground)

    def _mass_terms(self, e: _Arc, uid: str) -> list[tuple[Any, float]]:
        """A unit's load on an arc, in tonnes."""
        p = self.p
        terms = [(e.pax[uid], p.personnel_mass / 1000)] if uid in e.pax else []
        terms += [(v, p.vehicle_mass[c] / 1000) for (u, c), v in e.veh.items() if u == uid]
        if uid in e.cargo:
            terms.append((e.cargo[uid], 1 / 1000))
        return terms

    def _unit_tonnes(self, u: UnitDemand) -> float:
        p = self.p
        return (u.pax * p.personnel_mass + u.cargo_kg
                + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items())) / 1000

    def _before_rules(self) -> None:
        for i, (first, then) in enumerate(self.befores):
            by_t: dict[int, tuple[list[tuple[Any, float]], list[tuple[Any, float]]]] = {}
            for e in self.arcs:
                for u in e.units:
                    if u.nation in first or u.nation in then:
                        f_terms, n_terms = by_t.setdefault(e.t, ([], []))
                        (f_terms if u.nation in first else n_terms).extend(
                            self._mass_terms(e, u.id))
            big_f = sum(self._unit_tonnes(u) for u in self.p.units if u.nation in first)
            big_n = sum(self._unit_tonnes(u) for u in self.p.units if u.nation in then)
            prev = None
            for t in sorted(by_t):
                w = self._int(0, 1, f"w[{i},{t}]")
                f_terms, n_terms = by_t[t]
                self._row([*f_terms, (w, big_f)], -math.inf, big_f)
                self._row([*n_terms, (w, -big_n)], -math.inf, 0)
                if prev is not None:
                    self._row([(prev, 1.0), (w, -1.0)], -math.inf, 0)
                prev = w

    def _objective(self) -> None:
        """Completion bucket first; flights weighted below one bucket in total."""
        p, dt = self.p, self.dt
        lifts = [e for e in self.arcs if e.units]
        obj: list[tuple[Any, float]] = []
        self.o: dict[int, Any] = {}
        if lifts:
            ks = [math.ceil(e.arr / dt) for e in lifts]
            k_lo, k_hi = min(ks), max(ks)
            lb = all_bounds(p)[0].minute
            road = max((p.minutes(r.end) for r in p.roads), default=0)
            forced = max(lb, road)
            for k in range(k_lo, k_hi + 1):
                o = self._int(1 if (k - 1) * dt < forced else 0, 1, f"o[{k}]")
                self.o[k] = o
                obj.append((o, 1.0))
                if k > k_lo:
                    self._row([(self.o[k - 1], -1.0), (o, 1.0)], -math.inf, 0)
            by_unit: dict[str, dict[int, list[tuple[Any, float]]]] = defaultdict(
                lambda: defaultdict(list))
            for e, k in zip(lifts, ks, strict=True):
                for u in e.units:
                    by_unit[u.id][k].extend(self._mass_terms(e, u.id))
            units = {u.id: u for u in p.units}
            for uid, per_k in sorted(by_unit.items()):
                tonnes = self._unit_tonnes(units[uid])
                if tonnes <= 0:
                    continue
                lo, hi = min(per_k), max(per_k)
                nxt = None
                for k in range(hi, lo - 1, -1):
                    r = self._num(0, tonnes, f"r[{uid},{k}]")
                    # r_k >= r_(k+1) + load arriving in bucket k; r_k <= tonnes * o_k.
                    terms = [(r, 1.0)] + [(v, -c) for v, c in per_k.get(k, ())]
                    if nxt is not None:
                        terms.append((nxt, -1.0))
                    self._row(terms, 0, math.inf)
                    self._row([(r, 1.0), (self.o[k], -tonnes)], -math.inf, 0)
                    nxt = r
        flights_ub = 1
        for f in p.fleets:
            if self.units_of.get(f.id):
                cyc = min(p.block(f.type, u.origin, u.destination) for u in self.units_of[f.id])
                flights_ub += f.count * (self.T * dt // max(dt, cyc + f.turnaround) + 2)
        eps = 1.0 / (2 * flights_ub)
        obj += [(e.x, eps) for e in self.arcs]
        self.m.objective.is_maximize = False
        for v, c in obj:
            self.m.objective.set_linear_coefficient(v, c)

    # -- solution ---------------------------------------------------------------------------

    def legs(self, value: Callable[[Any], float]) -> dict[str, list[_Leg]]:
        """Decompose the flows into tails and each arc's loads into aircraft."""
        p = self.p
        by_fleet: dict[str, list[_Arc]] = defaultdict(list)
        for e in self.arcs:
            if round(value(e.x)) > 0:
                by_fleet[e.fleet.id].append(e)
        out: dict[str, list[_Leg]] = {}
        for f in p.fleets:
            arcs = sorted(by_fleet.get(f.id, ()), key=lambda e: (e.t, e.origin, e.dest))
            if not arcs:
                continue
            pools: dict[str, list[tuple[int, int]]] = defaultdict(list)
            pools[f.base] = [(self.supply[f.id], i) for i in range(f.count)]
            for e in arcs:
                n = round(value(e.x))
                loads = self._pack(value, e, n)
                pool = pools[e.origin]
                for load in loads:
                    if not pool or pool[0][0] > e.t:
                        raise RuntimeError(f"flow decomposition failed at {e.origin} bucket {e.t}")
                    _, i = heapq.heappop(pool)
                    tail = f.tails[i]
                    kind = "lift" if load else "positioning"
                    out.setdefault(tail, []).append(
                        _Leg(kind, e.origin, e.dest, e.dep, e.arr, tuple(load)))
                    heapq.heappush(pools[e.dest], (e.end, i))
        return out

    def _pack(self, value: Callable[[Any], float], e: _Arc, n: int
              ) -> list[list[tuple[str, int, dict[str, int], int]]]:
        """Split an arc's loads over its ``n`` aircraft (the model's capacity rows hold)."""
        p, f = self.p, e.fleet
        pm = p.personnel_mass
        slots: list[dict[str, Any]] = []
        for load, kg, y in e.patterns:
            for _ in range(round(value(y))):
                slots.append({"room": dict(load), "kg": kg})
        while len(slots) < n:
            slots.append({"room": {}, "kg": 0})
        if len(slots) > n:
            raise RuntimeError("more vehicle loads than aircraft on an arc")
        for s in slots:
            s.update(mass=0, pax=0, loads={})
            # Personnel room as the model counts it: the vehicle load at its full mass.
            s["seats"] = min(f.seats, (f.payload_kg - s["kg"]) // pm)

        def load_of(s: dict[str, Any], uid: str) -> list[Any]:
            return s["loads"].setdefault(uid, [0, {}, 0])

        for (uid, c), v in sorted(e.veh.items()):
            left = round(value(v))
            g = (p.space_cm[(c, f.type)], p.vehicle_mass[c])
            for s in slots:
                if left == 0:
                    break
                take = min(left, s["room"].get(g, 0))
                if take <= 0:
                    continue
                s["room"][g] -= take
                left -= take
                ld = load_of(s, uid)
                ld[1][c] = ld[1].get(c, 0) + take
                s["mass"] += take * g[1]
            if left:
                raise RuntimeError(f"vehicles of {uid} do not fit their arc")
        for uid, v in sorted(e.pax.items()):
            left = round(value(v))
            for s in slots:
                take = min(left, s["seats"] - s["pax"], (f.payload_kg - s["mass"]) // pm)
                if take <= 0:
                    continue
                s["pax"] += take
                s["mass"] += take * pm
                load_of(s, uid)[0] += take
                left -= take
                if left == 0:
                    break
            if left:
                raise RuntimeError(f"personnel of {uid} do not fit their arc")
        for uid, v in sorted(e.cargo.items()):
            left = round(value(v))
            for s in slots:
                take = min(left, f.payload_kg - s["mass"])
                if take <= 0:
                    continue
                s["mass"] += take
                load_of(s, uid)[2] += take
                left -= take
                if left == 0:
                    break
            if left:
                raise RuntimeError(f"cargo of {uid} does not fit its arc")
        return [
            [(uid, ld[0], dict(sorted(ld[1].items())), ld[2])
             for uid, ld in sorted(s["loads"].items()) if ld[0] or ld[1] or ld[2]]
            for s in slots
        ]


def plan_from_legs(
    p: Problem,
    legs: Mapping[str, Sequence[LegLike]],
    *,
    solve_seconds: float | None = None,
    note: str = "",
) -> Plan:
    """A :class:`Plan` from legs per tail (minutes from the phase start).

    The status is ``optimal`` only when completion meets an independent lower bound (the
    planner's meaning), else ``feasible``. Road moves are the problem's fixed convoy moves.
    """
    s = p.scenario
    tz = s.operation.tz
    nation = {u.id: u.nation for u in s.units}
    raw = []
    for tail, seq in legs.items():
        f = s.tail_fleet[tail]
        for leg in seq:
            loads = tuple(Load(unit=uid, pax=pax, vehicles=dict(sorted(veh.items())),
                               cargo_kg=cargo) for uid, pax, veh, cargo in leg.loads)
            raw.append((leg.dep, tail, leg, f, loads))
    raw.sort(key=lambda r: (r[0], r[1]))
    width = max(3, len(str(len(raw))))
    sorties = tuple(
        Sortie(id=f"S{i:0{width}d}", kind="lift" if loads else "positioning",
               aircraft_type=f.type, tail=tail, operator=f.operator,
               origin=leg.origin, destination=leg.destination,
               departure=p.time(leg.dep), arrival=p.time(leg.arr), loads=loads,
               nations=tuple(sorted({nation[ld.unit] for ld in loads})))
        for i, (_, tail, leg, f, loads) in enumerate(raw, start=1)
    )
    roads = tuple(
        RoadMove(id=f"R{i}", nation=r.nation, units=(r.unit,), from_=r.route_from, to=r.route_to,
                 start=r.start.astimezone(tz), end=r.end.astimezone(tz))
        for i, r in enumerate(p.roads, start=1)
    )
    handovers: list[Handover] = []
    if p.phase == "withdrawal":
        for fac in sorted(s.facilities, key=lambda f: (f.handover, f.id)):
            released = tuple(
                u for u, facs in s.unit_facilities.items()
                if facs and fac.id in facs
                and max(s.facility[x].handover for x in facs) == fac.handover
            )
            handovers.append(Handover(fac.id, fac.handover.astimezone(tz), released))
    ends: dict[str, datetime] = {}
    for so in sorties:
        if so.kind == "lift":
            for n in so.nations:
                ends[n] = max(ends.get(n, so.arrival), so.arrival)
    for r in roads:
        ends[r.nation] = max(ends.get(r.nation, r.end), r.end)
    bounds = all_bounds(p)
    lb = bounds[0]
    completion = max(ends.values()) if ends else None
    optimal = completion is not None and completion <= p.time(lb.minute)
    return Plan(
        scenario=s.scenario, phase=p.phase, status="optimal" if optimal else "feasible",
        completion=completion, lower_bound=p.time(lb.minute), sorties=sorties,
        road_moves=roads, facilities=tuple(handovers), nations=dict(sorted(ends.items())),
        bounds=tuple(Bound(b.name, p.time(b.minute), b.detail) for b in bounds),
        binding=f"{lb.name}: {lb.detail}" + (f"; {note}" if note else ""),
        sorties_lower_bound=sorties_lower_bound(p),
        solve_seconds=None if solve_seconds is None else round(solve_seconds, 3),
    )


_STATUS = {
    mathopt.TerminationReason.OPTIMAL: "optimal",
    mathopt.TerminationReason.FEASIBLE: "feasible",
    mathopt.TerminationReason.NO_SOLUTION_FOUND: "no-solution",
    mathopt.TerminationReason.INFEASIBLE: "infeasible",
    mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED: "infeasible",
}


def _solve(m: mathopt.Model, params: mathopt.SolveParameters) -> tuple[str, Any]:
    """Solve with HiGHS; SCIP only when this OR-Tools build lacks HiGHS (logged)."""
    try:
        return "HIGHS", mathopt.solve(m, mathopt.SolverType.HIGHS, params=params)
    except (ValueError, RuntimeError) as exc:
        if "HIGHS" not in str(exc).upper():
            raise
        log.warning("HiGHS is missing from this OR-Tools build (%s); using SCIP", exc)
        return "SCIP", mathopt.solve(m, mathopt.SolverType.GSCIP, params=params)


def solve_mip(
    scenario: Scenario,
    phase: Phase,
    *,
    bucket: int = 15,
    time_limit: float = 120.0,
    threads: int | None = None,
    horizon: int | None = None,
    max_arcs: int = 1_500_000,
    heuristic_effort: float = 0.3,
    solver_output: bool = False,
    progress: Callable[[str], None] | None = None,
) -> MipResult:
    """Solve the phase with the time-indexed MIP.

    Parameters
    ----------
    scenario, phase
        What to plan.
    bucket
        Minutes per time bucket; every departure lies on a bucket start.
    time_limit
        Seconds for HiGHS (model building is not counted against it).
    threads
        HiGHS ``threads`` option (default: HiGHS's own choice; process-wide in HiGHS).
    horizon
        Latest lift arrival, minutes from the phase start (default: the deadline, else the
        problem's horizon). A tighter horizon shrinks the model; too tight makes it infeasible.
    max_arcs
        Give up without building when the model would have more flight arcs than this.
    heuristic_effort
        HiGHS ``mip_heuristic_effort`` (its default 0.05 rarely finds a first plan here).
    solver_output
        Let HiGHS write its log to the console.
    progress
        Called with short status lines.

    Returns
    -------
    MipResult
        The plan (status ``unknown`` with a message when there is none) and the statistics.
    """
    t0 = _time.perf_counter()
    p = build_problem(scenario, phase)
    name = "HIGHS"
    b = _Builder(p, bucket, horizon)
    if progress:
        progress(f"time-indexed MIP: {bucket}-minute buckets")
    arcs = b.count_arcs(max_arcs)
    build_s = 0.0

    def result(status: str, message: str, solve_s: float = 0.0,
               bound_min: float | None = None) -> MipResult:
        # No bounds for a model never built: on huge problems they take minutes.
        lb = None if status == "too-large" else p.time(all_bounds(p)[0].minute)
        plan = Plan(scenario.scenario, phase, "infeasible" if status == "infeasible" else "unknown",
                    None, lb, message=message, solve_seconds=round(_time.perf_counter() - t0, 3))
        return MipResult(plan, MipStats(name, status, bucket, b.n_vars, b.n_int, b.n_rows,
                                        round(build_s, 3), round(solve_s, 3), bound_min))

    if arcs > max_arcs:
        build_s = _time.perf_counter() - t0
        return result("too-large", f"time-indexed MIP not built: over {max_arcs:,} flight "
                      f"arcs with {bucket}-minute buckets")
    b.build()
    build_s = _time.perf_counter() - t0
    log.info("MIP: %d variables (%d integer), %d rows, built in %.1f s", b.n_vars, b.n_int,
             b.n_rows, build_s)
    if b.unmovable:
        return result("infeasible", "no arc can carry " + ", ".join(b.unmovable[:5]))
    if progress:
        progress(f"solving: {b.n_vars:,} variables, {b.n_rows:,} constraints")
    highs = highs_pb2.HighsOptionsProto()
    highs.double_options["mip_heuristic_effort"] = heuristic_effort
    if threads:
        # MathOpt refuses its generic `threads` for HiGHS; HiGHS's own option is process-wide
        # and fixed by the first solve in the process.
        highs.int_options["threads"] = threads
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=time_limit),
                                     enable_output=solver_output, highs=highs)
    t1 = _time.perf_counter()
    name, res = _solve(b.m, params)
    solve_s = _time.perf_counter() - t1
    status = _STATUS.get(res.termination.reason, "error")
    log.info("%s: %s in %.1f s", name, res.termination.reason.name, solve_s)
    bound = res.termination.objective_bounds.dual_bound
    bound_min = None
    if math.isfinite(bound) and b.o:
        # Completion lies in bucket min(o) - 1 + sum(o); flights add less than half one.
        bound_min = float((min(b.o) - 2 + math.ceil(bound - 0.5)) * bucket)
    if status in ("optimal", "feasible") and res.has_primal_feasible_solution():
        values = res.variable_values()
        legs = b.legs(lambda v: values[v])
        plan = plan_from_legs(p, legs, solve_seconds=_time.perf_counter() - t0,
                              note=f"time-indexed MIP ({name}, {bucket}-minute buckets, {status})")
        stats = MipStats(name, status, bucket, b.n_vars, b.n_int, b.n_rows, round(build_s, 3),
                         round(solve_s, 3), bound_min)
        return MipResult(plan, stats)
    if status == "infeasible":
        return result(status, f"the time-indexed MIP with {bucket}-minute buckets has no "
                      "solution", solve_s)
    if status == "no-solution":
        return result(status, f"no MIP solution within {time_limit:.0f} s", solve_s, bound_min)
    return result("error", f"{name}: {res.termination.reason.name} {res.termination.detail}",
                  solve_s)
