"""Scenario generator: valid, realistic synthetic operations of any size, for tests and benchmarks.

:func:`generate` writes a scenario in the bundled YAML format: theatre and home airfields with
departure caps, ground limits, opening hours and a closure; mixed national fleets of real
transport types; units with personnel, vehicles and cargo; facilities with handovers; order
rules (a one-day window, an overall last-flight window, an advance party that lands first, a
road-moving nation) and road moves. Every figure is marked ``assumed: generated``.

The demand is sized to the fleet and the days: the units together need about
:data:`LOAD_FACTOR` of what the fleet could lift in the phase window (in Il-76 equivalents),
and airfield caps and ground limits are sized to that demand, so both phases are feasible by
construction (the planner's greedy finds a plan for every seed we have tried).

The same arguments give the same file, byte for byte: randomness comes only from
``random.Random(seed)``, nothing iterates a set, and times are written with fixed UTC offsets
of time zones without daylight saving.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

log = logging.getLogger(__name__)

#: Fraction of the fleet's estimated lift capacity over the phase window that the demand uses.
LOAD_FACTOR = 0.55
#: Readiness (deployment) and handovers (withdrawal) fall in this first fraction of the window.
RELEASE_SPREAD = 0.1
#: Efficiency of the capacity estimate (hours, caps, waiting, positioning detours).
EFFICIENCY = 0.7
#: Lead-nation Il-76 fleets are split into fleets of at most this many aircraft.
FLEET_CHUNK = 40

# Theatres: name, IANA zone without daylight saving, UTC offset (hours), centre, host nation.
_THEATRES: tuple[tuple[str, str, int, float, float, str], ...] = (
    ("Fergana valley", "Asia/Tashkent", 5, 40.9, 71.6, "UZB"),
    ("Chuy valley", "Asia/Bishkek", 6, 42.8, 74.6, "KGZ"),
    ("South Caucasus", "Asia/Yerevan", 4, 40.2, 44.5, "ARM"),
    ("Upper Niger", "Africa/Bamako", 0, 13.5, -7.5, "MLI"),
    ("Ubangi", "Africa/Bangui", 1, 4.4, 18.6, "CAF"),
    ("Mesopotamia", "Asia/Baghdad", 3, 33.3, 44.4, "IRQ"),
    ("Khangai", "Asia/Ulaanbaatar", 8, 47.9, 106.9, "MNG"),
)
_NATIONS = (
    "RUS", "BLR", "ARM", "TJK", "KAZ", "SRB", "IND", "BRA", "FRA", "DEU", "ITA", "ESP", "POL",
    "TUR", "EGY", "NGA", "PAK", "BGD", "IDN", "GHA", "RWA", "NPL", "URY", "CAN", "NLD", "SWE",
)
# Aircraft types: id, seats, payload kg, vehicle space m, cruise km/h, block extra, turnaround.
_TYPES: dict[str, tuple[int, int, float, int, int, int]] = {
    "IL-76MD": (126, 40000, 20.0, 750, 30, 120),
    "AN-124": (88, 100000, 66.0, 800, 30, 180),
    "A400M": (116, 37000, 17.7, 780, 30, 120),
    "C-130J": (92, 19000, 12.2, 600, 25, 90),
    "AN-26": (38, 5500, 9.0, 430, 20, 60),
}
# Vehicle classes: id, mass kg, hold length per aircraft type (absent: does not fit).
_VEHICLES: dict[str, tuple[int, dict[str, float]]] = {
    "APC": (8000, {"IL-76MD": 6.0, "AN-124": 6.0, "A400M": 6.0, "C-130J": 6.0}),
    "IFV": (13600, {"IL-76MD": 7.5, "AN-124": 7.5, "A400M": 7.5}),
    "TRUCK": (9500, {"IL-76MD": 8.0, "AN-124": 8.0, "A400M": 8.0, "C-130J": 8.0}),
    "ARMCAR": (7200, {"IL-76MD": 6.0, "AN-124": 6.0, "A400M": 6.0, "C-130J": 6.0}),
    "LIGHT": (2500, {"IL-76MD": 4.5, "AN-124": 4.5, "A400M": 4.5, "C-130J": 4.5,
                     "AN-26": 4.5}),
}
# Unit kinds: share of the unit's lift need in personnel, vehicles and cargo; vehicle classes.
_KINDS: dict[str, tuple[float, float, float, tuple[str, ...]]] = {
    "company": (0.6, 0.3, 0.1, ("LIGHT", "ARMCAR")),
    "sf": (0.5, 0.45, 0.05, ("ARMCAR", "LIGHT")),
    "battalion": (0.3, 0.6, 0.1, ("APC", "IFV", "TRUCK", "LIGHT")),
    "support": (0.2, 0.5, 0.3, ("TRUCK", "LIGHT")),
    "medical": (0.4, 0.2, 0.4, ("TRUCK", "LIGHT")),
}
# Unit names by kind and strength: (least personnel, name), largest first.
_NAMES: dict[str, tuple[tuple[int, str], ...]] = {
    "company": ((400, "rifle battalion"), (60, "rifle company"), (0, "rifle platoon")),
    "sf": ((150, "special forces group"), (0, "special forces detachment")),
    "battalion": ((300, "motorised battalion"), (80, "motorised company"),
                  (0, "motorised platoon")),
    "support": ((300, "logistics battalion"), (0, "logistics group")),
    "medical": ((100, "field hospital"), (0, "medical detachment")),
}
_FACILITY_KINDS = ("communications", "energy", "water", "transport", "government")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
_BARE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_IL76 = _TYPES["IL-76MD"]


@dataclass
class _Airfield:
    id: str
    name: str
    lat: float
    lon: float
    theatre: bool
    tz: str | None = None
    cap: int | None = None
    mog: int | None = None
    hours: tuple[str, str] | None = None
    closures: list[tuple[datetime, datetime, str]] = field(default_factory=list)


@dataclass
class _Fleet:
    id: str
    operator: str
    type: str
    count: int
    base: str
    carries: list[str]
    available_from: datetime | None = None


@dataclass
class _Unit:
    id: str
    nation: str
    name: str
    personnel: int
    vehicles: dict[str, int]
    cargo_kg: int
    theatre: str
    home: str
    mode: str = "air"
    ready: datetime | None = None
    need: float = 0.0  # lift need in Il-76 equivalents (sum over personnel, vehicles, cargo)


@dataclass
class _Facility:
    id: str
    name: str
    kind: str
    lat: float
    lon: float
    required: int
    handover: datetime
    unit: str
    guard: int


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def _destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) on an initial ``bearing`` (degrees)."""
    d, b = km / 6371.0, math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (math.degrees(l2) + 540) % 360 - 180
    return max(-60.0, min(70.0, math.degrees(p2))), lon2


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _width(n: int) -> int:
    return max(2, len(str(n)))


class _Generator:
    def __init__(self, units: int, airfields: int, aircraft: int, days: int, seed: int) -> None:
        self.n_units, self.n_airfields = units, airfields
        self.n_aircraft, self.days = aircraft, days
        self.seed = seed
        self.rng = random.Random(seed)
        r = self.rng
        self.theatre_name, self.tz, off, self.lat0, self.lon0, self.host = r.choice(_THEATRES)
        self.offset = timezone(timedelta(hours=off))
        first = date(2031, 1, 6) + timedelta(days=r.randrange(0, 330))
        self.dep_start = datetime(first.year, first.month, first.day, 6, 0, tzinfo=self.offset)
        self.dep_deadline = self.dep_start + timedelta(days=days)
        wd = first + timedelta(days=days + 3)
        self.wd_start = datetime(wd.year, wd.month, wd.day, 0, 0, tzinfo=self.offset)
        self.wd_deadline = self.wd_start + timedelta(days=days)
        self.airfields: list[_Airfield] = []
        self.fleets: list[_Fleet] = []
        self.units: list[_Unit] = []
        self.facilities: list[_Facility] = []
        self.routes: list[tuple[str, str, str, int, int, int, str]] = []
        self.rules: list[str] = []
        self.cap_group: tuple[list[str], int] | None = None

    # -- nations and airfields -----------------------------------------------------------

    def nations(self) -> None:
        r = self.rng
        pool = [n for n in _NATIONS if n != self.host]
        k = max(1, min(len(pool), self.n_units, 2 + round(math.log2(self.n_units + 1))))
        lead = pool[0] if r.random() < 0.5 else r.choice(pool)
        rest = [n for n in pool if n != lead]
        r.shuffle(rest)
        self.nation_list = [lead, *rest[: k - 1]]
        n = len(self.nation_list)
        self.road_nation = self.nation_list[-1] if n >= 3 and self.n_units >= 3 else None
        air = [x for x in self.nation_list if x != self.road_nation]
        self.air_nations = air
        self.window_nation = air[1] if len(air) >= 2 else None
        self.advance = (air[2], air[3]) if len(air) >= 4 else None

    def place_airfields(self) -> None:
        r = self.rng
        n_th = max(1, min(self.n_airfields - 1, round(self.n_airfields * 0.3)))
        n_home = max(1, self.n_airfields - n_th)
        w_t, w_h = _width(n_th), _width(n_home)
        for i in range(1, n_th + 1):
            lat = self.lat0 + r.uniform(-2.0, 2.0)
            lon = self.lon0 + r.uniform(-2.5, 2.5)
            self.airfields.append(_Airfield(f"T{i:0{w_t}d}", f"Theatre airfield {i}",
                                            round(lat, 3), round(lon, 3), True))
        for i in range(1, n_home + 1):
            lat, lon = _destination(self.lat0, self.lon0, r.uniform(0, 360), r.uniform(800, 3200))
            hours_east = max(-12, min(14, round(lon / 15)))
            # Etc/GMT zones have the inverted sign: Etc/GMT-5 is UTC+05.
            tz = "Etc/GMT" if hours_east == 0 else f"Etc/GMT{-hours_east:+d}"
            self.airfields.append(_Airfield(f"H{i:0{w_h}d}", f"Home airfield {i}",
                                            round(lat, 3), round(lon, 3), False, tz=tz))
        self.theatre = [a for a in self.airfields if a.theatre]
        self.homes = [a for a in self.airfields if not a.theatre]
        # Home airfields by nation: the lead nation gets about a third, every nation one.
        self.home_of: dict[str, list[str]] = {n: [] for n in self.nation_list}
        air = self.air_nations
        for i, a in enumerate(self.homes):
            if i < len(air):
                self.home_of[air[i]].append(a.id)
            elif r.random() < 0.35:
                self.home_of[air[0]].append(a.id)
            else:
                self.home_of[r.choice(air)].append(a.id)
        for n in air:
            if not self.home_of[n]:
                self.home_of[n].append(self.homes[air.index(n) % len(self.homes)].id)

    # -- fleets ------------------------------------------------------------------------------

    def make_fleets(self) -> None:
        r = self.rng
        lead = self.air_nations[0]
        left = self.n_aircraft
        own: list[_Fleet] = []
        # Some allies bring a small fleet of their own that carries only their own nation.
        for n in self.air_nations[1:]:
            if left <= max(1, round(0.6 * self.n_aircraft)) or r.random() < 0.4:
                continue
            ty = r.choice(("C-130J", "A400M", "IL-76MD", "AN-26"))
            count = min(left - 1, max(1, round(self.n_aircraft * r.uniform(0.02, 0.06))))
            if count < 1:
                continue
            own.append(_Fleet("", n, ty, count, r.choice(self.home_of[n]), [n]))
            left -= count
        an124 = max(1, round(0.07 * self.n_aircraft)) if self.n_aircraft >= 10 else 0
        left -= an124
        il76 = max(1, left)
        lead_homes = self.home_of[lead]
        chunks = math.ceil(il76 / FLEET_CHUNK)
        sizes = [il76 // chunks + (1 if i < il76 % chunks else 0) for i in range(chunks)]
        carries = sorted(self.air_nations)
        seq: dict[str, int] = {}

        def fid(nation: str, ty: str) -> str:
            key = f"{nation}-{ty.replace('-', '').replace('MD', '')}"
            seq[key] = seq.get(key, 0) + 1
            return f"{key}-{seq[key]}"

        for i, size in enumerate(sizes):
            self.fleets.append(_Fleet(fid(lead, "IL-76MD"), lead, "IL-76MD", size,
                                      lead_homes[i % len(lead_homes)], carries))
        if an124:
            self.fleets.append(_Fleet(fid(lead, "AN-124"), lead, "AN-124", an124,
                                      r.choice(lead_homes), [lead]))
        for f in own:
            f.id = fid(f.operator, f.type)
            self.fleets.append(f)
        if own:
            late = r.choice(own)
            late.available_from = self.dep_start + timedelta(hours=r.choice((6, 12, 18)))

    def capacity(self) -> float:
        """Lifts (Il-76 equivalents) the fleet could fly in one phase window, roughly."""
        total = 0.0
        # The mean distance depends only on the nations carried; many fleets share theirs.
        mean_km: dict[tuple[str, ...], float] = {}
        for f in self.fleets:
            seats, payload, space, kmh, extra, turn = _TYPES[f.type]
            key = tuple(f.carries)
            if key not in mean_km:
                homes = [a for a in self.homes
                         if any(a.id in self.home_of[n] for n in f.carries)] or self.homes
                km = sum(_km(t.lat, t.lon, h.lat, h.lon) for t in self.theatre for h in homes)
                mean_km[key] = km / (len(self.theatre) * len(homes))
            km = mean_km[key]
            cycle = 2 * (km / kmh * 60 + extra + turn)
            per_day = 1440 / cycle
            equiv = min(seats / _IL76[0], payload / _IL76[1], space / _IL76[2] if space else 0.2)
            total += f.count * per_day * self.days * EFFICIENCY * equiv
        return total

    # -- units -------------------------------------------------------------------------------

    def make_units(self) -> None:
        r = self.rng
        n = self.n_units
        counts: dict[str, int] = dict.fromkeys(self.nation_list, 0)
        if self.road_nation:
            counts[self.road_nation] = max(1, min(n // 20, 40))
        small = [x for x in (self.window_nation, *(self.advance or ())) if x]
        for x in small:
            counts[x] = 1 if n < 40 else 2
        left = n - sum(counts.values())
        others = [x for x in self.air_nations if x not in small]
        if left < len(others):
            raise ValueError("too few units for the nations drawn")  # cannot happen: k <= n
        weights = [4.0 if x == self.air_nations[0] else r.uniform(0.5, 1.5) for x in others]
        for x in others:
            counts[x] += 1
        left -= len(others)
        tot = sum(weights)
        shares = [left * w / tot for w in weights]
        for x, s in zip(others, shares, strict=True):
            counts[x] += math.floor(s)
        rem = n - sum(counts.values())
        for i in range(rem):
            counts[others[i % len(others)]] += 1
        n_air = n - (counts[self.road_nation] if self.road_nation else 0)
        target = LOAD_FACTOR * self.capacity()
        mean = target / max(1, n_air)
        log.info("capacity %.0f lifts, target demand %.0f lifts, %.2f per air unit",
                 target / LOAD_FACTOR, target, mean)
        serial: dict[str, int] = {}
        w = _width(n)
        idx = 0
        for nation in self.nation_list:
            for _ in range(counts[nation]):
                idx += 1
                uid = f"U{idx:0{w}d}-{nation}"
                if nation == self.road_nation:
                    self.units.append(self._road_unit(uid, nation, serial))
                    continue
                need = mean * r.uniform(0.4, 1.6)
                if nation in small:
                    need = min(need, 1.5)
                self.units.append(self._air_unit(uid, nation, need, serial))

    def _kind_for(self, need: float) -> str:
        r = self.rng
        if need < 1.0:
            return r.choice(("company", "sf", "medical"))
        if need < 4.0:
            return r.choice(("company", "support", "medical", "sf", "battalion"))
        return r.choice(("battalion", "battalion", "support", "medical"))

    def _air_unit(self, uid: str, nation: str, need: float, serial: dict[str, int]) -> _Unit:
        r = self.rng
        kind = self._kind_for(need)
        p_share, v_share, c_share, classes = _KINDS[kind]
        seats, payload, space = _IL76[0], _IL76[1], _IL76[2]
        pax = max(5, round(need * p_share * seats))
        veh_space = need * v_share * space
        vehicles: dict[str, int] = {}
        weights = [r.uniform(0.5, 1.5) for _ in classes]
        tot = sum(weights)
        for c, wgt in zip(classes, weights, strict=True):
            k = math.floor(veh_space * wgt / tot / _VEHICLES[c][1]["IL-76MD"] + r.random())
            if k > 0:
                vehicles[c] = k
        pax = max(pax, sum(vehicles.values()))  # a driver per vehicle
        cargo = max(0, round(need * c_share * payload, -2))
        label = next(name for least, name in _NAMES[kind] if pax >= least)
        serial[label] = serial.get(label, 0) + 1
        theatre = r.choice(self.theatre).id
        home = r.choice(self.home_of[nation])
        ready = None
        if r.random() < 0.2:
            hours = r.uniform(3, max(3.5, 24 * RELEASE_SPREAD * self.days))
            ready = self.dep_start + timedelta(minutes=30 * round(hours * 2))
        actual = max(pax / seats,
                     sum(n * _VEHICLES[c][1]["IL-76MD"] for c, n in vehicles.items()) / space,
                     (pax * 100 + sum(n * _VEHICLES[c][0] for c, n in vehicles.items()) + cargo)
                     / payload)
        return _Unit(uid, nation, f"{_ordinal(serial[label])} {label}", pax, vehicles, int(cargo),
                     theatre, home, ready=ready, need=actual)

    def _road_unit(self, uid: str, nation: str, serial: dict[str, int]) -> _Unit:
        r = self.rng
        serial["road"] = serial.get("road", 0) + 1
        k = (serial["road"] - 1) % 3 + 1
        base, border = f"{nation}-BASE-{k}", f"{nation}-BORDER"
        if not any(rt[1] == base for rt in self.routes):
            # Short drives: a convoy should not outlast the airlift it runs beside.
            self.routes.append((f"{nation}-ROAD-{k}", base, border, r.randrange(60, 200, 10),
                                r.choice((40, 45, 50)), r.choice((10, 12)),
                                r.choice(("06:00", "07:00", "08:00"))))
        pax = r.randrange(80, 400, 10)
        vehicles = {"APC": max(1, pax // 10), "TRUCK": max(1, pax // 40)}
        return _Unit(uid, nation, f"{_ordinal(serial['road'])} motor rifle battalion", pax,
                     vehicles, 0, base, border, mode="road")

    # -- facilities, caps, rules ---------------------------------------------------------------

    def make_facilities(self) -> None:
        r = self.rng
        candidates = [u for u in self.units if u.nation != self.window_nation]
        chosen = [(u, 1 if u.personnel < 40 or r.random() < 0.7 else 2)
                  for u in candidates if r.random() < 0.3]
        w = _width(sum(n for _, n in chosen))
        i = 0
        late = max(0.25, RELEASE_SPREAD * self.days)
        theatre: dict[str, _Airfield] = {}
        for a in self.theatre:
            theatre.setdefault(a.id, a)  # the first of a repeated id, as a scan would find
        for u, n_fac in chosen:
            share = r.uniform(0.3, 0.6) if n_fac == 1 else r.uniform(0.2, 0.3)
            if u.mode == "air":
                near = theatre[u.theatre]
                lat0, lon0 = near.lat, near.lon
            else:
                lat0, lon0 = self.lat0, self.lon0
            for _ in range(n_fac):
                i += 1
                guard = max(1, round(u.personnel * share))
                hours = r.uniform(2, 24 * late)
                handover = self.wd_start + timedelta(minutes=30 * round(hours * 2))
                kind = r.choice(_FACILITY_KINDS)
                self.facilities.append(_Facility(
                    f"FAC-{i:0{w}d}", f"{kind.capitalize()} site {i}", kind,
                    round(lat0 + r.uniform(-0.3, 0.3), 3), round(lon0 + r.uniform(-0.3, 0.3), 3),
                    guard if r.random() < 0.7 else max(1, guard - r.randrange(0, 10)),
                    handover, u.id, guard))

    def size_airfields(self) -> None:
        """Caps, ground limits, hours and closures from the demand at each airfield."""
        r = self.rng
        d = self.days
        need: dict[str, float] = {a.id: 0.0 for a in self.airfields}
        for u in self.units:
            if u.mode == "air":
                # Smaller types may fly the unit in more sorties than Il-76s would.
                lifts = 1.5 * u.need + 1
                need[u.theatre] += lifts
                need[u.home] += lifts
        for f in self.fleets:
            need[f.base] += f.count
        for i, a in enumerate(self.theatre):
            if r.random() < 0.35:
                a.hours = r.choice((("06:00", "22:00"), ("07:00", "21:00"), ("05:00", "23:00")))
            open_h = 24 if a.hours is None else int(a.hours[1][:2]) - int(a.hours[0][:2])
            cap = max(6, math.ceil(2.5 * need[a.id] / d))
            if i == 0 or r.random() < 0.6:
                a.cap = cap
            a.mog = max(4, math.ceil(cap * 4 / open_h) + 2)
        if len(self.theatre) >= 2:
            pair = self.theatre[:2]
            caps = [max(6, math.ceil(2.5 * need[a.id] / d)) for a in pair]
            self.cap_group = ([a.id for a in pair], math.ceil(0.8 * sum(caps)))
        for a in self.homes:
            if r.random() < 0.25:
                a.cap = max(10, math.ceil(3 * need[a.id] / d))
            if r.random() < 0.2:
                a.hours = ("05:00", "23:00")
        # One weather closure in each phase on a theatre airfield, when the window allows.
        if d >= 3:
            for start in (self.dep_start, self.wd_start):
                a = r.choice(self.theatre)
                frm = start + timedelta(days=1 + r.randrange(0, d - 2), hours=r.randrange(0, 20))
                a.closures.append((frm, frm + timedelta(hours=r.choice((3, 4, 6))),
                                   r.choice(("fog", "snow", "crosswind", "security"))))

    def make_rules(self) -> None:
        if self.window_nation:
            day = self.wd_start.date()
            self.rules.append(
                f"{{kind: fly_within, phase: withdrawal, nations: [{self.window_nation}], "
                f'day: "{day.isoformat()}", note: "the {self.window_nation} contingent flies out '
                f'on the first day", assumed: generated}}')
        last = self.wd_deadline - timedelta(hours=6)
        self.rules.append(
            f'{{kind: fly_within, phase: withdrawal, from: "{_iso(self.wd_start)}", '
            f'to: "{_iso(last)}", note: "last flight six hours before the deadline", '
            "assumed: generated}")
        if self.advance:
            first, then = self.advance
            self.rules.append(
                f"{{kind: before, phase: deployment, first: [{first}], then: [{then}], "
                f'note: "the {first} advance party lands before the {then} contingent", '
                "assumed: generated}")
            for u in self.units:
                if u.nation == first:
                    u.ready = None
        if self.road_nation:
            self.rules.append(
                f"{{kind: road, nations: [{self.road_nation}], note: \"the {self.road_nation} "
                'contingent drives in its own vehicles", assumed: generated}')

    # -- output --------------------------------------------------------------------------------

    def yaml(self) -> str:
        s = self
        out: list[str] = []
        add = out.append
        add(f"# Generated by `contingent generate --units {s.n_units} --airfields "
            f"{s.n_airfields} --aircraft {s.n_aircraft} --days {s.days} --seed {s.seed}`.")
        add("# A synthetic operation: every figure is assumed (generated), none is reported.")
        name = f"gen-u{s.n_units}-a{s.n_airfields}-f{s.n_aircraft}-d{s.days}-s{s.seed}"
        add(f"scenario: {name}")
        title = f"Generated operation in the {s.theatre_name} ({name})"
        add(f"title: {_q(title)}")
        add("operation:")
        op_name = f"Generated peacekeeping operation, {s.theatre_name}"
        add(f"  name: {_q(op_name)}")
        add(f"  host: {s.host}")
        add(f"  time_zone: {s.tz}")
        add(f"  theatre_airfields: [{', '.join(a.id for a in s.theatre)}]")
        add("  personnel_mass_kg: {value: 100, assumed: generated}")
        add("  phases:")
        for phase, start, end in (("deployment", s.dep_start, s.dep_deadline),
                                  ("withdrawal", s.wd_start, s.wd_deadline)):
            add(f"    {phase}:")
            add(f'      start: {{value: "{_iso(start)}", assumed: generated}}')
            add(f'      deadline: {{value: "{_iso(end)}", assumed: generated}}')
        add("rules:")
        out.extend(f"  - {rule}" for rule in s.rules)
        types = sorted({f.type for f in s.fleets})
        add("vehicle_classes:")
        for c, (mass, holds) in _VEHICLES.items():
            fits = {t: holds[t] for t in types if t in holds}
            add("  - " + _flow({"id": c, "mass_kg": mass, "space_m": fits}))
        add("aircraft_types:")
        for t in types:
            seats, payload, space, kmh, extra, turn = _TYPES[t]
            add("  - " + _flow({"id": t, "seats": seats, "payload_kg": payload,
                                "vehicle_space_m": space, "cruise_kmh": kmh,
                                "block_extra_min": extra, "turnaround_min": turn}))
        add("fleets:")
        for f in s.fleets:
            item: dict[str, object] = {"id": f.id, "operator": f.operator, "type": f.type,
                                       "count": f.count, "base": f.base}
            if f.available_from is not None:
                item["available_from"] = _iso(f.available_from)
            item["carries"] = f.carries
            add("  - " + _flow(item))
        add("airfields:")
        for a in s.airfields:
            item = {"id": a.id, "name": a.name, "lat": a.lat, "lon": a.lon}
            if a.tz is not None:
                item["time_zone"] = a.tz
            if a.cap is not None:
                item["departure_cap_per_day"] = a.cap
            if a.mog is not None:
                item["max_on_ground"] = a.mog
            if a.hours is not None:
                item["hours"] = {"open": a.hours[0], "close": a.hours[1]}
            if a.closures:
                item["closures"] = [{"from": _iso(f), "to": _iso(t), "reason": why}
                                    for f, t, why in a.closures]
            add("  - " + _flow(item))
        if s.cap_group is not None:
            members, cap = s.cap_group
            add("cap_groups:")
            add("  - " + _flow({"id": "THEATRE-PAIR", "airfields": members,
                                "departure_cap_per_day": cap}))
        if s.routes:
            add("road_routes:")
            for rid, frm, to, km, kmh, hours, drive in s.routes:
                add("  - " + _flow({"id": rid, "from": frm, "to": to, "distance_km": km,
                                    "speed_kmh": kmh, "driving_hours_per_day": hours,
                                    "driving_from": drive}))
        add("units:")
        for u in s.units:
            item = {"id": u.id, "nation": u.nation, "name": u.name, "personnel": u.personnel}
            if u.vehicles:
                item["vehicles"] = u.vehicles
            if u.cargo_kg:
                item["cargo_kg"] = u.cargo_kg
            item["theatre"], item["home"] = u.theatre, u.home
            if u.mode != "air":
                item["mode"] = u.mode
            if u.ready is not None:
                item["ready"] = _iso(u.ready)
            add("  - " + _flow(item))
        if s.facilities:
            add("facilities:")
            for fac in s.facilities:
                add("  - " + _flow({"id": fac.id, "name": fac.name, "kind": fac.kind,
                                    "lat": fac.lat, "lon": fac.lon,
                                    "guard_required": fac.required,
                                    "handover": _iso(fac.handover),
                                    "guards": [{"unit": fac.unit, "personnel": fac.guard}]}))
        return "\n".join(out) + "\n"


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _q(text: str) -> str:
    """A YAML scalar for ``text``: bare when it is a plain identifier, else double-quoted."""
    if _BARE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _value(v: object) -> str:
    if isinstance(v, bool):
        raise TypeError("no scenario field is a boolean")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _q(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__}")


def _flow(item: dict[str, object]) -> str:
    """One list item as a flow mapping that carries ``assumed: generated`` for all its figures."""
    return _value({**item, "assumed": "generated"})


def generate(units: int, airfields: int, aircraft: int, days: int, seed: int) -> str:
    """A random valid scenario as YAML text; the same arguments give the same text.

    Parameters
    ----------
    units
        Units to move (air and road), at least 1.
    airfields
        Airfields, theatre and home together (about 30 % in theatre), at least 2.
    aircraft
        Aircraft over all fleets, at least 1.
    days
        Length of each phase window (deployment and withdrawal deadlines), at least 1.
    seed
        Seed of the only source of randomness.

    Returns
    -------
    str
        The scenario in the bundled YAML format, every figure ``assumed: generated``.
    """
    for name, value, least in (("units", units, 1), ("airfields", airfields, 2),
                               ("aircraft", aircraft, 1), ("days", days, 1)):
        if value < least:
            raise ValueError(f"{name} must be at least {least}, got {value}")
    g = _Generator(units, airfields, aircraft, days, seed)
    g.nations()
    g.place_airfields()
    g.make_fleets()
    g.make_units()
    g.make_facilities()
    g.size_airfields()
    g.make_rules()
    return g.yaml()
