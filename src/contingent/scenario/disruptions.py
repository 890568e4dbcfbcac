"""The disruption model of a scenario: what can go wrong while a plan is flown.

Four sources, each a list of entries in the scenario's ``disruptions:`` section (see
``docs/risk.md``):

``weather``
    Weather zones: on each local day, with ``daily_probability``, one closure hits every
    airfield of the zone; it starts at a uniformly drawn clock time inside ``starts_between``
    and lasts ``duration_hours``.
``sorties``
    Per sortie: with ``abort_probability`` its first departure attempt is aborted and the
    aircraft is held ``abort_hold_hours`` before it is dispatched again; with
    ``delay_probability`` a technical delay of ``delay_minutes`` holds it at the gate.
``aircraft``
    Per aircraft and theatre day: with ``daily_probability`` it becomes unserviceable at a
    uniformly drawn time of that day for ``duration_hours``.
``handovers``
    Per facility: with ``probability`` its handover slips by ``slip_hours``.

An entry with ``fleets: []`` / ``facilities: []`` covers everything; a sortie, aircraft or
facility takes the first entry that covers it. Durations are :class:`Duration` objects.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contingent.errors import InputError
from contingent.scenario.clock import parse_clock
from contingent.scenario.yamlio import PathKey, format_path, line_of

if TYPE_CHECKING:  # pragma: no cover
    from contingent.scenario.model import Scenario

Probability = Annotated[float, Field(ge=0, le=1)]
NonNegFloat = Annotated[float, Field(ge=0)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]

#: The disruption sources, in the order drivers are reported.
SOURCES: tuple[str, ...] = (
    "weather", "sortie-abort", "technical-delay", "aircraft-unserviceable", "handover-slip",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, v: object) -> object:
        # YAML reads yes/no/on/off as booleans and pydantic would take true as 1.
        if isinstance(v, bool):
            raise ValueError(f"{str(v).lower()} is not a valid value here")
        return v


class Duration(_Frozen):
    """A non-negative duration distribution; its unit is given by the field holding it.

    ``fixed`` (``at``), ``uniform`` (``low``, ``high``), ``triangular`` (``low``, ``mode``,
    ``high``) or ``exponential`` (``mean``, optionally truncated at ``max``).
    """

    dist: Literal["fixed", "uniform", "triangular", "exponential"]
    at: NonNegFloat | None = None
    low: NonNegFloat | None = None
    mode: NonNegFloat | None = None
    high: NonNegFloat | None = None
    mean: Annotated[float, Field(gt=0)] | None = None
    max: NonNegFloat | None = None

    @model_validator(mode="after")
    def _params(self) -> Duration:
        need = {
            "fixed": ("at",),
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "exponential": ("mean",),
        }[self.dist]
        allowed = set(need) | ({"max"} if self.dist == "exponential" else set())
        given = {k for k in ("at", "low", "mode", "high", "mean", "max")
                 if getattr(self, k) is not None}
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"a {self.dist} distribution takes no {', '.join(extra)}")
        if self.dist == "uniform" and self.high < self.low:  # type: ignore[operator]
            raise ValueError("high must not be below low")
        if self.dist == "triangular" and not (
            self.low <= self.mode <= self.high  # type: ignore[operator]
        ):
            raise ValueError("need low <= mode <= high")
        return self

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The distribution's inverse CDF at uniforms ``u`` in [0, 1), as floats."""
        u = np.asarray(u, dtype=np.float64)
        if self.dist == "fixed":
            return np.full(u.shape, float(self.at))  # type: ignore[arg-type]
        if self.dist == "uniform":
            lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
            return lo + u * (hi - lo)
        if self.dist == "triangular":
            lo, mo, hi = float(self.low), float(self.mode), float(self.high)  # type: ignore[arg-type]
            if hi == lo:
                return np.full(u.shape, lo)
            c = (mo - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mo - lo))
            right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mo))
            return np.where(u < c, left, right)
        x = -float(self.mean) * np.log1p(-u)  # type: ignore[arg-type]
        if self.max is not None:
            x = np.minimum(x, float(self.max))
        return x

    def minutes(self, u: np.ndarray, per_unit: int) -> np.ndarray:
        """Draws at uniforms ``u`` in whole minutes (``per_unit`` minutes per unit)."""
        return np.floor(self.quantile(u) * per_unit + 0.5).astype(np.int64)

    def mean_value(self) -> float:
        """The distribution's mean (of the truncated distribution for ``max``)."""
        if self.dist == "fixed":
            return float(self.at)  # type: ignore[arg-type]
        if self.dist == "uniform":
            return (float(self.low) + float(self.high)) / 2  # type: ignore[arg-type]
        if self.dist == "triangular":
            return (float(self.low) + float(self.mode) + float(self.high)) / 3  # type: ignore[arg-type]
        m = float(self.mean)  # type: ignore[arg-type]
        if self.max is None:
            return m
        return m * (1.0 - math.exp(-float(self.max) / m))


class ClockWindow(_Frozen):
    """A window of the local clock, ``from`` and ``to`` as ``HH:MM`` (``24:00`` allowed)."""

    from_: str = Field(default="00:00", alias="from")
    to: str = "24:00"

    @field_validator("from_", "to")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> ClockWindow:
        if parse_clock(self.to) < parse_clock(self.from_):
            raise ValueError("the window's end must not be before its start")
        return self


class WeatherZone(_Frozen):
    """Airfields closed together by one weather system (one draw per local day)."""

    id: Ident | None = None
    airfields: tuple[Ident, ...] = Field(min_length=1)
    daily_probability: Probability
    starts_between: ClockWindow = Field(default_factory=ClockWindow)
    duration_hours: Duration
    note: str = ""

    @property
    def window_minutes(self) -> tuple[int, int]:
        """``starts_between`` as minutes after local midnight."""
        w = self.starts_between
        return parse_clock(w.from_), parse_clock(w.to)


class SortieRisk(_Frozen):
    """Aborts and technical delays of the sorties flown by some fleets (all when empty)."""

    fleets: tuple[Ident, ...] = ()
    abort_probability: Probability = 0.0
    abort_hold_hours: Duration | None = None
    delay_probability: Probability = 0.0
    delay_minutes: Duration | None = None
    note: str = ""

    @model_validator(mode="after")
    def _dists(self) -> SortieRisk:
        if self.abort_probability > 0 and self.abort_hold_hours is None:
            raise ValueError("abort_probability > 0 needs abort_hold_hours")
        if self.delay_probability > 0 and self.delay_minutes is None:
            raise ValueError("delay_probability > 0 needs delay_minutes")
        return self


class AircraftRisk(_Frozen):
    """Unserviceability of the aircraft of some fleets (all when empty)."""

    fleets: tuple[Ident, ...] = ()
    daily_probability: Probability
    duration_hours: Duration
    note: str = ""


class HandoverRisk(_Frozen):
    """Handover slips of some facilities (all when empty)."""

    facilities: tuple[Ident, ...] = ()
    probability: Probability
    slip_hours: Duration
    note: str = ""


class Disruptions(_Frozen):
    """The scenario's disruption model (``disruptions:`` section)."""

    weather: tuple[WeatherZone, ...] = ()
    sorties: tuple[SortieRisk, ...] = ()
    aircraft: tuple[AircraftRisk, ...] = ()
    handovers: tuple[HandoverRisk, ...] = ()

    def sortie_risk(self, fleet: str) -> SortieRisk | None:
        """The first sortie entry covering a fleet."""
        return next((e for e in self.sorties if not e.fleets or fleet in e.fleets), None)

    def aircraft_risk(self, fleet: str) -> AircraftRisk | None:
        """The first aircraft entry covering a fleet."""
        return next((e for e in self.aircraft if not e.fleets or fleet in e.fleets), None)

    def handover_risk(self, facility: str) -> HandoverRisk | None:
        """The first handover entry covering a facility."""
        return next(
            (e for e in self.handovers if not e.facilities or facility in e.facilities), None
        )


def cross_check_disruptions(
    s: Scenario, data: Any, lines: dict[PathKey, int], file: str
) -> Iterator[InputError]:
    """Yield an InputError for every unknown airfield, fleet or facility in ``disruptions``."""
    d = s.disruptions
    if d is None:
        return

    def err(path: PathKey, msg: str) -> InputError:
        return InputError(msg, file=file, line=line_of(lines, path), field=format_path(path, data))

    for zi, z in enumerate(d.weather):
        for ai, a in enumerate(z.airfields):
            if a not in s.airfield:
                yield err(("disruptions", "weather", zi, "airfields", ai),
                          f"unknown airfield {a!r}")
    for key in ("sorties", "aircraft"):
        for ei, e in enumerate(getattr(d, key)):
            for fi, f in enumerate(e.fleets):
                if f not in s.fleet:
                    yield err(("disruptions", key, ei, "fleets", fi), f"unknown fleet {f!r}")
    for ei, h in enumerate(d.handovers):
        for fi, f in enumerate(h.facilities):
            if f not in s.facility:
                yield err(("disruptions", "handovers", ei, "facilities", fi),
                          f"unknown facility {f!r}")


__all__ = [
    "SOURCES",
    "AircraftRisk",
    "ClockWindow",
    "Disruptions",
    "Duration",
    "HandoverRisk",
    "SortieRisk",
    "WeatherZone",
    "cross_check_disruptions",
]
