"""Planner: optimal deployment and withdrawal plans with a proven lower bound.

The only module family that imports OR-Tools. Entry function: :func:`plan`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable

from contingent.plan.bounds import (
    MinuteBound,
    all_bounds,
    explain_conflicts,
    min_lifts,
    route_lifts,
    saturated,
    sorties_lower_bound,
)
from contingent.plan.build import build_plan
from contingent.plan.cpsat import CpSatModel, LegValue, Solution
from contingent.plan.greedy import completion_of, greedy
from contingent.plan.lpbound import flow_bound
from contingent.plan.netbound import network_bound
from contingent.plan.problem import Problem, build_problem
from contingent.plan.workbound import Lifts, cap_days_bound, lift_plan, work_bound
from contingent.planfile import Bound, Plan
from contingent.scenario.model import Phase, Scenario

log = logging.getLogger(__name__)

__all__ = ["Problem", "build_problem", "plan"]

#: Units above which the CP-SAT model is not expected to fit and the heuristic gets more time.
LARGE = 500


def _tails_and_legs(p: Problem, legs: int | None) -> tuple[dict[str, int], int]:
    """How many tails per fleet and lift slots per tail the model gets.

    Enough tails to fly every lift the fleet could be asked for once each, capped by the fleet.
    """
    tails = {}
    for f in p.fleets:
        units = [u for u in p.units if u.nation in f.carries]
        need = min_lifts(p, units, [f]) if units else 0
        # Per-route packing can need a few more than the aggregate count.
        routes = len({(u.origin, u.destination) for u in units})
        tails[f.id] = min(f.count, need + routes)
    if legs is None:
        total_tails = max(1, sum(tails.values()))
        need_all = sum(min_lifts(p, [u]) for u in p.units)
        legs = max(1, min(4, math.ceil(need_all / total_tails) + 1))
    return tails, legs


def _model_shape(p: Problem, warm: dict[str, list[LegValue]] | None, legs: int | None,
                 max_model: int) -> tuple[dict[str, int], int, int]:
    """Tails per fleet, lift slots per tail and size (tails x slots x units) of the CP-SAT
    model; the size is past ``max_model`` when it is not worth building."""
    if warm is not None and len(p.units) > LARGE:
        # Far past what the model can hold: skip sizing it.
        return {f.id: 0 for f in p.fleets}, 0, max_model + 1
    tails, n_legs = _tails_and_legs(p, legs)
    if warm is not None and n_legs:
        # Around the greedy's plan: the tails it used plus spares, one more lift per tail than
        # its busiest one. A smaller model searches better; the proof of optimality never
        # relies on it (only on the independent bounds).
        for f in p.fleets:
            used = [t for t in f.tails if t in warm]
            spare = max(2, len(used) // 4)
            tails[f.id] = min(f.count, (f.tails.index(used[-1]) + 1 if used else 0) + spare)
        most = max(sum(1 for leg in v if leg.kind == "lift") for v in warm.values())
        if legs is None:
            n_legs = most + 1
    # Loads are one integer per unit and slot: past this size the model takes longer to build
    # than the search can repay, and the greedy plan (with its bound) is the answer.
    size = sum(tails.values()) * n_legs * max(1, len(p.units)) if n_legs else max_model + 1
    return tails, n_legs, size


def plan(
    scenario: Scenario,
    phase: Phase,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    legs: int | None = None,
    progress: Callable[[str], None] | None = None,
    max_model: int = 60_000,
    rounds: int = 1000,
) -> Plan:
    """Plan one phase: earliest completion, then fewest sorties.

    Parameters
    ----------
    scenario
        The operation.
    phase
        ``"deployment"`` or ``"withdrawal"``.
    time_limit
        Seconds for the solver (default 30).
    workers
        CP-SAT search workers (default: the machine's cores, at most 8).
    legs
        Lift slots per aircraft in the model (default: derived from demand and fleet size).
    progress
        Called with short status lines while solving.
    max_model
        Largest CP-SAT model (aircraft x slots x units) worth building; above it the greedy
        plan is returned with its bounds.
    rounds
        At most this many improvement rounds of the greedy before CP-SAT; in practice the
        heuristic's share of the time limit ends them first (so, as with CP-SAT, a slower
        machine can end a long search elsewhere; a given round count repeats exactly).

    Returns
    -------
    Plan
        With status ``optimal`` only when completion equals a proven lower bound that holds
        for every plan, ``feasible`` with the gap otherwise, ``infeasible`` with the conflicting
        rules in ``message``, or ``unknown`` when the time limit ran out first.
    """
    t0 = time.perf_counter()
    p = build_problem(scenario, phase)
    bounds = all_bounds(p)
    lb = bounds[0]
    plain_bounds = tuple(Bound(b.name, p.time(b.minute), b.detail) for b in bounds)
    conflicts = explain_conflicts(p)
    if conflicts:
        return Plan(scenario.scenario, phase, "infeasible", None, p.time(lb.minute),
                    bounds=plain_bounds, message="; ".join(conflicts),
                    solve_seconds=time.perf_counter() - t0)
    limit = time_limit or 30.0
    if progress:
        progress("greedy warm start")
    # Half the time for the heuristic and its improvement rounds (three quarters where the
    # CP-SAT model will be too big to build); its first variant always runs to the end.
    share = 0.75 if len(p.units) > LARGE else 0.5
    found: list[MinuteBound] = []

    def stronger(upper: int) -> int:
        # Called by the greedy once its variants have a completion: the LP bounds then tell
        # its improvement rounds (and the search) whether there is anything left to gain.
        if progress:
            progress("fleet-work and flow LP bounds")
        # The fleet-work LP is small (fleet classes x routes); the flow LP gets a fifth of the
        # time limit: the bound is worth having, but not the whole budget. Past the CP-SAT
        # range the fleet-work model with whole lifts gets more: on the generated 10^5
        # withdrawal SCIP needs about 15 s to pass the LP (120.8 -> 124.5 h).
        work = work_bound(p, seconds=(0.125 if len(p.units) > LARGE else 0.05) * limit,
                          lp=work_lp.bound if work_lp else None)
        if work is not None and work.minute > upper:
            # A plan beat it: not a relaxation after all. Never claim it.
            log.warning("fleet-work bound above an achieved completion; discarded")
            work = None
        if work is not None:
            found.append(work)
        proven = max([lb.minute, *(b.minute for b in found)])
        if proven < upper:
            # The same model with whole lifts, asked whether the capped airfields' daily
            # departures suffice on the days that open before a threshold: on the generated
            # 10^4 withdrawal they do not before the third day (38.8 -> 49.6 h, 0.4 s).
            caps = cap_days_bound(p, seconds=0.05 * limit, above=proven, upper=upper)
            if caps is not None and caps.minute > upper:
                log.warning("cap-days bound above an achieved completion; discarded")
            elif caps is not None:
                found.append(caps)
        if work is None or work.minute < upper:
            # Past the CP-SAT range the coarsened flow LP rarely beats the other bounds: a
            # twentieth of the time limit there (the fleet-work bound's extra time).
            part = 0.05 if len(p.units) > LARGE else 0.2
            flow = flow_bound(p, max(lb.minute, work.minute if work else 0), upper,
                              seconds=part * limit)
            if flow is not None:
                found.append(flow)
        best = max([lb.minute, *(b.minute for b in found)])
        if best < upper:
            # The aircraft-network LP sees positioning flights, which neither LP above does.
            # It picks its bucket length to fit its share and is skipped when none fits (on
            # the generated 10^4 phases only 1-hour buckets gain anything, in minutes).
            if progress:
                progress("aircraft-network bound")
            share_net = 0.1 if len(p.units) > LARGE else 0.15
            net = network_bound(p, best, upper, seconds=share_net * limit)
            if net is not None:
                found.append(net)
        return max([lb.minute, *(b.minute for b in found)])

    def rounds_end(best: dict[str, list[LegValue]]) -> float | None:
        # Below LARGE units the model is sized from the greedy's plan; when even that is too
        # big to build, the search's half of the time goes to the improvement rounds (less
        # what turning the plan into sorties needs).
        if len(p.units) > LARGE or _model_shape(p, best, legs, max_model)[2] <= max_model:
            return None
        return t0 + 0.9 * limit

    # The fleet-work LP's share of lifts among fleet classes guides two greedy variants: on
    # large problems it keeps fleets that carry every nation free of what others can carry.
    # Its bound is reused by ``stronger`` above, which then solves only the whole-lift model.
    work_lp = lift_plan(p, seconds=0.05 * limit)
    guide = work_lp.lifts if work_lp else None

    def day_plan(until: int) -> Lifts | None:
        # The same LP within the daily caps of the days before ``until``: on the generated
        # 10^4 withdrawal it moves lifts at the capped airfields to bigger aircraft.
        got = lift_plan(p, seconds=0.05 * limit, before=until)
        return got.lifts if got is not None else None

    # Only where the greedy's plan is the answer: below LARGE units CP-SAT searches from it,
    # and there the planned variants changed only where that search ended (the generated
    # 10^2 withdrawal: 24.78 -> 24.83 h in a 30 s run).
    warm = greedy(p, seconds=share * limit - (time.perf_counter() - t0), progress=progress,
                  rounds=rounds, target=lb.minute, bound=stronger, until=rounds_end,
                  guide=guide, day_plan=day_plan if len(p.units) > LARGE else None)
    upper = completion_of(p, warm) if warm is not None else None
    if upper is not None and any(b.minute > upper for b in found):
        # Improvement rounds landed sooner than a bound: it was no relaxation. Never claim it.
        log.warning("an LP bound above an achieved completion; discarded")
        found = [b for b in found if b.minute <= upper]
    if found:
        bounds = sorted([*bounds, *found], key=lambda b: -b.minute)
        lb = bounds[0]
        plain_bounds = tuple(Bound(b.name, p.time(b.minute), b.detail) for b in bounds)
    tails, n_legs, size = _model_shape(p, warm, legs, max_model)
    log.info("model: %s tails, %d legs per tail", tails, n_legs)
    if progress and size <= max_model:
        progress(f"building model: {sum(tails.values())} aircraft x {n_legs} lifts")
    searched = False  # whether CP-SAT's first stage ran (its bound is then worth listing)
    spent = warm is not None and limit - (time.perf_counter() - t0) < 0.5
    if warm is not None and (size > max_model or spent):
        if spent:
            log.info("time limit spent before the search: greedy plan only")
        else:
            log.info("model too large (%d unit-slots > %d): greedy plan only", size, max_model)
        sol = Solution("feasible", upper, None, warm, None, time.perf_counter() - t0, False)
    else:
        # Around a known plan the model's clock stops a day after its last leg (and road
        # move): every day and opening-hours boolean past that is left out.
        until = None
        if warm is not None:
            until = max([leg.arr for v in warm.values() for leg in v]
                        + [p.minutes(r.end) for r in p.roads] + [upper or 0]) + 1440
        model = CpSatModel(p, tails, n_legs, until)
        w = workers or min(8, os.cpu_count() or 1)
        fits = warm is not None and model.covers(warm)
        if fits and warm is not None:
            model.hint(warm)
        # Building the model counts against the time limit (without a plan yet, the search
        # gets at least a second: there is nothing else to return), and so do the solver's
        # own wind-down and turning its answer into a plan: a tenth is kept for those.
        margin = min(1.0, 0.1 * limit)
        left = max(0.25 if warm is not None else 1.0,
                   limit - (time.perf_counter() - t0) - margin)
        skip = fits and upper is not None and upper <= lb.minute
        searched = not skip
        sol = model.solve(left, w, lb.minute, upper if fits else None, skip_first=skip,
                          min_lifts=route_lifts(p), progress=progress)
    if sol.completion is None and warm is not None:
        log.info("CP-SAT found nothing within %.0f s; using the greedy plan", limit)
        sol = Solution("feasible", upper, None, warm, None, sol.seconds, False)
    if sol.completion is None:
        msg = ("no plan satisfies every rule within the model's limits "
               f"({sum(tails.values())} aircraft, {n_legs} lifts each)"
               if sol.status == "infeasible" else "time limit reached before any plan was found")
        return Plan(scenario.scenario, phase, "infeasible" if sol.status == "infeasible"
                    else "unknown", None, p.time(lb.minute), bounds=plain_bounds, message=msg,
                    solve_seconds=time.perf_counter() - t0)
    if searched and sol.bound is not None and sol.model_exact:
        # Reported for transparency; not a proof for all plans (see docs/planner.md).
        plain_bounds += (Bound(
            "cp-sat-model", p.time(sol.bound),
            f"solver's bound within its model ({sum(tails.values())} aircraft x {n_legs} "
            "lifts); not a bound on every plan"),)
    sorties, roads, handovers = build_plan(p, sol)
    completion = p.time(sol.completion)
    # Only bounds valid for every plan count as proof; the solver's own bound is valid
    # only within its model's tail and slot limits.
    status = "optimal" if sol.completion <= lb.minute else "feasible"
    if status == "optimal":
        binding = f"{lb.name}: {lb.detail}"
    else:
        flown: list[tuple[str, int, int, str, str]] = [
            (x.kind, p.minutes(x.departure), p.minutes(x.arrival), x.origin, x.destination)
            for x in sorties
        ]
        full = saturated(p, flown)
        binding = ("; ".join(full) if full else "no rule is used to the full") + (
            f" (no bound proves it; best bound is {lb.name})")
    nations: dict[str, object] = {}
    for s in sorties:
        for n in s.nations:
            if n not in nations or s.arrival > nations[n]:  # type: ignore[operator]
                nations[n] = s.arrival
    for r in roads:
        if r.nation not in nations or r.end > nations[r.nation]:  # type: ignore[operator]
            nations[r.nation] = r.end
    return Plan(
        scenario=scenario.scenario, phase=phase, status=status,  # type: ignore[arg-type]
        completion=completion, lower_bound=p.time(lb.minute),
        sorties=tuple(sorties), road_moves=tuple(roads), facilities=tuple(handovers),
        nations=dict(sorted(nations.items())),  # type: ignore[arg-type]
        bounds=plain_bounds, binding=binding,
        sorties_lower_bound=sorties_lower_bound(p),
        solve_seconds=round(time.perf_counter() - t0, 3),
    )
