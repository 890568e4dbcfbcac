"""Drawing disruptions: one realization per run, from that run's own random stream.

Run ``i`` of a simulation with seed ``s`` draws all its uniforms from
``SeedSequence(s, spawn_key=(i,))`` (the ``i``-th child of ``SeedSequence(s).spawn(...)``), so a
run's disruptions depend on the seed and its index only, never on how runs are split between
workers. Each source reads its own columns of the run's uniforms: switching a source off
leaves every other source's draws unchanged (common random numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from contingent.risk.model import DAY, ExecModel, _day_starts
from contingent.scenario.disruptions import SOURCES, Disruptions, Duration


@dataclass(frozen=True, slots=True)
class Realization:
    """What went wrong in a batch of runs, in whole minutes after the epoch.

    Attributes
    ----------
    runs
        Number of runs (rows).
    closures
        Per airfield index: ``(start, end)`` arrays of shape (runs, K), half-open, sorted by
        start within each row (an empty closure has ``end == start``).
    unserviceable
        Per tail index: ``(start, end)`` arrays of shape (runs, K), likewise.
    abort_hold
        (runs, sorties): hold after an aborted first attempt, ``-1`` when no abort.
    delay
        (runs, sorties): technical delay at the gate, ``0`` when none.
    slip
        (runs, facilities): handover slip.
    """

    runs: int
    closures: Mapping[int, tuple[np.ndarray, np.ndarray]]
    unserviceable: Mapping[int, tuple[np.ndarray, np.ndarray]]
    abort_hold: np.ndarray
    delay: np.ndarray
    slip: np.ndarray

    def without(self, source: str) -> Realization:
        """The same draws with one source switched off."""
        if source == "weather":
            return replace(self, closures={})
        if source == "aircraft-unserviceable":
            return replace(self, unserviceable={})
        if source == "sortie-abort":
            return replace(self, abort_hold=np.full_like(self.abort_hold, -1))
        if source == "technical-delay":
            return replace(self, delay=np.zeros_like(self.delay))
        if source == "handover-slip":
            return replace(self, slip=np.zeros_like(self.slip))
        raise ValueError(f"unknown disruption source {source!r} (known: {', '.join(SOURCES)})")

    def row(self, i: int) -> Realization:
        """Run ``i`` alone."""
        sl = slice(i, i + 1)
        return Realization(
            1,
            {a: (s[sl], e[sl]) for a, (s, e) in self.closures.items()},
            {t: (s[sl], e[sl]) for t, (s, e) in self.unserviceable.items()},
            self.abort_hold[sl], self.delay[sl], self.slip[sl],
        )

    def intervals(self, kind: str, key: int, i: int) -> list[tuple[int, int]]:
        """Non-empty closures (``kind='closures'``) or unserviceable periods of run ``i``."""
        table = self.closures if kind == "closures" else self.unserviceable
        if key not in table:
            return []
        s, e = table[key]
        return [(int(a), int(b)) for a, b in zip(s[i], e[i], strict=True) if b > a]

    @staticmethod
    def none(model: ExecModel, runs: int = 1) -> Realization:
        """Nothing goes wrong."""
        return Realization(
            runs, {}, {},
            np.full((runs, model.n_sorties), -1, np.int64),
            np.zeros((runs, model.n_sorties), np.int64),
            np.zeros((runs, len(model.facilities)), np.int64),
        )

    @staticmethod
    def fixed(
        model: ExecModel,
        *,
        closures: Mapping[str, Iterable[tuple[datetime | int, datetime | int]]] | None = None,
        unserviceable: Mapping[str, Iterable[tuple[datetime | int, datetime | int]]]
        | None = None,
        aborts: Mapping[str, int] | None = None,
        delays: Mapping[str, int] | None = None,
        slips: Mapping[str, int] | None = None,
    ) -> Realization:
        """One run with given disruptions (times as date-times or minutes after the epoch).

        ``aborts`` gives the hold in minutes after the aborted attempt, ``delays`` the
        technical delay, ``slips`` the handover slip, each in minutes, by sortie or facility id.
        """

        def m(t: datetime | int) -> int:
            return t if isinstance(t, int) else model.minute(t)

        def table(spec: Mapping[str, Iterable[tuple[datetime | int, datetime | int]]] | None,
                  names: tuple[str, ...]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
            out = {}
            for name, ivs in (spec or {}).items():
                pairs = sorted((m(a), m(b)) for a, b in ivs)
                out[names.index(name)] = (np.asarray([[a for a, _ in pairs]], np.int64),
                                          np.asarray([[b for _, b in pairs]], np.int64))
            return out

        r = Realization.none(model)
        for sid, hold in (aborts or {}).items():
            r.abort_hold[0, model.sortie_ids.index(sid)] = hold
        for sid, d in (delays or {}).items():
            r.delay[0, model.sortie_ids.index(sid)] = d
        for fid, d in (slips or {}).items():
            r.slip[0, model.facilities.index(fid)] = d
        return replace(r, closures=table(closures, model.airfields),
                       unserviceable=table(unserviceable, model.tails))


class Sampler:
    """Draws realizations of a scenario's disruption model for a compiled plan.

    Parameters
    ----------
    model
        The compiled plan.
    disruptions
        The scenario's disruption model (``None``: nothing goes wrong).
    days_after
        Disruptions are drawn for every day from the plan's first planned day until this many
        days after its last planned time; later days have none.
    """

    def __init__(self, model: ExecModel, disruptions: Disruptions | None,
                 days_after: int = 10) -> None:
        self.model = model
        self.d = disruptions or Disruptions()
        lo = int(min(np.min(model.sortie_dep, initial=0), np.min(model.road_start, initial=0)))
        hi = max(
            int(np.max(model.sortie_dep + model.sortie_block, initial=0)),
            int(np.max(model.road_end, initial=0)),
        ) + days_after * DAY
        first = model.time(lo).date()
        n_days = (hi - lo) // DAY + 2
        col = 0
        # weather zones: (airfields, p, window, duration, day starts, first column)
        self.zones = []
        for z in self.d.weather:
            af = [model.airfields.index(a) for a in z.airfields]
            tz = ZoneInfo(model.airfield_tz[af[0]])
            starts = _day_starts(tz, first, n_days, model.epoch)[:-2]
            self.zones.append((af, z.daily_probability, z.window_minutes, z.duration_hours,
                               starts, col))
            col += 3 * len(starts)
        self.days = model.theatre_day_starts[
            (model.theatre_day_starts >= lo - DAY) & (model.theatre_day_starts <= hi)]
        self.tails = []
        for ti, fleet in enumerate(model.tail_fleet):
            e = self.d.aircraft_risk(fleet)
            if e is not None and e.daily_probability > 0:
                self.tails.append((ti, e.daily_probability, e.duration_hours, col))
                col += 3 * len(self.days)
        self.sortie_col = col
        self.sortie_risk: list[tuple[float, Duration | None, float, Duration | None]] = []
        for k in range(model.n_sorties):
            sr = self.d.sortie_risk(model.tail_fleet[int(model.sortie_tail[k])])
            self.sortie_risk.append(
                (0.0, None, 0.0, None) if sr is None else
                (sr.abort_probability, sr.abort_hold_hours, sr.delay_probability,
                 sr.delay_minutes))
        col += 4 * model.n_sorties
        self.fac_col = col
        self.fac_risk = [self.d.handover_risk(f) for f in model.facilities]
        col += 2 * len(model.facilities)
        self.columns = col

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources that can happen (a non-zero probability somewhere)."""
        out = []
        if any(z[1] > 0 for z in self.zones):
            out.append("weather")
        if any(r[0] > 0 for r in self.sortie_risk):
            out.append("sortie-abort")
        if any(r[2] > 0 for r in self.sortie_risk):
            out.append("technical-delay")
        if self.tails:
            out.append("aircraft-unserviceable")
        if any(h is not None and h.probability > 0 for h in self.fac_risk):
            out.append("handover-slip")
        return tuple(s for s in SOURCES if s in out)

    def uniforms(self, seed: int, first: int, count: int) -> np.ndarray:
        """The uniforms of runs ``first .. first+count-1``, one row per run."""
        out = np.empty((count, self.columns), np.float64)
        for r in range(count):
            ss = np.random.SeedSequence(seed, spawn_key=(first + r,))
            np.random.Generator(np.random.PCG64(ss)).random(out=out[r])
        return out

    def draw(self, seed: int, first: int, count: int) -> Realization:
        """The realizations of runs ``first .. first+count-1``."""
        return self.realize(self.uniforms(seed, first, count))

    def realize(self, u: np.ndarray) -> Realization:
        """Turn uniforms (one row per run) into a realization."""
        m = self.model
        runs = u.shape[0]
        per_af: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for af, p, (wa, wb), dur, starts, c in self.zones:
            n = len(starts)
            occ = u[:, c:c + n] < p
            begin = starts[None, :] + wa + np.floor(u[:, c + n:c + 2 * n] * (wb - wa)).astype(
                np.int64)
            length = np.where(occ, dur.minutes(u[:, c + 2 * n:c + 3 * n], 60), 0)
            for a in af:
                per_af.setdefault(a, []).append((begin, begin + length))
        closures = {}
        for a, parts in per_af.items():
            s = np.concatenate([p[0] for p in parts], axis=1)
            e = np.concatenate([p[1] for p in parts], axis=1)
            if len(parts) > 1:
                o = np.argsort(s, axis=1, kind="stable")
                s, e = np.take_along_axis(s, o, 1), np.take_along_axis(e, o, 1)
            closures[a] = (s, e)
        unsv = {}
        n = len(self.days)
        for ti, p, dur, c in self.tails:
            occ = u[:, c:c + n] < p
            begin = self.days[None, :] + np.floor(u[:, c + n:c + 2 * n] * DAY).astype(np.int64)
            length = np.where(occ, dur.minutes(u[:, c + 2 * n:c + 3 * n], 60), 0)
            unsv[ti] = (begin, begin + length)
        S = m.n_sorties
        abort = np.full((runs, S), -1, np.int64)
        delay = np.zeros((runs, S), np.int64)
        c = self.sortie_col
        for k, (pa, hold, pd, dd) in enumerate(self.sortie_risk):
            base = c + 4 * k
            if pa > 0 and hold is not None:
                hit = u[:, base] < pa
                abort[:, k] = np.where(hit, hold.minutes(u[:, base + 1], 60), -1)
            if pd > 0 and dd is not None:
                hit = u[:, base + 2] < pd
                delay[:, k] = np.where(hit, dd.minutes(u[:, base + 3], 1), 0)
        slip = np.zeros((runs, len(m.facilities)), np.int64)
        for f, h in enumerate(self.fac_risk):
            if h is not None and h.probability > 0:
                base = self.fac_col + 2 * f
                slip[:, f] = np.where(u[:, base] < h.probability,
                                      h.slip_hours.minutes(u[:, base + 1], 60), 0)
        return Realization(runs, closures, unsv, abort, delay, slip)
