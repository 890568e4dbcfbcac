"""Fleet-work bound: the aircraft-hours the lifts need cannot exceed what the fleet has by then.

Every lift keeps its aircraft busy for its own block time, the turnaround before it, and (when
no lift can end at its origin) the positioning flight that brought the aircraft there with the
turnaround before that. Summed over the lifts a fleet flies, this work must fit between the
fleet's readiness and the completion ``C``. A linear programme chooses how many lifts
(fractions allowed) each fleet class flies on each route so that every route's seats, hold
and payload are carried with the least ``C``; that ``C`` is a lower bound for every plan.

Why it is a relaxation (any plan the checker accepts, landing every lift by ``C``, gives a
feasible LP solution with the same ``C``), using the checker's tail-chain rule (each tail starts
at its base and flies a connected chain, with at least a turnaround between legs, each leg at
least its block time):

* Take one tail and its legs up to its last lift (all land by ``C``). Charge each lift the
  interval from the end of the leg before its positioning leg (or before the lift itself,
  when no positioning leg precedes it) to its landing. Charges of different lifts are
  disjoint and lie in ``[ready, C]``.
* A lift from ``o`` to ``d`` is charged at least ``block + ta``, and, when no lift ends at
  ``o``, the aircraft must have flown in from where its previous lift left it (a lift's
  destination), on positioning legs at least as long as the direct flight, plus the
  turnaround before them: ``block + 2 ta + inbound(o)``.
* The first lift of a chain comes from the base instead, with no turnaround before the
  chain's first leg: each tail gets that difference as credit (the largest over origins).
* Fleets of one type with the same carried nations form a class: summed counts, earliest
  readiness, largest credit. Demand per route is covered by classes carrying any of the
  route's nations; hold space per vehicle is the smallest over those classes' types.
* Whole lifts. A plan flies a whole number of lifts of each class on each route, so the lift
  counts may be required to be integers. That model is a small MIP; SCIP (bundled with
  OR-Tools) explores at most ``NODES`` branch-and-bound nodes and the bound is its proven
  dual bound, which is never above the MIP's optimum. Per-route rounding is what the LP
  misses: a route with 130 passengers needs two 126-seat lifts, not 1.03. Past
  ``MAX_INTEGER`` lift variables (10^5 sorties: the root alone takes seconds) the LP is used.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound
from contingent.plan.problem import FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)

# A node limit rather than only a time limit keeps the bound the same on any machine.
NODES = 100
MAX_INTEGER = 20_000


def _inbound(p: Problem, type_id: str, to: str, ends: set[str]) -> int:
    """Shortest positioning flight into ``to`` from where a lift can have left the aircraft.

    Block times grow with distance plus a fixed extra per flight, so a chain of positioning
    legs through other airfields is never shorter than the direct flight.
    """
    return min((p.block(type_id, a, to) for a in ends if a != to), default=0)


def work_bound(p: Problem, seconds: float | None = None, *, integer: bool = True
               ) -> MinuteBound | None:
    """The least completion at which the fleet has the aircraft-hours for all lifts.

    With ``integer`` (and a model of at most ``MAX_INTEGER`` lift counts) the lift counts
    are whole numbers and the bound is SCIP's proven dual bound; else the LP's optimum.
    The LP's bound is kept when the integer model is larger, slower or no stronger. Returns
    None when there is nothing to lift, no fleet can carry a route, or the LP does not finish
    within ``seconds``.
    """
    t0 = time.perf_counter()
    lp = _solve(p, seconds, whole=False)
    if not integer or lp is None:
        return lp
    # The LP first: it is fast, and it is kept when SCIP is stopped by time before its
    # dual bound passes the LP's.
    left = None if seconds is None else seconds - (time.perf_counter() - t0)
    mip = _solve(p, left, whole=True) if left is None or left > 0.05 else None
    return mip if mip is not None and mip.minute > lp.minute else lp


def _solve(p: Problem, seconds: float | None, whole: bool) -> MinuteBound | None:
    t0 = time.perf_counter()
    routes: dict[tuple[str, str], list[UnitDemand]] = defaultdict(list)
    for u in p.units:
        routes[(u.origin, u.destination)].append(u)
    if not routes:
        return None
    ends = {d for _, d in routes}
    classes: dict[tuple[str, frozenset[str]], list[FleetData]] = defaultdict(list)
    for f in p.fleets:
        classes[(f.type, f.carries)].append(f)
    if whole:
        n = sum(1 for us in routes.values() for key in classes
                if key[1] & {u.nation for u in us})
        if n > MAX_INTEGER:
            return None
    solver = pywraplp.Solver.CreateSolver("SCIP" if whole else "GLOP")
    if solver is None:
        return None
    if seconds is not None:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    c_var = solver.NumVar(0, solver.infinity(), "C")
    inbound: dict[tuple[str, str], int] = {}
    work: dict[tuple[str, frozenset[str]], list[tuple[pywraplp.Variable, int]]] = {
        k: [] for k in classes}
    cover: dict[tuple[str, str], list[tuple[pywraplp.Variable, FleetData]]] = defaultdict(list)
    for (o, d), us in sorted(routes.items()):
        nations = {u.nation for u in us}
        for key, fs in classes.items():
            if not key[1] & nations:
                continue
            f = fs[0]
            blk = p.block(f.type, o, d)
            if o in ends:
                w = blk + f.turnaround
            else:
                if (f.type, o) not in inbound:
                    inbound[(f.type, o)] = _inbound(p, f.type, o, ends)
                w = blk + 2 * f.turnaround + inbound[(f.type, o)]
            x = (solver.IntVar if whole else solver.NumVar)(0, solver.infinity(), "")
            work[key].append((x, w))
            cover[(o, d)].append((x, f))
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
    origins = {o for o, _ in routes}
    for key, fs in classes.items():
        if not work[key]:
            continue
        count = sum(f.count for f in fs)
        ready = min(f.available[0] for f in fs)
        ta = fs[0].turnaround
        # The first lift: no turnaround before the chain's first leg, and the flight from
        # base may be shorter than the inbound charged (or absent, from the base itself).
        credit = ta
        for f in fs:
            for o in origins:
                if o in ends or (f.type, o) not in inbound:
                    continue
                own = 0 if o == f.base else p.block(f.type, f.base, o)
                extra = ta if o == f.base else 0
                credit = max(credit, ta + extra + max(0, inbound[(f.type, o)] - own))
        # Work of the class's lifts <= count * (C - ready + credit).
        solver.Add(solver.Sum([w * x for x, w in work[key]])
                   <= count * (c_var - ready + credit))
    solver.Minimize(c_var)
    if whole:
        solver.SetSolverSpecificParametersAsString(f"limits/nodes = {NODES}\n")
    status = solver.Solve()
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
