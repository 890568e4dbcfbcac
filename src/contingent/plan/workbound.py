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
  gives when the class is ready within a turnaround of it). A class ready later may never
  fly at all, so its work is held only to ``count * C``; with ``C`` fixed at ``v`` (see
  below), to ``count * max(0, v - ready + ta)``. An earlier version held every class to
  ``count * (C - ready + ta)``, which a fleet available only after the deadline turned into
  a bound past an achieved plan.
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
departures. Each departure falls in one day of every cap group and capped airfield it leaves
from (the checker's days), at or after that day's first open minute, and at most the cap
leave on a day. A lift lands at least its block after it leaves; a positioning run's first
leg leads to a lift from where the run ends, which lands at least the direct flight, a
turnaround and the class's shortest lift from there after the leg leaves (the direct flight
is never longer than the run, as above). So in a plan landing its last lift by ``v``, such a
flight leaves on a day whose first open minute is at most ``v`` less that lead: among a
cap's days, which open in order, one of the first k for some k, and the flights limited to
the first k days number at most ``cap * k``. With ``C = v`` the plan gives a solution of the
model with these constraints; if SCIP proves that model infeasible, every plan ends after
``v``. On the generated 10^4 withdrawal this raised the bound from 38.8 h to 49.6 h with
days alone (every flight may use a day that opens before ``v``: the next day's first open
minute plus the shortest lift), and the leads and the aircraft-hours together raise it
further (see docs/planner.md).
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
#: Seconds for one minute threshold in the second step of :func:`cap_days_bound`.
CAP_DAYS_PROBE = 0.5


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
           most: int = MAX_INTEGER, by: int | None = None,
           opens: list[list[int | None]] | None = None) -> MinuteBound | None:
    """The model's least completion as a bound (see the module docstring).

    ``days``: per entry of ``p.caps``, how many of its days the departures (lifts, and the
    first leg of each positioning run) from its airfields may use, at most its cap on each.
    ``by`` (with ``opens``, from :func:`cap_day_opens`): every lift lands by that minute
    instead; each flight counted may use only the days of a cap on which, leaving at the
    day's first open minute, its lift could still land by then (see :func:`_by`).
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
    c_var = solver.NumVar(0, solver.infinity() if by is None else by, "C")
    # Flights leaving each airfield, over all classes (for the daily caps), each with the
    # least time from its departure to the landing of the lift it is or leads to.
    departs: dict[str, list[tuple[pywraplp.Variable, int]]] = defaultdict(list)
    cover: dict[tuple[str, str], list[tuple[pywraplp.Variable, FleetData]]] = defaultdict(list)
    xs: dict[tuple[str, frozenset[str], str, str], pywraplp.Variable] = {}
    for key, fs in classes.items():
        mine = served[key]
        if not mine:
            continue
        f0, ta = fs[0], fs[0].turnaround
        work: list[tuple[pywraplp.Variable, int]] = []
        into: dict[str, list[pywraplp.Variable]] = defaultdict(list)
        out: dict[str, list[tuple[pywraplp.Variable, int]]] = defaultdict(list)
        # The shortest lift this class flies from each origin.
        first_lift: dict[str, int] = {}
        for (o, d), _us in mine:
            blk = p.block(f0.type, o, d)
            x = (solver.IntVar if whole else solver.NumVar)(0, solver.infinity(), "")
            work.append((x, blk + ta))
            cover[(o, d)].append((x, f0))
            xs[(*key, o, d)] = x
            out[o].append((x, blk))
            into[d].append(x)
            first_lift[o] = min(first_lift.get(o, blk), blk)
        # Positioning runs start at a base or a lift's destination and end at a lift's origin.
        starts = sorted({d for (_, d), _ in mine} | {f.base for f in fs})
        origins = sorted({o for (o, _), _ in mine})
        for a in starts:
            for b in origins:
                if a != b:
                    y = solver.NumVar(0, solver.infinity(), "")
                    blk = p.block(f0.type, a, b)
                    work.append((y, blk + ta))
                    out[a].append((y, blk + ta + first_lift[b]))
                    into[b].append(y)
        for a, flights in out.items():
            departs[a].extend(flights)
        based: dict[str, int] = defaultdict(int)
        for f in fs:
            based[f.base] += f.count
        for a in sorted(set(out) | set(into) | set(based)):
            ends = solver.NumVar(0, solver.infinity(), "")
            solver.Add(based[a] + solver.Sum(into[a])
                       == solver.Sum([v for v, _ in out[a]]) + ends)
        count = sum(f.count for f in fs)
        late = min(f.available[0] for f in fs) - ta
        total = solver.Sum([w * v for v, w in work])
        if by is not None:
            solver.Add(total <= count * max(0, by - late))
        elif late <= 0:
            solver.Add(total <= count * (c_var - late))
        else:
            # A class available only after the phase start binds C only if it flies: one
            # that never flies needs no hours. Its hours are at most count * C either way.
            solver.Add(total <= count * c_var)
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
            flights = [v for a in sorted(dc.members) for v, _ in departs.get(a, ())]
            if flights:
                solver.Add(solver.Sum(flights) <= dc.cap * n)
    if by is not None and opens is not None:
        _by(solver, p, departs, by, opens)
    if (days is None and by is None) or not whole:
        # With whole lifts and the days (or ``by``) given only feasibility is asked: any
        # solution answers it.
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


class _TooLarge(Exception):
    """The whole-lift model has more lift counts than :func:`cap_days_bound` tries."""


def cap_days_bound(p: Problem, seconds: float | None = None, *, above: int = 0,
                   upper: int | None = None) -> MinuteBound | None:
    """The least completion at which the capped airfields' days still hold every flight.

    With whole lifts per route, the fleet-work model (flows of every class, lifts and
    positioning) is solved again as a yes/no question, in two steps:

    1. Days: can every cap group and capped airfield send the flights the model counts
       within its cap on each of its days that open before a threshold ``u``? A plan that
       lands its last lift by ``u`` departs only on such days, so when SCIP proves the model
       infeasible every plan departs on a later day: at or after that day's first open
       minute (opening hours and closures of the members counted), and its last lift lands
       at least the shortest lift's flight after that. A bisection over the days' first
       open minutes finds the last threshold proven too early.
    2. Minutes, from there: can every lift land by ``v``, with the fleet's hours to ``v``,
       when a flight may only use the days on which, leaving at the day's first open
       minute, the lift it is or leads to could still land by ``v`` (see :func:`_by`)? A
       bisection over minutes finds the last ``v`` proven infeasible.

    Infeasibility only grows as the threshold falls, in both. ``above``: a bound already
    proven (only thresholds that could beat it are tried); ``upper``: an achieved completion
    (the model is feasible there). ``seconds`` bounds the whole search: a solve that runs
    out of time ends it with what is proven so far. Returns None when nothing beats
    ``above`` or the model is past ``CAP_DAYS_MAX`` lift counts.
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

    def left() -> float | None:
        return None if seconds is None else seconds - (time.perf_counter() - t0)

    def more() -> bool:
        rest = left()
        return rest is None or rest > 0.05

    def infeasible(days: list[int] | None = None, by: int | None = None,
                   most: float | None = None) -> bool | None:
        """Whether SCIP proves the model infeasible (None: undecided within ``most``
        seconds or what is left)."""
        outcome: list[str] = []
        rest = left()
        limit = most if rest is None else rest if most is None else min(rest, most)
        _solve(p, limit, whole=True, outcome=outcome, most=CAP_DAYS_MAX, days=days, by=by,
               opens=opens)
        if not outcome:
            raise _TooLarge
        return {"infeasible": True, "solved": False}.get(outcome[0])

    # Step 1, days. Step 2 alone would prove as much (its model at a minute v holds every
    # flight to the days that open before v less the shortest lift), but its probes that
    # find a solution are slow: these few coarse ones get it near the bound first.
    # Threshold u: the days that open before u. Only those whose failure would prove more
    # than ``above``, and none past an achieved completion (a plan then exists).
    cands = []
    for u in [1, *(t + 1 for t in starts)]:
        i = bisect.bisect_left(starts, u)
        if i == len(starts) or (upper is not None and u > upper):
            break
        if starts[i] + shortest > above:
            cands.append(u)
    proven = above - 1  # every plan ends after it
    lo, hi = -1, len(cands)  # cands[lo] proven infeasible, cands[hi] feasible (or past the end)
    while hi - lo > 1 and more():
        m = (lo + hi) // 2
        try:
            got = infeasible(days=days_before(opens, cands[m]))
        except _TooLarge:
            return None  # past CAP_DAYS_MAX lift counts: no step is built
        if got is None:
            break
        lo, hi = (m, hi) if got else (lo, m)
    if lo >= 0:
        proven = starts[bisect.bisect_left(starts, cands[lo])] + shortest - 1
    # Step 2, minutes, upward from what is proven: the bound is usually just past it, and
    # SCIP proves infeasibility there in a fraction of a second where finding a solution
    # can take seconds (on the generated 10^4 withdrawal: 0.3 s against up to 6 s). So each
    # probe gets at most ``CAP_DAYS_PROBE`` seconds, and one left undecided counts as
    # feasible: it only proves less.
    a = proven
    b = upper if upper is not None else starts[-1] + DAY if starts else proven
    step = 15
    while b - a > 1 and more():
        m = min(a + step, (a + b) // 2) if step else (a + b) // 2
        try:
            got = infeasible(by=m, most=CAP_DAYS_PROBE)
        except _TooLarge:
            break
        if got:
            a, step = m, step * 2 if step else 0
        else:
            b, step = m, 0  # past the bound: bisect from here
    if a < above:
        return None
    log.info("cap-days bound %d min in %.2f s", a + 1, time.perf_counter() - t0)
    return MinuteBound(
        "cap-days",
        a + 1,
        f"with whole lifts per route, the capped airfields cannot send every flight within "
        f"their daily caps, on days that open early enough for its lift to land, with the "
        f"fleet's hours, by {p.time(a):%d %b %H:%M}",
    )


def _by(solver: pywraplp.Solver, p: Problem,
        departs: dict[str, list[tuple[pywraplp.Variable, int]]], by: int,
        opens: list[list[int | None]]) -> None:
    """Daily caps for a plan whose lifts all land by minute ``by``.

    A flight whose lift lands at least ``lead`` minutes after it leaves may use only the
    days of a cap whose first open minute is at most ``by - lead``: the first k such days
    for some k, since days open in order. So the flights that may use at most the first k
    days together need at most ``cap * k`` departures, for every k.
    """
    for dc, row in zip(p.caps, opens, strict=True):
        starts = sorted(t for t in row if t is not None)
        usable: dict[int, list[pywraplp.Variable]] = defaultdict(list)
        for a in sorted(dc.members):
            for v, lead in departs.get(a, ()):
                usable[bisect.bisect_right(starts, by - lead)].append(v)
        nested: list[pywraplp.Variable] = []
        for k in sorted(usable):
            nested.extend(usable[k])
            solver.Add(solver.Sum(nested) <= dc.cap * k)


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
