"""The phase as an integer problem: minutes from the phase start, kilograms, centimetres.

Built once from a :class:`Scenario` and shared by the bounds, the CP-SAT backend and the
plan builder, so that every stage reads the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contingent.scenario.model import Phase, Scenario, block_minutes, road_end

DAY = 1440


@dataclass(frozen=True, slots=True)
class UnitDemand:
    """One air unit to move, in solver units."""

    id: str
    nation: str
    origin: str
    destination: str
    release: int
    pax: int
    vehicles: dict[str, int]
    cargo_kg: int
    window: tuple[int, int]  # lift departures allowed in [lo, hi] (order rules)


@dataclass(frozen=True, slots=True)
class FleetData:
    """A fleet in solver units."""

    id: str
    operator: str
    type: str
    base: str
    count: int
    carries: frozenset[str]
    available: tuple[int, int]
    seats: int
    payload_kg: int
    space_cm: int
    turnaround: int
    tails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoadPlan:
    """A convoy move fixed in advance: road moves share no resource with the airlift."""

    unit: str
    nation: str
    route_from: str
    route_to: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DailyCap:
    """A daily departure cap over airfields, counted in local days of one time zone."""

    name: str
    members: frozenset[str]
    cap: int
    days: tuple[tuple[int, int, str], ...]  # (start, end, ISO date), epoch minutes


@dataclass
class Problem:
    """A phase of a scenario as integers. Times are minutes after ``epoch``."""

    scenario: Scenario
    phase: Phase
    epoch: datetime
    horizon: int
    deadline: int | None
    units: list[UnitDemand]
    fleets: list[FleetData]
    roads: list[RoadPlan]
    theatre: frozenset[str]
    personnel_mass: int
    vehicle_mass: dict[str, int]
    space_cm: dict[tuple[str, str], int]  # (vehicle class, aircraft type) -> cm of hold
    _block: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _caps: list[DailyCap] | None = None

    def block(self, type_id: str, a: str, b: str) -> int:
        """Block minutes between two airfields (0 for the same airfield)."""
        if a == b:
            return 0
        key = (type_id, a, b)
        if key not in self._block:
            self._block[key] = block_minutes(self.scenario, type_id, a, b)
        return self._block[key]

    def minutes(self, t: datetime) -> int:
        """Whole minutes from the epoch (rounded up: a bound never moves earlier)."""
        return math.ceil((t - self.epoch).total_seconds() / 60)

    def time(self, m: int) -> datetime:
        """The aware time ``m`` minutes after the epoch, in theatre time."""
        return (self.epoch + timedelta(minutes=m)).astimezone(self.scenario.operation.tz)

    def local_days(self, tz: ZoneInfo, until: int | None = None) -> list[tuple[int, int, str]]:
        """Local calendar days overlapping [0, until or horizon]: (start, end, ISO date)."""
        first = self.epoch.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        last = self.horizon if until is None else until
        out = []
        d = first
        while True:
            start = self.minutes(d)
            if start > last:
                break
            nxt = (d + timedelta(days=1, hours=3)).replace(hour=0)
            out.append((start, self.minutes(nxt), d.date().isoformat()))
            d = nxt
        return out

    def clock_window(self, tz: ZoneInfo, open_min: int, close_min: int) -> list[tuple[int, int]]:
        """Each local day's [open, close] in epoch minutes, over the horizon."""
        out = []
        for start, _end, iso in self.local_days(tz):
            day = datetime.fromisoformat(iso).replace(tzinfo=tz)
            lo = self.minutes(day + timedelta(minutes=open_min))
            hi = self.minutes(day + timedelta(minutes=close_min))
            del start
            out.append((lo, hi))
        return out

    @property
    def caps(self) -> list[DailyCap]:
        """Cap groups, then single capped airfields; days reach 3 days past the horizon so
        that flights home after the deadline are counted too."""
        if self._caps is None:
            s, until = self.scenario, self.horizon + 3 * DAY
            out = [DailyCap(g.id, frozenset(g.airfields), g.departure_cap_per_day,
                            tuple(self.local_days(s.operation.tz, until)))
                   for g in s.cap_groups]
            out += [DailyCap(a.id, frozenset({a.id}), a.departure_cap_per_day,
                             tuple(self.local_days(s.tz(a.id), until)))
                    for a in s.airfields if a.departure_cap_per_day is not None]
            self._caps = out
        return self._caps

    def carriers(self, nation: str) -> list[FleetData]:
        """Fleets that may carry a nation."""
        return [f for f in self.fleets if nation in f.carries]


def build_problem(scenario: Scenario, phase: Phase, horizon_days: int | None = None) -> Problem:
    """Turn a scenario phase into a :class:`Problem`.

    The horizon is the deadline when there is one, else the latest release plus
    ``horizon_days`` (default 10) days.
    """
    s = scenario
    win = s.window(phase)
    epoch = win.start
    tz = s.operation.tz

    def mins(t: datetime) -> int:
        return math.ceil((t - epoch).total_seconds() / 60)

    deadline = mins(win.deadline) if win.deadline is not None else None
    rules = s.rules_for(phase)
    units: list[UnitDemand] = []
    roads: list[RoadPlan] = []
    for u in s.units:
        release = s.release(u, phase)
        if u.mode == "road":
            origin, dest = s.origin_of(u, phase), s.destination_of(u, phase)
            route = s.route.get((origin, dest)) or s.route[(dest, origin)]
            start = release
            roads.append(RoadPlan(u.id, u.nation, origin, dest, start, road_end(route, start, tz)))
            continue
        lo, hi = 0, 10**7
        for r in rules:
            if r.kind != "fly_within" or (r.nations and u.nation not in r.nations):
                continue
            a, b = s.rule_window(r)
            if a is not None:
                lo = max(lo, mins(a))
            if b is not None:
                # A `day` window is end-exclusive, an explicit one inclusive.
                hi = min(hi, mins(b) - (1 if r.day is not None else 0))
        units.append(UnitDemand(
            id=u.id, nation=u.nation,
            origin=s.origin_of(u, phase), destination=s.destination_of(u, phase),
            release=max(0, mins(release)), pax=u.personnel,
            vehicles=dict(u.vehicles), cargo_kg=u.cargo_kg, window=(lo, hi),
        ))
    fleets = []
    for f in s.fleets:
        t = s.aircraft_type[f.type]
        a0 = max(0, mins(f.available_from)) if f.available_from else 0
        a1 = mins(f.available_until) if f.available_until else 10**7
        fleets.append(FleetData(
            id=f.id, operator=f.operator, type=f.type, base=f.base, count=f.count,
            carries=frozenset(f.carries), available=(a0, a1), seats=t.seats,
            payload_kg=t.payload_kg, space_cm=math.floor(t.vehicle_space_m * 100 + 1e-6),
            turnaround=t.turnaround_min, tails=tuple(f.tails()),
        ))
    latest = max([u.release for u in units] + [0])
    horizon = deadline if deadline is not None else latest + DAY * (horizon_days or 10)
    horizon = max(horizon, max((mins(r.end) for r in roads), default=0))
    space = {
        (c.id, ty): math.ceil(v * 100 - 1e-6)
        for c in s.vehicle_classes
        for ty, v in c.space_m.items()
    }
    return Problem(
        scenario=s, phase=phase, epoch=epoch, horizon=horizon, deadline=deadline,
        units=units, fleets=fleets, roads=roads,
        theatre=frozenset(s.operation.theatre_airfields),
        personnel_mass=s.operation.personnel_mass_kg,
        vehicle_mass={c.id: c.mass_kg for c in s.vehicle_classes},
        space_cm=space,
    )
