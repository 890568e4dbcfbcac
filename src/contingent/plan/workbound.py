"""Fleet-work bound: the aircraft-hours the lifts need cannot exceed what the fleet has by then.

Every aircraft that lifts must first get to the lift's origin: from its base, or from where
its previous lift left it. A linear programme chooses, per fleet class, how many lifts
(fractions allowed) it flies on each route and how many positioning flights it flies between
airfields, as a flow that starts at the bases and is conserved at every airfield, so that
every route's seats, hold and payload are carried and each class's flights and turnarounds
fit between its readiness and the completion ``C``, with the least ``C``; that ``C`` is a
lower bound for every plan.

Why it is a relaxation (any plan the checker accepts, landing every lift by ``C``, gives a
feasible LP solution with the same ``C``), using the checker's tail-chain rule (each tail starts
at its base and flies a connected chain, with at least a turnaround between legs, each leg at
least its block time):

* Take one tail and its legs up to its last lift (all land by ``C``). They are disjoint, the
  first leaves at or after the tail's readiness, and a turnaround separates each from the
  next: the sum of ``block + ta`` over them is at most ``C - ready + ta``.
* Replace every run of positioning legs between two lifts (or from the base to the first lift)
  by one direct flight from where the run starts to where it ends; drop it when these are the
  same airfield. Block times are whole minutes rounded up from the great-circle distance plus
  a fixed extra per flight, so the direct flight plus one turnaround is never longer. The
  tail's lifts and these flights form a path from its base to its last lift's destination.
* Summed over the tails of a class, the paths give lift counts per route and flight counts
  per airfield pair in which every airfield's inflow (lifts and flights in, tails based
  there) equals its outflow (lifts and flights out, tails ending there); tails that never
  fly start and end at their base. The work constraint holds summed over the tails (a tail
  that never flies needs ``C >= ready - ta``, which any completion after the phase start
  gives).
* Fleets of one type with the same carried nations form a class: summed counts, earliest
  readiness. Demand per route is covered by classes carrying any of the route's nations;
  hold space per vehicle is the smallest over those classes' types.
* Whole lifts. A plan flies a whole number of lifts of each class on each route, so the lift
  counts may be required to be integers. That model is a small MIP; SCIP (bundled with
  OR-Tools) explores at most ``NODES`` branch-and-bound nodes and the bound is its proven
  dual bound, which is never above the MIP's optimum. Per-route rounding is what the LP
  misses: a route with 130 passengers needs two 126-seat lifts, not 1.03. Past
  ``MAX_INTEGER`` lift variables (10^5 sorties: the root alone takes seconds) the LP is used.

Earlier versions charged each lift the shortest flight into its origin from any lift's
destination; the flow charges the flights the aircraft must really fly back, which on the
generated 10^4 withdrawal raises the bound from 34.3 h to 38.8 h.

Daily caps (:func:`cap_days_bound`). The flights the model counts (lifts, and the first leg
of each positioning run, which the plan flies from that airfield) are a subset of the plan's
departures, each before its completion. Each departure falls in one day of every cap group
and capped airfield it leaves from (the checker's days), at or after that day's first open
minute, and at most the cap leave on a day. So a plan landing its last lift by ``u`` gives a
solution of the model in which each cap's counted flights are at most its cap times the
number of its days that open before ``u``; if SCIP proves that model infeasible, no plan
lands its last lift by ``u``, and every plan departs on a day that opens at ``u`` or later.
That departure is a lift, or leads to one, which lands at least the shortest lift's block
later. On the generated 10^4 withdrawal this raises the bound from 38.8 h to 49.6 h.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound
from contingent.plan.capbound import _first_open, _windows
from contingent.plan.problem import DAY, FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)

# A node limit rather than only a time limit keeps the bound the same on any machine.
NODES = 100
MAX_INTEGER = 20_000
#: Largest whole-lift model :func:`cap_days_bound` tries (lift counts): the generated 10^4
#: phases have 761, the 10^5 withdrawal 8,111, where SCIP decides the thresholds that matter
#: in neither 12 s nor 60 s.
CAP_DAYS_MAX = 4_000


#: Lifts per fleet class (type, carried nations) and route.
Lifts = dict[tuple[str, frozenset[str], str, str], float]


class FleetWorkLP(NamedTuple):
    """The fleet-work LP's optimum: its bound, and its lifts per fleet class and route."""

    bound: MinuteBound
    lifts: Lifts


def work_bound(p: Problem, seconds: float | None = None, *, integer: bool = True,
               lp: MinuteBound | None = None) -> MinuteBound | None:
    """The least completion at which the fleet has the aircraft-hours for all lifts.

    With ``integer`` (and a model of at most ``MAX_INTEGER`` lift counts) the lift counts
    are whole numbers and the bound is SCIP's proven dual bound; else the LP's optimum.
    The LP's bound is kept when the integer model is larger, slower or no stronger. Returns
    None when there is nothing to lift, no fleet can carry a route, or the LP does not finish
    within ``seconds``. ``lp``: the LP's bound when already solved (see :func:`lift_plan`),
    so that only the integer model is solved here.
    """
    t0 = time.perf_counter()
    if lp is None:
        lp = _solve(p, seconds, whole=False)
    if not integer or lp is None:
        return lp
    # The LP first: it is fast, and it is kept when SCIP is stopped by time before its
    # dual bound passes the LP's.
    left = None if seconds is None else seconds - (time.perf_counter() - t0)
    mip = _solve(p, left, whole=True) if left is None or left > 0.05 else None
    return mip if mip is not None and mip.minute > lp.minute else lp


def lift_plan(p: Problem, seconds: float | None = None, *,
              before: int | None = None) -> FleetWorkLP | None:
    """The fleet-work LP's bound and its lifts per fleet class (type, carried nations) and
    route.

    The lifts are how the fleet would share the work if lifts could be split: the greedy's
    guided variants follow them, as a guide only. The bound can be handed to
    :func:`work_bound`. None when the LP is not solved within ``seconds``.

    ``before``: a day plan for that completion. Each cap group's departures are held to its
    cap on each of its days that open before it (as in :func:`cap_days_bound`), so that the
    lifts at a capped airfield fit the days it has: fewer, bigger aircraft where the caps
    bind. The bound is then no bound (the days are a choice); None when the LP has no
    solution within those days.
    """
    lifts: Lifts = {}
    days = None if before is None else days_before(cap_day_opens(p), before)
    bound = _solve(p, seconds, whole=False, lifts=lifts, days=days)
    return FleetWorkLP(bound, lifts) if bound is not None else None


def _solve(p: Problem, seconds: float | None, whole: bool, lifts: Lifts | None = None,
           days: Sequence[int] | None = None, outcome: list[str] | None = None,
           most: int = MAX_INTEGER) -> MinuteBound | None:
    """The model's least completion as a bound (see the module docstring).

    ``days``: per entry of ``p.caps``, how many of its days the departures (lifts, and the
    first leg of each positioning run) from its airfields may use, at most its cap on each.
    ``outcome`` gets "solved", "infeasible" (proven) or "unknown" appended (nothing when
    the model is not built: more than ``most`` whole lift counts, or nothing to lift).
    """
    t0 = time.perf_counter()
    routes: dict[tuple[str, str], list[UnitDemand]] = defaultdict(list)
    for u in p.units:
        routes[(u.origin, u.destination)].append(u)
    if not routes:
        return None
    classes: dict[tuple[str, frozenset[str]], list[FleetData]] = defaultdict(list)
    for f in p.fleets:
        classes[(f.type, f.carries)].append(f)
    served = {key: [(r, us) for r, us in sorted(routes.items())
                    if key[1] & {u.nation for u in us}] for key in classes}
    if whole and sum(len(v) for v in served.values()) > most:
        return None
    solver = pywraplp.Solver.CreateSolver("SCIP" if whole else "GLOP")
    if solver is None:
        return None
    if seconds is not None:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    c_var = solver.NumVar(0, solver.infinity(), "C")
    # Flights leaving each airfield, over all classes (for the daily caps).
    departs: dict[str, list[pywraplp.Variable]] = defaultdict(list)
    cover: dict[tuple[str, str], list[tuple[pywraplp.Variable, FleetData]]] = defaultdict(list)
    xs: dict[tuple[str, frozenset[str], str, str], pywraplp.Variable] = {}
    for key, fs in classes.items():
        mine = served[key]
        if not mine:
            continue
        f0, ta = fs[0], fs[0].turnaround
        work: list[tuple[pywraplp.Variable, int]] = []
        out: dict[str, list[pywraplp.Variable]] = defaultdict(list)
        into: dict[str, list[pywraplp.Variable]] = defaultdict(list)
        for (o, d), _us in mine:
            x = (solver.IntVar if whole else solver.NumVar)(0, solver.infinity(), "")
            work.append((x, p.block(f0.type, o, d) + ta))
            cover[(o, d)].append((x, f0))
            xs[(*key, o, d)] = x
            out[o].append(x)
            into[d].append(x)
        # Positioning runs start at a base or a lift's destination and end at a lift's origin.
        starts = sorted({d for (_, d), _ in mine} | {f.base for f in fs})
        origins = sorted({o for (o, _), _ in mine})
        for a in starts:
            for b in origins:
                if a != b:
                    y = solver.NumVar(0, solver.infinity(), "")
                    work.append((y, p.block(f0.type, a, b) + ta))
                    out[a].append(y)
                    into[b].append(y)
        for a, flights in out.items():
            departs[a].extend(flights)
        based: dict[str, int] = defaultdict(int)
        for f in fs:
            based[f.base] += f.count
        for a in sorted(set(out) | set(into) | set(based)):
            ends = solver.NumVar(0, solver.infinity(), "")
            solver.Add(based[a] + solver.Sum(into[a]) == solver.Sum(out[a]) + ends)
        count = sum(f.count for f in fs)
        ready = min(f.available[0] for f in fs)
        solver.Add(solver.Sum([w * v for v, w in work]) <= count * (c_var - ready + ta))
    for (o, d), us in routes.items():
        opts = cover[(o, d)]
        if not opts:
            return None
        pax = sum(u.pax for u in us)
        mass = sum(u.pax * p.personnel_mass + u.cargo_kg
                   + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items()) for u in us)
        space = 0
        for u in us:
            for c, n in u.vehicles.items():
                fits = [p.space_cm[(c, f.type)] for _, f in opts if (c, f.type) in p.space_cm]
                space += n * (min(fits) if fits else 0)
        for need, cap in ((pax, lambda f: f.seats), (space, lambda f: f.space_cm),
                          (mass, lambda f: f.payload_kg)):
            if need > 0:
                solver.Add(solver.Sum([cap(f) * x for x, f in opts]) >= need)
    if days is not None:
        for dc, n in zip(p.caps, days, strict=True):
            flights = [v for a in sorted(dc.members) for v in departs.get(a, ())]
            if flights:
                solver.Add(solver.Sum(flights) <= dc.cap * n)
    if days is None or not whole:
        # With whole lifts and the days given only feasibility is asked: any solution
        # answers it.
        solver.Minimize(c_var)
    if whole:
        solver.SetSolverSpecificParametersAsString(f"limits/nodes = {NODES}\n")
    status = solver.Solve()
    if outcome is not None:
        outcome.append("infeasible" if status == pywraplp.Solver.INFEASIBLE else
                       "solved" if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
                       else "unknown")
    if status == pywraplp.Solver.OPTIMAL and not whole:
        value = c_var.solution_value()
    elif whole and status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        # Stopped at the node limit or optimal: the dual bound is proven either way.
        value = solver.Objective().BestBound()
    else:
        log.info("fleet-work %s not solved (status %s)", "MIP" if whole else "LP", status)
        return None
    if not math.isfinite(value):
        return None
    if lifts is not None:
        lifts.update((k, x.solution_value()) for k, x in xs.items())
    # Completion is a whole minute at least the optimum; the slack covers the solvers'
    # feasibility tolerances.
    minute = max(0, math.ceil(value - (1e-3 if whole else 1e-6)))
    log.info("fleet-work bound %d min (%s) in %.2f s", minute, "whole lifts" if whole else "LP",
             time.perf_counter() - t0)
    return MinuteBound(
        "fleet-work", minute,
        f"the lifts need more aircraft-hours (flights, turnarounds, positioning) than "
        f"{sum(f.count for f in p.fleets)} aircraft have before then"
        + (" (whole lifts per route)" if whole else ""),
    )


def cap_days_bound(p: Problem, seconds: float | None = None, *, above: int = 0,
                   upper: int | None = None) -> MinuteBound | None:
    """The day on which the capped airfields must still be sending aircraft.

    With whole lifts per route, the fleet-work model (flows of every class, lifts and
    positioning) is solved again with each cap group's and capped airfield's departures held
    to its cap on each of the days that open before a threshold ``u``. A plan that lands its
    last lift by ``u`` departs only on such days (each departure lies in a day that had
    opened by then), so when SCIP proves that model infeasible, every plan still departs
    from a capped airfield on a later day: at or after the next day's first open minute,
    and its last lift lands at least the shortest lift's flight after that. The thresholds
    are the days' first open minutes (opening hours and closures of the members counted);
    infeasibility only grows as the threshold falls, so a bisection finds the last
    infeasible one.

    ``above``: a bound already proven (only thresholds that could beat it are tried);
    ``upper``: an achieved completion (the model is feasible past it). ``seconds`` bounds
    the whole search: a solve that runs out of time ends it with what is proven so far.
    Returns None when nothing beats ``above`` or the model is past ``CAP_DAYS_MAX`` lift
    counts.
    """
    t0 = time.perf_counter()
    if not p.units or not p.caps:
        return None
    # Per route, the types that may fly some nation on it: far fewer than units x fleets.
    types = {n: {f.type for f in p.carriers(n)} for n in {x.nation for x in p.units}}
    flown: dict[tuple[str, str], set[str]] = defaultdict(set)
    for x in p.units:
        flown[(x.origin, x.destination)] |= types[x.nation]
    shortest = min((p.block(ty, o, d) for (o, d), tys in flown.items() for ty in tys),
                   default=None)
    if shortest is None:
        return None
    opens = cap_day_opens(p)
    starts = sorted({t for row in opens for t in row if t is not None and t > 0})

    def after(u: int) -> int | None:
        """The first day opening at or after ``u``."""
        i = bisect.bisect_left(starts, u)
        return starts[i] if i < len(starts) else None

    # Threshold u: the days that open before u. Only those whose failure would prove more
    # than ``above``, and none past an achieved completion (a plan then exists).
    cands = []
    for u in [1, *(t + 1 for t in starts)]:
        nxt = after(u)
        if nxt is None or (upper is not None and u > upper):
            break
        if nxt + shortest > above:
            cands.append(u)
    lo, hi = -1, len(cands)  # cands[lo] proven infeasible, cands[hi] feasible (or past the end)
    while hi - lo > 1:
        left = None if seconds is None else seconds - (time.perf_counter() - t0)
        if left is not None and left <= 0.05:
            break
        m = (lo + hi) // 2
        outcome: list[str] = []
        days = days_before(opens, cands[m])
        _solve(p, left, whole=True, days=days, outcome=outcome, most=CAP_DAYS_MAX)
        if outcome == ["infeasible"]:
            lo = m
        elif outcome == ["solved"]:
            hi = m
        else:
            break  # out of time, or too large to build: keep what is proven
    if lo < 0:
        return None
    nxt = after(cands[lo])
    assert nxt is not None  # every candidate has a next day
    minute = nxt + shortest
    log.info("cap-days bound %d min in %.2f s", minute, time.perf_counter() - t0)
    return MinuteBound(
        "cap-days",
        minute,
        f"with whole lifts per route, the flights cannot all leave the capped airfields "
        f"within their daily caps on the days open before {p.time(nxt):%d %b %H:%M}; "
        f"a later departure and the shortest lift ({shortest} min) end no sooner",
    )


def cap_day_opens(p: Problem) -> list[list[int | None]]:
    """Per entry of ``p.caps`` and per one of its days, the day's first minute at which one of
    its airfields accepts a departure (None: none that day)."""
    if not p.caps:
        return []
    # Per capped airfield: its opening windows (the caps' days reach a day past their last
    # start) and its closures in whole minutes inside them only (start rounded up, end down),
    # so that a first minute found is never after a real departure's.
    until = max(hi for dc in p.caps for _, hi, _ in dc.days) + DAY
    open_at = {aid: (_windows(p, aid, until),
                     [(p.minutes(c.from_), math.floor((c.to - p.epoch).total_seconds() / 60))
                      for c in p.scenario.airfield[aid].closures])
               for aid in sorted({a for dc in p.caps for a in dc.members})}
    return [[_first_departure([open_at[a] for a in sorted(dc.members)], lo, hi)
             for lo, hi, _ in dc.days] for dc in p.caps]


def days_before(opens: list[list[int | None]], u: int) -> list[int]:
    """Per cap group (a row of :func:`cap_day_opens`), how many of its days open before
    minute ``u``."""
    return [sum(1 for t in row if t is not None and t < u) for row in opens]


def _first_departure(members: list[tuple[list[tuple[int, int]] | None,
                                        list[tuple[int, int]]]],
                     lo: int, hi: int) -> int | None:
    """The first minute in [lo, hi) at which one of the airfields accepts a departure,
    given each one's opening windows (None: always open) and closures, or None."""
    best = None
    for windows, closures in members:
        t: int | None = lo
        while t is not None:
            t = _first_open(None if windows is None else [windows], t, hi)
            # Past a closure, the windows are looked at again.
            end = next((c1 for c0, c1 in closures if t is not None and c0 <= t < c1), None)
            if end is None:
                break
            t = end
        if t is not None and (best is None or t < best):
            best = t
    return best
