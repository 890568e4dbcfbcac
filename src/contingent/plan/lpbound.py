"""A time-expanded flow LP: a lower bound on completion that sees fleets, caps and aprons together.

Lifts are continuous amounts: fleet class ``g`` flying route ``r`` departing in time bucket
``b``. For a trial completion ``C`` the LP asks whether such lifts can carry every unit while
respecting, in aggregate, release windows, fleet cycles, daily departure caps, apron
occupancy at origins, and the theatre apron filling up at destinations. Every rounding to
buckets is made in the optimistic direction (earliest departure, earliest possible landing,
...), so the LP is a relaxation: if it is infeasible for ``C``, no plan completes by ``C``. The
smallest feasible ``C`` (found by bisection) is the bound.

Why each part is a relaxation, i.e. why any plan the checker accepts, with every lift landed by
``C``, gives a feasible LP solution (set each lift variable to the number of the plan's lifts of
that class, route and departure bucket; the other variables as said below):

* Fleet classes. Fleets of one aircraft type carrying the same nations are merged into one
  class: seats, hold, payload, turnaround and the route set are the type's and the carries
  set's, so they agree; the class has the summed tail count, the earliest readiness of any
  member at each origin and the union of the availabilities. Each member's lifts obey its own
  cycle limit ``count_i * (1 + (W - 1) // cycle)``; the sum obeys the class's limit with the
  summed count and the earliest readiness, which is never smaller.
* Routes. Units on routes whose ends matter to no constraint (an origin with no daily cap and
  no apron limit, a destination whose apron is not modelled) may be pooled with the other
  routes of the same other end. The pooled route has the shortest block time of its members
  and the earliest readiness; its demand rows are the sums of the members' rows. A lift of a
  member route is a lift of the pooled route that lands no earlier than the pooled one would.
  Fleet cycles are still computed from the real routes.
* Variables are stored as suffix sums ``Y[b] = lifts departing in bucket b or later``, so that
  every "lifts in buckets lo..hi" term is ``Y[lo] - Y[hi + 1]``: each row has two entries per
  (class, route) instead of one per bucket, and the build is linear in the LP's size.
* Landing by ``C``: a lift departing in bucket ``b`` lands at the earliest at ``b * dt +
  block``; if that is after ``C`` the lift is not allowed (``Y`` bounded to 0). Changing ``C``
  only changes these bounds, so one LP is built and re-solved during the bisection.
* Demand: on each route and for each set ``N`` of nations closed under "carried only by
  fleets that also carry this one", the lifts of classes carrying any of ``N`` in buckets
  ``lo..hi`` carry at least the seats, the smallest hold space (metres, as the checker
  measures) and the mass of the units of ``N`` that must depart inside those buckets.
* Daily caps: lifts departing in buckets lying wholly inside a local day, plus aircraft
  leaving a filling theatre apron in those buckets, are at most the cap (more days together:
  at most the cap times the days). Buckets straddling a midnight are only counted in the
  rows spanning both days.
* Origin aprons (airfields where no fleet is based): every lift departing at ``t`` stood
  there for at least its turnaround ``ta`` before ``t``. For any ``T``, lifts departing in a
  window of length ``W`` give at least ``min(ta, T)`` minutes each inside the window extended
  by ``T`` before it, which holds at most ``MOG * (W + T)`` aircraft-minutes.
* Destination aprons that fill (a destination with a ground limit, no based fleet, no lift
  departing from it): ``D[t]`` is the number of lifts into it not yet landed at the end of
  bucket ``t``, ``G[t]`` the number of departures by then of aircraft that had landed with a
  lift. ``D[t]`` is at least the lifts that depart too late to have landed; ``D`` is 0 from
  the bucket of ``C`` on; landed minus gone never exceeds the limit; an aircraft leaves at
  least a turnaround after it landed. A sortie may last longer than its block time, so no
  latest landing is assumed.

As a guard against a relaxation that is not one, the LP must be feasible at a completion some
plan achieved; if not, the bound is discarded and a warning logged.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound, _ready
from contingent.plan.problem import FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)

Route = tuple[str, str]
ANY = "*"  # a pooled end of a route
_BIG = 10**9
# Rough seconds per LP nonzero to build and to solve once, measured with GLOP on generated
# scenarios; used only to decide how coarse a model fits a time budget.
_BUILD_S_PER_NZ = 3e-6
_SOLVE_S_PER_VAR = 2.5e-4


class _OutOfTime(Exception):
    pass


Terms = list[tuple[pywraplp.Variable | None, float]]


class BucketLP:
    """What the time-bucketed LP bounds share: GLOP, row building, demand per nation set,
    and one re-solve per trial completion (only variable bounds change).

    A subclass sets ``p`` and ``classes`` (each with a ``carries`` set), builds its rows with
    the ``row`` function from :meth:`_start`, and says in :meth:`_cut_at` which variables a
    trial completion bounds to 0.
    """

    p: Problem
    classes: Sequence[Any]
    dt: int
    upper: int
    solver: pywraplp.Solver
    hopeless: bool
    solves: int = 0  # solves so far, to measure their cost
    _cut: list[pywraplp.Variable]

    def _start(self, stop: float | None
               ) -> tuple[Callable[[], None], Callable[[float, float, Terms], None]]:
        """A fresh GLOP model; a time check (raises _OutOfTime past ``stop``, a perf_counter
        time) and a function adding the row ``lo <= sum(terms) <= hi``."""
        # GLOP rather than the bundled HiGHS: this HiGHS build prints a banner on stdout at
        # every solve, whatever its output settings, which would corrupt CLI output.
        solver = self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.hopeless = False
        self._cut = []

        def check_time() -> None:
            if stop is not None and time.perf_counter() > stop:
                raise _OutOfTime

        def row(lo: float, hi: float, terms: Terms) -> None:
            coef: dict[pywraplp.Variable, float] = {}
            for v, a in terms:
                if v is not None:
                    coef[v] = coef.get(v, 0.0) + a
            coef = {v: a for v, a in coef.items() if a}
            if not coef:
                # A row with nothing to fill it: infeasible at any completion if it asks more.
                if lo > 1e-9 or hi < -1e-9:
                    self.hopeless = True
                return
            ct = solver.Constraint(lo, hi)
            for v, a in coef.items():
                ct.SetCoefficient(v, a)

        return check_time, row

    def _nation_sets(self, units: list[UnitDemand]) -> list[frozenset[str]]:
        """Nation sets whose demand rows are not dominated by another's.

        For a nation ``n`` the set holds every nation of the route all of whose carrier
        classes also carry ``n``: the lifts that can serve the set are exactly those of the
        classes carrying ``n``, and the demand is the largest for that left-hand side. The
        whole route's nations are one more set.
        """
        nations = sorted({u.nation for u in units})
        carriers = {n: frozenset(i for i, c in enumerate(self.classes) if n in c.carries)
                    for n in nations}
        out = {frozenset(nations)}
        for n in nations:
            out.add(frozenset(m for m in nations if carriers[m] <= carriers[n]))
        return sorted(out, key=sorted)

    def _space_min(self) -> dict[tuple[str, str], float]:
        """Per (vehicle class, nation): the smallest hold in metres over types carrying it."""
        p, s = self.p, self.p.scenario
        out: dict[tuple[str, str], float] = {}
        for u in p.units:
            for c in u.vehicles:
                if (c, u.nation) in out:
                    continue
                sp = s.vehicle_class[c].space_m
                opts = [sp[f.type] for f in p.fleets if u.nation in f.carries and f.type in sp]
                out[(c, u.nation)] = min(opts) if opts else 0.0
        return out

    def _demand(self, units: list[UnitDemand], space_min: dict[tuple[str, str], float]
                ) -> tuple[float, float, float]:
        """Seats, hold metres and kilograms the units need."""
        p = self.p
        pax = sum(u.pax for u in units)
        space = sum(n * space_min[(c, u.nation)] for u in units for c, n in u.vehicles.items())
        mass = sum(u.pax * p.personnel_mass + u.cargo_kg
                   + sum(n * p.vehicle_mass[c] for c, n in u.vehicles.items()) for u in units)
        return float(pax), float(space), float(mass)

    def _demand_rows(self, units: list[UnitDemand], space_min: dict[tuple[str, str], float]
                     ) -> Iterator[tuple[frozenset[str], tuple[int, int],
                                         tuple[float, float, float]]]:
        """Per nation set and bucket span: the seats, hold and mass of the set's units that
        must depart inside the span, for the tightest span holding each group of units."""
        dt = self.dt
        for nset in self._nation_sets(units):
            us = [u for u in units if u.nation in nset]
            spans = [(max(u.release, u.window[0]) // dt, min(u.window[1], self.upper) // dt)
                     for u in us]
            done: set[tuple[int, int]] = set()
            for lo in sorted({a for a, _ in spans}):
                for hi in sorted({b for _, b in spans}):
                    idx = [i for i, (a, b) in enumerate(spans) if a >= lo and b <= hi]
                    if not idx:
                        continue
                    # The tightest buckets holding the same units: a dominating row.
                    span = (min(spans[i][0] for i in idx), max(spans[i][1] for i in idx))
                    if span in done:
                        continue
                    done.add(span)
                    yield nset, span, self._demand([us[i] for i in idx], space_min)

    def _cut_at(self, c: int) -> list[pywraplp.Variable]:
        """The variables that must be 0 for every lift to land by minute ``c``."""
        raise NotImplementedError

    def solve(self, c: int, seconds: float | None = None) -> bool | None:
        """Whether the relaxation admits every unit landed by minute ``c`` (None: unknown)."""
        if self.hopeless:
            return False
        self.solves += 1
        inf = self.solver.infinity()
        for v in self._cut:
            v.SetUb(inf)
        self._cut = self._cut_at(c)
        for v in self._cut:
            v.SetUb(0)
        if seconds is not None:
            self.solver.SetTimeLimit(max(1, int(seconds * 1000)))
        status = self.solver.Solve()
        if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return True
        if status == pywraplp.Solver.INFEASIBLE:
            return False
        return None


@dataclass
class _Class:
    """Fleets merged for the LP: same type and same carries set."""

    key: tuple[str, frozenset[str]]
    fleets: list[FleetData]
    count: int
    type: str
    carries: frozenset[str]
    seats: int
    payload_kg: int
    space_m: float
    turnaround: int
    available_until: int
    cycle: int = 1
    repos: dict[str, int] = field(default_factory=dict)
    real: set[Route] = field(default_factory=set)


@dataclass
class _Pair:
    """The lifts of one class on one (possibly pooled) route: suffix sums per bucket."""

    cls: _Class
    route: Route
    block: int
    first: int  # first bucket with a possible departure
    last: int  # last bucket with a possible departure (at the build's completion)
    occupy: int  # least time from a lift's departure to the tail's next lift departure
    ys: list[pywraplp.Variable] = field(default_factory=list)

    def y(self, b: int) -> pywraplp.Variable | None:
        """Lifts departing in bucket ``b`` or later; None when that is 0."""
        if b > self.last:
            return None
        return self.ys[max(b, self.first) - self.first]


def _aligned_minutes(bounds: set[int], wanted: int) -> int:
    """The largest bucket length <= ``wanted`` that every day boundary is a multiple of."""
    for dt in sorted({wanted, 60, 30, 15, 10, 5, 1}, reverse=True):
        if dt <= wanted and all(x % dt == 0 for x in bounds):
            return dt
    return 1


def _bucket_minutes(p: Problem) -> int:
    """Buckets must not straddle a local midnight of any capped airfield or group."""
    bounds = {lo for dc in p.caps for lo, _, _ in dc.days}
    return _aligned_minutes(bounds, 60)


class FlowLP(BucketLP):
    """Build the relaxation once for completions up to ``upper``; solve it for trial ones.

    Parameters
    ----------
    problem
        The phase as integers.
    upper
        A completion some plan achieves (minutes); buckets cover [0, upper].
    level
        How coarse: 0 merges only fleets that are interchangeable for the LP, 1 also pools
        routes whose ends no constraint looks at, 2 and up also double the bucket length.
    """

    def __init__(self, problem: Problem, upper: int, level: int = 0) -> None:
        p = self.p = problem
        self.upper = upper
        self.level = level
        s = p.scenario
        self.based = {f.base for f in p.fleets}
        origins = {u.origin for u in p.units}
        dests = {u.destination for u in p.units}
        mog = {a.id: a.max_on_ground for a in s.airfields if a.max_on_ground}
        self.filling = sorted(a for a in dests
                              if a in mog and a not in self.based and a not in origins)
        self.apron_origins = sorted(a for a in origins if a in mog and a not in self.based)
        capped = {m for dc in p.caps for m in dc.members}
        # Route ends that some constraint looks at stay apart; the others may be pooled.
        pinned_o = origins & (capped | set(self.apron_origins))
        pinned_d = set(self.filling)
        pool = level >= 1

        def key(u: UnitDemand) -> Route:
            o = u.origin if not pool or u.origin in pinned_o else ANY
            d = u.destination if not pool or u.destination in pinned_d else ANY
            if o == ANY and d == ANY:
                return (u.origin, ANY) if len(origins) <= len(dests) else (ANY, u.destination)
            return (o, d)

        self.routes: dict[Route, list[UnitDemand]] = defaultdict(list)
        self.members: dict[Route, set[Route]] = defaultdict(set)
        for u in p.units:
            k = key(u)
            self.routes[k].append(u)
            self.members[k].add((u.origin, u.destination))
        # Day boundaries that matter: caps over an origin of a lift or a filling apron.
        relevant = origins | set(self.filling)
        self.caps = [dc for dc in p.caps if dc.members & relevant]
        day_bounds = {lo for dc in self.caps for lo, _, _ in dc.days if 0 < lo <= upper}
        base_dt = _aligned_minutes(day_bounds, 60)
        self.dt = base_dt * (2 ** max(0, level - 1))
        self.nb = upper // self.dt + 1
        self.classes = self._classes()
        self.pairs = self._pairs()

    # -- structure ---------------------------------------------------------------------

    def _classes(self) -> list[_Class]:
        p, s = self.p, self.p.scenario
        groups: dict[tuple[str, frozenset[str]], list[FleetData]] = defaultdict(list)
        nations = {u.nation for u in p.units}
        for f in p.fleets:
            if f.carries & nations:
                groups[(f.type, f.carries)].append(f)
        out = []
        for k, fs in groups.items():
            f0 = fs[0]
            out.append(_Class(
                key=k, fleets=fs, count=sum(f.count for f in fs), type=f0.type,
                carries=f0.carries, seats=f0.seats, payload_kg=f0.payload_kg,
                # The checker allows a tolerance on the hold: count it, as a relaxation.
                space_m=s.aircraft_type[f0.type].vehicle_space_m + 1e-6,
                turnaround=f0.turnaround, available_until=max(f.available[1] for f in fs),
            ))
        for c in out:
            c.real = {(u.origin, u.destination) for u in p.units if u.nation in c.carries}
            c.repos = self._reposition(c)
            # Shortest time between two lift departures of one tail.
            c.cycle = max(1, min(p.block(c.type, o, d) + c.repos[d] for o, d in c.real))
        return out

    def _reposition(self, c: _Class) -> dict[str, int]:
        """From each destination of class ``c``: least time until a next lift can leave.

        After landing a tail turns around, and if the next lift leaves elsewhere flies there
        (block) and turns around again; block times obey the triangle inequality
        (great-circle distance plus a fixed extra per leg), so detours are never shorter.
        """
        p = self.p
        real = c.real
        origins = {o for o, _ in real}
        return {d: c.turnaround + (0 if d in origins else min(
            p.block(c.type, d, o) + c.turnaround for o in origins)) for _, d in real}

    def _pairs(self) -> list[_Pair]:
        p, dt = self.p, self.dt
        out = []
        for r, units in self.routes.items():
            nations = {u.nation for u in units}
            members = self.members[r]
            for c in self.classes:
                if not c.carries & nations:
                    continue
                flown = members & c.real
                blk = min(p.block(c.type, o, d) for o, d in flown)
                occ = min(p.block(c.type, o, d) + c.repos[d] for o, d in flown)
                ready = min(_ready(p, f, o) for f in c.fleets for o, _ in flown)
                first = max(0, ready // dt)
                last = min(self.nb - 1, c.available_until // dt, (self.upper - blk) // dt)
                if last >= first:
                    out.append(_Pair(c, r, blk, first, last, occ))
        return out

    def size(self) -> int:
        """Number of lift variables."""
        return sum(q.last - q.first + 1 for q in self.pairs)

    def estimate_seconds(self) -> float:
        """A rough guess of building plus one solve, to decide whether to try at all."""
        n = self.size()
        return n * 12 * _BUILD_S_PER_NZ + 2 * n * _SOLVE_S_PER_VAR

    # -- the LP ------------------------------------------------------------------------

    def build(self, stop: float | None = None) -> None:
        """Build the LP for completions up to ``upper``; raises _OutOfTime past ``stop``."""
        p, dt, nb = self.p, self.dt, self.nb
        check_time, row = self._start(stop)
        solver = self.solver
        inf = solver.infinity()
        for q in self.pairs:
            q.ys = [solver.NumVar(0, inf, "") for _ in range(q.first, q.last + 1)]
            for i in range(len(q.ys) - 1):
                row(0, inf, [(q.ys[i], 1), (q.ys[i + 1], -1)])
        check_time()

        def lifts(qs: list[_Pair], lo: int, hi: int, coef: dict[int, float] | None = None
                  ) -> list[tuple[pywraplp.Variable | None, float]]:
            """Terms for lifts of ``qs`` departing in buckets lo..hi (inclusive)."""
            out: list[tuple[pywraplp.Variable | None, float]] = []
            for i, q in enumerate(qs):
                a = 1.0 if coef is None else coef[i]
                if hi < q.first or lo > q.last or not a:
                    continue
                out.append((q.y(lo), a))
                out.append((q.y(hi + 1), -a))
            return out

        by_route: dict[Route, list[_Pair]] = defaultdict(list)
        by_class: dict[int, list[_Pair]] = defaultdict(list)
        by_origin: dict[str, list[_Pair]] = defaultdict(list)
        by_dest: dict[str, list[_Pair]] = defaultdict(list)
        for q in self.pairs:
            by_route[q.route].append(q)
            by_class[id(q.cls)].append(q)
            by_origin[q.route[0]].append(q)
            by_dest[q.route[1]].append(q)

        # Demand.
        space_min = self._space_min()
        for r, units in self.routes.items():
            qs = by_route[r]
            serve: dict[frozenset[str], list[_Pair]] = {}
            for nset, span, need in self._demand_rows(units, space_min):
                if nset not in serve:
                    serve[nset] = [q for q in qs if q.cls.carries & nset]
                uq = serve[nset]
                for k in range(3):
                    if need[k] <= 0:
                        continue
                    caps = [(q.cls.seats, q.cls.space_m, q.cls.payload_kg)[k] for q in uq]
                    row(need[k], inf, lifts(uq, span[0], span[1], dict(enumerate(caps))))
            check_time()

        # Fleet cycles: a tail departs at most 1 + (W - 1) // cycle lifts in a window of W.
        for qs in by_class.values():
            c = qs[0].cls
            first = min(q.first for q in qs)
            last = max(q.last for q in qs)
            ready = min(_ready(p, f, o) for f in c.fleets for q in qs
                        for o, _ in self.members[q.route])

            def limit(lo: int, hi: int, c: _Class = c, ready: int = ready) -> float:
                w = (hi + 1) * dt - max(lo * dt, ready)
                return c.count * (1 + (w - 1) // c.cycle) if w > 0 else 0

            for b in range(first, last + 1):
                row(-inf, limit(first, b), lifts(qs, first, b))
            # Tail time: a lift departing at d keeps its tail until d + occupy at least (the
            # next lift departs no earlier), so lifts departing in a window of length W,
            # each counted for min(occupy, T), fit in count * (W + T) tail-minutes.
            occ = {i: float(q.occupy) for i, q in enumerate(qs)}
            big_t = max(occ.values())
            for b in range(first, last + 1):
                w = (b + 1) * dt - ready
                if w > 0:
                    row(-inf, c.count * (w + big_t), lifts(qs, first, b, occ))
            for w in (1, 4, 24 * 60 // dt):
                for b0 in range(first, last + 1, max(1, w // 2)):
                    row(-inf, limit(b0, b0 + w - 1), lifts(qs, b0, b0 + w - 1))
            check_time()

        # Filling destination aprons: not yet landed D[t], gone G[t] (cumulative).
        self.not_landed: dict[str, list[pywraplp.Variable]] = {}
        gone: dict[str, list[pywraplp.Variable]] = {}
        s = p.scenario
        mog = {a.id: a.max_on_ground or 0 for a in s.airfields}
        for a in self.filling:
            qs = by_dest[a]
            if not qs:
                continue
            dd = self.not_landed[a] = [solver.NumVar(0, inf, "") for _ in range(nb)]
            gg = gone[a] = [solver.NumVar(0, inf, "") for _ in range(nb)]
            total = [(q.y(q.first), 1.0) for q in qs]
            ta = min(q.cls.turnaround for q in qs)
            for t in range(nb):
                # Lifts departing after bucket bmax cannot have landed by the end of t.
                late = [(q.y(((t + 1) * dt - 1 - q.block) // dt + 1), 1.0) for q in qs]
                row(0, inf, [(dd[t], 1.0)] + [(v, -a) for v, a in late])
                row(-inf, mog[a], [*total, (dd[t], -1.0), (gg[t], -1.0)])
                t_arr = ((t + 1) * dt - 1 - ta) // dt
                if t_arr < 0:
                    gg[t].SetUb(0)
                else:
                    row(-inf, 0, [(gg[t], 1.0), (dd[t_arr], 1.0)] + [(v, -1.0) for v, _ in total])
                if t + 1 < nb:
                    row(0, inf, [(dd[t], 1.0), (dd[t + 1], -1.0)])
                    row(0, inf, [(gg[t + 1], 1.0), (gg[t], -1.0)])
            check_time()

        def exits(a: str, lo: int, hi: int) -> list[tuple[pywraplp.Variable | None, float]]:
            gg = gone.get(a)
            if gg is None or lo >= nb:
                return []
            out: list[tuple[pywraplp.Variable | None, float]] = [(gg[min(hi, nb - 1)], 1.0)]
            if lo > 0:
                out.append((gg[lo - 1], -1.0))
            return out

        # Daily caps over buckets wholly inside a day (or inside two consecutive days).
        for dc in self.caps:
            qs = [q for m in dc.members for q in by_origin.get(m, [])]
            fill = [m for m in dc.members if m in gone]
            days = [(lo, hi) for lo, hi, _ in dc.days if hi > 0 and lo <= self.upper]
            spans = [(d, 1) for d in days]
            if any(lo % dt for lo, _ in days[1:]):
                spans += [((d0[0], d1[1]), 2) for d0, d1 in itertools.pairwise(days)]
            for (lo, hi), n in spans:
                b0, b1 = max(0, -(-lo // dt)), hi // dt - 1
                if b1 < b0:
                    continue
                terms = lifts(qs, b0, b1)
                for m in fill:
                    terms += exits(m, b0, b1)
                row(-inf, n * dc.cap, terms)
            check_time()

        # Origin aprons where no fleet is based.
        for a in self.apron_origins:
            qs = by_origin.get(a, [])
            if not qs or not mog[a]:
                continue
            tas = [q.cls.turnaround for q in qs]
            first = min(q.first for q in qs)
            last = max(q.last for q in qs)
            for big_t in sorted({min(tas), max(tas)}):
                coef = {i: float(min(ta, big_t)) for i, ta in enumerate(tas)}
                for w in (1, 4, 24 * 60 // dt):
                    for b0 in range(first, last + 1):
                        row(-inf, mog[a] * (w * dt + big_t), lifts(qs, b0, b0 + w - 1, coef))
            check_time()

    def _cut_at(self, c: int) -> list[pywraplp.Variable]:
        out = []
        for q in self.pairs:
            v = q.y((c - q.block) // self.dt + 1)
            if v is not None:
                out.append(v)
        for dd in self.not_landed.values():
            t = c // self.dt
            if t < len(dd):
                out.append(dd[t])
        return out

    def feasible(self, c: int) -> bool:
        """Whether the relaxation admits every unit landed by minute ``c``."""
        if not hasattr(self, "solver"):
            self.build()
        return self.solve(c) is True


def flow_bound(p: Problem, lower: int, upper: int, max_vars: int = 25_000,
               seconds: float | None = None) -> MinuteBound | None:
    """Smallest completion in [lower, upper] the relaxation admits, or None if not run.

    ``upper`` must be achieved by some plan: the LP is checked to be feasible there. The model
    is made coarser (fleets merged, then routes pooled, then longer buckets) until it has at
    most ``max_vars`` lift variables and, with ``seconds``, until its estimated build and
    first solve fit the budget; if none does, None. With ``seconds``, the bisection stops
    when they are spent; the bound is then the smallest completion not yet proven
    impossible, still valid, only weaker.
    """
    if upper <= lower:
        return None
    t0 = time.perf_counter()
    stop = t0 + seconds if seconds is not None else None

    def left() -> float | None:
        return None if stop is None else stop - time.perf_counter()

    lp = None
    for level in range(5):
        cand = FlowLP(p, upper, level)
        rest = left()
        if cand.size() <= max_vars and (rest is None or cand.estimate_seconds() < 0.8 * rest):
            lp = cand
            break
        log.info("flow LP level %d: %d variables, ~%.1f s: too big", level, cand.size(),
                 cand.estimate_seconds())
    if lp is None:
        log.info("flow LP skipped: no model fits %d variables and the time budget", max_vars)
        return None
    try:
        lp.build(stop)
    except _OutOfTime:
        log.info("flow LP skipped: building took the whole time budget")
        return None
    rest = left()
    if rest is not None and rest <= 0:
        return None
    ok = lp.solve(upper, rest)
    if ok is None:
        log.info("flow LP stopped by its time budget before the first solve ended")
        return None
    if not ok:
        log.warning("flow LP infeasible at an achieved completion; bound discarded")
        return None
    # Invariant: every completion below lo is infeasible for the relaxation (so for every
    # plan), and the relaxation is feasible at hi. The relaxation is often feasible at the
    # simple bound already: one solve there saves the whole bisection.
    lo, hi = lower, upper
    probe: int | None = lower
    while hi > lo:
        rest = left()
        if rest is not None and rest <= 0:
            log.info("flow LP stopped by its time budget at %d..%d", lo, hi)
            break
        mid = probe if probe is not None else (lo + hi) // 2
        probe = None
        ok = lp.solve(mid, rest)
        if ok is None:
            log.info("flow LP stopped by its time budget at %d..%d", lo, hi)
            break
        if ok:
            hi = mid
        else:
            lo = mid + 1
    if lo <= lower:
        return None
    return MinuteBound(
        "flow-lp", lo,
        f"time-expanded LP over {lp.nb} buckets of {lp.dt} min: fleets, caps and aprons together",
    )
