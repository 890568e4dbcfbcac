"""What the pictures and tables show, derived from a scenario and a plan (no drawing here).

All times stay aware ``datetime`` objects; the plots show them in theatre time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contingent.planfile import Plan, Sortie
from contingent.scenario.model import Phase, Scenario
from contingent.scenario.provenance import Figure

POSITIONING = "positioning"


def nation_of_unit(scenario: Scenario, unit: str) -> str:
    """The nation of a unit id ('?' for a unit the scenario does not know)."""
    u = scenario.unit.get(unit)
    return u.nation if u is not None else "?"


def nation_pax(scenario: Scenario, sortie: Sortie) -> dict[str, int]:
    """Personnel on board by nation; a load with no personnel counts its nation with 0."""
    out: dict[str, int] = {}
    for ld in sortie.loads:
        n = nation_of_unit(scenario, ld.unit)
        out[n] = out.get(n, 0) + ld.pax
    if not out:
        for n in sortie.nations:
            out.setdefault(n, 0)
    return out


def primary_nation(scenario: Scenario, sortie: Sortie) -> str | None:
    """The nation a lift mostly carries (most personnel, then first named); None if empty."""
    if sortie.kind != "lift":
        return None
    carried = nation_pax(scenario, sortie)
    if not carried:
        return sortie.operator or None
    return max(carried, key=lambda n: (carried[n], -sorted(carried).index(n)))


def figure_at(scenario: Scenario, path: str) -> Figure | None:
    """The input figure at a field path, e.g. ``cap_groups[X].departure_cap_per_day``."""
    for f in scenario.figures:
        if f.path == path:
            return f
    return None


def provenance_note(fig: Figure | None) -> str:
    """Short provenance for a label: ``R2/F15`` or ``assumed``."""
    if fig is None:
        return ""
    return fig.provenance if fig.kind == "reported" else "assumed"


def local_day(t: datetime, tz: ZoneInfo) -> date:
    """The calendar day of ``t`` in ``tz``."""
    return t.astimezone(tz).date()


def day_start(d: date, tz: ZoneInfo) -> datetime:
    """Midnight starting day ``d`` in ``tz``."""
    return datetime(d.year, d.month, d.day, tzinfo=tz)


def phase_span(scenario: Scenario, plan: Plan) -> tuple[datetime, datetime]:
    """Start of the phase and the latest time worth showing (plan end or deadline)."""
    window = scenario.window(plan.phase)
    ends = [window.start + timedelta(hours=1)]
    ends += [s.arrival for s in plan.sorties]
    ends += [r.end for r in plan.road_moves]
    if plan.completion is not None:
        ends.append(plan.completion)
    if window.deadline is not None:
        ends.append(window.deadline)
    starts = [window.start, *(s.departure for s in plan.sorties),
              *(r.start for r in plan.road_moves)]
    return min(starts), max(ends)


# --- departures against caps ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapScope:
    """Airfields whose departures count against one daily cap (None: no cap)."""

    id: str
    airfields: tuple[str, ...]
    cap: int | None
    figure: Figure | None
    tz: ZoneInfo


def cap_scopes(scenario: Scenario, plan: Plan | None = None) -> list[CapScope]:
    """Cap groups, then airfields with their own cap; without any cap, the theatre airfields."""
    out = [
        CapScope(g.id, g.airfields, g.departure_cap_per_day,
                 figure_at(scenario, f"cap_groups[{g.id}].departure_cap_per_day"),
                 scenario.tz(g.airfields[0]))
        for g in scenario.cap_groups
    ]
    out += [
        CapScope(a.id, (a.id,), a.departure_cap_per_day,
                 figure_at(scenario, f"airfields[{a.id}].departure_cap_per_day"), scenario.tz(a.id))
        for a in scenario.airfields
        if a.departure_cap_per_day is not None
    ]
    if not out:
        out = [CapScope(a, (a,), None, None, scenario.tz(a))
               for a in scenario.operation.theatre_airfields]
    return out


@dataclass(frozen=True, slots=True)
class DailyDepartures:
    """Departures per local day from one cap scope, by nation carried (and positioning)."""

    scope: CapScope
    days: tuple[date, ...]
    by_nation: dict[str, tuple[int, ...]]

    @property
    def totals(self) -> tuple[int, ...]:
        """All departures per day."""
        return tuple(sum(v[i] for v in self.by_nation.values()) for i in range(len(self.days)))


def daily_departures(scenario: Scenario, plan: Plan, scope: CapScope) -> DailyDepartures:
    """Count every departure (lift or positioning) from the scope's airfields per local day."""
    start, end = phase_span(scenario, plan)
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    for s in plan.sorties:
        if s.origin not in scope.airfields:
            continue
        key = primary_nation(scenario, s) or POSITIONING
        counts[key][local_day(s.departure, scope.tz)] += 1
    first = local_day(start, scope.tz)
    last = local_day(end, scope.tz)
    for c in counts.values():
        if c:
            first, last = min(first, min(c)), max(last, max(c))
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    order = [n for n in scenario.nations if n in counts]
    order += sorted(k for k in counts if k not in order and k != POSITIONING)
    if POSITIONING in counts:
        order.append(POSITIONING)
    return DailyDepartures(scope, days, {k: tuple(counts[k][d] for d in days) for k in order})


# --- facility coverage ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    """Guard personnel on one facility over time, as a step function.

    ``guards[i]`` holds from ``times[i]`` to ``times[i + 1]``; the last time is the end of the
    requirement (the handover in a withdrawal, the end of the picture in a deployment).
    """

    id: str
    name: str
    required: int
    handover: datetime
    times: tuple[datetime, ...]
    guards: tuple[int, ...]
    gaps: tuple[tuple[datetime, datetime, int], ...] = field(default=())

    @property
    def min_guards(self) -> int:
        """Fewest guards at any moment while the requirement holds."""
        return min(self.guards) if self.guards else 0


def _handovers(scenario: Scenario, plan: Plan) -> dict[str, datetime]:
    out = {f.id: f.handover for f in scenario.facilities}
    out.update({h.id: h.handover for h in plan.facilities if h.id in out})
    return out


def coverage(scenario: Scenario, plan: Plan) -> list[Coverage]:
    """Guard coverage of every facility, sorted by handover time.

    A unit's personnel in theatre go first to its facilities still awaiting handover, earliest
    handover first, each up to the unit's guard strength there. In a withdrawal personnel leave
    on their lift's departure (or the start of their convoy) and the requirement ends at the
    handover; in a deployment they arrive on their lift's arrival (or their convoy's end), and
    a shortfall means "not yet guarded".
    """
    phase: Phase = plan.phase
    window = scenario.window(phase)
    handover = _handovers(scenario, plan)
    _, span_end = phase_span(scenario, plan)
    withdrawal = phase == "withdrawal"

    events: list[tuple[datetime, str, int | None]] = []  # (time, unit, delta; None = all)
    for s in plan.sorties:
        for ld in s.loads:
            if ld.pax:
                events.append((s.departure if withdrawal else s.arrival, ld.unit,
                               -ld.pax if withdrawal else ld.pax))
    for r in plan.road_moves:
        for u in r.units:
            events.append((r.start if withdrawal else r.end, u, None))

    guard_units = {g.unit for f in scenario.facilities for g in f.guards}
    present: dict[str, int] = {
        u: (scenario.unit[u].personnel if withdrawal else 0)
        for u in guard_units if u in scenario.unit
    }
    times = sorted({window.start, *(t for t, u, _ in events if u in present),
                    *handover.values()})
    by_time: dict[datetime, list[tuple[str, int | None]]] = defaultdict(list)
    for t, u, d in events:
        if u in present:
            by_time[t].append((u, d))

    ends = {fid: (handover[fid] if withdrawal else max(span_end, window.start)) for fid in handover}
    series: dict[str, list[tuple[datetime, int]]] = {f.id: [] for f in scenario.facilities}
    facs_of_unit: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for f in sorted(scenario.facilities, key=lambda f: (handover[f.id], f.id)):
        for g in f.guards:
            facs_of_unit[g.unit].append((f.id, g.personnel))
    for t in times:
        for u, d in by_time.get(t, ()):
            if d is None:
                present[u] = 0 if withdrawal else scenario.unit[u].personnel
            else:
                present[u] = max(0, present[u] + d)
        on: dict[str, int] = defaultdict(int)
        for u, facs in facs_of_unit.items():
            left = present.get(u, 0)
            for fid, strength in facs:
                if withdrawal and t >= handover[fid]:
                    continue
                n = min(strength, left)
                on[fid] += n
                left -= n
        for f in scenario.facilities:
            if t < ends[f.id] and t >= window.start:
                series[f.id].append((t, on[f.id]))

    out = []
    for f in scenario.facilities:
        pts = series[f.id]
        # merge equal consecutive values
        merged: list[tuple[datetime, int]] = []
        for t, n in pts:
            if not merged or merged[-1][1] != n:
                merged.append((t, n))
        end = ends[f.id]
        ts = [t for t, _ in merged] + [max(end, window.start)]
        gs = [n for _, n in merged]
        gaps = tuple(
            (ts[i], ts[i + 1], gs[i]) for i in range(len(gs))
            if gs[i] < f.guard_required and ts[i + 1] > ts[i]
        )
        out.append(Coverage(f.id, f.name, f.guard_required, handover[f.id], tuple(ts), tuple(gs),
                            gaps))
    return sorted(out, key=lambda c: (c.handover, c.id))


# --- nation timelines -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NationLine:
    """One nation's movement in the phase."""

    nation: str
    first: datetime | None
    last_departure: datetime | None
    completion: datetime | None
    lifts: int
    pax: int
    road: tuple[tuple[datetime, datetime], ...]
    departures: tuple[datetime, ...]


def nation_lines(scenario: Scenario, plan: Plan) -> list[NationLine]:
    """First movement, last departure and completion of every nation with units."""
    out = []
    for n in scenario.nations:
        lifts = [s for s in plan.lifts if n in nation_pax(scenario, s)]
        roads = [r for r in plan.road_moves if r.nation == n]
        starts = [s.departure for s in lifts] + [r.start for r in roads]
        ends = [s.arrival for s in lifts] + [r.end for r in roads]
        completion = plan.nations.get(n) or (max(ends) if ends else None)
        pax = sum(ld.pax for s in lifts for ld in s.loads if nation_of_unit(scenario, ld.unit) == n)
        out.append(NationLine(
            nation=n,
            first=min(starts) if starts else None,
            last_departure=max(starts) if starts else None,
            completion=completion,
            lifts=len(lifts),
            pax=pax,
            road=tuple((r.start, r.end) for r in roads),
            departures=tuple(sorted(s.departure for s in lifts)),
        ))
    return out


# --- map aggregates -------------------------------------------------------------------------


def airfield_sorties(plan: Plan) -> Counter[str]:
    """Lift departures plus arrivals per airfield."""
    c: Counter[str] = Counter()
    for s in plan.lifts:
        c[s.origin] += 1
        c[s.destination] += 1
    return c


def routes(scenario: Scenario, plan: Plan) -> dict[tuple[str, str], Counter[str]]:
    """Lift sorties per (origin, destination), by nation carried."""
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for s in plan.lifts:
        out[(s.origin, s.destination)][primary_nation(scenario, s) or "?"] += 1
    return dict(out)


__all__ = [
    "POSITIONING", "CapScope", "Coverage", "DailyDepartures", "NationLine", "airfield_sorties",
    "cap_scopes", "coverage", "daily_departures", "day_start", "figure_at", "local_day",
    "nation_lines", "nation_of_unit", "nation_pax", "phase_span", "primary_nation",
    "provenance_note", "routes",
]
