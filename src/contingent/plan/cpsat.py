"""CP-SAT backend: the phase as a constraint model over tail-slots.

Each tail of each fleet gets ``legs`` ordered slots. A used slot is one lift (a route: origin
and destination fixed by the units it carries), preceded by a positioning leg when the tail is
elsewhere, and followed by a flight back to base when it is the tail's last lift and ends in
the theatre. Loads are integer personnel, vehicles per class and cargo kg per unit and slot.
Constraint families are small named methods; the backend returns plain data, never solver
objects (see :mod:`contingent.plan.build`).
"""

from __future__ import annotations

import itertools
import logging
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from contingent.plan.problem import FleetData, Problem, UnitDemand

log = logging.getLogger(__name__)
LinExpr = Any  # cp_model linear expression
#: Share of the time limit (at least 3 s) for minimising sorties once the completion is fixed,
#: and when the completion was proven optimal before the search (no first stage).
SORTIE_SHARE = 0.25
SORTIE_SHARE_PROVEN = 0.5


@dataclass
class Slot:
    """Variables of one tail-slot."""

    fleet: FleetData
    tail: str
    index: int
    act: cp_model.IntVar
    y: dict[tuple[str, str], cp_model.IntVar]
    pd: cp_model.IntVar  # positioning departure
    pa: cp_model.IntVar  # positioning arrival
    d: cp_model.IntVar  # lift departure
    a: cp_model.IntVar  # lift arrival
    pos: Any = 0  # 1 when a positioning leg precedes the lift
    pos_from: dict[str, LinExpr] = field(default_factory=dict)  # airfield -> 0/1 expr
    ret: cp_model.IntVar | None = None
    rd: cp_model.IntVar | None = None
    ra: cp_model.IntVar | None = None
    fd: Any = None  # first departure of the slot (positioning or lift)
    pax: dict[str, cp_model.IntVar] = field(default_factory=dict)
    veh: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    cargo: dict[str, cp_model.IntVar] = field(default_factory=dict)
    carry: dict[str, cp_model.IntVar] = field(default_factory=dict)


@dataclass(frozen=True)
class LegValue:
    """A solved leg, in minutes."""

    kind: str
    origin: str
    destination: str
    dep: int
    arr: int
    loads: tuple[tuple[str, int, dict[str, int], int], ...] = ()


@dataclass(frozen=True)
class Solution:
    """What the backend hands back: plain numbers only."""

    status: str  # optimal | feasible | infeasible | unknown
    completion: int | None
    bound: int | None  # solver's bound on completion, valid within this model
    legs: dict[str, list[LegValue]]  # tail -> legs in order
    sorties: int | None
    seconds: float
    model_exact: bool


class CpSatModel:
    """Build and solve the CP-SAT model of a :class:`Problem`.

    Parameters
    ----------
    problem
        The phase as integers.
    tails
        Tails considered per fleet id (the first ones of the fleet).
    legs
        Lift slots per tail.
    until
        Optional: no leg of the model ends after this minute (a further restriction of the
        model, e.g. a day after the last leg of a known plan). Every time variable, and every
        day and opening-hours boolean, then stops there: at kazakhstan-2022 size that is a
        third of the model.
    """

    def __init__(self, problem: Problem, tails: dict[str, int], legs: int,
                 until: int | None = None) -> None:
        self.p = problem
        self.m = cp_model.CpModel()
        self.legs = legs
        self.tails = tails
        self.end = problem.horizon + 3 * 1440  # return legs may land after the deadline
        if until is not None:
            self.end = max(0, min(self.end, until))
        self.slots: list[Slot] = []
        self.by_tail: dict[str, list[Slot]] = {}
        self.completion = self.m.new_int_var(0, min(problem.horizon, self.end), "completion")
        self.routes = {f.id: self._routes_of(f) for f in problem.fleets}
        self._deps: list[tuple[cp_model.IntVar, dict[str, LinExpr]]] | None = None
        self._build()

    # -- construction ------------------------------------------------------------------

    def _routes_of(self, f: FleetData) -> list[tuple[str, str]]:
        return sorted({(u.origin, u.destination) for u in self.p.units if u.nation in f.carries})

    def _build(self) -> None:
        self._slot_variables()
        self._chain()
        self._return_legs()
        self._loads()
        self._capacity()
        self._completeness()
        self._release_and_order()
        self._daily_caps()
        self._ground()
        self._hours_and_closures()
        self._completion()
        self._symmetry()

    def _bool_eq(self, expr: LinExpr, name: str) -> cp_model.IntVar:
        b = self.m.new_bool_var(name)
        self.m.add(b == expr)
        return b

    def _slot_variables(self) -> None:
        m, hz = self.m, self.end
        for f in self.p.fleets:
            routes = self.routes[f.id]
            if not routes:
                continue
            for tail in f.tails[: self.tails.get(f.id, 0)]:
                row: list[Slot] = []
                for j in range(self.legs):
                    n = f"{tail}.{j}"
                    act = m.new_bool_var(f"act[{n}]")
                    y = {r: m.new_bool_var(f"y[{n},{r[0]}>{r[1]}]") for r in routes}
                    m.add(sum(y.values()) == act)
                    s = Slot(
                        fleet=f, tail=tail, index=j, act=act, y=y,
                        pd=m.new_int_var(0, hz, f"pd[{n}]"), pa=m.new_int_var(0, hz, f"pa[{n}]"),
                        d=m.new_int_var(0, hz, f"d[{n}]"), a=m.new_int_var(0, hz, f"a[{n}]"),
                        fd=m.new_int_var(0, hz, f"fd[{n}]"),
                    )
                    if j > 0:
                        m.add_implication(act, row[-1].act)
                    row.append(s)
                    self.slots.append(s)
                self.by_tail[tail] = row

    def _chain(self) -> None:
        """Positioning legs and turnarounds: each tail flies a chain that is possible in time."""
        m, p = self.m, self.p
        for row in self.by_tail.values():
            for j, s in enumerate(row):
                f = s.fleet
                ta = f.turnaround
                lift_blk = sum(v * p.block(f.type, o, d) for (o, d), v in s.y.items())
                m.add(s.a == s.d + lift_blk)
                if j == 0:
                    pos_blk = sum(v * p.block(f.type, f.base, o) for (o, _), v in s.y.items())
                    s.pos = sum(v for (o, _), v in s.y.items() if o != f.base)
                    s.pos_from = {f.base: s.pos}
                    # Only a used slot: an unused one sits at 0, before a late availability.
                    m.add(s.pd >= f.available[0]).only_enforce_if(s.act)
                else:
                    prev = row[j - 1]
                    pos_terms: list[LinExpr] = []
                    blk_terms: list[LinExpr] = []
                    frm: dict[str, list[LinExpr]] = {}
                    for r1, v1 in prev.y.items():
                        for r2, v2 in s.y.items():
                            if len(prev.y) == 1:
                                z = v2
                            elif len(s.y) == 1:
                                z = v1
                            else:
                                z = m.new_bool_var(f"z[{s.tail}.{j},{r1},{r2}]")
                                m.add_bool_and([v1, v2]).only_enforce_if(z)
                                m.add_bool_or([z, ~v1, ~v2])
                            if r1[1] != r2[0]:
                                pos_terms.append(z)
                                blk_terms.append(z * p.block(f.type, r1[1], r2[0]))
                                frm.setdefault(r1[1], []).append(z)
                    s.pos = sum(pos_terms)
                    s.pos_from = {a: sum(v) for a, v in frm.items()}
                    pos_blk = sum(blk_terms)  # type: ignore[assignment]
                    m.add(s.pd >= prev.a + ta).only_enforce_if(s.act)
                m.add(s.pa == s.pd + pos_blk)
                pos_b = self._bool_eq(s.pos, f"pos[{s.tail}.{j}]")
                s.pos = pos_b
                m.add(s.d >= s.pa + ta).only_enforce_if(pos_b)
                m.add(s.d >= s.pa).only_enforce_if(~pos_b)
                m.add(s.fd == s.pd).only_enforce_if(pos_b)
                m.add(s.fd == s.d).only_enforce_if(~pos_b)
                m.add(s.a <= min(f.available[1], self.p.horizon)).only_enforce_if(s.act)
                m.add(s.pa <= f.available[1]).only_enforce_if(pos_b)
                # An unused slot sits at time 0 so it cannot constrain anything.
                for v in (s.pd, s.pa, s.d, s.a, s.fd):
                    m.add(v == 0).only_enforce_if(~s.act)

    def _return_legs(self) -> None:
        """After its last lift a tail leaves the theatre: it flies back to base."""
        m, p = self.m, self.p
        for row in self.by_tail.values():
            for j, s in enumerate(row):
                f = s.fleet
                to_theatre = [v for (_, d), v in s.y.items() if d in p.theatre and d != f.base]
                if not to_theatre:
                    continue
                last = s.act if j == len(row) - 1 else None
                ret = m.new_bool_var(f"ret[{s.tail}.{j}]")
                in_th = sum(to_theatre)
                if last is not None:
                    m.add(ret == in_th)
                else:
                    nxt = row[j + 1].act
                    # ret = in_theatre and not next.act
                    m.add(ret <= in_th)
                    m.add(ret <= 1 - nxt)
                    m.add(ret >= in_th - nxt)
                s.ret = ret
                s.rd = m.new_int_var(0, self.end, f"rd[{s.tail}.{j}]")
                s.ra = m.new_int_var(0, self.end, f"ra[{s.tail}.{j}]")
                blk = sum(v * p.block(f.type, d, f.base) for (_, d), v in s.y.items()
                          if d != f.base)
                m.add(s.rd >= s.a + f.turnaround).only_enforce_if(ret)
                m.add(s.ra == s.rd + blk).only_enforce_if(ret)
                m.add(s.ra <= f.available[1]).only_enforce_if(ret)
                m.add(s.rd == 0).only_enforce_if(~ret)
                m.add(s.ra == 0).only_enforce_if(~ret)

    def _units_of(self, s: Slot) -> list[UnitDemand]:
        return [u for u in self.p.units if u.nation in s.fleet.carries]

    def _loads(self) -> None:
        """Per slot and unit: personnel, vehicles and cargo on board; only on its route."""
        m, p = self.m, self.p
        for s in self.slots:
            f = s.fleet
            carries = []
            for u in self._units_of(s):
                n = f"{s.tail}.{s.index},{u.id}"
                route = s.y[(u.origin, u.destination)]
                c = m.new_bool_var(f"carry[{n}]")
                m.add_implication(c, route)
                s.carry[u.id] = c
                carries.append(c)
                if u.pax:
                    v = m.new_int_var(0, min(u.pax, f.seats), f"pax[{n}]")
                    m.add(v <= min(u.pax, f.seats) * c)
                    m.add(v >= 1).only_enforce_if(c) if not u.vehicles and not u.cargo_kg else None
                    s.pax[u.id] = v
                for cls, cnt in u.vehicles.items():
                    sp = p.space_cm.get((cls, f.type))
                    if sp is None or sp > f.space_cm:
                        continue
                    hi = min(cnt, f.space_cm // sp, f.payload_kg // p.vehicle_mass[cls])
                    if hi <= 0:
                        continue
                    v = m.new_int_var(0, hi, f"veh[{n},{cls}]")
                    m.add(v <= hi * c)
                    s.veh[(u.id, cls)] = v
                if u.cargo_kg:
                    v = m.new_int_var(0, min(u.cargo_kg, f.payload_kg), f"cargo[{n}]")
                    m.add(v <= min(u.cargo_kg, f.payload_kg) * c)
                    s.cargo[u.id] = v
                # Carrying means carrying something.
                things = [x for (uid, _), x in s.veh.items() if uid == u.id]
                things += [x for x in (s.pax.get(u.id), s.cargo.get(u.id)) if x is not None]
                m.add(sum(things) >= 1).only_enforce_if(c)
            m.add(sum(carries) >= 1).only_enforce_if(s.act)

    def _capacity(self) -> None:
        """Seats, hold space and payload of each lift."""
        m, p = self.m, self.p
        for s in self.slots:
            f = s.fleet
            m.add(sum(s.pax.values()) <= f.seats)
            m.add(sum(v * p.space_cm[(cls, f.type)] for (_, cls), v in s.veh.items())
                  <= f.space_cm)
            mass = (sum(s.pax.values()) * p.personnel_mass
                    + sum(v * p.vehicle_mass[cls] for (_, cls), v in s.veh.items())
                    + sum(s.cargo.values()))
            m.add(mass <= f.payload_kg)

    def _completeness(self) -> None:
        """Every person, vehicle and kilogram of every air unit is lifted exactly once."""
        m = self.m
        for u in self.p.units:
            pax = [s.pax[u.id] for s in self.slots if u.id in s.pax]
            cargo = [s.cargo[u.id] for s in self.slots if u.id in s.cargo]
            if sum(1 for s in self.slots if u.id in s.carry) == 0:
                m.add_bool_or([])  # no tail can carry this unit: infeasible
                continue
            m.add(sum(pax) == u.pax)
            m.add(sum(cargo) == u.cargo_kg)
            for cls, cnt in u.vehicles.items():
                m.add(sum(s.veh[(u.id, cls)] for s in self.slots if (u.id, cls) in s.veh) == cnt)

    def _release_and_order(self) -> None:
        """Handover gating, readiness and order rules on lift departures."""
        m, p = self.m, self.p
        for s in self.slots:
            for u in self._units_of(s):
                c = s.carry[u.id]
                lo = max(u.release, u.window[0])
                if lo > 0:
                    m.add(s.d >= lo).only_enforce_if(c)
                if u.window[1] < 10**7:
                    m.add(s.d <= u.window[1]).only_enforce_if(c)
        for i, r in enumerate(p.scenario.rules_for(p.phase)):
            if r.kind != "before":
                continue
            split = m.new_int_var(0, self.end, f"before[{i}]")
            for s in self.slots:
                for u in self._units_of(s):
                    if u.nation in r.first:
                        m.add(s.d <= split - 1).only_enforce_if(s.carry[u.id])
                    if u.nation in r.then:
                        m.add(s.d >= split).only_enforce_if(s.carry[u.id])
            for rd in p.roads:
                start = p.minutes(rd.start)
                if rd.nation in r.first:
                    m.add(split >= start + 1)
                if rd.nation in r.then:
                    m.add(split <= start)

    def _departures(self) -> list[tuple[cp_model.IntVar, dict[str, LinExpr]]]:
        """Every possible departure: its time and a 0/1 expression per airfield."""
        if self._deps is not None:
            return self._deps
        out: list[tuple[cp_model.IntVar, dict[str, LinExpr]]] = []
        for s in self.slots:
            out.append((s.pd, dict(s.pos_from)))
            by_origin: dict[str, list[cp_model.IntVar]] = {}
            for (o, _), v in s.y.items():
                by_origin.setdefault(o, []).append(v)
            out.append((s.d, {a: sum(v) for a, v in by_origin.items()}))
            if s.ret is not None and s.rd is not None:
                at: dict[str, LinExpr] = {}
                for (_, d), v in s.y.items():
                    if d in self.p.theatre and d != s.fleet.base:
                        b = self.m.new_bool_var(f"retat[{s.tail}.{s.index},{d}]")
                        self.m.add_bool_and([s.ret, v]).only_enforce_if(b)
                        self.m.add_bool_or([b, ~s.ret, ~v])
                        at[d] = at.get(d, 0) + b
                out.append((s.rd, at))
        self._deps = out
        return out

    def _arrivals(self) -> list[tuple[cp_model.IntVar, dict[str, LinExpr]]]:
        out = []
        for s in self.slots:
            by_o: dict[str, list[Any]] = {}
            by_d: dict[str, list[Any]] = {}
            for (o, d), v in s.y.items():
                by_o.setdefault(o, []).append(v)
                by_d.setdefault(d, []).append(v)
            # Positioning arrival at the lift's origin, only when there is a positioning leg.
            pos_at: dict[str, LinExpr] = {}
            for o, vs in by_o.items():
                b = self.m.new_bool_var(f"posat[{s.tail}.{s.index},{o}]")
                self.m.add_implication(b, s.pos)
                self.m.add(b <= sum(vs))
                self.m.add(b >= sum(vs) + s.pos - 1)
                pos_at[o] = b
            out.append((s.pa, pos_at))
            out.append((s.a, {d: sum(v) for d, v in by_d.items()}))
            if s.ret is not None and s.ra is not None:
                out.append((s.ra, {s.fleet.base: s.ret}))
        return out

    def _in_windows(self, t: cp_model.IntVar, present: LinExpr,
                    windows: list[tuple[int, int]], name: str,
                    upper_open: bool) -> list[tuple[int, Any]]:
        """Window booleans: exactly one window holds ``t`` when ``present`` is 1.

        Returns (window index, boolean) pairs; windows entirely outside the model's time range
        get no boolean.
        """
        out = []
        for i, (lo, hi) in enumerate(windows):
            if hi < (1 if upper_open else 0) or lo > self.end:
                continue
            b = self.m.new_bool_var(f"{name}#{i}")
            self.m.add(t >= lo).only_enforce_if(b)
            self.m.add(t <= (hi - 1 if upper_open else hi)).only_enforce_if(b)
            out.append((i, b))
        self.m.add(sum(b for _, b in out) == present)
        return out

    def _daily_caps(self) -> None:
        """Departures per local day at capped airfields and cap groups."""
        if not self.p.caps:
            return
        deps = self._departures()
        for dc in self.p.caps:
            name, members, cap = dc.name, dc.members, dc.cap
            days = [(lo, hi) for lo, hi, _ in dc.days]
            per_day: list[list[Any]] = [[] for _ in days]
            for k, (t, at) in enumerate(deps):
                expr = [e for a, e in at.items() if a in members]
                if not expr:
                    continue
                bs = self._in_windows(t, sum(expr), days, f"cap[{name},{k}]", upper_open=True)
                for i, b in bs:
                    per_day[i].append(b)
            for lst in per_day:
                if lst:
                    self.m.add(sum(lst) <= cap)

    def _ground(self) -> None:
        """Max aircraft on the ground: cumulative over arrival-to-departure intervals."""
        m, p = self.m, self.p
        mog = {a.id: a.max_on_ground for a in p.scenario.airfields if a.max_on_ground}
        if not mog:
            return
        iv: dict[str, list[Any]] = {a: [] for a in mog}

        def interval(a: str, start: Any, end: Any, present: LinExpr, name: str) -> None:
            b = self._bool_eq(present, f"gp[{name}]") if not isinstance(
                present, cp_model.IntVar) else present
            size = m.new_int_var(0, self.end, f"gs[{name}]")
            m.add(end >= start).only_enforce_if(b)
            iv[a].append(m.new_optional_interval_var(start, size, end, b, f"g[{name}]"))

        for row in self.by_tail.values():
            for j, s in enumerate(row):
                n = f"{s.tail}.{j}"
                by_o: dict[str, list[Any]] = {}
                for (o, _d), v in s.y.items():
                    by_o.setdefault(o, []).append(v)
                for o, vs in by_o.items():
                    if o in mog:
                        # On the ground at the lift's origin after a positioning flight in.
                        b = m.new_bool_var(f"go[{n},{o}]")
                        m.add(b <= sum(vs))
                        m.add(b <= s.pos)
                        m.add(b >= sum(vs) + s.pos - 1)
                        interval(o, s.pa, s.d, b, f"o{n},{o}")
                nxt = row[j + 1] if j + 1 < len(row) else None
                dests: dict[str, list[Any]] = {}
                for (_, d), v in s.y.items():
                    dests.setdefault(d, []).append(v)
                for d, vs in dests.items():
                    if d not in mog:
                        continue
                    end = m.new_int_var(0, self.end, f"ge[{n},{d}]")
                    if nxt is not None:
                        m.add(end == nxt.fd).only_enforce_if(nxt.act)
                    if s.ret is not None and s.rd is not None:
                        m.add(end == s.rd).only_enforce_if(s.ret)
                    stays = [~nxt.act] if nxt is not None else []
                    if s.ret is not None:
                        stays.append(~s.ret)
                    st = m.new_bool_var(f"st[{n},{d}]")
                    m.add_bool_and(stays).only_enforce_if(st) if stays else None
                    m.add_bool_or([st, *[~x for x in stays]]) if stays else m.add(st == 1)
                    m.add(end == self.end).only_enforce_if(st)
                    interval(d, s.a, end, sum(vs), f"d{n},{d}")
                if s.ret is not None and s.ra is not None and s.fleet.base in mog:
                    interval(s.fleet.base, s.ra, self.end, s.ret, f"r{n}")
        for a, lst in iv.items():
            if lst:
                m.add_cumulative(lst, [1] * len(lst), mog[a])

    def _hours_and_closures(self) -> None:
        """Departures and arrivals only within opening hours and outside closures."""
        p = self.p
        restricted = [a for a in p.scenario.airfields if a.hours is not None or a.closures]
        if not restricted:
            return
        events = self._departures() + self._arrivals()
        for a in restricted:
            tz = p.scenario.tz(a.id)
            windows = (p.clock_window(tz, a.hours.open_min, a.hours.close_min)
                       if a.hours is not None else None)
            for k, (t, at) in enumerate(events):
                if a.id not in at:
                    continue
                present = at[a.id]
                if windows is not None:
                    self._in_windows(t, present, windows, f"h[{a.id},{k}]", upper_open=False)
                for ci, c in enumerate(a.closures):
                    lo, hi = p.minutes(c.from_), p.minutes(c.to)
                    before = self.m.new_bool_var(f"cb[{a.id},{k},{ci}]")
                    after = self.m.new_bool_var(f"ca[{a.id},{k},{ci}]")
                    self.m.add(t <= lo - 1).only_enforce_if(before)
                    self.m.add(t >= hi).only_enforce_if(after)
                    self.m.add(before + after >= present)

    def _completion(self) -> None:
        m, p = self.m, self.p
        for s in self.slots:
            m.add(self.completion >= s.a).only_enforce_if(s.act)
        for r in p.roads:
            m.add(self.completion >= p.minutes(r.end))

    def _symmetry(self) -> None:
        """Tails of one fleet are identical: use them in order, first departures in order."""
        for f in self.p.fleets:
            rows = [self.by_tail[t] for t in f.tails if t in self.by_tail]
            for prev, cur in itertools.pairwise(rows):
                self.m.add_implication(cur[0].act, prev[0].act)
                self.m.add(prev[0].fd <= cur[0].fd).only_enforce_if(cur[0].act)

    # -- solving -----------------------------------------------------------------------

    def sortie_count(self) -> LinExpr:
        """Lifts plus positioning legs plus return legs."""
        total = []
        for s in self.slots:
            total += [s.act, s.pos]
            if s.ret is not None:
                total.append(s.ret)
        return sum(total)

    def hint(self, legs: dict[str, list[LegValue]]) -> None:
        """Hint a known plan's lifts (from the greedy) onto the slots."""
        m = self.m
        for tail, row in self.by_tail.items():
            lifts = [leg for leg in legs.get(tail, []) if leg.kind == "lift"]
            for j, s in enumerate(row):
                if j >= len(lifts):
                    m.add_hint(s.act, 0)
                    continue
                leg = lifts[j]
                m.add_hint(s.act, 1)
                for r, v in s.y.items():
                    m.add_hint(v, int(r == (leg.origin, leg.destination)))
                m.add_hint(s.d, leg.dep)
                m.add_hint(s.a, leg.arr)
                carried = {uid: (pax, veh, cargo) for uid, pax, veh, cargo in leg.loads}
                for uid, c in s.carry.items():
                    pax, veh, cargo = carried.get(uid, (0, {}, 0))
                    m.add_hint(c, int(uid in carried))
                    if uid in s.pax:
                        m.add_hint(s.pax[uid], pax)
                    if uid in s.cargo:
                        m.add_hint(s.cargo[uid], cargo)
                    for (u2, cls), v in s.veh.items():
                        if u2 == uid:
                            m.add_hint(v, veh.get(cls, 0))

    def covers(self, legs: dict[str, list[LegValue]]) -> bool:
        """Whether a known plan fits in this model's tails and slots."""
        for tail, v in legs.items():
            n = sum(1 for leg in v if leg.kind == "lift")
            if n and (tail not in self.by_tail or n > len(self.by_tail[tail])):
                return False
        return True

    def solve(self, time_limit: float, workers: int, lower: int, upper: int | None = None,
              skip_first: bool = False, min_lifts: int = 0,
              progress: Callable[[str], None] | None = None) -> Solution:
        """Two stages: earliest completion, then fewest sorties at that completion.

        ``upper`` is a completion already achieved (by the greedy); with ``skip_first`` it is
        known optimal and only the second stage runs.
        """
        t0 = _time.perf_counter()
        m = self.m
        m.add(self.completion >= lower)
        if upper is not None:
            m.add(self.completion <= upper)

        def solver_for(limit: float, light: bool = False) -> cp_model.CpSolver:
            sv = cp_model.CpSolver()
            sv.parameters.num_workers = workers
            sv.parameters.max_time_in_seconds = max(0.5, limit)
            sv.parameters.random_seed = 1
            if light:
                # Full probing in presolve takes seconds on a model of a few hundred slots
                # (4 s of a 5 s stage at kazakhstan-2022 size), time the search needs more.
                sv.parameters.cp_model_probing_level = 0
                sv.parameters.max_presolve_iterations = 1
            return sv

        first_optimal = skip_first
        first_legs: dict[str, list[LegValue]] | None = None
        best_c = upper
        bound_c = lower if skip_first else None
        if not skip_first:
            m.minimize(self.completion)
            solver = solver_for(time_limit * 0.5, light=True)
            st = solver.solve(m)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                status = "infeasible" if st == cp_model.INFEASIBLE else "unknown"
                return Solution(status, None, None, {}, None, _time.perf_counter() - t0, True)
            first_optimal = st == cp_model.OPTIMAL
            best_c = int(solver.value(self.completion))
            bound_c = int(solver.best_objective_bound)
            first_legs = self._extract(solver)
            # A complete hint (every variable of the first stage's plan): the second stage
            # starts from a feasible plan instead of searching for one.
            m.clear_hints()
            for i in range(len(m.proto.variables)):
                v = m.get_int_var_from_proto_index(i)
                m.add_hint(v, solver.value(v))
        if progress:
            progress("completion fixed; minimising sorties")
        assert best_c is not None
        m.add(self.completion <= best_c)
        # Valid cuts that let the solver prove the sortie count: lifts per route, and a
        # positioning leg before every lift from an airfield where no tail is based.
        lifts = sum(s.act for s in self.slots)
        m.add(lifts >= min_lifts)
        m.minimize(self.sortie_count())
        # The sortie count is secondary: it gets a share of the budget, not all of it; half
        # when the completion was proven before the search (the first stage's half unused).
        spent = _time.perf_counter() - t0
        share = SORTIE_SHARE_PROVEN if skip_first else SORTIE_SHARE
        solver2 = solver_for(min(time_limit - spent, max(3.0, share * time_limit)))
        st2 = solver2.solve(m)
        if st2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if first_legs is not None:
                # The first stage's plan stands (its sorties not minimised).
                return Solution(
                    "optimal" if first_optimal else "feasible", best_c, bound_c, first_legs,
                    sum(len(v) for v in first_legs.values()), _time.perf_counter() - t0, True)
            return Solution("unknown", None, bound_c, {}, None, _time.perf_counter() - t0, True)
        legs = self._extract(solver2)
        return Solution(
            "optimal" if first_optimal else "feasible", int(solver2.value(self.completion)),
            bound_c, legs, sum(len(v) for v in legs.values()), _time.perf_counter() - t0, True,
        )

    def _extract(self, solver: cp_model.CpSolver) -> dict[str, list[LegValue]]:
        out: dict[str, list[LegValue]] = {}
        for tail, row in self.by_tail.items():
            legs: list[LegValue] = []
            where = row[0].fleet.base
            for s in row:
                if not solver.boolean_value(s.act):
                    break
                (o, d) = next(r for r, v in s.y.items() if solver.boolean_value(v))
                if where != o:
                    legs.append(LegValue("positioning", where, o, solver.value(s.pd),
                                         solver.value(s.pa)))
                loads = []
                for u in self._units_of(s):
                    if not solver.boolean_value(s.carry[u.id]):
                        continue
                    pax = solver.value(s.pax[u.id]) if u.id in s.pax else 0
                    veh = {cls: solver.value(v) for (uid, cls), v in s.veh.items()
                           if uid == u.id and solver.value(v)}
                    cargo = solver.value(s.cargo[u.id]) if u.id in s.cargo else 0
                    if pax or veh or cargo:
                        loads.append((u.id, pax, veh, cargo))
                legs.append(LegValue("lift", o, d, solver.value(s.d), solver.value(s.a),
                                     tuple(loads)))
                where = d
                if s.ret is not None and solver.boolean_value(s.ret):
                    base = s.fleet.base
                    assert s.rd is not None and s.ra is not None
                    legs.append(LegValue("positioning", d, base, solver.value(s.rd),
                                         solver.value(s.ra)))
                    where = base
            if legs:
                out[tail] = legs
        return out
