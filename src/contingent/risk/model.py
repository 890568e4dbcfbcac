"""The execution model: a plan compiled into plain integer-minute data both engines run.

Times are whole minutes after the phase start (the *epoch*). The compiled :class:`ExecModel`
holds what the plan fixes (sorties, road moves, tail chains, parking stands, order rules) and
what the scenario fixes (opening hours, closures, daily caps, handover times); it holds no
pydantic objects, so it pickles cheaply to worker processes.

Parking stands: at an airfield with ``max_on_ground`` every stay of the plan (arrival until the
tail's next departure, half-open, for good after its last leg) is given one of ``max_on_ground``
stands, greedily in arrival order (the stand free the longest). In execution a stay may begin
only once the previous stay on its stand has ended, so the count on the ground never exceeds
the limit (``docs/rules.md``, rule ``ground``).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from contingent.planfile import Plan
from contingent.scenario.model import Phase, RoadRoute, Rule, Scenario, road_end

if TYPE_CHECKING:  # pragma: no cover
    from contingent.risk.policy import DispatchPolicy

#: "Never": a time after every horizon. Far below int64 overflow when blocks are added.
NEVER = 10**12
#: Minutes per day.
DAY = 1440


class PlanNotExecutable(ValueError):
    """The plan cannot be executed as given (it breaks a rule the execution relies on)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a run's trace.

    Attributes
    ----------
    t
        Minutes after the epoch (the phase start).
    kind
        ``handover``, ``arrive``, ``road-end``, ``delay``, ``abort``, ``depart`` or
        ``road-start``.
    subject
        Facility, sortie or road move id.
    """

    t: int
    kind: str
    subject: str


KIND_ORDER = {
    "handover": 0, "arrive": 1, "road-end": 2, "delay": 3, "abort": 4, "depart": 5,
    "road-start": 6,
}


def sort_trace(events: list[Event]) -> list[Event]:
    """Events in canonical order: time, then kind, then subject."""
    return sorted(events, key=lambda e: (e.t, KIND_ORDER[e.kind], e.subject))


@dataclass(frozen=True, slots=True, eq=False)
class Windows:
    """When movements may happen at one airfield (hours and static closures).

    ``opens``/``closes`` are the inclusive opening intervals (one per local day over the
    horizon, ending with a sentinel at :data:`NEVER`); ``None`` means always open.
    ``closed_from``/``closed_to`` are the scenario's closures, half-open, merged and sorted.
    """

    opens: np.ndarray | None
    closes: np.ndarray | None
    closed_from: np.ndarray
    closed_to: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class CapResource:
    """A daily departure cap: one airfield's (local days) or a cap group's (theatre days)."""

    id: str
    cap: int
    day_starts: np.ndarray  # ascending, last entry NEVER


@dataclass(frozen=True, slots=True, eq=False)
class ExecModel:
    """A plan compiled for execution. Build with :func:`compile_model`.

    Attributes are per *item*: sorties first (plan order, ``0..S-1``), then road moves.
    Times are minutes after :attr:`epoch`.
    """

    scenario: str
    phase: Phase
    epoch: datetime
    theatre_tz: str
    horizon: tuple[int, int]
    deadline: int | None
    planned_completion: int | None
    planned_nations: dict[str, int]
    # airfields
    airfields: tuple[str, ...]
    airfield_tz: tuple[str, ...]
    windows: tuple[Windows, ...]
    caps_of: tuple[tuple[int, ...], ...]  # airfield -> cap resources
    caps: tuple[CapResource, ...]
    theatre_day_starts: np.ndarray
    # tails
    tails: tuple[str, ...]
    tail_fleet: tuple[str, ...]
    tail_ready0: np.ndarray  # available_from or -NEVER
    tail_until: np.ndarray  # available_until or NEVER
    # units and facilities
    units: tuple[str, ...]
    unit_nation: tuple[str, ...]
    unit_base_release: np.ndarray  # phase start and readiness (handovers apart)
    unit_facilities: tuple[tuple[int, ...], ...]
    facilities: tuple[str, ...]
    facility_handover: np.ndarray
    nations: tuple[str, ...]
    # sorties
    sortie_ids: tuple[str, ...]
    sortie_kind: tuple[Literal["lift", "positioning"], ...]
    sortie_tail: np.ndarray
    sortie_origin: np.ndarray
    sortie_dest: np.ndarray
    sortie_dep: np.ndarray  # planned
    sortie_block: np.ndarray
    sortie_turn: np.ndarray  # turnaround after this leg's arrival
    sortie_units: tuple[tuple[int, ...], ...]
    sortie_nations: tuple[tuple[int, ...], ...]
    tail_prev: np.ndarray  # previous sortie of the tail or -1
    stand_pred: np.ndarray  # sortie whose departure frees this arrival's stand, or -1
    # road moves
    road_ids: tuple[str, ...]
    road_units: tuple[tuple[int, ...], ...]
    road_nations: tuple[tuple[int, ...], ...]
    road_start: np.ndarray
    road_end: np.ndarray
    road_routes: tuple[RoadRoute, ...]
    # order rules
    item_low: np.ndarray  # fly_within lower bounds (and phase start), per item
    item_high: np.ndarray  # fly_within latest allowed departure, per item (NEVER when none)
    soft_limits: tuple[str, ...]  # labels: each fly_within window end, then fleet availability
    window_ends: tuple[tuple[tuple[int, ...], int], ...]  # per window: items, latest departure
    before_first: tuple[tuple[int, ...], ...]  # per before-rule: items carrying `first`
    item_after: tuple[tuple[int, ...], ...]  # per item: before-rules it must follow
    # dispatch
    not_before: np.ndarray  # the policy's own lower bound per item
    order: np.ndarray  # items in dispatch order
    policy: str = "plan-order"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sorties(self) -> int:
        """Number of sorties."""
        return len(self.sortie_ids)

    @property
    def n_items(self) -> int:
        """Sorties plus road moves."""
        return len(self.sortie_ids) + len(self.road_ids)

    def minute(self, dt: datetime) -> int:
        """A date-time as whole minutes after the epoch (rounded up)."""
        return math.ceil((dt - self.epoch).total_seconds() / 60 - 1e-9)

    def time(self, minute: int) -> datetime:
        """Minutes after the epoch as a theatre date-time."""
        return (self.epoch + timedelta(minutes=int(minute))).astimezone(ZoneInfo(self.theatre_tz))

    def item_id(self, i: int) -> str:
        """Sortie or road move id of an item."""
        s = self.n_sorties
        return self.sortie_ids[i] if i < s else self.road_ids[i - s]

    def road_end_at(self, i: int, start: int) -> int:
        """Convoy arrival of road move ``i`` (0-based among road moves) leaving at ``start``."""
        begin = self.epoch + timedelta(minutes=int(start))
        return self.minute(road_end(self.road_routes[i], begin, ZoneInfo(self.theatre_tz)))


def window_label(rule: Rule, index: int) -> str:
    """How a fly_within window is named in results: its note, else its nations and number."""
    if rule.note:
        return rule.note
    who = ", ".join(rule.nations) or "every air nation"
    return f"fly_within {who} (rule {index + 1})"


def _day_starts(tz: ZoneInfo, first: date, days: int, epoch: datetime) -> np.ndarray:
    out = []
    for k in range(days + 1):
        d = first + timedelta(days=k)
        t = datetime.combine(d, time(0, 0), tzinfo=tz)
        out.append(math.floor((t - epoch).total_seconds() / 60))
    out.append(NEVER)
    return np.asarray(out, dtype=np.int64)


def compile_model(
    scenario: Scenario,
    plan: Plan,
    policy: DispatchPolicy | None = None,
    *,
    horizon_days: int = 21,
) -> ExecModel:
    """Compile a plan of one phase for execution.

    Parameters
    ----------
    scenario, plan
        The operation and a plan of one of its phases (from the planner or hand-made).
    policy
        The dispatch policy (default :class:`~contingent.risk.policy.PlanOrder`).
    horizon_days
        Days after the plan's last planned time over which hours, caps and disruptions are
        laid out; movements pushed beyond are reported as beyond the horizon.

    Raises
    ------
    PlanNotExecutable
        When the plan names what the scenario lacks, overfills an apron, or its order
        constraints form a cycle.
    """
    from contingent.risk.policy import PlanOrder

    pol: DispatchPolicy = policy if policy is not None else PlanOrder()
    phase = plan.phase
    if phase not in scenario.operation.phases:
        raise PlanNotExecutable(f"scenario {scenario.scenario!r} has no {phase} phase")
    window = scenario.window(phase)
    epoch = window.start
    ttz = scenario.operation.tz

    def minute(dt: datetime) -> int:
        return math.ceil((dt - epoch).total_seconds() / 60 - 1e-9)

    sorties = list(plan.sorties)
    for s in sorties:
        if s.tail not in scenario.tail_fleet:
            raise PlanNotExecutable(f"sortie {s.id}: unknown tail {s.tail!r}")
        for a in (s.origin, s.destination):
            if a not in scenario.airfield:
                raise PlanNotExecutable(f"sortie {s.id}: unknown airfield {a!r}")
        for ld in s.loads:
            if ld.unit not in scenario.unit:
                raise PlanNotExecutable(f"sortie {s.id}: unknown unit {ld.unit!r}")
    for r in plan.road_moves:
        for u in r.units:
            if u not in scenario.unit:
                raise PlanNotExecutable(f"road move {r.id}: unknown unit {u!r}")

    planned_times = [minute(s.departure) for s in sorties] + [minute(s.arrival) for s in sorties]
    planned_times += [minute(r.end) for r in plan.road_moves] + [0]
    lo_t = min(planned_times) - 2 * DAY
    hi_t = max(planned_times) + horizon_days * DAY

    # --- airfields: hours, closures, caps --------------------------------------------
    af_ids = tuple(a.id for a in scenario.airfields)
    af_index = {a: i for i, a in enumerate(af_ids)}
    first_day = (epoch + timedelta(minutes=lo_t)).astimezone(ttz).date() - timedelta(days=1)
    n_days = (hi_t - lo_t) // DAY + 3
    theatre_days = _day_starts(ttz, first_day, n_days, epoch)
    windows = []
    caps: list[CapResource] = []
    caps_of: list[list[int]] = [[] for _ in af_ids]
    for i, af in enumerate(scenario.airfields):
        tz = scenario.tz(af.id)
        if af.hours is not None:
            opens, closes = [], []
            for k in range(n_days + 1):
                d = first_day + timedelta(days=k)
                base = datetime.combine(d, time(0, 0), tzinfo=tz)
                o = base + timedelta(minutes=af.hours.open_min)
                c = base + timedelta(minutes=af.hours.close_min)
                opens.append(minute(o))
                closes.append(math.floor((c - epoch).total_seconds() / 60))
            opens.append(NEVER)
            closes.append(NEVER)
            wo: np.ndarray | None = np.asarray(opens, np.int64)
            wc: np.ndarray | None = np.asarray(closes, np.int64)
        else:
            wo = wc = None
        cl = sorted((minute(c.from_), minute(c.to)) for c in af.closures)
        merged: list[list[int]] = []
        for f, t in cl:
            if merged and f <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], t)
            else:
                merged.append([f, t])
        windows.append(Windows(
            wo, wc,
            np.asarray([m[0] for m in merged], np.int64),
            np.asarray([m[1] for m in merged], np.int64),
        ))
        if af.departure_cap_per_day is not None:
            caps_of[i].append(len(caps))
            caps.append(CapResource(af.id, af.departure_cap_per_day,
                                    _day_starts(tz, first_day, n_days, epoch)))
    for g in scenario.cap_groups:
        idx = len(caps)
        caps.append(CapResource(f"group:{g.id}", g.departure_cap_per_day, theatre_days))
        for a in g.airfields:
            caps_of[af_index[a]].append(idx)

    # --- tails --------------------------------------------------------------------------
    tails = tuple(sorted({s.tail for s in sorties}))
    tail_index = {t: i for i, t in enumerate(tails)}
    tail_fleet = tuple(scenario.tail_fleet[t].id for t in tails)
    ready0 = []
    until = []
    for tail in tails:
        fl = scenario.tail_fleet[tail]
        ready0.append(minute(fl.available_from) if fl.available_from else -NEVER)
        until.append(minute(fl.available_until) if fl.available_until else NEVER)

    # --- units, facilities, nations ---------------------------------------------------
    units = tuple(u.id for u in scenario.units)
    unit_index = {u: i for i, u in enumerate(units)}
    facilities = tuple(f.id for f in scenario.facilities) if phase == "withdrawal" else ()
    fac_index = {f: i for i, f in enumerate(facilities)}
    base_release = []
    unit_facs = []
    for unit in scenario.units:
        rel = window.start if unit.ready is None else max(window.start, unit.ready)
        base_release.append(minute(rel))
        unit_facs.append(tuple(fac_index[f] for f in scenario.unit_facilities.get(unit.id, ())
                               if f in fac_index))
    nations = scenario.nations
    nation_index = {n: i for i, n in enumerate(nations)}

    # --- sorties ------------------------------------------------------------------------
    S = len(sorties)
    dep = np.asarray([minute(s.departure) for s in sorties], np.int64)
    arr = np.asarray([minute(s.arrival) for s in sorties], np.int64)
    s_units = tuple(tuple(dict.fromkeys(unit_index[ld.unit] for ld in s.loads)) for s in sorties)
    s_nations = tuple(
        tuple(sorted({nation_index[scenario.units[u].nation] for u in us})) for us in s_units
    )
    turn = np.asarray(
        [scenario.aircraft_type[scenario.tail_fleet[s.tail].type].turnaround_min for s in sorties],
        np.int64,
    )
    by_tail: dict[str, list[int]] = defaultdict(list)
    for k, s in enumerate(sorties):
        by_tail[s.tail].append(k)
    tail_prev = np.full(S, -1, np.int64)
    for ks in by_tail.values():
        ks.sort(key=lambda k: (sorties[k].departure, sorties[k].arrival, sorties[k].id))
        for a_, b_ in pairwise(ks):
            tail_prev[b_] = a_
    stand_pred = _assign_stands(scenario, sorties, by_tail, dep, arr)

    # --- road moves ---------------------------------------------------------------------
    roads = list(plan.road_moves)
    road_units = tuple(tuple(unit_index[u] for u in r.units) for r in roads)
    road_nations = tuple(
        tuple(sorted({nation_index[scenario.units[u].nation] for u in us} or
                     ({nation_index[r.nation]} if r.nation in nation_index else set())))
        for us, r in zip(road_units, roads, strict=True)
    )
    routes = []
    for r in roads:
        route = scenario.route.get((r.from_, r.to)) or scenario.route.get((r.to, r.from_))
        if route is None:
            raise PlanNotExecutable(f"road move {r.id}: no road route {r.from_} - {r.to}")
        routes.append(route)

    # --- order rules --------------------------------------------------------------------
    n_items = S + len(roads)
    item_nations = list(s_nations) + list(road_nations)
    is_lift = [sorties[k].kind == "lift" and bool(s_units[k]) for k in range(S)] + [False] * len(
        roads)
    low = np.full(n_items, minute(window.start), np.int64)
    high = np.full(n_items, NEVER, np.int64)
    air_nations = {nation_index[u.nation] for u in scenario.units if u.mode == "air"}
    before_first: list[tuple[int, ...]] = []
    after: list[list[int]] = [[] for _ in range(n_items)]
    soft: list[str] = []
    window_ends: list[tuple[tuple[int, ...], int]] = []
    for ri, rule in enumerate(scenario.rules):
        if rule.phase not in (None, phase):
            continue
        if rule.kind == "fly_within" and scenario.rule_window(rule)[1] is not None:
            soft.append(window_label(rule, ri))
    for rule in scenario.rules_for(phase):
        if rule.kind == "fly_within":
            w_from, w_to = scenario.rule_window(rule)
            want = {nation_index[n] for n in rule.nations if n in nation_index} or air_nations
            for i in range(S):
                if w_from is not None and is_lift[i] and want & set(item_nations[i]):
                    low[i] = max(low[i], minute(w_from))
            if w_to is not None:
                # A day is half-open; explicit bounds include the end.
                latest = minute(w_to) - 1 if rule.day is not None else math.floor(
                    (w_to - epoch).total_seconds() / 60)
                items = tuple(i for i in range(S) if is_lift[i] and want & set(item_nations[i]))
                window_ends.append((items, latest))
                for i in items:
                    high[i] = min(high[i], latest)
        elif rule.kind == "before":
            first = {nation_index[n] for n in rule.first if n in nation_index}
            then = {nation_index[n] for n in rule.then if n in nation_index}
            carriers = [i for i in range(n_items)
                        if (is_lift[i] or i >= S) and first & set(item_nations[i])]
            thens = [i for i in range(n_items)
                     if (is_lift[i] or i >= S) and then & set(item_nations[i])]
            if carriers and thens:
                r_idx = len(before_first)
                before_first.append(tuple(carriers))
                for i in thens:
                    after[i].append(r_idx)

    # --- dispatch order -------------------------------------------------------------------
    planned_start = np.concatenate([dep, np.asarray([minute(r.start) for r in roads], np.int64)])
    not_before = np.asarray(pol.not_before(planned_start, low), np.int64)
    keys = pol.priority(planned_start, [sorties[k].id for k in range(S)] +
                           [r.id for r in roads])
    preds: list[set[int]] = [set() for _ in range(n_items)]
    for k in range(S):
        if tail_prev[k] >= 0:
            preds[k].add(int(tail_prev[k]))
        if stand_pred[k] >= 0:
            preds[k].add(int(stand_pred[k]))
    for i in range(n_items):
        for r_idx in after[i]:
            preds[i].update(j for j in before_first[r_idx] if j != i)
    order = _topological(preds, keys)

    planned_completion = minute(plan.completion) if plan.completion is not None else None
    deadline = minute(window.deadline) if window.deadline is not None else None
    return ExecModel(
        scenario=scenario.scenario,
        phase=phase,
        epoch=epoch,
        theatre_tz=scenario.operation.time_zone,
        horizon=(lo_t, hi_t),
        deadline=deadline,
        planned_completion=planned_completion,
        planned_nations={n: minute(t) for n, t in plan.nations.items()},
        airfields=af_ids,
        airfield_tz=tuple(str(scenario.tz(a)) for a in af_ids),
        windows=tuple(windows),
        caps_of=tuple(tuple(c) for c in caps_of),
        caps=tuple(caps),
        theatre_day_starts=theatre_days,
        tails=tails,
        tail_fleet=tail_fleet,
        tail_ready0=np.asarray(ready0, np.int64),
        tail_until=np.asarray(until, np.int64),
        units=units,
        unit_nation=tuple(u.nation for u in scenario.units),
        unit_base_release=np.asarray(base_release, np.int64),
        unit_facilities=tuple(unit_facs),
        facilities=facilities,
        facility_handover=np.asarray(
            [minute(scenario.facility[f].handover) for f in facilities], np.int64),
        nations=nations,
        sortie_ids=tuple(s.id for s in sorties),
        sortie_kind=tuple(s.kind for s in sorties),
        sortie_tail=np.asarray([tail_index[s.tail] for s in sorties], np.int64),
        sortie_origin=np.asarray([af_index[s.origin] for s in sorties], np.int64),
        sortie_dest=np.asarray([af_index[s.destination] for s in sorties], np.int64),
        sortie_dep=dep,
        sortie_block=arr - dep,
        sortie_turn=turn,
        sortie_units=s_units,
        sortie_nations=s_nations,
        tail_prev=tail_prev,
        stand_pred=stand_pred,
        road_ids=tuple(r.id for r in roads),
        road_units=road_units,
        road_nations=road_nations,
        road_start=np.asarray([minute(r.start) for r in roads], np.int64),
        road_end=np.asarray([minute(r.end) for r in roads], np.int64),
        road_routes=tuple(routes),
        item_low=low,
        item_high=high,
        soft_limits=(*soft, *(["fleet availability"] if any(
            scenario.tail_fleet[t].available_until is not None for t in tails) else [])),
        window_ends=tuple(window_ends),
        before_first=tuple(before_first),
        item_after=tuple(tuple(a) for a in after),
        not_before=not_before,
        order=np.asarray(order, np.int64),
        policy=pol.name,
    )


def _assign_stands(scenario: Scenario, sorties: list, by_tail: dict[str, list[int]],
                   dep: np.ndarray, arr: np.ndarray) -> np.ndarray:
    """For each sortie arriving at an apron-limited airfield, the sortie freeing its stand."""
    stays: dict[str, list[tuple[int, int]]] = defaultdict(list)  # airfield -> (arrival, k)
    next_of: dict[int, int] = {}
    for ks in by_tail.values():
        for n, k in enumerate(ks):
            next_of[k] = ks[n + 1] if n + 1 < len(ks) else -1
            if scenario.airfield[sorties[k].destination].max_on_ground is not None:
                stays[sorties[k].destination].append((int(arr[k]), k))
    pred = np.full(len(sorties), -1, np.int64)
    for aid, ss in stays.items():
        limit = scenario.airfield[aid].max_on_ground
        assert limit is not None
        stands: list[tuple[int, int, int]] = []  # heap of (free_from, stand, last sortie)
        used = 0
        for a_, k in sorted(ss):
            if stands and stands[0][0] <= a_:
                _free, st, last = heapq.heappop(stands)
                pred[k] = next_of[last]
            elif used < limit:
                st = used
                used += 1
            else:
                raise PlanNotExecutable(
                    f"the plan has more than {limit} aircraft on the ground at {aid} "
                    f"(sortie {sorties[k].id} arrives with every stand taken)")
            nxt = next_of[k]
            heapq.heappush(stands, (int(dep[nxt]) if nxt >= 0 else NEVER, st, k))
    return pred


def _topological(preds: list[set[int]], keys: list) -> list[int]:
    n = len(preds)
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for i, ps in enumerate(preds):
        for p in ps:
            succ[p].append(i)
            indeg[i] += 1
    heap = [(keys[i], i) for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(i)
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (keys[j], j))
    if len(out) != n:
        raise PlanNotExecutable("the plan's order constraints (tail chains, stands and "
                                "'before' rules) form a cycle")
    return out


def retimed_plan(plan: Plan, model: ExecModel, start: np.ndarray, end: np.ndarray) -> Plan:
    """The plan as one run executed it (``start``/``end`` per item, minutes after the epoch).

    Sorties and road moves keep their ids, loads and order; only times change. Useful to check
    an executed run with :func:`contingent.check.check` or to draw it.
    """
    from dataclasses import replace as _replace

    S = model.n_sorties
    sorties = tuple(
        _replace(s, departure=model.time(int(start[k])), arrival=model.time(int(end[k])))
        for k, s in enumerate(plan.sorties)
    )
    roads = tuple(
        _replace(r, start=model.time(int(start[S + j])), end=model.time(int(end[S + j])))
        for j, r in enumerate(plan.road_moves)
    )
    ends = [int(end[k]) for k in range(S) if model.sortie_units[k]]
    ends += [int(end[S + j]) for j in range(len(roads))]
    nations: dict[str, int] = {}
    for i in range(model.n_items):
        if i < S and not model.sortie_units[i]:
            continue
        for n in (model.sortie_nations[i] if i < S else model.road_nations[i - S]):
            nations[model.nations[n]] = max(nations.get(model.nations[n], -NEVER), int(end[i]))
    return plan.replace(
        status="given",
        sorties=sorties,
        road_moves=roads,
        completion=model.time(max(ends)) if ends else None,
        nations={n: model.time(t) for n, t in sorted(nations.items())},
    )
