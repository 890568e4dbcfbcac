"""Aircraft-network LP: a lower bound on completion that tracks where the aircraft are.

The other bounds count lifts, cycles or departure slots, but none follows an aircraft from
place to place: a unit far from every base of the fleets that may carry it costs a
positioning flight, an aircraft that has landed a lift at ``d`` can only take the next lift
after flying from ``d``, and a capped airfield's slots are shared by lifts and positioning.
Here, per fleet class, aircraft are a continuous flow over a time-expanded network: nodes are
(airfield, bucket of ``dt`` minutes), a node's flow is the aircraft ready to depart there in
that bucket. Ground arcs wait a bucket; a flight arc leaves ``a`` in bucket ``k`` and adds its
aircraft to ``b`` in the bucket where they can next depart, at the earliest. Lift arcs carry
load (continuous); positioning arcs carry nothing. For a trial completion ``C`` the LP asks
whether lifts landing by ``C`` can carry every unit; the smallest such ``C`` (bisection) is
the bound.

Why it is a relaxation: take any plan the checker accepts whose lifts all land by ``C``, and
per tail, its legs up to its last lift. Each such chain maps to a path in its class's
network, and summing the paths (plus aircraft that never fly, waiting at their base) gives a
feasible LP solution:

* Classes. Fleets of one aircraft type carrying the same nations form a class (seats, hold,
  payload, turnaround and routes agree); each fleet adds its ``count`` aircraft at its own
  base from the bucket of its ``available_from``. Fleets carrying none of the phase's
  nations are left out: leaving aircraft out only removes departures from the cap rows.
* Compressed positioning. Between two lifts (or before the first, from the base) a tail may
  fly several positioning legs. They are replaced by one arc straight from where the tail
  was (the base, or the previous lift's destination) to the next lift's origin, leaving when
  the first of them left. Block times are great-circle distance over cruise speed rounded up
  plus a fixed extra per leg, so the direct flight is never longer than the chain, and the
  chain has at least one turnaround per leg: the direct arc is ready no later. The first
  positioning leg is a real departure from that airfield in that bucket, so the arc's share
  in a daily cap is one the plan also has; the other legs are only left out of the caps.
  Legs after a tail's last lift are dropped the same way. So the network needs positioning
  arcs only from bases and lift destinations to lift origins.
* Rounding. A leg departing at minute ``t`` of bucket ``k = floor(t / dt)`` also satisfies
  ``t >= e_k``, the first minute of bucket ``k`` at which its origin is open (opening hours
  and closures, each widened to whole minutes outwards). It arrives no earlier than the
  first open minute at ``b`` from ``e_k + block`` (``arr_k``; the checker allows a sortie
  to last longer than its block time, never less), and departs again no earlier than
  ``arr_k + turnaround``: the arc ends in bucket ``floor((arr_k + turnaround) / dt)``, never
  later than the plan's next departure bucket. A bucket with no open minute gets no
  departure; an arc whose ``arr_k`` is past every member fleet's ``available_until`` is
  left out.
* Flow balance. At each node, departures plus the ground arc to the next bucket are at most
  the aircraft arriving or waiting there plus the supply: aircraft may also vanish (one that
  is not needed again need not go home).
* Lifts. A lift of class ``g`` on route ``r`` carries at least one unit whose nation ``g``
  carries, so it departs no earlier than that unit's release (and rule window start): buckets
  before the earliest such unit, or past the latest window end, have no lift arc. Landing by
  ``C``: a lift departing in bucket ``k`` lands no earlier than ``arr_k``; lifts with
  ``arr_k > C`` are bounded to 0, so ``C`` changes only variable bounds and one LP is
  re-solved during the bisection. (Suffix sums as in the flow LP make the rows sparser but
  GLOP slower here: 2 to 8 times on generated scenarios.)
* Demand, per route and per nation set as in the flow LP: lifts of classes carrying a nation
  of the set, departing in buckets ``lo..hi``, have the seats, smallest hold space (metres,
  with the checker's tolerance) and payload for the units of the set whose release and rule
  window put every load of theirs in those buckets.
* Daily caps: the lift and positioning arcs leaving a cap's airfields in buckets lying wholly
  inside one of its days are at most the cap (two consecutive days: twice the cap, for the
  buckets straddling their midnight).
* Aprons, ``before`` rules, coverage and sortie counts are left out: leaving constraints out
  keeps it a relaxation. (Rows for departures from aprons where no fleet is based, as in the
  flow LP, were tried: no gain on the generated 10^2 and 10^3 phases, so not kept.)

Releases, rule windows and day bounds are the :class:`Problem`'s whole minutes, as for every
other bound.

As a guard against a relaxation that is not one, the LP must be feasible at a completion some
plan achieved; if not, the bound is discarded and a warning logged.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from contingent.plan.bounds import MinuteBound
from contingent.plan.lpbound import BucketLP, Terms, _OutOfTime
from contingent.plan.problem import FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)

_INF = 1 << 40
# Rough cost of building the LP (per variable) and of one GLOP solve (growing as size ** 1.5),
# measured on generated scenarios; used only to choose the first bucket length.
_BUILD_S_PER_VAR = 2e-5
_SOLVE_S_AT_10K = 0.3
_BUCKETS = (240, 120, 60, 30, 15, 10, 5)  # coarse to fine


def _real(p: Problem, t: datetime) -> float:
    """Minutes from the epoch, unrounded."""
    return (t - p.epoch).total_seconds() / 60


def _open_set(p: Problem, airfield: str) -> list[tuple[int, int]] | None:
    """Closed intervals of epoch minutes at which the airfield may see a departure or
    arrival, widened outwards to whole minutes (None: always open)."""
    s = p.scenario
    a = s.airfield[airfield]
    if a.hours is None and not a.closures:
        return None
    if a.hours is not None:
        tz = s.tz(airfield)
        spans = []
        for _, _, iso in p.local_days(tz):
            day = datetime.fromisoformat(iso).replace(tzinfo=tz)
            spans.append((math.floor(_real(p, day + timedelta(minutes=a.hours.open_min))),
                          math.ceil(_real(p, day + timedelta(minutes=a.hours.close_min)))))
        # Past the tabulated days, nothing is known to be closed.
        spans.append((max(hi for _, hi in spans), _INF) if spans else (-_INF, _INF))
    else:
        spans = [(-_INF, _INF)]
    for c in a.closures:
        # Only the instants strictly between these whole minutes are surely closed.
        cut_lo, cut_hi = math.ceil(_real(p, c.from_)), math.floor(_real(p, c.to))
        if cut_hi <= cut_lo:
            continue
        out = []
        for lo, hi in spans:
            if hi <= cut_lo or lo >= cut_hi:
                out.append((lo, hi))
                continue
            if lo <= cut_lo:
                out.append((lo, cut_lo))
            if hi >= cut_hi:
                out.append((cut_hi, hi))
        spans = out
    return sorted(spans)


class _Clock:
    """When an airfield is open: the first allowed minute at or after a time."""

    def __init__(self, spans: list[tuple[int, int]] | None) -> None:
        self.spans = spans
        self.his = [hi for _, hi in spans] if spans is not None else []

    def next_open(self, x: int) -> int:
        if self.spans is None:
            return x
        i = bisect_left(self.his, x)
        if i >= len(self.spans):
            return _INF
        return max(x, self.spans[i][0])


@dataclass
class _Class:
    """Fleets of one type carrying the same nations."""

    type: str
    carries: frozenset[str]
    fleets: list[FleetData]
    seats: int
    payload_kg: int
    space_m: float
    turnaround: int
    until: int
    nodes: list[str] = field(default_factory=list)


@dataclass
class _Series:
    """One flight arc of a class in every bucket it may depart in."""

    cls: int
    a: str
    b: str
    lift: bool
    first: int
    last: int
    ready: list[int]  # per bucket first..last: bucket the aircraft can next depart from b
    lands: list[int]  # per bucket: earliest landing minute
    vars: list[pywraplp.Variable] = field(default_factory=list)  # one per bucket

    def departures(self, k: int) -> Terms:
        """Terms for the arc's flow departing in bucket ``k``."""
        if k < self.first or k > self.last:
            return []
        return [(self.vars[k - self.first], 1.0)]

    def between(self, lo: int, hi: int) -> Terms:
        """Terms for the arc's flow departing in buckets ``lo..hi``."""
        lo, hi = max(lo, self.first), min(hi, self.last)
        if lo > hi:
            return []
        return [(self.vars[k - self.first], 1.0) for k in range(lo, hi + 1)]


class NetworkLP(BucketLP):
    """The relaxation for completions up to ``upper`` with buckets of ``dt`` minutes.

    Parameters
    ----------
    problem
        The phase as integers.
    upper
        A completion some plan achieves (minutes); buckets cover [0, upper].
    dt
        Bucket length in minutes.
    """

    def __init__(self, problem: Problem, upper: int, dt: int) -> None:
        p = self.p = problem
        self.upper, self.dt = upper, dt
        self.nb = upper // dt + 1
        self.clock: dict[str, _Clock] = {}
        self.routes: dict[tuple[str, str], list[UnitDemand]] = defaultdict(list)
        for u in p.units:
            self.routes[(u.origin, u.destination)].append(u)
        self.classes = self._classes()
        self.series = self._series()

    def _clock(self, a: str) -> _Clock:
        if a not in self.clock:
            self.clock[a] = _Clock(_open_set(self.p, a))
        return self.clock[a]

    def _classes(self) -> list[_Class]:
        p, s = self.p, self.p.scenario
        nations = {u.nation for u in p.units}
        groups: dict[tuple[str, frozenset[str]], list[FleetData]] = defaultdict(list)
        for f in p.fleets:
            if f.carries & nations:
                groups[(f.type, f.carries)].append(f)
        out = []
        for (ty, carries), fs in groups.items():
            f0 = fs[0]
            out.append(_Class(
                type=ty, carries=carries, fleets=fs, seats=f0.seats, payload_kg=f0.payload_kg,
                # The checker allows a tolerance on the hold: count it, as a relaxation.
                space_m=s.aircraft_type[ty].vehicle_space_m + 1e-6, turnaround=f0.turnaround,
                until=max(f.available[1] for f in fs),
            ))
        return out

    def _arc(self, ci: int, a: str, b: str, lift: bool, first: int, last: int
             ) -> _Series | None:
        c, dt = self.classes[ci], self.dt
        blk = self.p.block(c.type, a, b)
        dep, arr = self._clock(a), self._clock(b)
        ready: list[int] = []
        lands: list[int] = []
        last = min(last, self.nb - 1)
        for k in range(first, last + 1):
            e = dep.next_open(k * dt)
            land = arr.next_open(e + blk) if e < (k + 1) * dt else _INF
            if land > c.until or (lift and land > self.upper):
                land = _INF
            lands.append(land)
            ready.append((land + c.turnaround) // dt if land < _INF else _INF)
        # Trailing buckets that can never be used: trimmed (closed buckets inside stay, at 0).
        keep = [i for i, m in enumerate(lands) if m < _INF
                and (lift or ready[i] < self.nb)]
        if not keep:
            return None
        lo, hi = keep[0], keep[-1]
        return _Series(ci, a, b, lift, first + lo, first + hi, ready[lo:hi + 1],
                       lands[lo:hi + 1])

    def _series(self) -> list[_Series]:
        dt = self.dt
        out: list[_Series] = []
        for ci, c in enumerate(self.classes):
            start = min(f.available[0] for f in c.fleets) // dt
            lifts: list[_Series] = []
            for (o, d), us in self.routes.items():
                mine = [u for u in us if u.nation in c.carries]
                if not mine:
                    continue
                first = max(start, min(max(u.release, u.window[0]) for u in mine) // dt)
                last = max(min(u.window[1], self.upper) for u in mine) // dt
                q = self._arc(ci, o, d, True, first, last)
                if q is not None:
                    lifts.append(q)
            if not lifts:
                continue
            origins = {q.a for q in lifts}
            last_lift = {o: max(q.last for q in lifts if q.a == o) for o in origins}
            sources = {f.base for f in c.fleets} | {q.b for q in lifts}
            moves = []
            for x in sorted(sources):
                for o in sorted(origins - {x}):
                    q = self._arc(ci, x, o, False, start, last_lift[o])
                    if q is None:
                        continue
                    # Arriving after the last lift from o could leave: never part of a chain.
                    keep = [i for i, r in enumerate(q.ready) if r <= last_lift[o]]
                    if not keep:
                        continue
                    n = keep[-1] + 1
                    q.last = q.first + n - 1
                    q.ready, q.lands = q.ready[:n], q.lands[:n]
                    moves.append(q)
            c.nodes = sorted(sources | origins)
            out += lifts + moves
        return out

    def size(self) -> int:
        """Arc variables (one per arc and bucket) plus ground arcs."""
        ground = sum(len(c.nodes) for c in self.classes) * self.nb
        return ground + sum(q.last - q.first + 1 for q in self.series)

    # -- the LP ------------------------------------------------------------------------

    def build(self, stop: float | None = None) -> None:
        """Build the LP; raises _OutOfTime past ``stop`` (a perf_counter time)."""
        p, dt, nb = self.p, self.dt, self.nb
        check_time, row = self._start(stop)
        solver = self.solver
        inf = solver.infinity()

        for q in self.series:
            n = q.last - q.first + 1
            q.vars = [solver.NumVar(0, inf, "") for _ in range(n)]
            for i in range(n):
                if q.lands[i] >= _INF:
                    q.vars[i].SetUb(0)  # closed at departure or arrival
        check_time()

        # Flow balance per class, airfield and bucket.
        for ci, c in enumerate(self.classes):
            out_of: dict[str, list[_Series]] = defaultdict(list)
            into: dict[tuple[str, int], list[tuple[_Series, int]]] = defaultdict(list)
            for q in self.series:
                if q.cls != ci:
                    continue
                out_of[q.a].append(q)
                for i, r in enumerate(q.ready):
                    if r < nb:
                        into[(q.b, r)].append((q, q.first + i))
            if not out_of:
                continue
            supply: dict[tuple[str, int], int] = defaultdict(int)
            for f in c.fleets:
                supply[(f.base, min(nb - 1, f.available[0] // dt))] += f.count
            for a in c.nodes:
                ground = [solver.NumVar(0, inf, "") for _ in range(nb - 1)]
                for k in range(nb):
                    terms: Terms = []
                    for q in out_of.get(a, ()):
                        terms += q.departures(k)
                    for q, k0 in into.get((a, k), ()):
                        terms += [(v, -w) for v, w in q.departures(k0)]
                    if k + 1 < nb:
                        terms.append((ground[k], 1.0))
                    if k > 0:
                        terms.append((ground[k - 1], -1.0))
                    row(-inf, supply.get((a, k), 0), terms)
            check_time()

        # Demand.
        space_min = self._space_min()
        lifts_on: dict[tuple[str, str], list[_Series]] = defaultdict(list)
        for q in self.series:
            if q.lift:
                lifts_on[(q.a, q.b)].append(q)
        for route, units in self.routes.items():
            qs = lifts_on.get(route, [])
            serve: dict[frozenset[str], list[_Series]] = {}
            for nset, span, need in self._demand_rows(units, space_min):
                if nset not in serve:
                    serve[nset] = [q for q in qs if self.classes[q.cls].carries & nset]
                uq = serve[nset]
                for k in range(3):
                    if need[k] <= 0 or not uq:
                        continue
                    caps = [(c.seats, c.space_m, c.payload_kg)[k]
                            for c in (self.classes[q.cls] for q in uq)]
                    # In units of the biggest aircraft's lifts: kilograms next to aircraft
                    # counts scale the LP badly.
                    unit = max(caps) or 1.0
                    row(need[k] / unit, inf, [
                        (v, w * cap / unit)
                        for q, cap in zip(uq, caps, strict=True)
                        for v, w in q.between(*span)])
            check_time()

        # Daily caps: every departure, lift or positioning, of every class.
        from_airfield: dict[str, list[_Series]] = defaultdict(list)
        for q in self.series:
            from_airfield[q.a].append(q)
        for dc in p.caps:
            qs = [q for m in dc.members for q in from_airfield.get(m, ())]
            if not qs:
                continue
            days = [(lo, hi) for lo, hi, _ in dc.days if hi > 0 and lo <= self.upper]
            windows = [(lo, hi, 1) for lo, hi in days]
            if any(lo % dt for lo, _ in days[1:]):
                windows += [(d0[0], d1[1], 2) for d0, d1 in itertools.pairwise(days)]
            for lo, hi, n in windows:
                b0, b1 = max(0, -(-lo // dt)), hi // dt - 1
                if b1 < b0:
                    continue
                terms = [t for q in qs for t in q.between(b0, b1)]
                row(-inf, n * dc.cap, terms)
            check_time()

    def _cut_at(self, c: int) -> list[pywraplp.Variable]:
        out = []
        for q in self.series:
            if not q.lift:
                continue
            # Closed buckets (no landing at all) are skipped: later open ones may still land
            # in time, and landings grow with the departure bucket among the open ones.
            late = next((i for i, m in enumerate(q.lands) if c < m < _INF), None)
            if late is None:
                continue
            # Closed buckets stay at 0 whatever C is: they are never lifted again.
            out += [v for v, m in zip(q.vars[late:], q.lands[late:], strict=True) if m < _INF]
        return out

def _estimate(n: int, solves: int) -> float:
    """Seconds to build an LP of ``n`` variables and solve it ``solves`` times (a guess)."""
    return n * _BUILD_S_PER_VAR + solves * _SOLVE_S_AT_10K * (n / 10_000) ** 1.5


def _search(lp: NetworkLP, lo: int, hi: int, stop: float | None) -> int | None:
    """Smallest completion in [lo, hi] the LP admits, or less when time runs out.

    Returns None when the LP is infeasible at ``hi`` (an achieved completion: the bound is
    then no relaxation and must not be used) or the first solve does not end in time.
    Invariant: every completion below ``lo`` is infeasible for the relaxation (so for every
    plan) and the relaxation is feasible at ``hi``. Probes gallop up from ``lo`` (one bucket,
    then doubling) until one is feasible, then bisect: a finer LP's answer is usually a few
    buckets above a coarser one's.
    """

    def left() -> float | None:
        return None if stop is None else stop - time.perf_counter()

    rest = left()
    if rest is not None and rest <= 0:
        return None
    ok = lp.solve(hi, rest)
    if ok is None:
        log.info("network LP (%d min) stopped by its budget before the first solve ended",
                 lp.dt)
        return None
    if not ok:
        log.warning("network LP infeasible at an achieved completion; bound discarded")
        return None
    top, gap = hi, 0
    while hi > lo:
        rest = left()
        if rest is not None and rest <= 0:
            log.info("network LP (%d min) stopped by its budget at %d..%d", lp.dt, lo, hi)
            break
        mid = min(hi - 1, lo + gap) if hi == top else (lo + hi) // 2
        ok = lp.solve(mid, rest)
        if ok is None:
            log.info("network LP (%d min) stopped by its budget at %d..%d", lp.dt, lo, hi)
            break
        if ok:
            hi = mid
        else:
            lo = mid + 1
            gap = max(lp.dt, 2 * gap)
    return lo


def network_bound(p: Problem, lower: int, upper: int, seconds: float | None = None,
                  max_vars: int = 60_000, dt: int | None = None) -> MinuteBound | None:
    """Smallest completion in [lower, upper] the aircraft-network LP admits, or None.

    Parameters
    ----------
    p
        The phase as integers.
    lower
        A completion already proven impossible to beat (another bound); the search starts
        there.
    upper
        A completion some plan achieves: the LP must be feasible there, or it is discarded.
    seconds
        Time budget for building and solving. The first LP gets the finest buckets (4 hours
        down to 5 minutes) whose full bisection fits half the budget (if none, None); finer
        ones then start from its answer while their solves, extrapolated from the last LP's,
        fit the rest, until two in a row gain nothing. When time runs out mid-search, the
        smallest completion not yet proven impossible is returned (valid, only weaker).
        Without a budget, one LP with the finest buckets that fit ``max_vars``.
    max_vars
        Largest LP tried (variables).
    dt
        Bucket length in minutes, instead of choosing (1 is exact in time).

    Returns
    -------
    MinuteBound or None
        None when nothing above ``lower`` is proven or no model fits.
    """
    if upper <= lower or not p.units:
        return None
    stop = time.perf_counter() + seconds if seconds is not None else None

    def left() -> float:
        return math.inf if stop is None else stop - time.perf_counter()

    steps: tuple[int, ...] = _BUCKETS if dt is None else (dt,)
    sizes = {}
    for step in steps:
        lp = NetworkLP(p, upper, step)
        if lp.size() > max_vars:
            break
        sizes[step] = lp
    if not sizes:
        log.info("network LP skipped: no bucket length fits %d variables", max_vars)
        return None
    if stop is None:
        order = [sizes[min(sizes)]]
    else:
        # The first LP must finish a bisection (about a dozen solves) in half the budget;
        # finer ones follow while they fit. A model too coarse for that is not tried at all:
        # on the generated 10^4 phases, 2- and 4-hour buckets prove nothing above the simple
        # bounds.
        fit = [q for q in sizes.values() if _estimate(q.size(), 12) <= 0.5 * left()]
        if not fit:
            log.info("network LP skipped: %d variables at %d-min buckets exceed the budget",
                     sizes[max(sizes)].size(), max(sizes))
            return None
        first = min(fit, key=lambda q: q.dt)
        finer = sorted((q for q in sizes.values() if q.dt < first.dt), key=lambda q: -q.dt)
        order = [first, *finer]
    best, used = lower, None
    per_solve: tuple[int, float] | None = None  # (size, seconds) measured on the last LP
    idle = 0
    for i, lp in enumerate(order):
        n = lp.size()
        # A finer LP's solves are guessed from the last one's, measured on this problem (the
        # generic guess is far off on some structures), growing as size ** 1.5.
        need = (_estimate(n, 6) if per_solve is None else
                n * _BUILD_S_PER_VAR + 6 * per_solve[1] * (n / per_solve[0]) ** 1.5)
        if i and need > left():
            break
        try:
            lp.build(stop)
        except _OutOfTime:
            log.info("network LP (%d min) not built within the budget", lp.dt)
            break
        t0, lp.solves = time.perf_counter(), 0
        got = _search(lp, best, upper, stop)
        if got is None:
            break
        per_solve = (n, (time.perf_counter() - t0) / max(1, lp.solves))
        log.info("network LP (%d min buckets, %d variables): %d", lp.dt, n, got)
        if got > best:
            best, used, idle = got, lp, 0
        else:
            idle += 1
            if idle == 2:
                break  # two bucket lengths in a row gained nothing: finer ones rarely do
    if used is None or best <= lower:
        return None
    return MinuteBound(
        "aircraft-network", best,
        f"where the aircraft can be, over {used.nb} buckets of {used.dt} min: positioning "
        "flights, cycles, daily caps and releases together",
    )
