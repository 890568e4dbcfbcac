"""Greedy list scheduler: the baseline, and the warm start for CP-SAT.

Units are taken in release order; each is cut into loads, and each load goes to the aircraft
(of any fleet that may carry it) that lands it earliest, at the first minute where hours,
closures, daily caps and max-on-ground all allow. Every tail flies the same chain shape as in
the CP-SAT model: a positioning leg when it is elsewhere, the lift, and a flight back to base
after its last lift if that ended in the theatre.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from contingent.plan.bounds import min_lifts
from contingent.plan.cpsat import LegValue
from contingent.plan.problem import FleetData, Problem, UnitDemand
from contingent.plan.workbound import Lifts

INF = 10**9
#: Above this many aircraft, fleets that differ only in base share a pool of tails.
MERGE_TAILS = 500
#: Paced variants schedule a unit bound for a capped airfield outside the theatre no earlier
#: than this share of the days its airfield's departure cap needs for the lifts before it.
PACE = 0.7
#: Planned variants pace the units leaving each airfield against these shares of the first
#: variant's completion (see :func:`_spread`).
PLANNED = (0.8, 0.9)
#: Share of that time in which an airfield with opening hours is paced: it must send its
#: last lift before it closes, while the others may send theirs through the night, and the
#: list scheduler's order runs ahead of the fleet. Measured on generated withdrawals
#: (10^4 sorties): 2/3 did better than the share of the day the airfield is open.
HOURS_SHARE = 2 / 3
#: Into the theatre, each planned variant also runs with this slack (minutes; see
#: :class:`Variant`).
SLACK = 60
#: Lifts per fleet class (type, carried nations) and route that a guided variant follows.
Guide = Lifts
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Variant:
    """One way to run the list scheduler; :func:`greedy` runs several and keeps the best.

    Attributes
    ----------
    retire
        A tail that flies back to base after a lift into the theatre is done (the chains
        the CP-SAT model can hold).
    park
        Park aircraft on a small theatre apron while there is room.
    bias
        Minutes of landing a load may trade for one full largest aircraft's worth of it.
    defer
        Deferred exits: a tail leaves the theatre at the first minute it can, bound for
        wherever its next load is.
    base_first
        Among units released together, those waiting at the base of a fleet that may carry
        them go first.
    guided
        Follow the fleet-work LP's lifts per fleet class and route.
    paced
        Spread units bound for capped airfields outside the theatre (see :func:`_pace`).
    planned
        Share of the first variant's completion that a day plan aims at (0: none): the
        guide is then the fleet-work LP within the daily caps of the days before it, and
        the units leaving each airfield are spread over the time to it (see :func:`_spread`).
    slack
        With a guide: minutes by which a fleet outside the guide must land a load sooner
        to take it instead (0: the guide always wins when its fleets can take the load).
    """

    retire: bool
    park: bool = False
    bias: int = 0
    defer: bool = False
    base_first: bool = False
    guided: bool = False
    paced: bool = False
    planned: float = 0.0
    slack: int = 0


#: Given a target completion (minute), the guide a day plan follows: lifts per fleet class
#: and route within the daily caps of the days before it, or None when there is none.
DayPlan = Callable[[int], Guide | None]


@dataclass
class _Tail:
    fleet: FleetData
    id: str
    where: str
    ready: int
    legs: list[LegValue] = field(default_factory=list)
    # Deferred exit: the minute a tail that must leave the theatre airfield it stands on
    # departs (slot and apron already booked); where to is chosen by the next load it takes.
    exit: int | None = None


def _same(t: int, _length: int) -> int:
    return t


class _Airspace:
    """Bookkeeping of departures per day and aircraft on the ground.

    Built for plans of 10^5 sorties: day lookups bisect precomputed starts, and ground
    occupancy at airfields with a max-on-ground is an array of aircraft per minute, so
    checking and booking a stay cost its length, not the number of stays booked so far.
    """

    def __init__(self, p: Problem) -> None:
        self.p = p
        s = p.scenario
        self.caps = [(dc.members, dc.cap, [(lo, hi) for lo, hi, _ in dc.days])
                     for dc in p.caps]
        self.cap_starts = [[lo for lo, _ in days] for _, _, days in self.caps]
        self.caps_at: dict[str, list[int]] = defaultdict(list)
        for k, (members, _cap, _days) in enumerate(self.caps):
            for member in sorted(members):
                self.caps_at[member].append(k)
        self.used: dict[tuple[int, int], int] = defaultdict(int)
        self.mog = {a.id: a.max_on_ground for a in s.airfields if a.max_on_ground}
        # Minute-by-minute aircraft on the ground; grown on demand past the horizon.
        self.size = p.horizon + 4 * 1440
        self.occ = {a: np.zeros(self.size, dtype=np.int32) for a in self.mog}
        # Stays booked open-ended (the aircraft has not left yet), by (airfield, arrival).
        self.open_stays: dict[tuple[str, int], int] = defaultdict(int)
        self.hours: dict[str, tuple[list[int], list[int]]] = {}
        for a in s.airfields:
            if a.hours is not None:
                win = p.clock_window(s.tz(a.id), a.hours.open_min, a.hours.close_min)
                self.hours[a.id] = ([lo for lo, _ in win], [hi for _, hi in win])
        self.closures = {a.id: [(p.minutes(c.from_), p.minutes(c.to)) for c in a.closures]
                         for a in s.airfields if a.closures}
        # Airfields open round the clock with no closure, and with no departure cap: most
        # lookups are for these, and they answer at once.
        self.restricted = set(self.closures) | set(self.hours)
        # Most aircraft on the ground at once so far, per airfield with a max-on-ground (an
        # upper bound: stays that end are not taken off): below the limit, every place is free.
        self.peak = dict.fromkeys(self.mog, 0)
        # The stretches of full minutes (occupancy at the limit) per such airfield, as
        # ascending starts and ends: looked up by bisection, rebuilt only after a booking
        # there changed them.
        self._full: dict[str, tuple[list[int], list[int]]] = {}
        self.park = False
        self.parked: dict[str, list[_Tail]] = defaultdict(list)
        self.retire = True
        # Tails leaving the theatre after a lift go where their next load is (set by the
        # greedy): see ``_Tail.exit``.
        self.defer = False

    def full(self, a: str) -> tuple[list[int], list[int]]:
        """The stretches of minutes [start, end) in which airfield ``a``'s apron is full:
        their starts and their ends, ascending."""
        got = self._full.get(a)
        if got is None:
            edge = np.diff((self.occ[a] >= self.mog[a]).astype(np.int8), prepend=0, append=0)
            got = (np.flatnonzero(edge == 1).tolist(), np.flatnonzero(edge == -1).tolist())
            self._full[a] = got
        return got

    def _grow(self, t: int) -> None:
        if t <= self.size:
            return
        self._full.clear()
        new = max(t, 2 * self.size)
        for a, arr in self.occ.items():
            grown = np.zeros(new, dtype=np.int32)
            grown[: self.size] = arr
            # Open-ended stays extend to the new end as well.
            grown[self.size:] = arr[-1]
            self.occ[a] = grown
        self.size = new

    def open_at(self, a: str, t: int) -> int:
        """The first minute >= t at which airfield ``a`` accepts a movement."""
        if a not in self.restricted:
            return t
        closures = self.closures.get(a, ())
        win = self.hours.get(a)
        for _ in range(1000):
            moved = False
            for lo, hi in closures:
                if lo <= t < hi:
                    t, moved = hi, True
            if win is not None:
                starts, ends = win
                i = bisect.bisect_right(starts, t) - 1
                if i < 0 or t > ends[i]:
                    if i + 1 >= len(starts):
                        return INF
                    t, moved = starts[i + 1], True
            if not moved:
                return t
        return INF

    def open_before(self, a: str, t: int) -> int | None:
        """The last minute <= t at which ``a`` accepts a movement (None if not simple)."""
        if any(lo <= t < hi for lo, hi in self.closures.get(a, ())):
            return None
        win = self.hours.get(a)
        if win is None:
            return t
        starts, ends = win
        i = bisect.bisect_right(starts, t) - 1
        if i < 0:
            return None
        return min(t, ends[i])

    def depart_at(self, a: str, t: int) -> int:
        """The first minute >= t at which ``a`` accepts a departure within its caps."""
        ks = self.caps_at.get(a, ())
        if not ks:
            return self.open_at(a, t)
        for _ in range(1000):
            t = self.open_at(a, t)
            if t >= INF:
                return INF
            moved = False
            for k in ks:
                days = self.caps[k][2]
                i = bisect.bisect_right(self.cap_starts[k], t) - 1
                if 0 <= i < len(days) and self.used[(k, i)] >= self.caps[k][1]:
                    t, moved = days[i][1], True
                    break
            if not moved:
                return t
        return INF

    def book_departure(self, a: str, t: int, n: int = 1) -> None:
        """Count a departure from ``a`` at ``t`` in its caps (``n=-1`` takes one back)."""
        for k in self.caps_at.get(a, ()):
            self.used[(k, bisect.bisect_right(self.cap_starts[k], t) - 1)] += n

    def ground_ok(self, a: str, lo: int, hi: int) -> bool:
        cap = self.mog.get(a)
        if cap is None or self.peak[a] < cap:
            return True
        hi = min(hi, INF)
        self._grow(min(hi, INF // 2) if hi < INF else lo + 1)
        starts, ends = self.full(a)
        # The first stretch that ends after ``lo`` must start at or after the stay's end.
        i = bisect.bisect_right(ends, lo)
        return i == len(ends) or starts[i] >= min(max(hi, lo + 1), self.size)

    def free_from(self, a: str) -> Callable[[int, int], int]:
        """For airfield ``a``: the first minute >= t from which a place on its apron stays
        free for ``length`` minutes (a lower bound on when an aircraft can land and turn)."""
        cap = self.mog.get(a)
        if cap is None or self.peak[a] < cap:
            return _same
        # The apron as it is now: minutes past its current end count as free.
        starts, ends = self.full(a)
        n = len(ends)

        def first(t: int, length: int) -> int:
            length = max(1, length)
            i = bisect.bisect_right(ends, t)
            # Past every full stretch the stay would overlap, until one fits before the next.
            while i < n and starts[i] < t + length:
                t = max(t, ends[i])
                i += 1
            return t
        return first

    def wait(self, a: str, t: int, length: int) -> int:
        """How much later to try a stay of ``length`` minutes from ``t`` on ``a``'s full
        apron: past its last full minute (any earlier start overlaps it), at least a minute
        and at most a quarter of an hour, so that caps and hours are looked at again."""
        cap = self.mog.get(a)
        if cap is None:
            return 15
        if self.peak[a] < cap:
            return 1
        length = max(1, min(length, 15 * 1440))
        self._grow(t + length)
        starts, ends = self.full(a)
        # The last full minute inside [t, t + length): in the last stretch starting before
        # its end.
        j = bisect.bisect_left(starts, t + length) - 1
        if j < 0 or ends[j] <= t:
            return 1
        return min(15, min(ends[j], t + length) - t)

    def book_ground(self, a: str, lo: int, hi: int) -> None:
        if a not in self.mog:
            return
        if hi >= INF:
            self._grow(lo + 1)
            seg = self.occ[a][lo:]
            self.open_stays[(a, lo)] += 1
        else:
            self._grow(hi)
            seg = self.occ[a][lo:hi]
        seg += 1
        if seg.size:
            self.peak[a] = max(self.peak[a], int(seg.max()))
        self._full.pop(a, None)

    def close_stay(self, a: str, arrived: int, left: int) -> None:
        """An aircraft on the ground at ``a`` since ``arrived`` leaves at ``left``."""
        key = (a, arrived)
        if self.open_stays.get(key):
            self.open_stays[key] -= 1
            self._grow(left)
            self.occ[a][left:] -= 1
            self._full.pop(a, None)



class _Pools:
    """Which tail lands a load earliest: a best-first search over the fleets' tails.

    Among a pool's tails at one place the earliest-ready one dominates (it can fly anything
    a later one can), so each place offers one candidate, plus the fleet's next unused tail.
    Candidates are tried in order of a cheap lower bound on their landing (ready time plus
    positioning, turnaround and flight), and places are visited nearest first, so at 10^5
    sorties only a handful of the thousands of (fleet, place) pairs are ever tried. Ties go
    to the earlier fleet, then the place first used, then the unused tail.

    With ``merge``, fleets that differ only in their base (when no tail has to fly back to
    it) share one pool, and every tail starts in it at its base: on theatre-wide problems
    with dozens of identical fleets this keeps the candidates per load to a few pools.
    """

    def __init__(self, p: Problem, tails: dict[str, list[_Tail]], merge: bool = False,
                 guide: Guide | None = None, slack: int = 0) -> None:
        self.p = p
        self.slack = slack
        # Lifts left per class and route in the guide (a copy: each run spends its own).
        self.guide = dict(guide) if guide else None
        self.tails = tails
        self.merge = merge
        into_theatre = any(u.destination in p.theatre for u in p.units)
        self.pool: dict[str, str] = {}
        first: dict[tuple, str] = {}
        for f in p.fleets:
            key = (f.type, f.carries, f.available, f.turnaround,
                   f.base if into_theatre else None)
            self.pool[f.id] = first.setdefault(key, f.id) if merge else f.id
        self.next_unused = {f.id: 0 for f in p.fleets}
        pools = sorted(set(self.pool.values()))
        # Free tails per pool and place, earliest ready first; and per pool over all places.
        self.free: dict[str, dict[str, list[tuple[int, str, _Tail]]]] = {k: {} for k in pools}
        self.anywhere: dict[str, list[tuple[int, str, str, _Tail]]] = {k: [] for k in pools}
        self.rank: dict[str, dict[str, int]] = {k: {} for k in pools}
        fleet = {f.id: f for f in p.fleets}
        self.carriers: dict[str, list[tuple[int, FleetData]]] = {}
        for n in sorted({u.nation for u in p.units}):
            ids = list(dict.fromkeys(self.pool[f.id] for f in p.carriers(n)))
            self.carriers[n] = list(enumerate(fleet[k] for k in ids))
        self._near: dict[tuple[str, str], tuple[int, list[tuple[int, str]]]] = {}
        self._lift: tuple[str, int, Callable[[int, int], int]] = ("", 0, _same)
        if merge:
            for f in p.fleets:
                self.next_unused[f.id] = len(tails[f.id])
                for t in tails[f.id]:
                    self.put(t)

    def near(self, f: FleetData, to: str) -> list[tuple[int, str]]:
        """The places where fleet ``f`` has tails, by positioning time to ``to``, nearest
        first; rebuilt only when the fleet reaches a new place."""
        k = self.pool[f.id]
        key = (k, to)
        got = self._near.get(key)
        if got is None or got[0] != len(self.rank[k]):
            places = sorted((self.p.block(f.type, a, to), a) for a in self.rank[k])
            got = (len(self.rank[k]), places)
            self._near[key] = got
        return got[1]

    def _head(self, fid: str, loc: str) -> _Tail | None:
        h = self.free[fid].get(loc)
        while h and (h[0][2].where != loc or h[0][2].ready != h[0][0]):
            heapq.heappop(h)  # stale: the tail moved (flew or was evicted) since
        return h[0][2] if h else None

    def _soonest(self, fid: str) -> int | None:
        h = self.anywhere[fid]
        while h and (h[0][3].where != h[0][2] or h[0][3].ready != h[0][0]):
            heapq.heappop(h)
        return h[0][0] if h else None

    def take(self, t: _Tail) -> None:
        """``t`` is about to fly: it leaves its place's pool (or the unused ones)."""
        fid = t.fleet.id
        h = self.free[self.pool[fid]].get(t.where)
        if h and h[0][2] is t:
            heapq.heappop(h)
        pool = self.tails[fid]
        if self.next_unused[fid] < len(pool) and t is pool[self.next_unused[fid]]:
            self.next_unused[fid] += 1

    def put(self, t: _Tail) -> None:
        """``t`` has flown and is free again at its new place (unless retired)."""
        if t.ready >= INF:
            return
        k = self.pool[t.fleet.id]
        self.rank[k].setdefault(t.where, len(self.rank[k]))
        heapq.heappush(self.free[k].setdefault(t.where, []), (t.ready, t.id, t))
        heapq.heappush(self.anywhere[k], (t.ready, t.id, t.where, t))

    def spend(self, f: FleetData, u: UnitDemand) -> None:
        """One lift of ``u``'s route flown by fleet ``f``: one fewer left in the guide."""
        if self.guide is not None:
            key = (f.type, f.carries, u.origin, u.destination)
            self.guide[key] = self.guide.get(key, 0.0) - 1

    def best(self, air: _Airspace, u: UnitDemand, rem: dict[str, int], bias: int,
             big: tuple[int, int, int]):  # type: ignore[no-untyped-def]
        """The (key, tail, times, load) landing the next load of ``u`` earliest, or None.

        With a guide, only fleets whose class has at least half a lift left on the route are
        tried first; the others only when none of those can take the load, or, with a slack,
        when one of them lands it at least that many minutes sooner.
        """
        cands = self.carriers[u.nation]
        if self.guide is not None:
            g = self.guide
            mine = [(i, f) for i, f in cands
                    if g.get((f.type, f.carries, u.origin, u.destination), 0.0) >= 0.5]
            if mine and len(mine) < len(cands):
                got = self._best(air, u, rem, bias, big, mine)
                if got is not None:
                    if not self.slack:
                        return got
                    # Only a load landing ``slack`` sooner elsewhere leaves the guide: the
                    # search stops as soon as no candidate can beat that.
                    other = self._best(air, u, rem, bias, big, cands,
                                       beat=got[0][0] - self.slack)
                    return other if other is not None else got
        return self._best(air, u, rem, bias, big, cands)

    def _best(self, air: _Airspace, u: UnitDemand, rem: dict[str, int], bias: int,
              big: tuple[int, int, int], cands: list[tuple[int, FleetData]],
              beat: int | None = None):  # type: ignore[no-untyped-def]
        p = self.p
        lo = max(u.release, u.window[0])
        # No lift leaves before the origin accepts a departure, and a tail flying in waits
        # for a place on its apron: both hold for every candidate, so the bounds stay valid
        # while many candidates that tie on flight times alone are never tried.
        d0 = air.depart_at(u.origin, lo)
        if d0 >= INF:
            return None
        self._lift = (u.origin, d0, air.free_from(u.origin))
        self.air = air
        packs: dict[str, tuple[int, dict[str, int], int] | None] = {}
        # Entries: (key, is_stream, payload). A stream stands for the not yet visited places
        # of one fleet; its key is a lower bound on all of theirs.
        queue: list = []
        n = 0
        for fi, f in cands:
            if f.type not in packs:
                packs[f.type] = _pack(p, u, rem, f)
            load = packs[f.type]
            if load is None:
                continue
            size = load[0] + sum(load[1].values()) * 100 + load[2] // 100
            # With a bias, a bigger load may land later: fewer lifts where the
            # theatre's departures or apron are the scarce resource.
            credit = round(bias * _share(p, f, load, big)) if bias else 0
            blk = p.block(f.type, u.origin, u.destination)
            info = (f, load, credit, blk)
            pool = self.tails[f.id]
            if self.next_unused[f.id] < len(pool):
                t = pool[self.next_unused[f.id]]
                if t.ready < INF:
                    key = (self._early(t, u, lo, blk) - credit, -size, (fi, 1 << 30))
                    queue.append((key, n, False, (t, info)))
                    n += 1
            soon = self._soonest(f.id)
            if soon is not None:
                key = (max(soon, d0) + blk - credit, -size, (fi, -1))
                queue.append((key, n, True, (0, soon, info)))
                n += 1
        heapq.heapify(queue)
        free_from = self._lift[2]
        best = None
        # The key to beat: with ``beat``, only a landing before that minute (at that minute
        # the bar's second key wins), so the search stops as soon as no candidate's bound is
        # earlier.
        bar = None if beat is None else (beat, -(1 << 62), ())
        while queue and (bar is None or queue[0][0] < bar):
            key, _, is_stream, item = heapq.heappop(queue)
            if is_stream:
                k, soon, info = item
                f, load, credit, blk = info
                near = self.near(f, u.origin)
                # Visit the next place that has a free tail; the stream moves past it.
                while k < len(near):
                    pblk, loc = near[k]
                    k += 1
                    head = self._head(f.id, loc)
                    if head is None:
                        continue
                    ck = (self._early(head, u, lo, blk) - credit, key[1],
                          (key[2][0], self.rank[f.id][loc]))
                    heapq.heappush(queue, (ck, n, False, (head, info)))
                    n += 1
                    break
                if k < len(near):
                    pblk, nxt = near[k]
                    if nxt == u.origin:
                        lb = max(soon, d0) + blk - credit
                    else:
                        land = soon + pblk
                        arrive = max(air.open_at(u.origin, land),
                                     free_from(land, f.turnaround))
                        lb = max(arrive + f.turnaround, d0) + blk - credit
                    heapq.heappush(queue, ((lb, key[1], key[2]), n, True, (k, soon, info)))
                    n += 1
                continue
            t, (f, load, credit, _blk) = item
            trial = _try(p, air, t, u)
            if trial is None:
                continue
            real = (trial[3] - credit, key[1], key[2])
            if bar is None or real < bar:
                best, bar = (real, t, trial, load), real
        return best

    def _early(self, t: _Tail, u: UnitDemand, lo: int, blk: int) -> int:
        """A lower bound on when ``t`` can land a load of ``u``."""
        _, d0, free_from = self._lift
        if t.where == u.origin:
            return max(t.ready, d0) + blk
        leave = t.exit if t.exit is not None else self.air.depart_at(t.where, t.ready)
        if leave >= INF:
            return INF
        land = leave + self.p.block(t.fleet.type, t.where, u.origin)
        # It lands when the origin is open and stays a turnaround on a free place.
        arrive = max(self.air.open_at(u.origin, land), free_from(land, t.fleet.turnaround))
        return max(arrive + t.fleet.turnaround, d0) + blk

def _pack(p: Problem, u: UnitDemand, rem: dict[str, int], f: FleetData
          ) -> tuple[int, dict[str, int], int] | None:
    """Fill one aircraft of fleet ``f`` with what is left of unit ``u``: the vehicles that
    fill its hold best (see :func:`_vehicles`), then passengers, then cargo."""
    veh = _vehicles(p, u, rem, f.type, f.space_cm, f.payload_kg)
    mass = sum(n * p.vehicle_mass[c] for c, n in veh.items())
    pax = min(rem["_pax"], f.seats, (f.payload_kg - mass) // p.personnel_mass)
    mass += pax * p.personnel_mass
    cargo = min(rem["_cargo"], f.payload_kg - mass)
    if pax <= 0 and not veh and cargo <= 0:
        return None
    return pax, veh, cargo


#: Most branches the hold-filling search tries per load; past it, the best fill found so far.
FILL_NODES = 2000


def _vehicles(p: Problem, u: UnitDemand, rem: dict[str, int], type_id: str, space: int,
              mass: int) -> dict[str, int]:
    """The vehicles of ``u`` still to fly that fill ``space`` centimetres of hold best within
    ``mass`` kilograms, as counts per class."""
    classes = sorted((c for c in u.vehicles if rem.get(c, 0) > 0 and (c, type_id) in p.space_cm),
                     key=lambda c: (-p.space_cm[(c, type_id)], c))
    if not classes:
        return {}
    items = tuple((p.space_cm[(c, type_id)], p.vehicle_mass[c], rem[c]) for c in classes)
    return {c: n for c, n in zip(classes, _fill(items, space, mass), strict=True) if n > 0}


@functools.lru_cache(maxsize=1 << 16)
def _fill(items: tuple[tuple[int, int, int], ...], space: int, mass: int) -> tuple[int, ...]:
    """Counts per item (space, mass, how many) that use the most of ``space`` within ``mass``.

    Taking each class in turn, as many as fit, largest first, can leave the hold part empty
    where a mix would fill it (2000 cm: two 800s leave 400; 800 + 750 + 450 fill it), and the
    unit then needs an extra lift for the rest. A depth-first search over the counts, most of
    the largest first, finds the best mix; its first branch is that class-by-class fill, so
    a search cut short at ``FILL_NODES`` is never worse than it.
    """
    n = len(items)
    # Space the items from i on could still add, for pruning.
    rest = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + items[i][0] * items[i][2]
    best: list = [-1, (0,) * n]
    cur = [0] * n
    nodes = 0

    def dfs(i: int, sp: int, ms: int, used: int) -> bool:
        nonlocal nodes
        nodes += 1
        if used > best[0]:
            best[0], best[1] = used, tuple(cur)
        # Full, or out of branches once the first one is complete: stop everywhere.
        if best[0] == space or (nodes >= FILL_NODES and nodes > n):
            return True
        if i == n or used + min(rest[i], sp) <= best[0]:
            return False
        s, m, c = items[i]
        for k in range(min(c, sp // s, ms // m if m else c), -1, -1):
            cur[i] = k
            if dfs(i + 1, sp - k * s, ms - k * m, used + k * s):
                cur[i] = 0
                return True
        cur[i] = 0
        return False

    dfs(0, space, mass, 0)
    return best[1]


def greedy(p: Problem, seconds: float | None = None,
           progress: Callable[[str], None] | None = None, rounds: int = 0,
           target: int | None = None, bound: Callable[[int], int] | None = None,
           until: Callable[[dict[str, list[LegValue]]], float | None] | None = None,
           guide: Guide | None = None, day_plan: DayPlan | None = None
           ) -> dict[str, list[LegValue]] | None:
    """A plan's legs per tail, or None when the greedy gets stuck.

    Runs a few variants and keeps the earliest completion, then the fewest sorties: chains the
    CP-SAT model can hold (a tail that flies back to base after a lift into the theatre is
    done) or not; parking in a small theatre apron or not; tails leaving the theatre after a
    lift at the first minute they can, bound for wherever their next load is (deferred exit),
    with or without units at the base of a fleet that may carry them going first; and a
    bias of 480 minutes per full largest aircraft, which trades a later landing for fewer,
    bigger lifts. With a ``guide`` (lifts per fleet class and route, e.g. from
    :func:`~contingent.plan.workbound.lift_plan`), the first two variants also run guided:
    each load goes to a fleet whose class still has lifts left on its route in the guide,
    when one can take it. Where units are bound for capped airfields outside the theatre,
    paced copies of the first variant follow it (see :func:`_pace`). With a ``day_plan``,
    planned copies of the first variant follow it once it has a completion: aimed at
    ``PLANNED`` shares of it, each guided by the day plan for its target and with the units
    at each airfield spread over the time to it (see :func:`_spread`).

    With ``seconds``, variants are run most promising first and no new one is started once
    the time is spent (the first always runs, so there is a plan whenever one is found).
    Then up to ``rounds`` rounds of :func:`_squeaky` improve the best one, unless its
    completion already meets ``target`` (a lower bound) or the time is spent. ``bound``, given
    the variants' best completion, may return a stronger lower bound to aim at; ``until``,
    given the variants' best plan, may return a later end for the rounds (a
    ``time.perf_counter()`` instant).
    """
    into_theatre = any(u.destination in p.theatre for u in p.units)
    # Most promising first: on bigger problems the biased variants usually win, and into the
    # theatre the deferred exits do.
    base = [Variant(retire=True, bias=480), Variant(retire=True)]
    if into_theatre:
        base = [Variant(retire=False, bias=480, defer=True),
                Variant(retire=False, defer=True, base_first=True),
                Variant(retire=False, defer=True),
                Variant(retire=False, bias=480, defer=True, base_first=True), *base]
        if any(a.max_on_ground for a in p.scenario.airfields if a.id in p.theatre):
            # Into a theatre with a small apron: park aircraft while there is room.
            base += [Variant(retire=True, park=True), Variant(retire=False, park=True),
                     Variant(retire=False, park=True, bias=480)]
    # Then guided and paced copies: the first two also guided.
    variants = list(base)
    if guide:
        variants.insert(1, replace(base[0], guided=True))
        variants.insert(3, replace(base[1], guided=True))
    # Computed once: every paced run and round schedules by the same minutes.
    pace = _pace(p)
    ahead = 1  # where planned variants go: after the first and its paced copies
    if pace:
        # Lifts into an airfield whose departures are capped strand the aircraft there once
        # the day's departures are taken: paced copies of the first variant (guided first,
        # where there is a guide) spread those units over the days the cap needs.
        paced = [replace(base[0], paced=True)]
        if guide:
            paced.insert(0, replace(base[0], guided=True, paced=True))
        variants[1:1] = paced
        ahead += len(paced)
    # Pooling identical fleets changes only tie-breaks; it pays from hundreds of tails on.
    merge = sum(f.count for f in p.fleets) > MERGE_TAILS
    # The guide and pace each variant runs with: planned ones get their own per share (the
    # copies with a slack share it), computed when first run (a day plan's LP takes seconds
    # at 10^5, where they may never run).
    plans: dict[float, tuple[Guide | None, dict[str, int]]] = {}
    first_end = 0

    def setup(v: Variant) -> tuple[Guide | None, dict[str, int]]:
        if not v.planned or day_plan is None:
            return guide, pace
        if v.planned not in plans:
            plans[v.planned] = _planned(p, v.planned, first_end, day_plan, guide, pace)
        return plans[v.planned]

    stop = time.perf_counter() + seconds if seconds is not None else None
    found: dict[int, dict[str, list[LegValue]]] = {}
    took = 0.0
    for i, v in enumerate(variants):
        # Start another variant only if one more, as long as the last, fits in the time.
        if i and stop is not None and time.perf_counter() + took > stop:
            log.info("greedy: time spent after %d of %d variants", i, len(variants))
            break
        began = time.perf_counter()
        if progress:
            progress(f"greedy variant {i + 1} of {len(variants)}")
        g = _run(p, v, merge, setup(v), None)
        took = time.perf_counter() - began
        if g is not None:
            found[i] = g
            if target is not None and completion_of(p, g) <= target:
                break  # it meets a lower bound: no variant can land the last load sooner
        if i == 0 and g is not None and day_plan is not None and p.units:
            first_end = completion_of(p, g)
            # After the paced copies (which at 10^5 are worth more), before the rest: the
            # loop reads the list by index. Into the theatre each also with a slack: the LP
            # that guides it sees no airfield limits and can load a small fleet past what it
            # lands in time.
            variants[ahead:ahead] = [replace(v, guided=True, paced=True, planned=share,
                                             slack=slack)
                                     for share in PLANNED
                                     for slack in ((0, SLACK) if into_theatre else (0,))]
    if not found:
        return None

    def score(g: dict[str, list[LegValue]]) -> tuple[int, int]:
        return completion_of(p, g), sum(len(v) for v in g.values())

    order = sorted(found, key=lambda i: (score(found[i]), i))
    best = found[order[0]]
    if bound is not None and (target is None or completion_of(p, best) > target):
        got = bound(completion_of(p, best))
        target = got if target is None else max(target, got)
    if until is not None and (later := until(best)) is not None:
        stop = later if stop is None else max(stop, later)
    if rounds and (target is None or completion_of(p, best) > target):
        # Every variant gets improved, in turn: the best start is not always the best end.
        best = _squeaky(p, [(variants[i], found[i]) for i in order], merge, rounds, stop,
                        target, score, progress, setup, took)
    return best


def _squeaky(p: Problem,
             starts: list[tuple[Variant, dict[str, list[LegValue]]]],
             merge: bool, rounds: int, stop: float | None, target: int | None,
             score: Callable[[dict[str, list[LegValue]]], tuple[int, int]],
             progress: Callable[[str], None] | None,
             setup: Callable[[Variant], tuple[Guide | None, dict[str, int]]],
             took: float = 0.0) -> dict[str, list[LegValue]]:
    """Squeaky-wheel improvement: units that land last are scheduled earlier next round.

    Each round takes the next variant in turn, moves the units landing in the last hour of
    its current plan forward in the greedy's order by a random 0.5 to 4 hours (one seeded
    generator per variant: the same rounds give the same plan) and re-runs the greedy; the
    best plan seen is kept.
    """
    state: list[tuple[Variant, dict[str, list[LegValue]],
                      dict[str, int], random.Random]] = [
        (v, g, defaultdict(int), random.Random(0)) for v, g in starts]
    best = starts[0][1]
    # ``took``: how long the last greedy run lasted; a round starts only if one as long fits.
    for n in range(rounds):
        if stop is not None and time.perf_counter() + took > stop:
            log.info("greedy: time spent after %d improvement rounds", n)
            break
        began = time.perf_counter()
        k = n % len(state)
        v, cur, boost, rng = state[k]
        land: dict[str, int] = {}
        for legs in cur.values():
            for leg in legs:
                for ld in leg.loads:
                    land[ld[0]] = max(land.get(ld[0], 0), leg.arr)
        end = max(land.values(), default=0)
        for uid in sorted(land):
            if land[uid] >= end - 60:
                boost[uid] += rng.randint(30, 240)
        if progress and n % 10 == 0:
            progress(f"greedy improvement round {n + 1} of {rounds}")
        g = _run(p, v, merge, setup(v), boost)
        took = time.perf_counter() - began
        if g is None:
            continue
        state[k] = (v, g, boost, rng)
        if score(g) < score(best):
            best = g
            if target is not None and completion_of(p, g) <= target:
                break
    return best


def _run(p: Problem, v: Variant, merge: bool,
         setup: tuple[Guide | None, dict[str, int] | None],
         boost: dict[str, int] | None = None) -> dict[str, list[LegValue]] | None:
    """One list-scheduler run of variant ``v`` with its (guide, pace): each applies where the
    variant says."""
    guide, pace = setup
    return _greedy(p, retire=v.retire, park=v.park, bias=v.bias, merge=merge, defer=v.defer,
                   base_first=v.base_first, boost=boost, guide=guide if v.guided else None,
                   pace=pace if v.paced else None, slack=v.slack)


def _planned(p: Problem, share: float, end: int, day_plan: DayPlan, guide: Guide | None,
             pace: dict[str, int]) -> tuple[Guide | None, dict[str, int]]:
    """The guide and pace of a planned variant aiming at ``share`` of the first variant's
    completion ``end`` (after the earliest release): its day plan (``guide`` where there is
    none, e.g. when its LP ran out of time) and its units spread over the time to it."""
    start = min(max(u.release, u.window[0]) for u in p.units)
    until = start + round(share * (end - start))
    got = day_plan(until)
    return (got if got is not None else guide), _spread(p, start, until, pace)


def _spread(p: Problem, start: int, until: int, pace: dict[str, int]) -> dict[str, int]:
    """Per unit, the minute before which a planned variant does not schedule it.

    The units leaving each airfield, in release order, are spread evenly by their lifts (at
    least) over ``start`` to ``until``, or ``HOURS_SHARE`` of that at an airfield with
    opening hours; never earlier than ``pace`` has them (see :func:`_pace`). A unit whose
    window closes before ``until`` keeps its own order. Only the order of the list scheduler
    changes; on the generated 10^4 withdrawal the theatre airfields with opening hours then
    no longer send lifts on the third day.
    """
    by_origin: dict[str, list[UnitDemand]] = defaultdict(list)
    for u in sorted(p.units, key=lambda u: (max(u.release, u.window[0]), u.id)):
        by_origin[u.origin].append(u)
    out: dict[str, int] = {}
    for a, units in by_origin.items():
        lifts = [min_lifts(p, [u]) for u in units]
        total = max(1, sum(lifts))
        hours = p.scenario.airfield[a].hours is not None
        span = (until - start) * (HOURS_SHARE if hours else 1.0)
        before = 0
        for u, n in zip(units, lifts, strict=True):
            at = max(u.release, u.window[0], pace.get(u.id, 0))
            if u.window[1] >= until:
                at = max(at, start + int(span * before / total))
            out[u.id] = at
            before += n
    return out


def _share(p: Problem, f: FleetData, load: tuple[int, dict[str, int], int],
           big: tuple[int, int, int]) -> float:
    """How much a load carries, as a share of the largest aircraft's seats, hold or payload."""
    pax, veh, cargo = load
    space = sum(n * p.space_cm[(c, f.type)] for c, n in veh.items())
    mass = pax * p.personnel_mass + cargo + sum(n * p.vehicle_mass[c] for c, n in veh.items())
    return max(pax / max(1, big[0]), space / max(1, big[1]), mass / max(1, big[2]))


def _greedy(p: Problem, retire: bool, park: bool = False, bias: int = 0,
            merge: bool = False, defer: bool = False, base_first: bool = False,
            boost: dict[str, int] | None = None, guide: Guide | None = None,
            pace: dict[str, int] | None = None, slack: int = 0
            ) -> dict[str, list[LegValue]] | None:
    air = _Airspace(p)
    air.defer = defer
    big = (max(f.seats for f in p.fleets), max(f.space_cm for f in p.fleets),
           max(f.payload_kg for f in p.fleets))
    air.park = park
    tails: dict[str, list[_Tail]] = {
        f.id: [_Tail(f, t, f.base, f.available[0]) for t in f.tails] for f in p.fleets
    }
    pools = _Pools(p, tails, merge, guide, slack)
    befores = [r for r in p.scenario.rules_for(p.phase) if r.kind == "before"]
    # Nations that must go after others are scheduled after them (rank = longest chain).
    rank: dict[str, int] = {}
    for _ in range(len(befores) + 1):
        for r in befores:
            for n in r.then:
                rank[n] = max(rank.get(n, 0), 1 + max(rank.get(x, 0) for x in r.first))
    last_dep: dict[str, int] = {r.nation: p.minutes(r.start) for r in p.roads}
    ahead = boost or {}
    # Base first: a unit waiting where an aircraft that may carry it stands needs no
    # positioning flight; flown first, it frees those aircraft for the rest sooner.
    based = ({(n, f.base) for f in p.fleets for n in f.carries} if base_first else set())
    paced = pace or {}
    order = sorted(p.units, key=lambda u: (rank.get(u.nation, 0),
                                           max(u.release, u.window[0], paced.get(u.id, 0))
                                           - ahead.get(u.id, 0),
                                           (u.nation, u.origin) not in based,
                                           u.window[1], u.id))
    rems: dict[str, dict[str, int]] = {}
    for x in p.units:
        rems[x.id] = {**x.vehicles, "_pax": x.pax, "_cargo": x.cargo_kg}
    ordered_nations = {n for r in befores for n in (*r.first, *r.then)}
    air.retire = retire
    # Units that may top up a lift, by route, in scheduling order.
    by_route: dict[tuple[str, str], list[UnitDemand]] = defaultdict(list)
    for v in order:
        if v.nation not in ordered_nations:
            by_route[(v.origin, v.destination)].append(v)
    for u in order:
        after = max((last_dep.get(n, -1) for r in befores if u.nation in r.then
                     for n in r.first), default=-1)
        if after >= 0:
            u = replace(u, window=(max(u.window[0], after + 1), u.window[1]))
        rem = rems[u.id]
        while rem["_pax"] > 0 or rem["_cargo"] > 0 or any(
                rem[c] > 0 for c in u.vehicles):
            best = pools.best(air, u, rem, bias, big)
            if best is None:
                return None
            _, t, (pd, pa, d, a), load = best
            pools.take(t)
            _commit(p, air, t, u, pd, pa, d, a, load, retire)
            pools.spend(t.fleet, u)
            pools.put(t)
            last_dep[u.nation] = max(last_dep.get(u.nation, -1), d)
            pax, veh, cargo = load
            rem["_pax"] -= pax
            rem["_cargo"] -= cargo
            for c, k in veh.items():
                rem[c] -= k
            if u.nation not in ordered_nations:
                _top_up(p, t, u, by_route, rems)
    # Tails that end in the theatre fly home to base.
    out: dict[str, list[LegValue]] = {}
    for pool in tails.values():
        for t in pool:
            if not t.legs:
                continue
            if t.exit is not None:
                # A deferred exit no load took: to base, as booked.
                blk = p.block(t.fleet.type, t.where, t.fleet.base)
                t.legs.append(LegValue("positioning", t.where, t.fleet.base, t.exit,
                                       t.exit + blk))
            elif t.where in p.theatre and t.where != t.fleet.base:
                blk = p.block(t.fleet.type, t.where, t.fleet.base)
                rd = t.ready
                for _ in range(200):
                    rd = air.depart_at(t.where, rd)
                    if rd >= INF:
                        return None
                    ra = air.open_at(t.fleet.base, rd + blk)
                    if ra == rd + blk:
                        break
                    rd = ra - blk
                air.book_departure(t.where, rd)
                # The aircraft was on the ground since its arrival; now it leaves.
                _close_ground(air, t.where, t.legs[-1].arr, rd)
                t.legs.append(LegValue("positioning", t.where, t.fleet.base, rd, rd + blk))
            out[t.id] = t.legs
    return _renumber(p, out)


def _pace(p: Problem) -> dict[str, int]:
    """Per unit bound for a capped airfield outside the theatre, the minute before which a
    paced variant does not schedule it.

    Every lift into such an airfield leaves an aircraft there that must depart again (unless
    it was its last lift), and only ``cap`` may depart a day: aircraft that land after the
    day's departures are taken wait for the next day. Units bound there, in release order,
    get ``PACE`` times the days the cap needs for the lifts (at least) of the units before
    them. On the generated 10^5 withdrawal this took the guided greedy from 205.8 to 173.0 h.
    """
    # Airfields outside the theatre that units are bound for, with their tightest daily cap.
    bound_for = {u.destination for u in p.units} - p.theatre
    caps: dict[str, int] = {}
    for dc in p.caps:
        for a in dc.members & bound_for:
            caps[a] = min(caps.get(a, dc.cap), dc.cap)
    if not caps:
        return {}
    start = min(u.release for u in p.units)
    lifts: dict[str, int] = defaultdict(int)
    out: dict[str, int] = {}
    for u in sorted(p.units, key=lambda u: (max(u.release, u.window[0]), u.id)):
        h = u.destination
        if h in caps:
            out[u.id] = start + int(PACE * 1440 * lifts[h] / caps[h])
            lifts[h] += min_lifts(p, [u])
    return out


def _renumber(p: Problem, legs: dict[str, list[LegValue]]) -> dict[str, list[LegValue]]:
    """Tails of a fleet are identical: give the earliest-flying one the first tail id."""
    out: dict[str, list[LegValue]] = {}
    for f in p.fleets:
        mine = set(f.tails)
        used = sorted((v for t, v in legs.items() if t in mine), key=lambda v: v[0].dep)
        for tail, v in zip(f.tails, used, strict=False):
            out[tail] = v
    return out


def completion_of(p: Problem, legs: dict[str, list[LegValue]]) -> int:
    """Last lift arrival or road move end, in minutes."""
    ends = [leg.arr for v in legs.values() for leg in v if leg.kind == "lift"]
    ends += [p.minutes(r.end) for r in p.roads]
    return max(ends, default=0)


def _close_ground(air: _Airspace, a: str, arrived: int, left: int) -> None:
    air.close_stay(a, arrived, left)


def _try(p: Problem, air: _Airspace, t: _Tail, u: UnitDemand
         ) -> tuple[int, int, int, int] | None:
    """Earliest (pos dep, pos arr, lift dep, lift arr) for unit ``u`` on tail ``t``."""
    f = t.fleet
    lo, hi = max(u.release, u.window[0]), u.window[1]
    blk = p.block(f.type, u.origin, u.destination)
    need_pos = t.where != u.origin
    # A tail with a deferred exit leaves at that minute, whatever it flies next.
    fixed = t.exit is not None
    if fixed and not need_pos:
        return None
    pblk = p.block(f.type, t.where, u.origin) if need_pos else 0
    # Work back from the wanted lift departure so the aircraft does not wait needlessly;
    # if the origin is closed when it would land, it lands before closing and waits there.
    pd = t.ready
    if need_pos and not fixed:
        want = air.depart_at(u.origin, lo) - f.turnaround
        land = air.open_before(u.origin, want) if want < INF else None
        pd = max(t.ready, (land if land is not None else lo - f.turnaround) - pblk)
    dmin = lo  # earliest lift departure; a fixed exit moves it instead of ``pd``
    for _ in range(400):
        if need_pos:
            if not fixed:
                pd = air.depart_at(t.where, pd)
                if pd >= INF:
                    return None
            pa = pd + pblk
            pa_ok = air.open_at(u.origin, pa)
            if pa_ok != pa:
                if fixed:
                    return None
                pd += pa_ok - pa
                continue
            d = max(pa + f.turnaround, dmin)
        else:
            pa = pd
            d = max(pd, lo)
        d = air.depart_at(u.origin, d)
        if d >= INF or d > hi:
            return None
        a = d + blk
        a_ok = air.open_at(u.destination, a)
        if a_ok != a:
            if fixed:
                dmin = d + (a_ok - a)
            elif need_pos:
                pd += a_ok - a
            else:
                pd = d + (a_ok - a)
            continue
        if a > f.available[1] or a > p.horizon:
            return None
        if need_pos and not air.ground_ok(u.origin, pa, d):
            if fixed:
                return None
            pd += air.wait(u.origin, pa, d - pa)
            continue
        if air.park and _returns(p, t, u):
            if not air.ground_ok(u.destination, a, INF) and _victim(
                    p, air, t, u, pd, d, a) is None:
                w = air.wait(u.destination, a, f.turnaround)
                if fixed:
                    dmin = d + w
                else:
                    pd += w
                continue
            return pd, pa, d, a
        leave = _return_time(p, air, t, u.destination, a) if _returns(p, t, u) else INF
        if leave is None:
            return None
        if not air.ground_ok(u.destination, a, min(leave, a + 1) if leave >= INF else leave):
            w = air.wait(u.destination, a, leave - a if leave < INF else 1)
            if fixed:
                dmin = d + w
            else:
                pd += w
            continue
        return pd, pa, d, a
    return None


def _returns(p: Problem, t: _Tail, u: UnitDemand) -> bool:
    """Aircraft do not stay in the theatre: after a lift into it they leave again (to base,
    or with a deferred exit to wherever their next load is)."""
    return u.destination in p.theatre and u.destination != t.fleet.base


def _return_time(p: Problem, air: _Airspace, t: _Tail, at: str, arrived: int) -> int | None:
    """When a tail that landed at ``at`` can leave so as to land at its base while open."""
    to = t.fleet.base
    blk = p.block(t.fleet.type, at, to)
    rd = arrived + t.fleet.turnaround
    for _ in range(200):
        rd = air.depart_at(at, rd)
        if rd >= INF:
            return None
        ra = air.open_at(to, rd + blk)
        if ra == rd + blk:
            return rd
        rd = ra - blk
    return None


def _top_up(p: Problem, t: _Tail, u: UnitDemand,
            by_route: dict[tuple[str, str], list[UnitDemand]],
            rems: dict[str, dict[str, int]]) -> None:
    """Fill the lift just committed for ``u`` with other released units on the same route.

    Only units free of ``before`` rules are listed in ``by_route``, so order rules cannot be
    broken. Units with nothing left are dropped from their route's list as they are met.
    """
    f = t.fleet
    lift = t.legs[-1] if t.legs[-1].kind == "lift" else t.legs[-2]
    seats = f.seats - sum(ld[1] for ld in lift.loads)
    space = f.space_cm - sum(n * p.space_cm[(c, f.type)] for ld in lift.loads
                             for c, n in ld[2].items())
    mass = f.payload_kg - sum(ld[1] * p.personnel_mass + ld[3]
                              + sum(n * p.vehicle_mass[c] for c, n in ld[2].items())
                              for ld in lift.loads)
    added = []
    pending = by_route.get((lift.origin, lift.destination), [])
    done = False
    for v in pending:
        if seats <= 0 and mass <= 0:
            break
        rem = rems[v.id]
        if not (rem["_pax"] or rem["_cargo"] or any(rem[c] for c in v.vehicles)):
            done = True
            continue
        if (v.id == u.id or v.nation not in f.carries
                or not max(v.release, v.window[0]) <= lift.dep <= v.window[1]):
            continue
        veh = _vehicles(p, v, rem, f.type, space, mass)
        for c, n in veh.items():
            space -= n * p.space_cm[(c, f.type)]
            mass -= n * p.vehicle_mass[c]
        pax = max(0, min(rem["_pax"], seats, mass // p.personnel_mass))
        seats -= pax
        mass -= pax * p.personnel_mass
        cargo = max(0, min(rem["_cargo"], mass))
        mass -= cargo
        if pax or veh or cargo:
            rem["_pax"] -= pax
            rem["_cargo"] -= cargo
            for c, n in veh.items():
                rem[c] -= n
            added.append((v.id, pax, veh, cargo))
    if done or added:
        pending[:] = [v for v in pending if rems[v.id]["_pax"] or rems[v.id]["_cargo"]
                      or any(rems[v.id][c] for c in v.vehicles)]
    if added:
        i = t.legs.index(lift)
        t.legs[i] = replace(lift, loads=(*lift.loads, *added))


def _victim(p: Problem, air: _Airspace, t: _Tail, u: UnitDemand, pd: int, d: int, a: int
            ) -> tuple[_Tail, int] | None:
    """The aircraft :func:`_commit` will send home to park ``t`` at ``u``'s destination.

    ``_commit`` books ``t``'s own departures first, and they may take the last slot of a cap
    the parked aircraft need too (a cap group over both airfields): they are counted here,
    and ``t`` itself, leaving, is no candidate.
    """
    mine = [(u.origin, d)]
    if t.where != u.origin and t.exit is None:
        mine.append((t.where, pd))
    for at, m in mine:
        air.book_departure(at, m)
    try:
        return _evictable(p, air, u.destination, a, skip=t)
    finally:
        for at, m in mine:
            air.book_departure(at, m, -1)


def _evictable(p: Problem, air: _Airspace, at: str, by: int, skip: _Tail | None = None
               ) -> tuple[_Tail, int] | None:
    """A parked aircraft at ``at`` (not ``skip``) that can leave for base by minute ``by``,
    earliest first."""
    best: tuple[_Tail, int] | None = None
    for t in air.parked.get(at, []):
        if t is skip:
            continue
        rd = _return_time(p, air, t, at, t.legs[-1].arr)
        if rd is not None and rd <= by and (best is None or rd < best[1]):
            best = (t, rd)
    return best


def _fly_home(p: Problem, air: _Airspace, t: _Tail, rd: int, retire: bool) -> None:
    """Send a parked aircraft back to base, freeing its place on the apron."""
    f = t.fleet
    blk = p.block(f.type, t.where, f.base)
    air.parked[t.where].remove(t)
    _close_ground(air, t.where, t.legs[-1].arr, rd)
    air.book_departure(t.where, rd)
    t.legs.append(LegValue("positioning", t.where, f.base, rd, rd + blk))
    t.where, t.ready = f.base, (INF if retire else rd + blk + f.turnaround)


def _commit(p: Problem, air: _Airspace, t: _Tail, u: UnitDemand, pd: int, pa: int, d: int,
            a: int, load: tuple[int, dict[str, int], int], retire: bool) -> None:
    f = t.fleet
    if t in air.parked.get(t.where, []):
        air.parked[t.where].remove(t)
    if t.where != u.origin:
        if t.exit is None:
            if t.legs:
                _close_ground(air, t.where, t.legs[-1].arr, pd)
            air.book_departure(t.where, pd)
        t.exit = None
        t.legs.append(LegValue("positioning", t.where, u.origin, pd, pa))
        air.book_ground(u.origin, pa, d)
    elif t.legs:
        _close_ground(air, t.where, t.legs[-1].arr, d)
    air.book_departure(u.origin, d)
    pax, veh, cargo = load
    t.legs.append(LegValue("lift", u.origin, u.destination, d, a,
                           ((u.id, pax, dict(veh), cargo),)))
    if air.park and _returns(p, t, u):
        if not air.ground_ok(u.destination, a, INF):
            victim = _evictable(p, air, u.destination, a)
            assert victim is not None  # _try checked it
            _fly_home(p, air, victim[0], victim[1], retire)
        air.book_ground(u.destination, a, INF)
        air.parked[u.destination].append(t)
        t.where, t.ready = u.destination, a + f.turnaround
        return
    if _returns(p, t, u):
        to = f.base
        rd = _return_time(p, air, t, u.destination, a)
        assert rd is not None  # _try found it possible a moment ago
        blk = p.block(f.type, u.destination, to)
        air.book_ground(u.destination, a, rd)
        air.book_departure(u.destination, rd)
        if air.defer and not retire:
            # It leaves at ``rd`` (able to reach base); the next load it takes says where to.
            t.where, t.ready, t.exit = u.destination, rd, rd
            return
        t.legs.append(LegValue("positioning", u.destination, to, rd, rd + blk))
        t.where, t.ready = to, (INF if retire else rd + blk + f.turnaround)
        return
    air.book_ground(u.destination, a, INF)
    t.where, t.ready = u.destination, a + f.turnaround
