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


@dataclass(frozen=True, slots=True, eq=False)
class Spans:
    """Intervals of many runs: run index, start and end (half-open), sorted by run, start."""

    run: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @staticmethod
    def of(run: np.ndarray, start: np.ndarray, end: np.ndarray) -> Spans:
        """Sorted, without empty intervals."""
        keep = end > start
        run, start, end = run[keep], start[keep], end[keep]
        order = np.lexsort((start, run))
        return Spans(run[order].astype(np.int64), start[order].astype(np.int64),
                     end[order].astype(np.int64))

    def select(self, i: int) -> Spans:
        """Run ``i``'s intervals, renumbered as run 0."""
        k = self.run == i
        return Spans(np.zeros(int(k.sum()), np.int64), self.start[k], self.end[k])


@dataclass(frozen=True, slots=True, eq=False)
class Realization:
    """What went wrong in a batch of runs, in whole minutes after the epoch.

    Attributes
    ----------
    runs
        Number of runs (rows).
    closures
        Per airfield index: its closures in every run.
    unserviceable
        Per tail index: its unserviceable periods in every run.
    abort_hold
        (runs, sorties): hold after an aborted first attempt, ``-1`` when no abort.
    delay
        (runs, sorties): technical delay at the gate, ``0`` when none.
    slip
        (runs, facilities): handover slip.
    """

    runs: int
    closures: Mapping[int, Spans]
    unserviceable: Mapping[int, Spans]
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
            {a: sp.select(i) for a, sp in self.closures.items()},
            {t: sp.select(i) for t, sp in self.unserviceable.items()},
            self.abort_hold[sl], self.delay[sl], self.slip[sl],
        )

    def intervals(self, kind: str, key: int, i: int) -> list[tuple[int, int]]:
        """Closures (``kind='closures'``) or unserviceable periods of run ``i``, by start."""
        table = self.closures if kind == "closures" else self.unserviceable
        if key not in table:
            return []
        sp = table[key]
        k = sp.run == i
        return [(int(a), int(b)) for a, b in zip(sp.start[k], sp.end[k], strict=True)]

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
                  names: tuple[str, ...]) -> dict[int, Spans]:
            out = {}
            for name, ivs in (spec or {}).items():
                pairs = [(m(a), m(b)) for a, b in ivs]
                out[names.index(name)] = Spans.of(
                    np.zeros(len(pairs), np.int64),
                    np.asarray([a for a, _ in pairs], np.int64),
                    np.asarray([b for _, b in pairs], np.int64))
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


# --- per-run streams -----------------------------------------------------------------------
#
# Run i's stream is Generator(PCG64(SeedSequence(seed, spawn_key=(i,)))). Making one such
# generator per run costs tens of microseconds, mostly in SeedSequence's hashing; for a block
# of runs we do that hashing vectorized and set each PCG64's state directly, which gives the
# very same numbers (checked against NumPy once per process; NumPy's own path otherwise).

_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _XSHIFT, _M32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
_PCG_MULT, _M128 = 0x2360ED051FC65DA44385DF649FCCF645, (1 << 128) - 1


def _seed_words(seed: int, first: int, count: int) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(i,)).generate_state(4, uint64)`` for each run i."""
    run = []
    x = seed
    while True:
        run.append(x & _M32)
        x >>= 32
        if not x:
            break
    run += [0] * (4 - len(run))  # a spawned sequence pads its entropy to the pool size
    hc = _INIT_A

    def hashmix(v: int) -> int:
        nonlocal hc
        v ^= hc
        hc = (hc * _MULT_A) & _M32
        v = (v * hc) & _M32
        return v ^ (v >> _XSHIFT)

    def mix(a: int, b: int) -> int:
        r = (_MIX_L * a - _MIX_R * b) & _M32
        return r ^ (r >> _XSHIFT)

    pool = [hashmix(w) for w in run]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    # The run index is the only word that differs between runs; the hash constants do not
    # depend on the data, so the last round and the output are done for all runs at once.
    u32 = np.uint32
    idx = np.arange(first, first + count, dtype=np.uint64).astype(u32)
    vpool = [np.full(count, w, u32) for w in pool]
    with np.errstate(over="ignore"):
        for dst in range(4):
            h = hc
            hc = (hc * _MULT_A) & _M32
            v = (idx ^ u32(h)) * u32(hc)
            v ^= v >> u32(_XSHIFT)
            r = u32(_MIX_L) * vpool[dst] - u32(_MIX_R) * v
            vpool[dst] = r ^ (r >> u32(_XSHIFT))
        hb = _INIT_B
        words = []
        for j in range(8):
            v = vpool[j % 4] ^ u32(hb)
            hb = (hb * _MULT_B) & _M32
            v = v * u32(hb)
            words.append(v ^ (v >> u32(_XSHIFT)))
    return np.ascontiguousarray(np.stack(words, axis=1)).view("<u8")


def _fill_fast(seed: int, first: int, out: np.ndarray) -> None:
    bg = np.random.PCG64(0)
    gen = np.random.Generator(bg)
    words = _seed_words(seed, first, out.shape[0]).tolist()
    for r, (a, b, c, d) in enumerate(words):
        # PCG64's seeding (pcg_setseq_128_srandom_r) from the four words.
        inc = ((((c << 64) | d) << 1) | 1) & _M128
        state = (((inc + ((a << 64) | b)) & _M128) * _PCG_MULT + inc) & _M128
        bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                    "has_uint32": 0, "uinteger": 0}
        gen.random(out=out[r])


def _fill_numpy(seed: int, first: int, out: np.ndarray) -> None:
    children = np.random.SeedSequence(seed, n_children_spawned=first).spawn(out.shape[0])
    for r, ss in enumerate(children):
        np.random.Generator(np.random.PCG64(ss)).random(out=out[r])


_FAST_OK: bool | None = None


def _fast_ok() -> bool:
    global _FAST_OK
    if _FAST_OK is None:
        try:
            a, b = np.empty((3, 5)), np.empty((3, 5))
            _fill_fast(2**40 + 3, 7, a)
            _fill_numpy(2**40 + 3, 7, b)
            _FAST_OK = bool(np.array_equal(a, b))
        except Exception:  # pragma: no cover - a NumPy whose PCG64 state differs
            _FAST_OK = False
    return _FAST_OK


def run_uniforms(seed: int, first: int, count: int, columns: int) -> np.ndarray:
    """Uniforms of runs ``first .. first+count-1`` (one row each), from their own streams."""
    if seed < 0:
        raise ValueError("the seed must not be negative")
    out = np.empty((count, columns), np.float64)
    if seed < 2**128 and first + count <= 2**32 and _fast_ok():
        _fill_fast(seed, first, out)
    else:
        _fill_numpy(seed, first, out)
    return out


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
                 days_after: int = 5) -> None:
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
            col += len(starts)
        self.days = model.theatre_day_starts[
            (model.theatre_day_starts >= lo - DAY) & (model.theatre_day_starts <= hi)]
        self.tails = []
        for ti, fleet in enumerate(model.tail_fleet):
            e = self.d.aircraft_risk(fleet)
            if e is not None and e.daily_probability > 0:
                self.tails.append((ti, e.daily_probability, e.duration_hours, col))
                col += len(self.days)
        self.sortie_col = col
        self.sortie_risk: list[tuple[float, Duration | None, float, Duration | None]] = []
        for k in range(model.n_sorties):
            sr = self.d.sortie_risk(model.tail_fleet[int(model.sortie_tail[k])])
            self.sortie_risk.append(
                (0.0, None, 0.0, None) if sr is None else
                (sr.abort_probability, sr.abort_hold_hours, sr.delay_probability,
                 sr.delay_minutes))
        col += 2 * model.n_sorties
        groups: dict[tuple, list[int]] = {}
        for k, risk in enumerate(self.sortie_risk):
            groups.setdefault(risk, []).append(k)
        self._sortie_groups = {r: np.asarray(ks, np.int64) for r, ks in groups.items()}
        self.fac_col = col
        self.fac_risk = [self.d.handover_risk(f) for f in model.facilities]
        col += len(model.facilities)
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
        return run_uniforms(seed, first, count, self.columns)

    def draw(self, seed: int, first: int, count: int) -> Realization:
        """The realizations of runs ``first .. first+count-1``."""
        return self.realize(self.uniforms(seed, first, count))

    def realize(self, u: np.ndarray) -> Realization:
        """Turn uniforms (one row per run) into a realization.

        One uniform per chance: ``u < p`` says it happens, and then ``u / p``, uniform on
        [0, 1), gives its start (integer part of ``u / p * spread``) and its duration (the
        fractional part, again uniform and independent of the integer part).
        """
        m = self.model
        runs = u.shape[0]
        per_af: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for af, p, (wa, wb), dur, starts, c in self.zones:
            found = _intervals(u, c, p, starts + wa, wb - wa, dur)
            for a in af:
                per_af.setdefault(a, []).append(found)
        closures = {
            a: Spans.of(*(np.concatenate([f[i] for f in parts]) for i in range(3)))
            for a, parts in per_af.items()
        }
        unsv = {ti: Spans.of(*_intervals(u, c, p, self.days, DAY, dur))
                for ti, p, dur, c in self.tails}
        S = m.n_sorties
        abort = np.full((runs, S), -1, np.int64)
        delay = np.zeros((runs, S), np.int64)
        c = self.sortie_col
        for (pa, hold, pd, dd), ks in self._sortie_groups.items():
            cols = c + 2 * ks
            if pa > 0 and hold is not None:
                x = u[:, cols]
                r, j = np.nonzero(x < pa)
                abort[r, ks[j]] = hold.minutes(x[r, j] / pa, 60)
            if pd > 0 and dd is not None:
                x = u[:, cols + 1]
                r, j = np.nonzero(x < pd)
                delay[r, ks[j]] = dd.minutes(x[r, j] / pd, 1)
        slip = np.zeros((runs, len(m.facilities)), np.int64)
        for f, h in enumerate(self.fac_risk):
            if h is not None and h.probability > 0:
                x = u[:, self.fac_col + f]
                r = np.flatnonzero(x < h.probability)
                slip[r, f] = h.slip_hours.minutes(x[r] / h.probability, 60)
        return Realization(runs, closures, unsv, abort, delay, slip)


def _intervals(u: np.ndarray, c: int, p: float, base: np.ndarray, spread: int,
               dur: Duration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day d (column c+d): with probability p an interval starting in
    [base[d], base[d]+spread), lasting ``dur`` hours. Returns (run, start, end) of those drawn.
    """
    x = u[:, c:c + len(base)]
    r, d = np.nonzero(x < p)
    v = x[r, d] / p * max(spread, 1)
    offset = np.floor(v)
    start = base[d] + (offset.astype(np.int64) if spread > 0 else 0)
    end = start + dur.minutes(v - offset, 60)
    return r, start, end
