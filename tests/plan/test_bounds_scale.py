"""The bounds at scale give exactly what the plain definitions give.

``contingent.plan.bounds`` computes the bounds with per-route tables, running sums and
binary searches so that they stay fast on 10^5 units. The ``ref_*`` functions below are the
straightforward (quadratic) versions they replaced, kept as the oracle: every bound, detail
string and helper must agree with them on generated scenarios of both phases, also after the
releases, rule windows and fleets are shuffled to reach the less common branches.
"""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import datetime
from pathlib import Path

import pytest

from contingent.generate import generate
from contingent.plan import bounds
from contingent.plan.bounds import MinuteBound, _ready, _release_reason
from contingent.plan.capbound import cap_bounds
from contingent.plan.problem import FleetData, Problem, UnitDemand, build_problem
from contingent.scenario import load_scenario, loads_scenario

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"

# --- The oracle: the bounds as first written, one scan of the units per question. ------------


def ref_min_lifts(p: Problem, units: list[UnitDemand],
                  fleets: list[FleetData] | None = None) -> int:
    """Fewest lift sorties that can carry ``units`` (seats, hold space and payload bounds)."""
    fleets = fleets if fleets is not None else p.fleets
    usable = [f for f in fleets if any(u.nation in f.carries for u in units)]
    if not units or not usable:
        return 0
    seats = max(f.seats for f in usable)
    space = max(f.space_cm for f in usable)
    payload = max(f.payload_kg for f in usable)
    pax = sum(u.pax for u in units)
    # The smallest space a vehicle takes in any usable type.
    veh_space = 0
    mass = pax * p.personnel_mass
    for u in units:
        for c, n in u.vehicles.items():
            spaces = [p.space_cm[(c, f.type)] for f in usable if (c, f.type) in p.space_cm]
            veh_space += n * (min(spaces) if spaces else 0)
            mass += n * p.vehicle_mass[c]
        mass += u.cargo_kg
    need = [math.ceil(mass / payload)]
    if pax:
        need.append(math.ceil(pax / seats) if seats else 10**6)
    if veh_space:
        need.append(math.ceil(veh_space / space) if space else 10**6)
    return max(need)


def ref_release_bound(p: Problem) -> MinuteBound:
    """Each unit cannot arrive before its release (or aircraft readiness) plus flight time."""
    best = MinuteBound("release", 0, "phase start")
    for u in p.units:
        options = []
        for f in p.carriers(u.nation):
            dep = max(u.release, u.window[0], _ready(p, f, u.origin))
            options.append((dep + p.block(f.type, u.origin, u.destination), f, dep))
        if not options:
            continue
        arr, f, dep = min(options, key=lambda o: o[0])
        if arr > best.minute:
            why = _release_reason(p, u) if dep == u.release else "aircraft or rule window"
            best = MinuteBound(
                "release", arr,
                f"unit {u.id}: earliest departure {p.time(dep):%d %b %H:%M} ({why}) "
                f"+ {p.block(f.type, u.origin, u.destination)} min flight on {f.type}",
            )
    for r in p.roads:
        m = p.minutes(r.end)
        if m > best.minute:
            best = MinuteBound("release", m, f"road move of {r.unit}: arrives {r.end:%d %b %H:%M}")
    return best


def ref_throughput_bound(p: Problem) -> MinuteBound | None:
    """Capped departure airfields: the N-th lift cannot leave before the day it fits in."""
    best: MinuteBound | None = None
    for dc in p.caps:
        name, members, cap, days = dc.name, dc.members, dc.cap, list(dc.days)
        units = [u for u in p.units if u.origin in members]
        n = ref_min_lifts(p, units)
        if not n:
            continue
        if cap == 0:
            return MinuteBound("throughput", 10**7, f"{name}: cap 0 departures/day, needs {n}")
        first_day = next((i for i, d in enumerate(days) if d[1] > 0), 0)
        k = first_day + math.ceil(n / cap) - 1
        fastest = min(
            p.block(f.type, u.origin, u.destination) for u in units for f in p.carriers(u.nation)
        )
        start = days[k][0] if k < len(days) else days[-1][1] + (k - len(days)) * 1440
        m = max(start, 0) + fastest
        if best is None or m > best.minute:
            best = MinuteBound(
                "throughput", m,
                f"{name}: {n} lifts at {cap} departures/day need {math.ceil(n / cap)} day(s)",
            )
    return best


def ref_fleet_bound(p: Problem) -> MinuteBound | None:
    """Fleet cycles: tails can only fly so many lifts by time T."""
    n = ref_min_lifts(p, p.units)
    if not n:
        return None
    cycles = []
    for f in p.fleets:
        us = [u for u in p.units if u.nation in f.carries]
        if not us:
            continue
        first = min(max(_ready(p, f, u.origin), u.release) + p.block(f.type, u.origin,
                    u.destination) for u in us)
        cyc = min(2 * f.turnaround + p.block(f.type, u.origin, u.destination)
                  + p.block(f.type, u.destination, u.origin) for u in us)
        cycles.append((first, max(cyc, 1), f.count))
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


def ref_wave_bound(p: Problem) -> MinuteBound | None:
    """Units released at or after r must fit in the lifts that depart after r and land by T.

    For each release time r, every fleet's tails can fly at most 1 + (T - first)//cycle lifts
    that land by T; their summed seats, hold space and payload must cover the demand of the
    units released at or after r. Routes and nations are relaxed (fastest route, any nation a
    fleet carries), so the bound stays valid for every plan.
    """
    best: MinuteBound | None = None
    for r in sorted({u.release for u in p.units}):
        group = [u for u in p.units if u.release >= r]
        pax = sum(u.pax for u in group)
        mass = pax * p.personnel_mass + sum(
            u.cargo_kg + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items()) for u in group
        )
        nations = {u.nation for u in group}
        fleets = [f for f in p.fleets if f.carries & nations]
        if not fleets:
            continue
        space = 0
        for u in group:
            for c, n in u.vehicles.items():
                opts = [p.space_cm[(c, f.type)] for f in fleets if (c, f.type) in p.space_cm]
                space += n * min(opts) if opts else 0
        waves = []
        for f in fleets:
            us = [u for u in group if u.nation in f.carries]
            if not us:
                continue
            first = min(max(r, u.window[0], _ready(p, f, u.origin))
                        + p.block(f.type, u.origin, u.destination) for u in us)
            cyc = max(1, min(2 * f.turnaround + p.block(f.type, u.origin, u.destination)
                             + p.block(f.type, u.destination, u.origin) for u in us))
            waves.append((first, cyc, f))

        def enough(t: int, waves: list = waves, pax: int = pax, space: int = space,
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
                f"{len(group)} unit(s) released from {p.time(r):%d %b %H:%M} need the seats, "
                "hold and payload of every aircraft that can land by then",
            )
    return best


def ref_all_bounds(p: Problem) -> list[MinuteBound]:
    """Every independent bound, strongest first."""
    out = [ref_release_bound(p)]
    for b in (ref_throughput_bound(p), ref_fleet_bound(p), ref_wave_bound(p), ref_apron_bound(p)):
        if b is not None:
            out.append(b)
    # The departure-slot bounds were written fast; they have no slow twin here.
    out += cap_bounds(p)
    return sorted(out, key=lambda b: -b.minute)


def ref_route_lifts(p: Problem) -> int:
    """Fewest lifts: a lift flies one route, so each route's units are packed on their own."""
    routes: dict[tuple[str, str], list[UnitDemand]] = {}
    for u in p.units:
        routes.setdefault((u.origin, u.destination), []).append(u)
    return sum(ref_min_lifts(p, us) for us in routes.values())


def ref_sorties_lower_bound(p: Problem) -> int:
    """Fewest sorties (lift and positioning) any plan can have."""
    n = ref_route_lifts(p)
    # A lift from an airfield where no fleet is based needs the aircraft flown in first.
    based = {f.base for f in p.fleets}
    needs_positioning = all(u.origin not in based for u in p.units)
    return 2 * n if needs_positioning else n


def ref_explain_conflicts(p: Problem) -> list[str]:
    """Plain-language conflicts between rules that make the phase infeasible."""
    msgs: list[str] = []
    fmt = "%d %b %H:%M"
    if p.deadline is not None:
        for b in ref_all_bounds(p):
            if b.minute > p.deadline:
                msgs.append(
                    f"deadline {p.time(p.deadline):{fmt}} vs {b.name}: {b.detail}; "
                    f"earliest completion {p.time(min(b.minute, 10**6)):{fmt}}"
                )
    for u in p.units:
        lo, hi = u.window
        start = max(lo, u.release)
        if start > hi:
            msgs.append(
                f"unit {u.id}: order rules allow departures until {p.time(hi):{fmt}} but it is "
                f"released only at {p.time(max(u.release, lo)):{fmt}}"
            )
        if not p.carriers(u.nation):
            msgs.append(f"unit {u.id}: no fleet carries {u.nation}")
    # Rule windows against capped departures: lifts forced into a window must fit its caps.
    for dc in p.caps:
        name, members, cap = dc.name, dc.members, dc.cap
        by_window: dict[tuple[int, int], list[UnitDemand]] = {}
        for u in p.units:
            if u.origin in members and u.window[1] < 10**7:
                by_window.setdefault(u.window, []).append(u)
        for (lo, hi), us in by_window.items():
            n = ref_min_lifts(p, us)
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


def ref_saturated(p: Problem, legs: list[tuple[str, int, int, str, str]]) -> list[str]:
    """What a plan uses to the full: daily caps met, aprons full, late releases.

    ``legs`` are (kind, departure, arrival, origin, destination) in minutes. Used to name the
    binding constraint of a plan that no bound proves optimal.
    """
    s = p.scenario
    out: list[str] = []
    end = max((a for k, _, a, _, _ in legs if k == "lift"), default=0)
    for dc in p.caps:
        name, members, cap = dc.name, dc.members, dc.cap
        full = []
        for lo, hi, iso in dc.days:
            if lo > end:
                break
            n = sum(1 for _, d, _, o, _ in legs if o in members and lo <= d < hi)
            if cap and n >= cap:
                full.append(datetime.fromisoformat(iso).strftime("%d %b"))
        if full:
            out.append(f"daily cap {cap} at {name} reached on {', '.join(full)}")
    for a in s.airfields:
        if not a.max_on_ground:
            continue
        events = []
        for _, d, arr, o, dst in legs:
            if dst == a.id:
                events.append((arr, 1))
            if o == a.id:
                events.append((d, -1))
        # Departures before arrivals at the same minute: intervals are half-open.
        level = peak = 0
        for _, step in sorted(events, key=lambda e: (e[0], e[1])):
            level += step
            peak = max(peak, level)
        if peak >= a.max_on_ground:
            out.append(f"apron at {a.id} full ({a.max_on_ground} aircraft on the ground)")
    return out


def ref_demand(p: Problem, units: list[UnitDemand],
               fleets: list[FleetData]) -> tuple[int, int, int]:
    """Seats, hold (cm, smallest space per vehicle over ``fleets``) and payload demanded."""
    pax = sum(u.pax for u in units)
    mass = pax * p.personnel_mass
    space = 0
    for u in units:
        mass += u.cargo_kg
        for c, n in u.vehicles.items():
            mass += n * p.vehicle_mass[c]
            opts = [p.space_cm[(c, f.type)] for f in fleets if (c, f.type) in p.space_cm]
            space += n * (min(opts) if opts else 0)
    return pax, space, mass


def ref_lifts_by(p: Problem, units: list[UnitDemand], t: int) -> int:
    """Fewest lifts that can carry ``units`` if every lift must land by minute ``t``.

    Each fleet flies at most ``count * (1 + (t - first) // cycle)`` lifts by ``t``; the
    biggest aircraft are used first in each of seats, hold and payload separately, and the
    largest of the three counts is a valid bound (any plan's lifts cover all three).
    """
    nations = {u.nation for u in units}
    fleets = [f for f in p.fleets if f.carries & nations]
    if not units or not fleets:
        return 0
    avail = []
    for f in fleets:
        us = [u for u in units if u.nation in f.carries]
        first = min(max(u.release, u.window[0], _ready(p, f, u.origin))
                    + p.block(f.type, u.origin, u.destination) for u in us)
        if t < first:
            continue
        cyc = max(1, min(2 * f.turnaround + p.block(f.type, u.origin, u.destination)
                         + p.block(f.type, u.destination, u.origin) for u in us))
        avail.append((f, f.count * (1 + (t - first) // cyc)))
    demand = ref_demand(p, units, fleets)
    need = 0
    for k, d in enumerate(demand):
        if d <= 0:
            continue
        got = n = 0
        for f, cnt in sorted(avail, key=lambda x: -(x[0].seats, x[0].space_cm,
                                                    x[0].payload_kg)[k]):
            cap = (f.seats, f.space_cm, f.payload_kg)[k]
            if cap <= 0:
                continue
            take = min(cnt, math.ceil((d - got) / cap))
            got += take * cap
            n += take
            if got >= d:
                break
        if got < d:
            return 10**6  # cannot be carried by t at all
        need = max(need, n)
    return need


def ref_apron_bound(p: Problem) -> MinuteBound | None:
    """Aprons: every lift leaving an airfield where no aircraft is based first stands there.

    A tail must arrive at such an airfield and stay at least its turnaround before a lift
    departs; at most ``max_on_ground`` stand at once. So by completion T the apron has given
    at most ``MOG * (T - block - first arrival)`` aircraft-minutes, and the lifts needed by T
    take at least ``lifts_by(T) * turnaround``.
    """
    s = p.scenario
    based = {f.base for f in p.fleets}
    best: MinuteBound | None = None
    for a in s.airfields:
        if not a.max_on_ground or a.id in based:
            continue
        units = [u for u in p.units if u.origin == a.id]
        fleets = [f for f in p.fleets if any(u.nation in f.carries for u in units)]
        if not units or not fleets:
            continue
        ta = min(f.turnaround for f in fleets)
        if ta <= 0:
            continue
        t0 = min(f.available[0] + p.block(f.type, f.base, a.id) for f in fleets)
        blk = min(p.block(f.type, u.origin, u.destination) for u in units for f in fleets)

        def fits(t: int, units: list[UnitDemand] = units, a_mog: int = a.max_on_ground,
                 ta: int = ta, t0: int = t0, blk: int = blk) -> bool:
            return ref_lifts_by(p, units, t) * ta <= a_mog * max(0, t - blk - t0)

        lo, hi = 0, 10**7
        if not fits(hi):
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(mid):
                hi = mid
            else:
                lo = mid + 1
        n = ref_lifts_by(p, units, lo)
        if best is None or lo > best.minute:
            best = MinuteBound(
                "apron", lo,
                f"{a.id}: {n} lifts x {ta} min on the ground, {a.max_on_ground} places",
            )
    return best


# --- The comparison. -------------------------------------------------------------------------


def _legs(p: Problem, rng: random.Random) -> list[tuple[str, int, int, str, str]]:
    """Random legs between the scenario's airfields, for ``saturated``."""
    afs = [a.id for a in p.scenario.airfields]
    out = []
    for _ in range(max(30, 3 * len(p.units))):
        dep = rng.randrange(0, p.horizon + 2000)
        out.append((rng.choice(["lift", "lift", "positioning"]), dep,
                    dep + rng.randrange(0, 600), rng.choice(afs), rng.choice(afs)))
    return out


def _shuffled(p: Problem, rng: random.Random) -> Problem:
    """``p`` with releases, rule windows, caps and the deadline moved and fleets dropped, so
    that units wait on windows, windows close before release or overflow a cap, roads end
    after the deadline and some nations have no carrier."""
    units = []
    for u in p.units:
        release, window = u.release, u.window
        if rng.random() < 0.3:
            release = rng.randrange(0, p.horizon)
        if rng.random() < 0.3:
            lo = rng.randrange(0, p.horizon)
            window = (lo, rng.choice([10**7, lo + rng.randrange(0, 3000)]))
        units.append(dataclasses.replace(u, release=release, window=window))
    keep = rng.choice([0.3, 0.8, 1.0])
    fleets = [f for f in p.fleets if rng.random() < keep]
    caps = [dataclasses.replace(dc, cap=rng.choice([1, 2, dc.cap, dc.cap])) for dc in p.caps]
    deadline = rng.choice([p.deadline, p.deadline, 600])
    return dataclasses.replace(p, units=units, fleets=fleets, _caps=caps, deadline=deadline)


def _same(p: Problem, rng: random.Random) -> None:
    def row(b: MinuteBound | None) -> tuple[str, int, str] | None:
        return None if b is None else (b.name, b.minute, b.detail)

    for fast, ref in [(bounds.release_bound, ref_release_bound),
                      (bounds.throughput_bound, ref_throughput_bound),
                      (bounds.fleet_bound, ref_fleet_bound),
                      (bounds.wave_bound, ref_wave_bound),
                      (bounds.apron_bound, ref_apron_bound)]:
        assert row(fast(p)) == row(ref(p)), fast.__name__
    assert [row(b) for b in bounds.all_bounds(p)] == [row(b) for b in ref_all_bounds(p)]
    assert bounds.explain_conflicts(p) == ref_explain_conflicts(p)
    assert bounds.route_lifts(p) == ref_route_lifts(p)
    assert bounds.sorties_lower_bound(p) == ref_sorties_lower_bound(p)
    legs = _legs(p, rng)
    assert bounds.saturated(p, legs) == ref_saturated(p, legs)
    for _ in range(3):
        some = [u for u in p.units if rng.random() < 0.5]
        fleets = [f for f in p.fleets if rng.random() < 0.5]
        assert bounds.min_lifts(p, some) == ref_min_lifts(p, some)
        assert bounds.min_lifts(p, some, fleets) == ref_min_lifts(p, some, fleets)
        assert bounds._demand(p, some, fleets) == ref_demand(p, some, fleets)
        for t in (0, 600, 2000, p.horizon, 10**7):
            assert bounds.lifts_by(p, some, t) == ref_lifts_by(p, some, t)


@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
@pytest.mark.parametrize("args", [(40, 8, 30, 3, 1), (80, 12, 60, 4, 2), (150, 16, 100, 5, 3)])
def test_generated_scenarios_match_the_plain_bounds(args, phase):
    s = loads_scenario(generate(*args), "generated.yaml")
    p = build_problem(s, phase)
    rng = random.Random(f"{args}{phase}")
    _same(p, rng)
    for _ in range(3):
        _same(_shuffled(p, rng), rng)


@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
@pytest.mark.parametrize("source", ["kazakhstan-2022", str(TINY)])
def test_shipped_scenarios_match_the_plain_bounds(source, phase):
    p = build_problem(load_scenario(source), phase)
    rng = random.Random(f"{source}{phase}")
    _same(p, rng)
    _same(_shuffled(p, rng), rng)


def test_degenerate_problems_match_the_plain_bounds():
    p = build_problem(loads_scenario(generate(40, 8, 30, 3, 5), "generated.yaml"), "withdrawal")
    rng = random.Random(5)
    zero = [dataclasses.replace(dc, cap=0) for dc in p.caps]
    for q in (dataclasses.replace(p, units=[]), dataclasses.replace(p, fleets=[]),
              dataclasses.replace(p, _caps=zero)):
        _same(q, rng)
