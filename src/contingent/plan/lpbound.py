"""A time-expanded flow LP: a lower bound on completion that sees fleets, caps and aprons together.

Lifts are continuous amounts ``x[f, r, b]``: fleet ``f`` flying route ``r`` departing in time
bucket ``b``. For a trial completion ``C`` the LP asks whether such lifts can carry every unit
while respecting, in aggregate, release windows, fleet cycles, daily departure caps, apron
occupancy at origins, and the theatre apron filling up at destinations. Every rounding to
buckets is made in the optimistic direction (earliest departure, latest counted arrival, ...),
so the LP is a relaxation: if it is infeasible for ``C``, no plan completes by ``C``. The
smallest feasible ``C`` (found by bisection) is the bound.

As a guard against a relaxation that is not one, the LP must be feasible at a completion some
plan achieved; if not, the bound is discarded and a warning logged.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from datetime import timedelta

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound, _ready
from contingent.plan.problem import FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)

Route = tuple[str, str]


def _bucket_minutes(p: Problem) -> int:
    """Buckets must not straddle a local midnight of any capped airfield or group."""
    s = p.scenario
    zones = {s.operation.tz} | {s.tz(a.id) for a in s.airfields}
    for tz in zones:
        off = p.epoch.astimezone(tz).utcoffset() or timedelta()
        # Phase epoch minus local midnight must be a multiple of the bucket.
        local = p.epoch.astimezone(tz)
        since_midnight = local.hour * 60 + local.minute
        if (off.total_seconds() // 60) % 60 or since_midnight % 60:
            return 15
    return 60


class FlowLP:
    """Build and solve the relaxation for trial completions.

    Parameters
    ----------
    problem
        The phase as integers.
    upper
        A completion some plan achieves (minutes); buckets cover [0, upper].
    """

    def __init__(self, problem: Problem, upper: int) -> None:
        self.p = problem
        self.upper = upper
        self.dt = _bucket_minutes(problem)
        self.nb = upper // self.dt + 1
        self.routes: dict[Route, list[UnitDemand]] = defaultdict(list)
        for u in problem.units:
            self.routes[(u.origin, u.destination)].append(u)
        self.fleet_routes = {
            f.id: [r for r, us in self.routes.items() if any(u.nation in f.carries for u in us)]
            for f in problem.fleets
        }

    def size(self) -> int:
        """Number of lift variables."""
        return sum(len(rs) for rs in self.fleet_routes.values()) * self.nb

    # -- helpers -----------------------------------------------------------------------

    def _space(self, f: FleetData, units: list[UnitDemand]) -> int:
        p = self.p
        out = 0
        for u in units:
            for c, n in u.vehicles.items():
                sp = p.space_cm.get((c, f.type))
                out += n * (sp if sp is not None else 0)
        return out

    def _cycle(self, f: FleetData) -> int:
        """Shortest time between two lift departures of one tail of ``f``."""
        p = self.p
        rs = self.fleet_routes[f.id]
        best = 10**9
        for o1, d1 in rs:
            for o2, _ in rs:
                gap = p.block(f.type, o1, d1) + f.turnaround
                if d1 != o2:
                    gap += p.block(f.type, d1, o2) + f.turnaround
                best = min(best, gap)
        return max(1, best)

    # -- the LP ------------------------------------------------------------------------

    def feasible(self, c: int) -> bool:
        """Whether the relaxation admits every unit landed by minute ``c``."""
        p, dt, nb = self.p, self.dt, self.nb
        # GLOP rather than the bundled HiGHS: this HiGHS build prints a banner on stdout at
        # every solve, whatever its output settings, which would corrupt CLI output.
        solver = pywraplp.Solver.CreateSolver("GLOP")
        inf = solver.infinity()
        x: dict[tuple[str, Route, int], pywraplp.Variable] = {}
        for f in p.fleets:
            for r in self.fleet_routes[f.id]:
                blk = p.block(f.type, *r)
                ready = min(_ready(p, f, r[0]), 10**9)
                for b in range(nb):
                    start, end = b * dt, (b + 1) * dt
                    # Optimistic: the lift leaves at the bucket's start, yet any time inside
                    # it counts as "after" a release or the aircraft's arrival.
                    if start + blk > c or end - 1 < ready or start > f.available[1]:
                        continue
                    x[(f.id, r, b)] = solver.NumVar(0, inf, "")
        fleets = {f.id: f for f in p.fleets}

        by_route: dict[Route, list[tuple[FleetData, int, pywraplp.Variable]]] = defaultdict(list)
        for (fid, r, b), v in x.items():
            by_route[r].append((fleets[fid], b, v))

        # Demand: for each route, each nation group and each window of unit availability,
        # lifts inside the window must cover the units whose windows lie inside it.
        for r, units in self.routes.items():
            groups: dict[str | None, list[UnitDemand]] = {None: units}
            for u in units:
                groups.setdefault(u.nation, []).append(u)
            for us in groups.values():
                starts = sorted({max(u.release, u.window[0]) for u in us})
                ends = sorted({u.window[1] for u in us})
                for w0 in starts:
                    for z in ends:
                        inside = [u for u in us
                                  if max(u.release, u.window[0]) >= w0 and u.window[1] <= z]
                        if not inside:
                            continue
                        nations = {u.nation for u in inside}
                        usable = [(f, v) for f, b, v in by_route[r]
                                  if f.carries & nations and (b + 1) * dt - 1 >= w0
                                  and b * dt <= z]
                        for k in range(3):
                            demand = self._demand_k(inside, k)
                            if demand <= 0:
                                continue
                            terms = [(f.seats, f.space_cm, f.payload_kg)[k] * v
                                     for f, v in usable if (f.seats, f.space_cm,
                                                            f.payload_kg)[k]]
                            if not terms:
                                return False
                            solver.Add(solver.Sum(terms) >= demand)

        # Fleet cycles: a tail departs at most 1 + W // cycle lifts in any window of length W.
        by_fleet_bucket: dict[tuple[str, int], list[pywraplp.Variable]] = defaultdict(list)
        for (fid, _, b), v in x.items():
            by_fleet_bucket[(fid, b)].append(v)
        for f in p.fleets:
            cyc = self._cycle(f)
            first = min((b for (fid, b) in by_fleet_bucket if fid == f.id), default=None)
            if first is None:
                continue
            running: list[pywraplp.Variable] = []
            for b in range(first, nb):
                running += by_fleet_bucket.get((f.id, b), [])
                if running:
                    span = (b + 1) * dt - first * dt
                    solver.Add(solver.Sum(running) <= f.count * (1 + span // cyc))
            for w in (1, 4, 24 * 60 // dt):
                for b0 in range(first, nb, max(1, w // 2)):
                    vs = [v for b in range(b0, min(nb, b0 + w))
                          for v in by_fleet_bucket.get((f.id, b), [])]
                    if vs:
                        solver.Add(solver.Sum(vs) <= f.count * (1 + (w * dt - 1) // cyc))

        # Theatre exits: aircraft leaving airfields that fill up (added below), by bucket.
        exits: dict[tuple[str, int], pywraplp.Variable] = {}
        s = p.scenario
        based = {f.base for f in p.fleets}
        dests = {r[1] for r in self.routes}
        filling = [a for a in s.airfields
                   if a.max_on_ground and a.id in dests and a.id not in based]
        for a in filling:
            for b in range(nb):
                exits[(a.id, b)] = solver.NumVar(0, inf, "")

        # Daily caps: lift departures and exits per local day.
        for dc in p.caps:
            members, cap = dc.members, dc.cap
            for lo, hi, _ in dc.days:
                vs = [v for (_, r, b), v in x.items() if r[0] in members and lo <= b * dt < hi]
                vs += [v for (aid, b), v in exits.items() if aid in members and lo <= b * dt < hi]
                if vs:
                    solver.Add(solver.Sum(vs) <= cap)

        # Origin aprons: a lift's aircraft stands at least its turnaround before departing.
        for a in s.airfields:
            if not a.max_on_ground or a.id in based:
                continue
            deps = [(fleets[fid].turnaround, b, v) for (fid, r, b), v in x.items()
                    if r[0] == a.id]
            if not deps:
                continue
            for w in (1, 4, 24 * 60 // dt):
                for b0 in range(nb):
                    terms = [ta * v for ta, b, v in deps if b0 <= b < b0 + w]
                    if terms:
                        ta_min = min(ta for ta, _, _ in deps)
                        solver.Add(solver.Sum(terms) <= a.max_on_ground * (w * dt + ta_min))

        # Destination aprons that fill: arrivals counted at their latest, exits at their
        # earliest; aircraft on the ground never exceed the apron before completion.
        for a in filling:
            arr_late: dict[int, list[pywraplp.Variable]] = defaultdict(list)
            arr_early: dict[int, list[pywraplp.Variable]] = defaultdict(list)
            for (fid, r, b), v in x.items():
                if r[1] != a.id:
                    continue
                blk = p.block(fleets[fid].type, *r)
                # Every lift has landed by c, so its counted arrival is at the latest c.
                arr_late[min(math.ceil(((b + 1) * dt + blk) / dt), c // dt)].append(v)
                arr_early[(b * dt + blk) // dt].append(v)
            landed: list[pywraplp.Variable] = []
            early: list[pywraplp.Variable] = []
            gone: list[pywraplp.Variable] = []
            for t in range(nb):
                landed += arr_late.get(t, [])
                early += arr_early.get(t, [])
                gone.append(exits[(a.id, t)])
                if t * dt > c:
                    break
                if landed:
                    solver.Add(solver.Sum(landed) - solver.Sum(gone) <= a.max_on_ground)
                # Nothing leaves before it has landed.
                solver.Add(solver.Sum(gone) <= solver.Sum(early) if early else
                           solver.Sum(gone) <= 0)

        status = solver.Solve()
        return status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)

    def _demand_k(self, units: list[UnitDemand], k: int) -> float:
        p = self.p
        if k == 0:
            return float(sum(u.pax for u in units))
        if k == 1:
            # The smallest space a vehicle takes in any type that can carry its unit.
            total = 0
            for u in units:
                for c, n in u.vehicles.items():
                    opts = [p.space_cm[(c, f.type)] for f in p.fleets
                            if u.nation in f.carries and (c, f.type) in p.space_cm]
                    total += n * (min(opts) if opts else 0)
            return float(total)
        return float(sum(u.pax * p.personnel_mass + u.cargo_kg
                         + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items())
                         for u in units))


def flow_bound(p: Problem, lower: int, upper: int, max_vars: int = 60_000,
               seconds: float | None = None) -> MinuteBound | None:
    """Smallest completion in [lower, upper] the relaxation admits, or None if not run.

    ``upper`` must be achieved by some plan: the LP is checked to be feasible there. With
    ``seconds``, the bisection stops when they are spent; the bound is then the smallest
    completion not yet proven impossible, still valid, only weaker.
    """
    if upper <= lower:
        return None
    stop = time.perf_counter() + seconds if seconds is not None else None
    lp = FlowLP(p, upper)
    if lp.size() > max_vars:
        log.info("flow LP skipped: %d variables > %d", lp.size(), max_vars)
        return None
    if not lp.feasible(upper):
        log.warning("flow LP infeasible at an achieved completion; bound discarded")
        return None
    # Invariant: infeasible below lo, feasible at hi. Stopping within one bucket keeps the
    # bound valid (lo) and saves solves on large instances.
    lo, hi = lower, upper
    while hi - lo > (lp.dt if lp.size() > 5_000 else 0):
        if stop is not None and time.perf_counter() > stop:
            log.info("flow LP stopped by its time budget at %d..%d", lo, hi)
            break
        mid = (lo + hi) // 2
        if lp.feasible(mid):
            hi = mid
        else:
            lo = mid + 1
    if lo <= lower:
        return None
    return MinuteBound(
        "flow-lp", lo,
        f"time-expanded LP over {lp.nb} buckets of {lp.dt} min: fleets, caps and aprons together",
    )
