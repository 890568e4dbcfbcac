"""Lower bounds on completion that hold for every plan the checker accepts.

They do not depend on the solver or on any limit of its model, so a plan whose completion
meets one is proven optimal. Each bound says what it is made of, so it can also explain a
deadline that no plan can meet.

The bounds take minima and sums over every unit and fleet. They are written to stay roughly
linear in the number of units: demand is summed once per vehicle class rather than once per
vehicle, and per-fleet flight times are tabulated once per route (:class:`_Routes`) and
combined as arrays, since a unit enters them only through its route and a start minute.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import numpy as np

from contingent.plan.problem import FleetData, Problem, UnitDemand

# Larger than any minute: marks "no such flight" in the arrays below. Small enough that adding
# a block time to it cannot overflow int64.
_NEVER = 1 << 62


@dataclass(frozen=True, slots=True)
class MinuteBound:
    """A lower bound on completion, in minutes after the epoch."""

    name: str
    minute: int
    detail: str


def _min_space(p: Problem, vehicle_class: str, types: Iterable[str]) -> int:
    """Smallest hold space (cm) a vehicle of the class takes over aircraft ``types`` (0: none)."""
    opts = [p.space_cm[(vehicle_class, t)] for t in types if (vehicle_class, t) in p.space_cm]
    return min(opts) if opts else 0


def _demand(p: Problem, units: list[UnitDemand], fleets: list[FleetData]) -> tuple[int, int, int]:
    """Seats, hold (cm, smallest space per vehicle over ``fleets``) and payload demanded."""
    pax = cargo = 0
    vehicles: dict[str, int] = {}
    for u in units:
        pax += u.pax
        cargo += u.cargo_kg
        for c, n in u.vehicles.items():
            vehicles[c] = vehicles.get(c, 0) + n
    # Totals per class: the smallest space depends only on the class and the fleets' types.
    types = {f.type for f in fleets}
    mass = pax * p.personnel_mass + cargo + sum(n * p.vehicle_mass[c] for c, n in vehicles.items())
    space = sum(n * _min_space(p, c, types) for c, n in vehicles.items())
    return pax, space, mass


def min_lifts(p: Problem, units: list[UnitDemand], fleets: list[FleetData] | None = None) -> int:
    """Fewest lift sorties that can carry ``units`` (seats, hold space and payload bounds)."""
    fleets = fleets if fleets is not None else p.fleets
    nations = {u.nation for u in units}
    usable = [f for f in fleets if not f.carries.isdisjoint(nations)]
    if not units or not usable:
        return 0
    seats = max(f.seats for f in usable)
    space = max(f.space_cm for f in usable)
    payload = max(f.payload_kg for f in usable)
    # Vehicle space is the smallest a vehicle takes in any usable type.
    pax, veh_space, mass = _demand(p, units, usable)
    need = [math.ceil(mass / payload)]
    if pax:
        need.append(math.ceil(pax / seats) if seats else 10**6)
    if veh_space:
        need.append(math.ceil(veh_space / space) if space else 10**6)
    return max(need)


def _ready(p: Problem, f: FleetData, origin: str) -> int:
    """Earliest a tail of fleet ``f`` can depart loaded from ``origin``."""
    if f.base == origin:
        return f.available[0]
    return f.available[0] + p.block(f.type, f.base, origin) + f.turnaround


def _ints(rows: list[list[int]], n_cols: int) -> np.ndarray:
    """A 2-D int64 array, also when there are no rows or no columns."""
    return np.array(rows, dtype=np.int64).reshape(len(rows), n_cols)


class _Routes:
    """Units grouped by route (nation, origin, destination), with every fleet's times per route.

    The bounds take minima over (unit, fleet) pairs of times that depend on the unit only
    through its route and a start minute, so the fleet side is tabulated once per route as
    ``[fleet, route]`` arrays (fleets in ``p.fleets`` order).
    """

    def __init__(self, p: Problem, units: list[UnitDemand]) -> None:
        index: dict[tuple[str, str, str], int] = {}
        #: Route index of each unit, in ``units`` order.
        self.of_unit = np.array(
            [index.setdefault((u.nation, u.origin, u.destination), len(index)) for u in units],
            dtype=np.int64,
        )
        keys = list(index)
        nations: dict[str, int] = {}
        origins: dict[str, int] = {}
        nation_col = np.array([nations.setdefault(n, len(nations)) for n, _, _ in keys],
                              dtype=np.int64)
        origin_col = np.array([origins.setdefault(o, len(origins)) for _, o, _ in keys],
                              dtype=np.int64)
        fleets, n = p.fleets, len(keys)
        # Block times depend on the aircraft type only (there are far fewer types than fleets),
        # so they are looked up once per type and route, then spread to the fleets.
        types: dict[str, int] = {}
        of_fleet = [types.setdefault(f.type, len(types)) for f in fleets]
        there = _ints([[p.block(t, o, d) for _, o, d in keys] for t in types], n)
        back = _ints([[p.block(t, d, o) for _, o, d in keys] for t in types], n)
        turnaround = np.array([f.turnaround for f in fleets], dtype=np.int64).reshape(-1, 1)
        #: Whether the fleet carries the route's nation.
        self.carried = np.array([[x in f.carries for x in nations] for f in fleets],
                                dtype=bool).reshape(len(fleets), len(nations))[:, nation_col]
        #: Earliest a tail can depart loaded from the route's origin.
        self.ready = _ints([[_ready(p, f, o) for o in origins] for f in fleets],
                           len(origins))[:, origin_col]
        #: Block minutes of the route's lift.
        self.block = there[of_fleet]
        #: Shortest round trip flying the route: two turnarounds and both legs.
        self.cycle = 2 * turnaround + (there + back)[of_fleet]

    def earliest(self, starts: list[int]) -> np.ndarray:
        """Per route, the smallest of ``starts`` (one per unit) over its units."""
        out = np.full(self.block.shape[1], _NEVER, dtype=np.int64)
        np.minimum.at(out, self.of_unit, np.array(starts, dtype=np.int64))
        return out

    def first_and_cycle(self, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per fleet: earliest landing of a lift whose route may depart from ``start`` (per
        route) on, and its shortest round trip; ``_NEVER`` for a fleet carrying no route."""
        first = np.where(self.carried, np.maximum(self.ready, start) + self.block, _NEVER)
        cycle = np.where(self.carried, self.cycle, _NEVER)
        return first.min(axis=1, initial=_NEVER), cycle.min(axis=1, initial=_NEVER)


def _release_reason(p: Problem, u: UnitDemand) -> str:
    """Why a unit is released when it is: the facility handovers it waits for, if any."""
    s = p.scenario
    if p.phase == "withdrawal":
        facs = [f for f in s.unit_facilities.get(u.id, ())
                if p.minutes(s.facility[f].handover) == u.release]
        if facs:
            return "handover of " + ", ".join(facs)
    return "release"


def release_bound(p: Problem) -> MinuteBound:
    """Each unit cannot arrive before its release (or aircraft readiness) plus flight time."""
    best = MinuteBound("release", 0, "phase start")
    if p.units and p.fleets:
        routes = _Routes(p, p.units)
        k = routes.of_unit
        start = np.array([max(u.release, u.window[0]) for u in p.units], dtype=np.int64)
        # [fleet, unit]: each unit's earliest arrival on each fleet that carries it.
        arrive = np.where(routes.carried[:, k],
                          np.maximum(routes.ready[:, k], start) + routes.block[:, k], _NEVER)
        # argmin takes the first fleet on a tie, as min() over p.carriers() did.
        fleet = arrive.argmin(axis=0)
        arrival = arrive[fleet, np.arange(len(p.units))]
        arrival = np.where(arrival < _NEVER, arrival, -1)  # units no fleet carries
        # The first unit with the latest arrival, as a scan keeping strict improvements finds.
        i = int(arrival.argmax())
        if arrival[i] > best.minute:
            u, f = p.units[i], p.fleets[int(fleet[i])]
            dep = max(u.release, u.window[0], int(routes.ready[fleet[i], k[i]]))
            why = _release_reason(p, u) if dep == u.release else "aircraft or rule window"
            best = MinuteBound(
                "release", int(arrival[i]),
                f"unit {u.id}: earliest departure {p.time(dep):%d %b %H:%M} ({why}) "
                f"+ {p.block(f.type, u.origin, u.destination)} min flight on {f.type}",
            )
    for r in p.roads:
        m = p.minutes(r.end)
        if m > best.minute:
            best = MinuteBound("release", m, f"road move of {r.unit}: arrives {r.end:%d %b %H:%M}")
    return best


def _by_origin(units: list[UnitDemand]) -> dict[str, list[UnitDemand]]:
    """Units by origin airfield, each list in ``units`` order."""
    out: dict[str, list[UnitDemand]] = {}
    for u in units:
        out.setdefault(u.origin, []).append(u)
    return out


def _carriers(p: Problem) -> Callable[[str], list[FleetData]]:
    """``p.carriers``, computed once per nation."""
    memo: dict[str, list[FleetData]] = {}

    def carriers(nation: str) -> list[FleetData]:
        if nation not in memo:
            memo[nation] = p.carriers(nation)
        return memo[nation]

    return carriers


def throughput_bound(p: Problem) -> MinuteBound | None:
    """Capped departure airfields: the N-th lift cannot leave before the day it fits in."""
    best: MinuteBound | None = None
    by_origin = _by_origin(p.units)
    carriers = _carriers(p)
    for dc in p.caps:
        name, members, cap, days = dc.name, dc.members, dc.cap, list(dc.days)
        # Sums and minima only, so the order of the units does not matter.
        units = [u for a in sorted(members) for u in by_origin.get(a, ())]
        n = min_lifts(p, units)
        if not n:
            continue
        if cap == 0:
            return MinuteBound("throughput", 10**7, f"{name}: cap 0 departures/day, needs {n}")
        first_day = next((i for i, d in enumerate(days) if d[1] > 0), 0)
        k = first_day + math.ceil(n / cap) - 1
        # Block times depend on the type, not the fleet: look each up once.
        types = {(f.type, o, d) for o, d, nation in {(u.origin, u.destination, u.nation)
                                                      for u in units} for f in carriers(nation)}
        fastest = min(p.block(t, o, d) for t, o, d in types)
        start = days[k][0] if k < len(days) else days[-1][1] + (k - len(days)) * 1440
        m = max(start, 0) + fastest
        if best is None or m > best.minute:
            best = MinuteBound(
                "throughput", m,
                f"{name}: {n} lifts at {cap} departures/day need {math.ceil(n / cap)} day(s)",
            )
    return best


def fleet_bound(p: Problem) -> MinuteBound | None:
    """Fleet cycles: tails can only fly so many lifts by time T."""
    n = min_lifts(p, p.units)
    if not n:
        return None
    routes = _Routes(p, p.units)
    first, cyc = routes.first_and_cycle(routes.earliest([u.release for u in p.units]))
    cycles = [(int(first[i]), max(int(cyc[i]), 1), f.count)
              for i, f in enumerate(p.fleets) if first[i] < _NEVER]
    if not cycles:
        return None

    def lifts_by(t: int) -> int:
        return sum(c * (1 + (t - first) // cyc) for first, cyc, c in cycles if t >= first)

    lo, hi = 0, 10**7
    while lo < hi:
        mid = (lo + hi) // 2
        if lifts_by(mid) >= n:
            hi = mid
        else:
            lo = mid + 1
    total = sum(c for _, _, c in cycles)
    return MinuteBound("fleet-cycles", lo, f"{n} lifts with {total} aircraft")


def wave_bound(p: Problem) -> MinuteBound | None:
    """Units released at or after r must fit in the lifts that depart after r and land by T.

    For each release time r, every fleet's tails can fly at most 1 + (T - first)//cycle lifts
    that land by T; their summed seats, hold space and payload must cover the demand of the
    units released at or after r. Routes and nations are relaxed (fastest route, any nation a
    fleet carries), so the bound stays valid for every plan.
    """
    units = p.units
    if not units:
        return None
    releases = sorted({u.release for u in units})
    # Demand of the units released at each time, then summed from the latest release down,
    # so that the group released at or after r is read off, not rescanned, for each r.
    count = dict.fromkeys(releases, 0)
    pax = dict.fromkeys(releases, 0)
    kg = dict.fromkeys(releases, 0)  # all but the personnel
    vehicles: dict[int, Counter[str]] = {r: Counter() for r in releases}
    latest: dict[str, int] = {}  # nation -> its latest release
    for u in units:
        count[u.release] += 1
        pax[u.release] += u.pax
        kg[u.release] += u.cargo_kg + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items())
        vehicles[u.release].update(u.vehicles)
        latest[u.nation] = max(latest.get(u.nation, u.release), u.release)
    for prev, r in pairwise(releases[::-1]):
        count[r] += count[prev]
        pax[r] += pax[prev]
        kg[r] += kg[prev]
        vehicles[r].update(vehicles[prev])

    # A fleet's first landing after r depends on a unit through its route and the start of its
    # rule window; keep, per (route, window start), the latest release, which says for which r
    # the pair is still in the group. Records are sorted by that release, latest first, so the
    # records of the group released at or after r are a prefix.
    routes = _Routes(p, units)
    last: dict[tuple[int, int], int] = {}
    for k, u in zip(routes.of_unit.tolist(), units, strict=True):
        key = (k, u.window[0])
        last[key] = max(last.get(key, u.release), u.release)
    recs = sorted(last.items(), key=lambda kv: -kv[1])
    rec_route = np.array([k for (k, _), _ in recs], dtype=np.int64)
    rec_open = np.array([w for (_, w), _ in recs], dtype=np.int64)
    rec_last = [-r for _, r in recs]  # ascending, for bisect
    # [fleet, record]; _NEVER where the fleet does not carry the record's nation.
    carried = routes.carried[:, rec_route]
    ready = np.where(carried, np.maximum(routes.ready[:, rec_route], rec_open), _NEVER)
    block = routes.block[:, rec_route]
    # Shortest round trip over a prefix of the records: a running minimum.
    cycle = np.minimum.accumulate(np.where(carried, routes.cycle[:, rec_route], _NEVER), axis=1)

    best: MinuteBound | None = None
    for r in releases:
        nations = {n for n, last_release in latest.items() if last_release >= r}
        fleets = [f for f in p.fleets if f.carries & nations]
        if not fleets:
            continue
        seats = pax[r]
        mass = seats * p.personnel_mass + kg[r]
        types = {f.type for f in fleets}
        space = sum(n * _min_space(p, c, types) for c, n in vehicles[r].items())
        m = bisect_left(rec_last, -r + 1)  # records released at or after r
        firsts = (np.maximum(ready[:, :m], r) + block[:, :m]).min(axis=1, initial=_NEVER)
        waves = [(int(firsts[i]), max(1, int(cycle[i, m - 1])), f)
                 for i, f in enumerate(p.fleets) if firsts[i] < _NEVER]

        def enough(t: int, waves: list = waves, pax: int = seats, space: int = space,
                   mass: int = mass) -> bool:
            cap = [0, 0, 0]
            for first, cyc, f in waves:
                if t >= first:
                    n = f.count * (1 + (t - first) // cyc)
                    cap[0] += n * f.seats
                    cap[1] += n * f.space_cm
                    cap[2] += n * f.payload_kg
            return cap[0] >= pax and cap[1] >= space and cap[2] >= mass

        lo, hi = 0, 10**7
        if not enough(hi):
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if enough(mid):
                hi = mid
            else:
                lo = mid + 1
        if best is None or lo > best.minute:
            best = MinuteBound(
                "wave-capacity", lo,
                f"{count[r]} unit(s) released from {p.time(r):%d %b %H:%M} need the seats, "
                "hold and payload of every aircraft that can land by then",
            )
    return best


def all_bounds(p: Problem) -> list[MinuteBound]:
    """Every independent bound, strongest first."""
    # capbound builds on this module's helpers, so it is imported here, not at the top.
    from contingent.plan.capbound import cap_bounds

    out = [release_bound(p)]
    for b in (throughput_bound(p), fleet_bound(p), wave_bound(p), apron_bound(p)):
        if b is not None:
            out.append(b)
    out += cap_bounds(p)
    return sorted(out, key=lambda b: -b.minute)


def route_lifts(p: Problem) -> int:
    """Fewest lifts: a lift flies one route, so each route's units are packed on their own."""
    routes: dict[tuple[str, str], list[UnitDemand]] = {}
    for u in p.units:
        routes.setdefault((u.origin, u.destination), []).append(u)
    return sum(min_lifts(p, us) for us in routes.values())


def sorties_lower_bound(p: Problem) -> int:
    """Fewest sorties (lift and positioning) any plan can have."""
    n = route_lifts(p)
    # A lift from an airfield where no fleet is based needs the aircraft flown in first.
    based = {f.base for f in p.fleets}
    needs_positioning = all(u.origin not in based for u in p.units)
    return 2 * n if needs_positioning else n


def explain_conflicts(p: Problem) -> list[str]:
    """Plain-language conflicts between rules that make the phase infeasible."""
    msgs: list[str] = []
    fmt = "%d %b %H:%M"
    if p.deadline is not None:
        for b in all_bounds(p):
            if b.minute > p.deadline:
                msgs.append(
                    f"deadline {p.time(p.deadline):{fmt}} vs {b.name}: {b.detail}; "
                    f"earliest completion {p.time(min(b.minute, 10**6)):{fmt}}"
                )
    carriers = _carriers(p)
    for u in p.units:
        lo, hi = u.window
        start = max(lo, u.release)
        if start > hi:
            msgs.append(
                f"unit {u.id}: order rules allow departures until {p.time(hi):{fmt}} but it is "
                f"released only at {p.time(max(u.release, lo)):{fmt}}"
            )
        if not carriers(u.nation):
            msgs.append(f"unit {u.id}: no fleet carries {u.nation}")
    # Rule windows against capped departures: lifts forced into a window must fit its caps.
    # Only units with a closing window take part. Index them by origin once rather than scan
    # them once per cap; the positions keep the units, and so the messages, in order.
    closing: dict[str, list[int]] = {}
    for i, u in enumerate(p.units):
        if u.window[1] < 10**7:
            closing.setdefault(u.origin, []).append(i)
    for dc in p.caps:
        name, members, cap = dc.name, dc.members, dc.cap
        by_window: dict[tuple[int, int], list[UnitDemand]] = {}
        for i in sorted(i for a in members for i in closing.get(a, ())):
            u = p.units[i]
            by_window.setdefault(u.window, []).append(u)
        for (lo, hi), us in by_window.items():
            n = min_lifts(p, us)
            days = max(1, math.ceil((hi - max(lo, 0) + 1) / 1440))
            if n > cap * days:
                nations = ",".join(sorted({u.nation for u in us}))
                msgs.append(
                    f"{nations} must fly {p.time(lo):{fmt}}..{p.time(hi):{fmt}} vs "
                    f"{cap} departures/day from {name}: needs {n}"
                )
    if p.deadline is not None:
        for r in p.roads:
            if p.minutes(r.end) > p.deadline:
                msgs.append(f"deadline {p.time(p.deadline):{fmt}} vs road move of {r.unit}: "
                            f"arrives {r.end:{fmt}}")
    return msgs


def saturated(p: Problem, legs: list[tuple[str, int, int, str, str]]) -> list[str]:
    """What a plan uses to the full: daily caps met, aprons full, late releases.

    ``legs`` are (kind, departure, arrival, origin, destination) in minutes. Used to name the
    binding constraint of a plan that no bound proves optimal.
    """
    s = p.scenario
    out: list[str] = []
    end = max((a for k, _, a, _, _ in legs if k == "lift"), default=0)
    # Departures and ground events per airfield, gathered in one pass over the legs.
    departures: dict[str, list[int]] = {}
    events: dict[str, list[tuple[int, int]]] = {}
    for _, d, arr, o, dst in legs:
        departures.setdefault(o, []).append(d)
        events.setdefault(dst, []).append((arr, 1))
        events.setdefault(o, []).append((d, -1))
    for dc in p.caps:
        name, members, cap = dc.name, dc.members, dc.cap
        # Sorted departures from the members: a day's count is two binary searches.
        deps = sorted(d for a in members for d in departures.get(a, ()))
        full = []
        for lo, hi, iso in dc.days:
            if lo > end:
                break
            n = bisect_left(deps, hi) - bisect_left(deps, lo) if hi > lo else 0
            if cap and n >= cap:
                full.append(datetime.fromisoformat(iso).strftime("%d %b"))
        if full:
            out.append(f"daily cap {cap} at {name} reached on {', '.join(full)}")
    for a in s.airfields:
        if not a.max_on_ground:
            continue
        # Departures before arrivals at the same minute: intervals are half-open.
        level = peak = 0
        for _, step in sorted(events.get(a.id, ())):
            level += step
            peak = max(peak, level)
        if peak >= a.max_on_ground:
            out.append(f"apron at {a.id} full ({a.max_on_ground} aircraft on the ground)")
    return out


class _LiftsBy:
    """:func:`lifts_by` for one set of units at many times ``t``.

    Everything but the time (fleets, their first landings and cycles, the demand, the order of
    the fleets by size) is computed once, so a call costs a pass over the fleets.
    """

    def __init__(self, p: Problem, units: list[UnitDemand]) -> None:
        nations = {u.nation for u in units}
        fleets = [f for f in p.fleets if f.carries & nations]
        self.empty = not units or not fleets
        if self.empty:
            return
        routes = _Routes(p, units)
        first, cyc = routes.first_and_cycle(
            routes.earliest([max(u.release, u.window[0]) for u in units]))
        rows = [(int(first[i]), max(1, int(cyc[i])), f)
                for i, f in enumerate(p.fleets) if f.carries & nations]
        self.demand = _demand(p, units, fleets)
        # For seats, hold and payload: (first, cycle, count, capacity), biggest aircraft first.
        # A stable sort, so that equal aircraft keep the fleet order.
        self.by_size = [
            [(first, cyc, f.count, cap) for first, cyc, f, cap in
             sorted(((*row, (row[2].seats, row[2].space_cm, row[2].payload_kg)[k]) for row in rows),
                    key=lambda x: -x[3])]
            for k in range(3)
        ]

    def __call__(self, t: int) -> int:
        if self.empty:
            return 0
        need = 0
        for k, d in enumerate(self.demand):
            if d <= 0:
                continue
            got = n = 0
            for first, cyc, count, cap in self.by_size[k]:
                if t < first or cap <= 0:
                    continue  # lands only after t, or carries none of this
                take = min(count * (1 + (t - first) // cyc), math.ceil((d - got) / cap))
                got += take * cap
                n += take
                if got >= d:
                    break
            if got < d:
                return 10**6  # cannot be carried by t at all
            need = max(need, n)
        return need


def lifts_by(p: Problem, units: list[UnitDemand], t: int) -> int:
    """Fewest lifts that can carry ``units`` if every lift must land by minute ``t``.

    Each fleet flies at most ``count * (1 + (t - first) // cycle)`` lifts by ``t``; the
    biggest aircraft are used first in each of seats, hold and payload separately, and the
    largest of the three counts is a valid bound (any plan's lifts cover all three).
    """
    return _LiftsBy(p, units)(t)


def apron_bound(p: Problem) -> MinuteBound | None:
    """Aprons: every lift leaving an airfield where no aircraft is based first stands there.

    A tail must arrive at such an airfield and stay at least its turnaround before a lift
    departs; at most ``max_on_ground`` stand at once. So by completion T the apron has given
    at most ``MOG * (T - block - first arrival)`` aircraft-minutes, and the lifts needed by T
    take at least ``lifts_by(T) * turnaround``.
    """
    s = p.scenario
    based = {f.base for f in p.fleets}
    by_origin = _by_origin(p.units)
    best: MinuteBound | None = None
    for a in s.airfields:
        if not a.max_on_ground or a.id in based:
            continue
        units = by_origin.get(a.id, [])
        nations = {u.nation for u in units}
        fleets = [f for f in p.fleets if f.carries & nations]
        if not units or not fleets:
            continue
        ta = min(f.turnaround for f in fleets)
        if ta <= 0:
            continue
        t0 = min(f.available[0] + p.block(f.type, f.base, a.id) for f in fleets)
        blk = min(p.block(t, a.id, d) for d in {u.destination for u in units}
                  for t in {f.type for f in fleets})
        lifts = _LiftsBy(p, units)

        def fits(t: int, lifts: _LiftsBy = lifts, a_mog: int = a.max_on_ground,
                 ta: int = ta, t0: int = t0, blk: int = blk) -> bool:
            return lifts(t) * ta <= a_mog * max(0, t - blk - t0)

        lo, hi = 0, 10**7
        if not fits(hi):
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(mid):
                hi = mid
            else:
                lo = mid + 1
        n = lifts(lo)
        if best is None or lo > best.minute:
            best = MinuteBound(
                "apron", lo,
                f"{a.id}: {n} lifts x {ta} min on the ground, {a.max_on_ground} places",
            )
    return best
