"""Departure-slot bounds: daily caps, opening hours and aprons against the lifts they must pass.

Two bounds, each the largest over airfields, cap groups and release thresholds ``r``:

``departure-days``
    Lifts that carry a unit whose earliest departure is ``r`` or later leave its origin at
    ``r`` or later. For a cap group (or a single airfield with a cap, opening hours or a
    ``max_on_ground``) the lifts leaving its members at or after ``r`` are at least
    ``L(r)``; they need ``L(r)`` departure slots from ``r`` on, and the last of them still
    flies its route, so completion >= (the time by which ``L(r)`` slots exist) + (the
    shortest flight of those units).
``theatre-exits``
    In any plan, each lift into an airfield X with a ``max_on_ground`` starts a stay there
    that ends at its tail's next departure from X (open-ended if there is none). At the
    completion ``C`` at most ``MOG(X)`` stays are open, so at least ``L_in(X) - MOG(X)``
    departures from X happen by ``C``, each after its lift's landing and turnaround (so from
    ``r`` on for the lifts carrying units that cannot be on the ground before ``r``). They
    count against X's daily cap and the caps of its groups, and need X open. Completion is at
    least the time by which those slots exist.

Why both hold for every plan the checker accepts:

* **Lift counts.** A lift flies one route and carries units of nations its fleet carries,
  within its type's seats, hold and payload. With per-nation demand (seats, hold at the
  smallest space a vehicle takes in any type carrying the nation, mass), the fewest lifts of
  a route is at least the optimum of the LP "classes of aircraft share their lifts among
  nations in each dimension separately". Any feasible solution ``y`` of its dual (a price
  per seat, centimetre and kilogram of each nation, such that for every fleet class the
  dearest nation it carries in each dimension, summed over the three dimensions, is worth
  at most one lift) gives ``lifts >= ceil(y . demand)`` for every route and every subset of
  units; the prices are computed once per airfield set (GLOP, then scaled so that every
  class row holds exactly in floating point) and applied per route, rounded up per route.
* **Departure slots.** Every departure counts against the daily cap of the local day it
  falls in (airfield caps in the airfield's zone, group caps in theatre time; the days are
  ``Problem.caps``) and lies in an opening window of its airfield (for a group: the hull of
  its members' windows in that day). Within one day, the departures in ``[e, t]`` from a set
  of airfields whose aprons all have a ``max_on_ground`` (and, for lifts, where no fleet is
  based: a tail's first leg from its base follows no counted stay) are at most
  ``MOG + floor(MOG * (t - e) / ta)``: those whose tail arrived before ``e`` stand on the
  apron at ``e`` (at most ``MOG``), and each other one stood at least its turnaround
  ``ta`` inside ``[e, t]``, where the apron holds at most ``MOG`` aircraft at a time.
  Closures and a rule window's closing are left out: dropping a constraint only admits
  more slots.
* **Earliest departures.** A unit's lift leaves at or after its release, its rule window's
  opening and the earliest a tail of a fleet carrying its nation can be ready there (base
  availability, positioning flight and turnaround; a chain of positioning legs is never
  shorter than the direct flight).
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound, _min_space, _ready
from contingent.plan.problem import DAY, FleetData, Problem

log = logging.getLogger(__name__)

_HUGE = 10**9  # "no limit" for caps and aprons

# A unit's need: seats, hold (cm), payload (kg).
_Need = tuple[int, int, int]
# Per-nation prices of a seat, a centimetre of hold and a kilogram, in lifts.
_Prices = dict[str, tuple[float, float, float]]


def _needs(p: Problem) -> tuple[list[_Need], dict[str, list[FleetData]]]:
    """Each unit's need (hold at the smallest space over its nation's carriers) and the
    carrier fleets of each nation."""
    carriers: dict[str, list[FleetData]] = {}
    for u in p.units:
        if u.nation not in carriers:
            carriers[u.nation] = p.carriers(u.nation)
    size: dict[tuple[str, str], int] = {}
    out = []
    for u in p.units:
        space = 0
        for c, n in u.vehicles.items():
            key = (c, u.nation)
            if key not in size:
                size[key] = _min_space(p, c, {f.type for f in carriers[u.nation]})
            space += n * size[key]
        mass = u.pax * p.personnel_mass + u.cargo_kg + sum(
            n * p.vehicle_mass[c] for c, n in u.vehicles.items())
        out.append((u.pax, space, mass))
    return out, carriers


def lift_prices(p: Problem, demand: dict[str, _Need]) -> _Prices | None:
    """Dual-feasible prices for the per-nation demand ``demand`` (see the module docstring).

    ``sum(prices[n][k] * need[k])`` over any units of one route is a lower bound on the lifts
    that route needs. None when GLOP fails or a nation has no carrier.
    """
    nations = sorted(n for n, d in demand.items() if any(d))
    if not nations:
        return {}
    # A class: (seats, hold, payload) and the nations of the demand it carries.
    classes = {((f.seats, f.space_cm, f.payload_kg), f.carries & frozenset(nations))
               for f in p.fleets}
    classes = {c for c in classes if c[1]}
    if any(all(n not in c[1] for c in classes) for n in nations):
        return None
    scale = [max(c[0][k] for c in classes) or 1 for k in range(3)]
    solver = pywraplp.Solver.CreateSolver("GLOP")
    y = {(n, k): solver.NumVar(0, solver.infinity(), "") for n in nations for k in range(3)}
    for cap, carried in sorted(classes, key=lambda c: (c[0], sorted(c[1]))):
        u = [solver.NumVar(0, solver.infinity(), "") for _ in range(3)]
        solver.Add(solver.Sum(u) <= 1)
        for k in range(3):
            for n in carried:
                solver.Add(cap[k] / scale[k] * y[(n, k)] <= u[k])
    solver.Maximize(solver.Sum([demand[n][k] / scale[k] * y[(n, k)]
                                for n in nations for k in range(3)]))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        log.info("lift-price LP not solved")
        return None
    raw = {n: [max(0.0, y[(n, k)].solution_value()) / scale[k] for k in range(3)]
           for n in nations}
    # Make every class row hold in floating point, whatever GLOP's tolerances left.
    worst = max(sum(max(cap[k] * raw[n][k] for n in carried) for k in range(3))
                for cap, carried in classes)
    shrink = max(1.0, worst) * (1 + 1e-9)
    return {n: (a / shrink, b / shrink, m / shrink) for n, (a, b, m) in raw.items()}


def _lifts(value: float) -> int:
    """Lifts from a priced demand: whole lifts, with a margin for rounding in the sum."""
    return max(0, math.ceil(value - 1e-6))


@dataclass
class _Slots:
    """Departure slots from a set of airfields: daily caps, opening hours, apron."""

    days: list[tuple[int, int]]  # [start, end) epoch minutes of each cap day
    cap: int
    windows: list[list[tuple[int, int]]] | None  # per member, sorted [open, close]; None: open
    mog: int
    ta: int

    def _first_open(self, x: int, end: int) -> int | None:
        """The first instant >= x and < end at which some member is open."""
        return _first_open(self.windows, x, end)

    def _last_open(self, start: int, end: int) -> int:
        """The last instant of [start, end] at which some member is open (end if always)."""
        if self.windows is None:
            return end
        best = start - 1
        for ws in self.windows:
            i = bisect_right(ws, (end, _HUGE)) - 1
            if i >= 0 and ws[i][1] >= start:
                best = max(best, min(ws[i][1], end))
        return best

    def count(self, span: int) -> int:
        """Most departures in a day's [e, e + span], by cap and apron."""
        if self.mog >= _HUGE:
            return self.cap
        return min(self.cap, self.mog + self.mog * span // self.ta)

    def earliest(self, lo: int, n: int) -> int | None:
        """Least t such that n departures fit in [lo, t]; None past the last day."""
        if n <= 0:
            return lo
        left = n
        i = bisect_right(self.days, (lo, _HUGE)) - 1
        for ds, de in self.days[max(i, 0):]:
            if de <= lo:
                continue
            e = self._first_open(max(lo, ds), de)
            if e is None:
                continue
            last = self._last_open(e, de)
            if last < e:
                continue
            full = self.count(last - e)
            if full >= left:
                if left <= self.mog:
                    return e
                return e + math.ceil((left - self.mog) * self.ta / self.mog)
            left -= full
        return None


def _first_open(windows: list[list[tuple[int, int]]] | None, x: int, end: int) -> int | None:
    """The first instant >= x and < end at which some airfield is open, given each one's
    sorted opening windows [open, close] (None: all always open)."""
    if windows is None:
        return x if x < end else None
    best: int | None = None
    for ws in windows:
        i = bisect_left(ws, (x + 1,)) - 1  # the window opening at or before x
        for lo, hi in ws[max(i, 0):max(i, 0) + 2]:
            t = max(x, lo)
            if t <= hi and t < end:
                best = t if best is None else min(best, t)
                break
    return best


def _windows(p: Problem, airfield: str, until: int) -> list[tuple[int, int]] | None:
    """The airfield's opening windows [open, close] in epoch minutes (None: always open).

    Days past ``until`` are not listed; ``_Slots`` treats departures there as impossible
    only through the cap days, which end at the same place.
    """
    s = p.scenario
    hours = s.airfield[airfield].hours
    if hours is None:
        return None
    tz = s.tz(airfield)
    out = []
    for _start, _end, iso in p.local_days(tz, until):
        day = datetime.fromisoformat(iso).replace(tzinfo=tz)
        # Round the opening down and the closing up: more slots, never fewer.
        lo = math.floor((day + timedelta(minutes=hours.open_min) - p.epoch).total_seconds() / 60)
        hi = p.minutes(day + timedelta(minutes=hours.close_min))
        out.append((lo, hi))
    return out


@dataclass(frozen=True)
class _Group:
    name: str
    members: frozenset[str]
    cap: int | None
    days: list[tuple[int, int]]


def _groups(p: Problem) -> list[_Group]:
    """Cap groups and capped airfields, then uncapped airfields with hours or an apron limit."""
    s = p.scenario
    until = p.horizon + 3 * DAY
    out = [_Group(dc.name, dc.members, dc.cap, [(a, b) for a, b, _ in dc.days])
           for dc in p.caps]
    capped = {a for dc in p.caps if len(dc.members) == 1 for a in dc.members}
    for a in s.airfields:
        if a.id in capped or (a.hours is None and not a.max_on_ground):
            continue
        out.append(_Group(a.id, frozenset({a.id}), None,
                          [(x, y) for x, y, _ in p.local_days(s.tz(a.id), until)]))
    return out


class _Tables:
    """Per-unit figures shared by both bounds."""

    def __init__(self, p: Problem) -> None:
        self.need, self.carriers = _needs(p)
        ready: dict[tuple[str, str], int] = {}
        fastest: dict[tuple[str, str, str], int] = {}
        turn: dict[tuple[str, str, str], int] = {}
        self.start: list[int] = []  # earliest lift departure
        self.block: list[int] = []  # fastest flight of the unit's route
        self.landed: list[int] = []  # fastest flight plus turnaround
        for u in p.units:
            fs = self.carriers[u.nation]
            key = (u.nation, u.origin)
            if key not in ready:
                ready[key] = min((_ready(p, f, u.origin) for f in fs), default=_HUGE)
            rk = (u.nation, u.origin, u.destination)
            if rk not in fastest:
                fastest[rk] = min((p.block(f.type, u.origin, u.destination) for f in fs),
                                  default=_HUGE)
                turn[rk] = min((p.block(f.type, u.origin, u.destination) + f.turnaround
                                for f in fs), default=_HUGE)
            self.start.append(max(u.release, u.window[0], ready[key]))
            self.block.append(fastest[rk])
            self.landed.append(turn[rk])


def _demand(units: list[int], need: list[_Need], p: Problem) -> dict[str, _Need]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for i in units:
        d = out[p.units[i].nation]
        for k in range(3):
            d[k] += need[i][k]
    return {n: (a, b, c) for n, (a, b, c) in out.items()}


def _priced(units: list[int], need: list[_Need], prices: _Prices,
            p: Problem) -> list[float]:
    out = []
    for i in units:
        y = prices[p.units[i].nation]
        out.append(y[0] * need[i][0] + y[1] * need[i][1] + y[2] * need[i][2])
    return out


def _min_turnaround(fleets: list[FleetData]) -> int:
    return max(1, min((f.turnaround for f in fleets), default=1))


def _slots(p: Problem, g: _Group, members: list[str], fleets: list[FleetData], apron: bool,
           windows: dict[str, list[tuple[int, int]] | None]) -> _Slots:
    """Slots for the departures counted from ``members`` (those of ``g`` they can leave):
    the group's cap, the members' hours and, with ``apron``, their aprons."""
    s = p.scenario
    mogs = [s.airfield[a].max_on_ground for a in members]
    mog = sum(m for m in mogs if m) if apron and all(mogs) else _HUGE
    ws = [windows[a] for a in members]
    return _Slots(
        days=g.days, cap=_HUGE if g.cap is None else g.cap,
        windows=None if any(w is None for w in ws) else [w for w in ws if w is not None],
        mog=mog, ta=_min_turnaround(fleets),
    )


def _limits(g: _Group, slots: _Slots) -> str:
    """What limits the slots, for a bound's detail."""
    out = [] if g.cap is None else [f"{g.cap} departures/day"]
    if slots.windows is not None:
        out.append("opening hours")
    if slots.mog < _HUGE:
        out.append(f"{slots.mog} places")
    return ", ".join(out) or "no limit"


def _fmt(p: Problem, m: int) -> str:
    return f"{p.time(m):%d %b %H:%M}"


def _units_at(p: Problem, end: str) -> tuple[dict[str, list[int]],
                                              dict[str, list[tuple[int, int]] | None]]:
    """Unit indices by their ``end`` ("origin" or "destination") airfield, and every
    airfield's departure windows up to three days past the horizon."""
    at: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(p.units):
        at[getattr(u, end)].append(i)
    until = p.horizon + 3 * DAY
    return at, {a.id: _windows(p, a.id, until) for a in p.scenario.airfields}


def departure_days_bound(p: Problem, t: _Tables | None = None) -> MinuteBound | None:
    """Lifts out of each cap group or capped, timed or apron-limited airfield against its
    departure slots, for every release threshold (see the module docstring)."""
    if not p.units or not p.fleets:
        return None
    t = t or _Tables(p)
    based = {f.base for f in p.fleets}
    by_origin, windows = _units_at(p, "origin")
    best: MinuteBound | None = None
    for g in _groups(p):
        members = sorted(a for a in g.members if by_origin.get(a))
        units = [i for a in members for i in by_origin[a]]
        if not units:
            continue
        prices = lift_prices(p, _demand(units, t.need, p))
        if prices is None:
            continue
        nations = {p.units[i].nation for i in units}
        fleets = [f for f in p.fleets if f.carries & nations]
        slots = _slots(p, g, members, fleets, apron=not (set(members) & based),
                       windows=windows)
        value = _priced(units, t.need, prices, p)
        order = sorted(range(len(units)), key=lambda j: -t.start[units[j]])
        route: dict[tuple[str, str], float] = defaultdict(float)
        lifts = 0
        shortest = _HUGE
        k = 0
        while k < len(order):
            r = t.start[units[order[k]]]
            while k < len(order) and t.start[units[order[k]]] == r:
                i = units[order[k]]
                u = p.units[i]
                key = (u.origin, u.destination)
                old = route[key]
                route[key] = old + value[order[k]]
                lifts += _lifts(route[key]) - _lifts(old)
                shortest = min(shortest, t.block[i])
                k += 1
            if lifts <= 0 or shortest >= _HUGE:
                continue
            dep = slots.earliest(r, lifts)
            if dep is None:
                continue
            m = dep + shortest
            if best is None or m > best.minute:
                best = MinuteBound(
                    "departure-days", m,
                    f"{g.name}: {lifts} lifts leaving from {_fmt(p, r)} on ({_limits(g, slots)}) "
                    f"cannot all leave before {_fmt(p, dep)}; + {shortest} min flight",
                )
    return best


def theatre_exits_bound(p: Problem, t: _Tables | None = None) -> MinuteBound | None:
    """Departures out of apron-limited destinations: every lift in but ``max_on_ground``
    must be followed by a departure before completion (see the module docstring)."""
    if not p.units or not p.fleets:
        return None
    t = t or _Tables(p)
    s = p.scenario
    by_dest, windows = _units_at(p, "destination")
    best: MinuteBound | None = None
    for g in _groups(p):
        members = sorted(a for a in g.members
                         if s.airfield[a].max_on_ground and by_dest.get(a))
        if not members:
            continue
        units = [i for a in members for i in by_dest[a]]
        prices = lift_prices(p, _demand(units, t.need, p))
        if prices is None:
            continue
        nations = {p.units[i].nation for i in units}
        fleets = [f for f in p.fleets if f.carries & nations]
        slots = _slots(p, g, members, fleets, apron=True, windows=windows)
        if g.cap is None and slots.windows is None and slots.mog >= _HUGE:
            continue
        value = _priced(units, t.need, prices, p)
        mog = {a: s.airfield[a].max_on_ground or 0 for a in members}
        order = sorted(range(len(units)), key=lambda j: -(t.start[units[j]]
                                                           + t.landed[units[j]]))
        route: dict[tuple[str, str], float] = defaultdict(float)
        into: dict[str, int] = defaultdict(int)
        k = 0
        while k < len(order):
            r = t.start[units[order[k]]] + t.landed[units[order[k]]]
            while k < len(order) and (t.start[units[order[k]]]
                                      + t.landed[units[order[k]]]) == r:
                u = p.units[units[order[k]]]
                key = (u.origin, u.destination)
                old = route[key]
                route[key] = old + value[order[k]]
                into[u.destination] += _lifts(route[key]) - _lifts(old)
                k += 1
            exits = sum(max(0, n - mog[a]) for a, n in into.items())
            if exits <= 0 or r >= _HUGE:
                continue
            dep = slots.earliest(r, exits)
            if dep is None:
                continue
            if best is None or dep > best.minute:
                lifts = sum(into.values())
                best = MinuteBound(
                    "theatre-exits", dep,
                    f"{g.name}: {lifts} lifts in landing from {_fmt(p, r)} on, "
                    f"{sum(mog.values())} places: {exits} aircraft must leave "
                    f"({_limits(g, slots)}), the last not before {_fmt(p, dep)}",
                )
    return best


def cap_bounds(p: Problem) -> list[MinuteBound]:
    """Both departure-slot bounds that exist."""
    if not p.units or not p.fleets:
        return []
    t = _Tables(p)
    out = [departure_days_bound(p, t), theatre_exits_bound(p, t)]
    return [b for b in out if b is not None]


__all__ = ["cap_bounds", "departure_days_bound", "lift_prices", "theatre_exits_bound"]
