"""Greedy list scheduler: the baseline, and the warm start for CP-SAT.

Units are taken in release order; each is cut into loads, and each load goes to the aircraft
(of any fleet that may carry it) that lands it earliest, at the first minute where hours,
closures, daily caps and max-on-ground all allow. Every tail flies the same chain shape as in
the CP-SAT model: a positioning leg when it is elsewhere, the lift, and a flight back to base
after its last lift if that ended in the theatre.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from dataclasses import dataclass, field, replace

from contingent.plan.cpsat import LegValue
from contingent.plan.problem import FleetData, Problem, UnitDemand

INF = 10**9


@dataclass
class _Tail:
    fleet: FleetData
    id: str
    where: str
    ready: int
    legs: list[LegValue] = field(default_factory=list)


class _Airspace:
    """Bookkeeping of departures per day and aircraft on the ground."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        s = p.scenario
        self.caps = [(dc.members, dc.cap, [(lo, hi) for lo, hi, _ in dc.days])
                     for dc in p.caps]
        self.used: dict[tuple[int, int], int] = defaultdict(int)
        self.mog = {a.id: a.max_on_ground for a in s.airfields if a.max_on_ground}
        self.ground: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.hours = {}
        for a in s.airfields:
            if a.hours is not None:
                self.hours[a.id] = p.clock_window(s.tz(a.id), a.hours.open_min,
                                                  a.hours.close_min)
        self.closures = {a.id: [(p.minutes(c.from_), p.minutes(c.to)) for c in a.closures]
                         for a in s.airfields if a.closures}
        self.park = False
        self.parked: dict[str, list[_Tail]] = defaultdict(list)

    @staticmethod
    def _day(days: list[tuple[int, int]], t: int) -> int:
        i = bisect.bisect_right([lo for lo, _ in days], t) - 1
        return i

    def open_at(self, a: str, t: int) -> int:
        """The first minute >= t at which airfield ``a`` accepts a movement."""
        for _ in range(1000):
            moved = False
            for lo, hi in self.closures.get(a, ()):
                if lo <= t < hi:
                    t, moved = hi, True
            win = self.hours.get(a)
            if win is not None and not any(lo <= t <= hi for lo, hi in win):
                nxt = [lo for lo, _ in win if lo > t]
                if not nxt:
                    return INF
                t, moved = nxt[0], True
            if not moved:
                return t
        return INF

    def depart_at(self, a: str, t: int) -> int:
        """The first minute >= t at which ``a`` accepts a departure within its caps."""
        for _ in range(1000):
            t = self.open_at(a, t)
            if t >= INF:
                return INF
            moved = False
            for k, (members, cap, days) in enumerate(self.caps):
                if a not in members:
                    continue
                i = self._day(days, t)
                if 0 <= i < len(days) and self.used[(k, i)] >= cap:
                    t, moved = days[i][1], True
                    break
            if not moved:
                return t
        return INF

    def book_departure(self, a: str, t: int) -> None:
        for k, (members, _cap, days) in enumerate(self.caps):
            if a in members:
                self.used[(k, self._day(days, t))] += 1

    def ground_ok(self, a: str, lo: int, hi: int) -> bool:
        cap = self.mog.get(a)
        if cap is None:
            return True
        # Peak overlap with [lo, hi): count at each interval start inside the window.
        ivs = [(s, e) for s, e in self.ground[a] if s < hi and e > lo]
        points = [lo] + [s for s, _ in ivs if s > lo]
        return all(sum(1 for s, e in ivs if s <= x < e) < cap for x in points)

    def book_ground(self, a: str, lo: int, hi: int) -> None:
        if a in self.mog:
            self.ground[a].append((lo, hi))


def _pack(p: Problem, u: UnitDemand, rem: dict[str, int], f: FleetData
          ) -> tuple[int, dict[str, int], int] | None:
    """Fill one aircraft of fleet ``f`` with what is left of unit ``u``."""
    space, mass = f.space_cm, 0
    veh: dict[str, int] = {}
    classes = sorted((c for c in u.vehicles if rem.get(c, 0) > 0),
                     key=lambda c: -p.space_cm.get((c, f.type), 0))
    for c in classes:
        sp = p.space_cm.get((c, f.type))
        if sp is None:
            continue
        n = min(rem[c], space // sp, (f.payload_kg - mass) // p.vehicle_mass[c])
        if n > 0:
            veh[c] = n
            space -= n * sp
            mass += n * p.vehicle_mass[c]
    pax = min(rem["_pax"], f.seats, (f.payload_kg - mass) // p.personnel_mass)
    mass += pax * p.personnel_mass
    cargo = min(rem["_cargo"], f.payload_kg - mass)
    if pax <= 0 and not veh and cargo <= 0:
        return None
    return pax, veh, cargo


def greedy(p: Problem) -> dict[str, list[LegValue]] | None:
    """A plan's legs per tail, or None when the greedy gets stuck.

    Runs a few variants and keeps the earliest completion, then the fewest sorties: chains the
    CP-SAT model can hold (a tail that flies back to base after a lift into the theatre is
    done) or not; parking in a small theatre apron or not; and a bias of 480 minutes per
    full largest aircraft, which trades a later landing for fewer, bigger lifts.
    """
    variants = [(True, False, 0), (False, False, 0), (True, False, 480), (False, False, 480)]
    if any(a.max_on_ground for a in p.scenario.airfields if a.id in p.theatre) and any(
            u.destination in p.theatre for u in p.units):
        # Into a theatre with a small apron: park aircraft while there is room.
        variants += [(True, True, 0), (False, True, 0), (False, True, 480)]
    found = [g for g in (_greedy(p, retire=r, park=k, bias=b) for r, k, b in variants)
             if g is not None]
    if not found:
        return None
    return min(found, key=lambda g: (completion_of(p, g), sum(len(v) for v in g.values())))


def _share(p: Problem, f: FleetData, load: tuple[int, dict[str, int], int],
           big: tuple[int, int, int]) -> float:
    """How much a load carries, as a share of the largest aircraft's seats, hold or payload."""
    pax, veh, cargo = load
    space = sum(n * p.space_cm[(c, f.type)] for c, n in veh.items())
    mass = pax * p.personnel_mass + cargo + sum(n * p.vehicle_mass[c] for c, n in veh.items())
    return max(pax / max(1, big[0]), space / max(1, big[1]), mass / max(1, big[2]))


def _greedy(p: Problem, retire: bool, park: bool = False,
            bias: int = 0) -> dict[str, list[LegValue]] | None:
    air = _Airspace(p)
    big = (max(f.seats for f in p.fleets), max(f.space_cm for f in p.fleets),
           max(f.payload_kg for f in p.fleets))
    air.park = park
    tails: dict[str, list[_Tail]] = {
        f.id: [_Tail(f, t, f.base, f.available[0]) for t in f.tails] for f in p.fleets
    }
    next_unused = {f.id: 0 for f in p.fleets}
    # Used tails per fleet and place, earliest ready first.
    free: dict[str, dict[str, list[tuple[int, str, _Tail]]]] = {f.id: {} for f in p.fleets}
    befores = [r for r in p.scenario.rules_for(p.phase) if r.kind == "before"]
    # Nations that must go after others are scheduled after them (rank = longest chain).
    rank: dict[str, int] = {}
    for _ in range(len(befores) + 1):
        for r in befores:
            for n in r.then:
                rank[n] = max(rank.get(n, 0), 1 + max(rank.get(x, 0) for x in r.first))
    last_dep: dict[str, int] = {r.nation: p.minutes(r.start) for r in p.roads}
    order = sorted(p.units, key=lambda u: (rank.get(u.nation, 0), max(u.release, u.window[0]),
                                           u.window[1], u.id))
    rems: dict[str, dict[str, int]] = {}
    for x in p.units:
        rems[x.id] = {**x.vehicles, "_pax": x.pax, "_cargo": x.cargo_kg}
    ordered_nations = {n for r in befores for n in (*r.first, *r.then)}
    for u in order:
        after = max((last_dep.get(n, -1) for r in befores if u.nation in r.then
                     for n in r.first), default=-1)
        if after >= 0:
            u = replace(u, window=(max(u.window[0], after + 1), u.window[1]))
        rem = rems[u.id]
        while rem["_pax"] > 0 or rem["_cargo"] > 0 or any(
                rem[c] > 0 for c in u.vehicles):
            best: tuple[tuple[int, int], _Tail, tuple[int, int, int, int],
                        tuple[int, dict[str, int], int]] | None = None
            for f in p.carriers(u.nation):
                load = _pack(p, u, rem, f)
                if load is None:
                    continue
                pool = tails[f.id]
                # Among a fleet's tails at one place the earliest-ready one dominates: it
                # can fly anything a later one can. One candidate per place, plus a fresh tail.
                for loc, h in free[f.id].items():
                    while h and (h[0][2].where != loc or h[0][2].ready != h[0][0]):
                        heapq.heappop(h)  # stale: the tail moved (evicted) since
                cands = [h[0][2] for h in free[f.id].values() if h]
                if next_unused[f.id] < len(pool):
                    cands.append(pool[next_unused[f.id]])
                for t in cands:
                    if t.ready >= INF:
                        continue
                    trial = _try(p, air, t, u)
                    if trial is None:
                        continue
                    size = load[0] + sum(load[1].values()) * 100 + load[2] // 100
                    # With a bias, a bigger load may land later: fewer lifts where the
                    # theatre's departures or apron are the scarce resource.
                    key = (trial[3] - round(bias * _share(p, f, load, big)), -size)
                    if best is None or key < best[0]:
                        best = (key, t, trial, load)
            if best is None:
                return None
            _, t, (pd, pa, d, a), load = best
            heap = free[t.fleet.id].get(t.where)
            if heap and heap[0][2] is t:
                heapq.heappop(heap)
            _commit(p, air, t, u, pd, pa, d, a, load, retire)
            if t.ready < INF:
                heapq.heappush(free[t.fleet.id].setdefault(t.where, []), (t.ready, t.id, t))
            last_dep[u.nation] = max(last_dep.get(u.nation, -1), d)
            pool = tails[t.fleet.id]
            if next_unused[t.fleet.id] < len(pool) and t is pool[next_unused[t.fleet.id]]:
                next_unused[t.fleet.id] += 1
            pax, veh, cargo = load
            rem["_pax"] -= pax
            rem["_cargo"] -= cargo
            for c, k in veh.items():
                rem[c] -= k
            if u.nation not in ordered_nations:
                _top_up(p, t, u, order, rems, ordered_nations)
    # Tails that end in the theatre fly home to base.
    out: dict[str, list[LegValue]] = {}
    for pool in tails.values():
        for t in pool:
            if not t.legs:
                continue
            if t.where in p.theatre and t.where != t.fleet.base:
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


def _renumber(p: Problem, legs: dict[str, list[LegValue]]) -> dict[str, list[LegValue]]:
    """Tails of a fleet are identical: give the earliest-flying one the first tail id."""
    out: dict[str, list[LegValue]] = {}
    for f in p.fleets:
        used = sorted((v for t, v in legs.items() if t in set(f.tails)), key=lambda v: v[0].dep)
        for tail, v in zip(f.tails, used, strict=False):
            out[tail] = v
    return out


def completion_of(p: Problem, legs: dict[str, list[LegValue]]) -> int:
    """Last lift arrival or road move end, in minutes."""
    ends = [leg.arr for v in legs.values() for leg in v if leg.kind == "lift"]
    ends += [p.minutes(r.end) for r in p.roads]
    return max(ends, default=0)


def _close_ground(air: _Airspace, a: str, arrived: int, left: int) -> None:
    lst = air.ground.get(a)
    if lst and (arrived, INF) in lst:
        lst.remove((arrived, INF))
        lst.append((arrived, left))


def _try(p: Problem, air: _Airspace, t: _Tail, u: UnitDemand
         ) -> tuple[int, int, int, int] | None:
    """Earliest (pos dep, pos arr, lift dep, lift arr) for unit ``u`` on tail ``t``."""
    f = t.fleet
    lo, hi = max(u.release, u.window[0]), u.window[1]
    blk = p.block(f.type, u.origin, u.destination)
    need_pos = t.where != u.origin
    pblk = p.block(f.type, t.where, u.origin) if need_pos else 0
    # Work back from the wanted lift departure so the aircraft does not wait needlessly.
    pd = max(t.ready, lo - pblk - f.turnaround) if need_pos else t.ready
    for _ in range(400):
        if need_pos:
            pd = air.depart_at(t.where, pd)
            if pd >= INF:
                return None
            pa = pd + pblk
            pa_ok = air.open_at(u.origin, pa)
            if pa_ok != pa:
                pd += pa_ok - pa
                continue
            d = max(pa + f.turnaround, lo)
        else:
            pa = pd
            d = max(pd, lo)
        d = air.depart_at(u.origin, d)
        if d >= INF or d > hi:
            return None
        a = d + blk
        a_ok = air.open_at(u.destination, a)
        if a_ok != a:
            if need_pos:
                pd += a_ok - a
            else:
                pd = d + (a_ok - a)
            continue
        if a > f.available[1] or a > p.horizon:
            return None
        if need_pos and not air.ground_ok(u.origin, pa, d):
            pd += 15
            continue
        if air.park and _returns(p, t, u):
            if not air.ground_ok(u.destination, a, INF) and _evictable(
                    p, air, u.destination, a) is None:
                pd += 15
                continue
            return pd, pa, d, a
        leave = _return_time(p, air, t, u.destination, a) if _returns(p, t, u) else INF
        if leave is None:
            return None
        if not air.ground_ok(u.destination, a, min(leave, a + 1) if leave >= INF else leave):
            pd += 15
            continue
        return pd, pa, d, a
    return None


def _returns(p: Problem, t: _Tail, u: UnitDemand) -> bool:
    """Aircraft do not stay in the theatre: after a lift into it they fly back to base."""
    return u.destination in p.theatre and u.destination != t.fleet.base


def _return_time(p: Problem, air: _Airspace, t: _Tail, at: str, arrived: int) -> int | None:
    blk = p.block(t.fleet.type, at, t.fleet.base)
    rd = arrived + t.fleet.turnaround
    for _ in range(200):
        rd = air.depart_at(at, rd)
        if rd >= INF:
            return None
        ra = air.open_at(t.fleet.base, rd + blk)
        if ra == rd + blk:
            return rd
        rd = ra - blk
    return None


def _top_up(p: Problem, t: _Tail, u: UnitDemand, order: list[UnitDemand],
            rems: dict[str, dict[str, int]], skip: set[str]) -> None:
    """Fill the lift just committed for ``u`` with other released units on the same route.

    Only units free of ``before`` rules are added, so order rules cannot be broken.
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
    for v in order:
        if seats <= 0 and mass <= 0:
            break
        rem = rems[v.id]
        if (v.id == u.id or v.nation in skip or v.nation not in f.carries
                or (v.origin, v.destination) != (lift.origin, lift.destination)
                or not max(v.release, v.window[0]) <= lift.dep <= v.window[1]
                or not (rem["_pax"] or rem["_cargo"] or any(rem[c] for c in v.vehicles))):
            continue
        veh: dict[str, int] = {}
        for c in sorted(v.vehicles, key=lambda c: -p.space_cm.get((c, f.type), 0)):
            sp = p.space_cm.get((c, f.type))
            if sp is None or rem[c] <= 0:
                continue
            n = min(rem[c], space // sp, mass // p.vehicle_mass[c])
            if n > 0:
                veh[c] = n
                space -= n * sp
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
    if added:
        i = t.legs.index(lift)
        t.legs[i] = replace(lift, loads=(*lift.loads, *added))


def _evictable(p: Problem, air: _Airspace, at: str, by: int) -> tuple[_Tail, int] | None:
    """A parked aircraft at ``at`` that can leave for base by minute ``by``, earliest first."""
    best: tuple[_Tail, int] | None = None
    for t in air.parked.get(at, []):
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
        if t.legs:
            _close_ground(air, t.where, t.legs[-1].arr, pd)
        air.book_departure(t.where, pd)
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
        rd = _return_time(p, air, t, u.destination, a)
        assert rd is not None  # _try found it possible a moment ago
        blk = p.block(f.type, u.destination, f.base)
        air.book_ground(u.destination, a, rd)
        air.book_departure(u.destination, rd)
        t.legs.append(LegValue("positioning", u.destination, f.base, rd, rd + blk))
        t.where, t.ready = f.base, (INF if retire else rd + blk + f.turnaround)
        return
    air.book_ground(u.destination, a, INF)
    t.where, t.ready = u.destination, a + f.turnaround
