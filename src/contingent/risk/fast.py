"""The fast engine: the execution model vectorized over a batch of runs with NumPy.

Every run of a batch is re-timed in the same dispatch order (the policy's), so each step
handles one sortie or road move for all runs at once: a few array operations per constraint.
Runs never interact, so a run's result does not depend on the batch it is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from contingent.risk.draws import Realization, Spans
from contingent.risk.model import NEVER, Event, ExecModel, Windows, sort_trace

_I64 = np.int64


@dataclass(frozen=True, slots=True, eq=False)
class Outcome:
    """What happened in a batch of runs (times in minutes after the epoch).

    Attributes
    ----------
    completion
        (runs,) last lift arrival or road-move end.
    nations
        (runs, nations) the same per nation (``-NEVER`` for a nation with no movement).
    breach
        (runs, soft limits) which soft limits were passed: each ``fly_within`` window's end
        (in :attr:`ExecModel.soft_limits` order), then any fleet's ``available_until``.
    late_handover
        (runs,) total handover slip, minutes.
    start, end
        (runs, items) departure/arrival of each sortie, start/end of each road move.
    abort_at, delay_at
        (runs, sorties) time of an aborted attempt / of a technical delay's discovery, -1.
    """

    completion: np.ndarray
    nations: np.ndarray
    breach: np.ndarray
    late_handover: np.ndarray
    start: np.ndarray
    end: np.ndarray
    abort_at: np.ndarray
    delay_at: np.ndarray

    def trace(self, model: ExecModel, real: Realization, i: int = 0) -> list[Event]:
        """Run ``i``'s events in canonical order."""
        ev: list[Event] = []
        for f, fid in enumerate(model.facilities):
            ev.append(Event(int(model.facility_handover[f] + real.slip[i, f]), "handover", fid))
        for k, sid in enumerate(model.sortie_ids):
            if self.delay_at[i, k] >= 0:
                ev.append(Event(int(self.delay_at[i, k]), "delay", sid))
            if self.abort_at[i, k] >= 0:
                ev.append(Event(int(self.abort_at[i, k]), "abort", sid))
            ev.append(Event(int(self.start[i, k]), "depart", sid))
            ev.append(Event(int(self.end[i, k]), "arrive", sid))
        for j, rid in enumerate(model.road_ids):
            c = model.n_sorties + j
            ev.append(Event(int(self.start[i, c]), "road-start", rid))
            ev.append(Event(int(self.end[i, c]), "road-end", rid))
        return sort_trace(ev)


@dataclass(frozen=True, slots=True, eq=False)
class _Intervals:
    """Intervals of the rows that have any: sorted starts, running maximum of the ends.

    ``pos[r]`` is row r's line in ``start``/``reach`` (-1: no interval); ``rows`` the inverse.
    """

    start: np.ndarray
    reach: np.ndarray
    rows: np.ndarray
    pos: np.ndarray


def _prepare(table: Mapping[int, Spans], runs: int) -> dict[int, _Intervals]:
    """Each run's intervals as one padded line per run that has any (see :class:`_Intervals`).

    With the running maximum of their ends, "inside some interval" is one comparison against
    the last interval that started by t.
    """
    out = {}
    for k, sp in table.items():
        if not sp.run.size:
            continue
        rows, first, counts = np.unique(sp.run, return_index=True, return_counts=True)
        width = int(counts.max())
        line = np.repeat(np.arange(len(rows)), counts)
        col = np.arange(len(sp.run)) - np.repeat(first, counts)
        start = np.full((len(rows), width), NEVER, np.int64)
        end = np.full((len(rows), width), -NEVER, np.int64)
        start[line, col] = sp.start
        end[line, col] = sp.end
        pos = np.full(runs, -1, np.int64)
        pos[rows] = np.arange(len(rows))
        out[k] = _Intervals(start, np.maximum.accumulate(end, axis=1), rows, pos)
    return out


def _push_window(w: Windows, t: np.ndarray) -> np.ndarray:
    if w.opens is not None:
        assert w.closes is not None
        idx = np.minimum(np.searchsorted(w.closes, t, side="left"), len(w.closes) - 1)
        t = np.maximum(t, w.opens[idx])
    if len(w.closed_from):
        j = np.searchsorted(w.closed_from, t, side="right") - 1
        jj = np.maximum(j, 0)
        to = w.closed_to[jj]
        t = np.where((j >= 0) & (t < to), to, t)
    return t


def _push_rows(iv: _Intervals | None, t: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """Move each t out of its row's interval, if inside one (rows: batch rows of t)."""
    if iv is None:
        return t
    if rows is None:
        at = iv.rows  # positions in t
        lines = np.arange(len(at))
    else:
        p = iv.pos[rows]
        at = np.flatnonzero(p >= 0)
        if not at.size:
            return t
        lines = p[at]
    x = t[at]
    # Cheap filter first: only a t between a row's first start and last end can be inside.
    near = np.flatnonzero((x >= iv.start[lines, 0]) & (x < iv.reach[lines, -1]))
    if not near.size:
        return t
    at, lines, x = at[near], lines[near], x[near]
    cnt = np.count_nonzero(iv.start[lines] <= x[:, None], axis=1)
    e = iv.reach[lines, np.maximum(cnt - 1, 0)]
    out = t.copy()
    out[at] = np.where(x < e, e, x)
    return out


class _Batch:
    def __init__(self, model: ExecModel, real: Realization) -> None:
        self.m = model
        self.R = real.runs
        self.closures = _prepare(real.closures, self.R)
        self.unsv = _prepare(real.unserviceable, self.R)
        self.counts = [np.zeros((self.R, len(c.day_starts)), np.int32) for c in model.caps]
        self.all_rows = np.arange(self.R)

    def push_cap(self, c: int, t: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        cap = self.m.caps[c]
        d = np.maximum(np.searchsorted(cap.day_starts, t, side="right") - 1, 0)
        r = self.all_rows if rows is None else rows
        full = self.counts[c][r, d] >= cap.cap
        return np.where(full, cap.day_starts[np.minimum(d + 1, len(cap.day_starts) - 1)], t)

    def book(self, o: int, t: np.ndarray, rows: np.ndarray | None) -> None:
        r = self.all_rows if rows is None else rows
        for c in self.m.caps_of[o]:
            cap = self.m.caps[c]
            d = np.maximum(np.searchsorted(cap.day_starts, t, side="right") - 1, 0)
            self.counts[c][r, d] += 1

    def earliest(self, k: int, t: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Earliest departure >= t of sortie k keeping windows, serviceability and caps."""
        m = self.m
        o, d = int(m.sortie_origin[k]), int(m.sortie_dest[k])
        b = int(m.sortie_block[k])
        wo, wd = m.windows[o], m.windows[d]
        clo, cld = self.closures.get(o), self.closures.get(d)
        un = self.unsv.get(int(m.sortie_tail[k]))
        caps = m.caps_of[o]
        out = t.copy()
        idx = None  # positions in `out` still moving; None = all
        cur, cur_rows = t, rows
        while True:
            t0 = cur
            x = _push_window(wo, cur)
            x = _push_rows(clo, x, cur_rows)
            x = _push_rows(un, x, cur_rows)
            a = x + b
            a2 = _push_rows(cld, _push_window(wd, a), cur_rows)
            x = x + (a2 - a)
            for c in caps:
                x = self.push_cap(c, x, cur_rows)
            moved = x != t0
            if idx is None:
                out = x
                pos = np.flatnonzero(moved)
            else:
                out[idx] = x
                pos = idx[moved]
            if not pos.size:
                return out
            idx = pos
            cur = out[idx]
            base = self.all_rows if rows is None else rows
            cur_rows = base[idx]


def run_fast(model: ExecModel, real: Realization) -> Outcome:
    """Execute the compiled plan in every run of a realization."""
    m = model
    R = real.runs
    S = m.n_sorties
    n_items = m.n_items
    bt = _Batch(m, real)
    start = np.zeros((R, n_items), _I64)
    end = np.zeros((R, n_items), _I64)
    abort_at = np.full((R, S), -1, _I64)
    delay_at = np.full((R, S), -1, _I64)
    late_arrival = np.zeros(R, bool)
    # releases: readiness, then every facility of the unit handed over (with its slip)
    handover = m.facility_handover[None, :] + real.slip
    release = np.tile(m.unit_base_release, (R, 1))
    for u, facs in enumerate(m.unit_facilities):
        for f in facs:
            release[:, u] = np.maximum(release[:, u], handover[:, f])
    tail_ready = np.tile(m.tail_ready0, (R, 1))
    rule_last = [np.full(R, -NEVER, _I64) for _ in m.before_first]
    first_of: dict[int, list[int]] = {}
    for r, items in enumerate(m.before_first):
        for i in items:
            first_of.setdefault(i, []).append(r)

    for i in m.order.tolist():
        lb = np.full(R, m.not_before[i], _I64)
        for r in m.item_after[i]:
            lb = np.maximum(lb, rule_last[r] + 1)
        if i < S:
            k = i
            tail = int(m.sortie_tail[k])
            b = int(m.sortie_block[k])
            lb = np.maximum(lb, tail_ready[:, tail])
            us = m.sortie_units[k]
            if us:
                lb = np.maximum(lb, release[:, list(us)].max(axis=1))
            sp = int(m.stand_pred[k])
            if sp >= 0:
                lb = np.maximum(lb, start[:, sp] - b)
            t = bt.earliest(k, lb, None)
            rows = np.flatnonzero(real.delay[:, k] > 0)
            if rows.size:
                delay_at[rows, k] = t[rows]
                t[rows] = bt.earliest(k, t[rows] + real.delay[rows, k], rows)
            rows = np.flatnonzero(real.abort_hold[:, k] >= 0)
            if rows.size:
                abort_at[rows, k] = t[rows]
                bt.book(int(m.sortie_origin[k]), t[rows], rows)
                t[rows] = bt.earliest(k, t[rows] + real.abort_hold[rows, k], rows)
            bt.book(int(m.sortie_origin[k]), t, None)
            start[:, k] = t
            end[:, k] = t + b
            tail_ready[:, tail] = t + b + m.sortie_turn[k]
            late_arrival |= t + b > m.tail_until[tail]
        else:
            j = i - S
            us = m.road_units[j]
            if us:
                lb = np.maximum(lb, release[:, list(us)].max(axis=1))
            t = lb
            planned = int(m.road_start[j])
            uniq, inv = np.unique(t, return_inverse=True)
            cache = m.extra.setdefault(f"road_end:{j}", {})
            ends = np.asarray([int(m.road_end[j]) if s == planned else
                               cache[s] if s in cache else cache.setdefault(s, m.road_end_at(j, s))
                               for s in uniq.tolist()], _I64)
            start[:, i] = t
            end[:, i] = ends[inv.reshape(-1)]
        for r in first_of.get(i, ()):
            rule_last[r] = np.maximum(rule_last[r], start[:, i])

    lifts = [k for k in range(S) if m.sortie_units[k]] + list(range(S, n_items))
    completion = end[:, lifts].max(axis=1) if lifts else np.zeros(R, _I64)
    nations = np.full((R, len(m.nations)), -NEVER, _I64)
    for i in lifts:
        ns = m.sortie_nations[i] if i < S else m.road_nations[i - S]
        for n in ns:
            nations[:, n] = np.maximum(nations[:, n], end[:, i])
    cols = [(start[:, list(items)] > latest).any(axis=1) if items else np.zeros(R, bool)
            for items, latest in m.window_ends]
    if len(m.soft_limits) > len(m.window_ends):
        cols.append(late_arrival)
    breach = np.stack(cols, axis=1) if cols else np.zeros((R, 0), bool)
    return Outcome(
        completion=completion,
        nations=nations,
        breach=breach,
        late_handover=real.slip.sum(axis=1),
        start=start,
        end=end,
        abort_at=abort_at,
        delay_at=delay_at,
    )
