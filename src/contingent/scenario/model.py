"""The scenario model: immutable, validated data describing one operation.

Built by :func:`contingent.scenario.load_scenario`; provenance has been stripped into
:attr:`Scenario.figures`, so every field here holds a plain value. Derived lookups are built
once (``cached_property``) and the models are frozen; use ``model_copy(update=...)`` to vary.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contingent.scenario.clock import parse_clock
from contingent.scenario.disruptions import Disruptions
from contingent.scenario.provenance import Figure

NationCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
NonNeg = Annotated[int, Field(ge=0)]
Pos = Annotated[int, Field(gt=0)]
PosFloat = Annotated[float, Field(gt=0)]
Phase = Literal["deployment", "withdrawal"]
PHASES: tuple[Phase, ...] = ("deployment", "withdrawal")



def parse_time(value: object) -> datetime:
    """Parse an ISO 8601 date-time that carries a UTC offset."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    else:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time")
    if dt.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (write e.g. 2022-01-13T08:00+06:00)")
    return dt


AwareTime = Annotated[datetime, Field(description="ISO 8601 with UTC offset")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _times(cls, v: object, info: object) -> object:
        # Parse every datetime-typed field ourselves so naive times are refused by name.
        if v is None:
            return v
        name = getattr(info, "field_name", None)
        if name is None or name not in _time_fields(cls):
            return v
        return parse_time(v)


_TIME_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def _time_fields(cls: type[BaseModel]) -> frozenset[str]:
    """Names of a model's fields typed ``datetime`` or ``datetime | None`` (cached)."""
    names = _TIME_FIELDS.get(cls)
    if names is None:
        names = _TIME_FIELDS[cls] = frozenset(
            name for name, f in cls.model_fields.items()
            if f.annotation is datetime or f.annotation == (datetime | None)
        )
    return names


class PhaseWindow(_Frozen):
    """A phase's window: when it may start and, optionally, by when it must be done."""

    start: datetime
    deadline: datetime | None = None

    @field_validator("deadline")
    @classmethod
    def _order(cls, v: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if v is not None and start is not None and v <= start:
            raise ValueError("deadline must be after start")
        return v


class ForceTotals(_Frozen):
    """Published totals of the whole force; the units must add up to them."""

    personnel: NonNeg | None = None
    vehicles: NonNeg | None = None


class Operation(_Frozen):
    """The operation: host, theatre, time zone and phase windows."""

    name: str
    host: NationCode
    time_zone: str
    theatre_airfields: tuple[Ident, ...] = Field(min_length=1)
    personnel_mass_kg: Pos
    phases: dict[Phase, PhaseWindow]
    force: ForceTotals | None = None

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v

    @field_validator("phases")
    @classmethod
    def _phases(cls, v: dict[Phase, PhaseWindow]) -> dict[Phase, PhaseWindow]:
        if not v:
            raise ValueError("at least one phase is needed")
        return v

    @cached_property
    def tz(self) -> ZoneInfo:
        """The theatre time zone."""
        return ZoneInfo(self.time_zone)


class Hours(_Frozen):
    """Daily opening hours in theatre... in the airfield's local clock."""

    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if parse_clock(self.close) <= parse_clock(self.open):
            raise ValueError("close must be after open")
        return self

    @property
    def open_min(self) -> int:
        """Opening, minutes after local midnight."""
        return parse_clock(self.open)

    @property
    def close_min(self) -> int:
        """Closing, minutes after local midnight."""
        return parse_clock(self.close)


class Closure(_Frozen):
    """An airfield closure (weather, security, ...)."""

    from_: datetime = Field(alias="from")
    to: datetime
    reason: str = ""

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _t(cls, v: object) -> datetime:
        return parse_time(v)

    @field_validator("to")
    @classmethod
    def _order(cls, v: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("from_")
        if start is not None and v <= start:
            raise ValueError("closure 'to' must be after 'from'")
        return v


class Airfield(_Frozen):
    """An airfield: ICAO code as id where one exists."""

    id: Ident
    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    time_zone: str | None = None
    departure_cap_per_day: NonNeg | None = None
    max_on_ground: Pos | None = None
    hours: Hours | None = None
    closures: tuple[Closure, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except Exception:
                raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v


class CapGroup(_Frozen):
    """A daily departure cap shared by several airfields."""

    id: Ident
    airfields: tuple[Ident, ...] = Field(min_length=1)
    departure_cap_per_day: NonNeg


class VehicleClass(_Frozen):
    """A class of vehicle: mass and the hold length it takes in each aircraft type (metres)."""

    id: Ident
    mass_kg: Pos
    space_m: dict[Ident, PosFloat]


class AircraftType(_Frozen):
    """An aircraft type's capacities and timings."""

    id: Ident
    seats: NonNeg
    payload_kg: Pos
    vehicle_space_m: Annotated[float, Field(ge=0)]
    cruise_kmh: Pos
    block_extra_min: NonNeg = 0
    turnaround_min: NonNeg

    def block_minutes(self, km: float) -> int:
        """Block time in whole minutes for a leg of ``km`` great-circle kilometres."""
        return math.ceil(km / self.cruise_kmh * 60) + self.block_extra_min


class Fleet(_Frozen):
    """A national fleet of one aircraft type at one base."""

    id: Ident
    operator: NationCode
    type: Ident
    count: Pos
    base: Ident
    available_from: datetime | None = None
    available_until: datetime | None = None
    carries: tuple[NationCode, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _order(self) -> Fleet:
        if (
            self.available_from is not None
            and self.available_until is not None
            and self.available_until <= self.available_from
        ):
            raise ValueError("available_until must be after available_from")
        return self

    def tails(self) -> list[str]:
        """Tail ids: ``<fleet>-01`` ... in order."""
        width = max(2, len(str(self.count)))
        return [f"{self.id}-{i:0{width}d}" for i in range(1, self.count + 1)]


class Unit(_Frozen):
    """A national unit: what must be moved, from where to where."""

    id: Ident
    nation: NationCode
    name: str = ""
    personnel: NonNeg
    vehicles: dict[Ident, Pos] = Field(default_factory=dict)
    cargo_kg: NonNeg = 0
    theatre: Ident
    home: Ident
    mode: Literal["air", "road"] = "air"
    facilities: tuple[Ident, ...] = ()
    ready: datetime | None = None


class RoadRoute(_Frozen):
    """A road route for convoys."""

    id: Ident
    from_: Ident = Field(alias="from")
    to: Ident
    distance_km: PosFloat
    speed_kmh: PosFloat
    driving_hours_per_day: Annotated[float, Field(gt=0, le=24)]
    driving_from: str = "06:00"

    @field_validator("driving_from")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v


class Place(_Frozen):
    """A named ground position that is not an airfield, e.g. a road route's end."""

    id: Ident
    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class Guard(_Frozen):
    """Personnel of one unit on guard at a facility."""

    unit: Ident
    personnel: Pos


class Facility(_Frozen):
    """A protected facility, guarded until its handover to host-nation forces."""

    id: Ident
    name: str
    kind: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    guard_required: Pos
    handover: datetime
    guards: tuple[Guard, ...] = Field(min_length=1)


class Rule(_Frozen):
    """An order rule.

    ``fly_within``: the nations' lift departures lie in [from, to] (``day`` is shorthand for one
    theatre day); no nations means every nation moving by air. ``before``: the last lift
    departure of ``first`` precedes the first of ``then``. ``road``: the nations move by road.
    """

    kind: Literal["fly_within", "before", "road"]
    phase: Phase | None = None
    nations: tuple[NationCode, ...] = ()
    first: tuple[NationCode, ...] = ()
    then: tuple[NationCode, ...] = ()
    day: date | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    note: str = ""

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _t(cls, v: object) -> datetime | None:
        return None if v is None else parse_time(v)

    @field_validator("day", mode="before")
    @classmethod
    def _d(cls, v: object) -> object:
        if isinstance(v, str):
            try:
                return date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"{v!r} is not a date YYYY-MM-DD") from None
        return v

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.kind == "fly_within":
            if self.day is None and self.from_ is None and self.to is None:
                raise ValueError("fly_within needs 'day' or 'from'/'to'")
            if self.day is not None and (self.from_ is not None or self.to is not None):
                raise ValueError("give either 'day' or 'from'/'to', not both")
            if self.from_ is not None and self.to is not None and self.to <= self.from_:
                raise ValueError("'to' must be after 'from'")
        elif self.kind == "before":
            if not self.first or not self.then:
                raise ValueError("before needs 'first' and 'then'")
        elif self.kind == "road" and not self.nations:
            raise ValueError("road needs 'nations'")
        return self


class Scenario(_Frozen):
    """One operation: everything the planner, checker and simulator need.

    Attributes
    ----------
    figures
        Every input figure with its provenance, in document order.
    file
        Where the scenario was read from.
    """

    scenario: Ident
    title: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    operation: Operation
    rules: tuple[Rule, ...] = ()
    vehicle_classes: tuple[VehicleClass, ...] = ()
    aircraft_types: tuple[AircraftType, ...] = Field(min_length=1)
    fleets: tuple[Fleet, ...] = Field(min_length=1)
    airfields: tuple[Airfield, ...] = Field(min_length=1)
    cap_groups: tuple[CapGroup, ...] = ()
    road_routes: tuple[RoadRoute, ...] = ()
    places: tuple[Place, ...] = ()
    units: tuple[Unit, ...] = Field(min_length=1)
    facilities: tuple[Facility, ...] = ()
    disruptions: Disruptions | None = None
    figures: tuple[Figure, ...] = ()
    file: str = "<string>"

    def replace(self, **changes: object) -> Scenario:
        """A validated copy with some fields changed (derived lookups rebuilt).

        Prefer this to ``model_copy(update=...)``, which keeps the original's cached lookups
        and skips validation.
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return type(self).model_validate(data)

    # Derived lookups, built once.
    @cached_property
    def airfield(self) -> dict[str, Airfield]:
        """Airfields by id."""
        return {a.id: a for a in self.airfields}

    @cached_property
    def aircraft_type(self) -> dict[str, AircraftType]:
        """Aircraft types by id."""
        return {a.id: a for a in self.aircraft_types}

    @cached_property
    def fleet(self) -> dict[str, Fleet]:
        """Fleets by id."""
        return {f.id: f for f in self.fleets}

    @cached_property
    def tail_fleet(self) -> dict[str, Fleet]:
        """Fleet of each tail id."""
        return {t: f for f in self.fleets for t in f.tails()}

    @cached_property
    def unit(self) -> dict[str, Unit]:
        """Units by id."""
        return {u.id: u for u in self.units}

    @cached_property
    def vehicle_class(self) -> dict[str, VehicleClass]:
        """Vehicle classes by id."""
        return {v.id: v for v in self.vehicle_classes}

    @cached_property
    def facility(self) -> dict[str, Facility]:
        """Facilities by id."""
        return {f.id: f for f in self.facilities}

    @cached_property
    def route(self) -> dict[tuple[str, str], RoadRoute]:
        """Road routes by (from, to)."""
        return {(r.from_, r.to): r for r in self.road_routes}

    @cached_property
    def positions(self) -> dict[str, tuple[float, float]]:
        """(lat, lon) of every airfield, facility and place by id."""
        out = {p.id: (p.lat, p.lon) for p in self.places}
        out.update({f.id: (f.lat, f.lon) for f in self.facilities})
        out.update({a.id: (a.lat, a.lon) for a in self.airfields})
        return out

    @cached_property
    def nations(self) -> tuple[str, ...]:
        """Nations with units, sorted."""
        return tuple(sorted({u.nation for u in self.units}))

    @cached_property
    def unit_facilities(self) -> dict[str, tuple[str, ...]]:
        """Facilities each unit guards (from the facilities' guard lists)."""
        out: dict[str, list[str]] = {u.id: [] for u in self.units}
        for f in self.facilities:
            for g in f.guards:
                out.setdefault(g.unit, []).append(f.id)
        return {k: tuple(v) for k, v in out.items()}

    def tz(self, airfield: str | None = None) -> ZoneInfo:
        """Time zone of an airfield (its own, else the theatre's)."""
        if airfield is not None:
            a = self.airfield.get(airfield)
            if a is not None and a.time_zone:
                return ZoneInfo(a.time_zone)
        return self.operation.tz

    def window(self, phase: Phase) -> PhaseWindow:
        """The phase window; raises KeyError if the scenario lacks the phase."""
        return self.operation.phases[phase]

    def origin_of(self, unit: Unit, phase: Phase) -> str:
        """Where a unit starts in a phase: theatre for withdrawal, home for deployment."""
        return unit.theatre if phase == "withdrawal" else unit.home

    def destination_of(self, unit: Unit, phase: Phase) -> str:
        """Where a unit ends in a phase."""
        return unit.home if phase == "withdrawal" else unit.theatre

    def release(self, unit: Unit, phase: Phase) -> datetime:
        """Earliest time a unit may start moving: phase start, readiness, handovers."""
        t = self.window(phase).start
        if unit.ready is not None:
            t = max(t, unit.ready)
        if phase == "withdrawal":
            for fid in self.unit_facilities.get(unit.id, ()):
                t = max(t, self.facility[fid].handover)
        return t

    def rules_for(self, phase: Phase) -> tuple[Rule, ...]:
        """Rules applying to a phase (a rule with no phase applies to both)."""
        return tuple(r for r in self.rules if r.phase in (None, phase))

    def rule_window(self, rule: Rule) -> tuple[datetime | None, datetime | None]:
        """A fly_within rule's [from, to] as aware date-times in theatre time."""
        if rule.day is not None:
            tz = self.operation.tz
            start = datetime.combine(rule.day, time(0, 0), tzinfo=tz)
            return start, start + timedelta(days=1)
        return rule.from_, rule.to

    def cap_groups_of(self, airfield: str) -> list[CapGroup]:
        """Cap groups an airfield belongs to."""
        return [g for g in self.cap_groups if airfield in g.airfields]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (mean Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def block_minutes(scenario: Scenario, type_id: str, origin: str, destination: str) -> int:
    """Block time of a leg for an aircraft type between two airfields."""
    a, b = scenario.airfield[origin], scenario.airfield[destination]
    return scenario.aircraft_type[type_id].block_minutes(haversine_km(a.lat, a.lon, b.lat, b.lon))


def road_end(route: RoadRoute, start: datetime, tz: ZoneInfo) -> datetime:
    """Earliest arrival of a convoy leaving at ``start`` on ``route``.

    Convoys drive at ``speed_kmh`` only inside the daily window that opens at
    ``driving_from`` (theatre clock) and lasts ``driving_hours_per_day``; outside it they halt.
    """
    remaining = math.ceil(route.distance_km / route.speed_kmh * 60)  # driving minutes
    window_open = parse_clock(route.driving_from)
    window_len = round(route.driving_hours_per_day * 60)
    t = start.astimezone(tz)
    # Whole minutes: a start with seconds just before the window closes would otherwise leave
    # less than a minute of driving, which rounds to none, forever.
    if t.second or t.microsecond:
        t = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while True:
        day0 = t.replace(hour=0, minute=0, second=0, microsecond=0)
        w_start = day0 + timedelta(minutes=window_open)
        w_end = w_start + timedelta(minutes=window_len)
        if t < w_start:
            t = w_start
        if t >= w_end:
            t = day0 + timedelta(days=1, minutes=window_open)
            continue
        drive = min(remaining, int((w_end - t).total_seconds() // 60))
        t += timedelta(minutes=drive)
        remaining -= drive
        if remaining <= 0:
            return t
