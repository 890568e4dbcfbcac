"""Reading a risk result (the JSON written by ``contingent risk --out``) for the report.

The report reads the file rather than importing the simulator, so a report can be drawn from a
result computed elsewhere. Fields used: ``runs``, ``seed``, ``deadline``, ``p_by_deadline``,
``p_by_deadline_ci``, ``completion_quantiles`` (``p10``/``p50``/``p90`` as ISO 8601),
``nations`` (per-nation quantiles), ``drivers`` (``source``, ``effect`` on P(done by deadline))
and, when present, raw completion samples (``completion_samples``, ``samples`` or
``completions``: ISO 8601 date-times, or numbers of hours after the phase start).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contingent.errors import InputError

_SAMPLE_KEYS = ("completion_samples", "samples", "completions")
_QUANTILE = re.compile(r"^p\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Driver:
    """One disruption source and how much it moves P(done by deadline)."""

    source: str
    effect: float
    p_without: float | None = None
    p50_shift_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class RiskSummary:
    """What the report shows of a risk result."""

    runs: int
    seed: int | None
    deadline: datetime | None
    p_by_deadline: float
    p_ci: tuple[float, float] | None
    quantiles: dict[str, datetime]
    nations: dict[str, dict[str, datetime]] = field(default_factory=dict)
    drivers: tuple[Driver, ...] = ()
    samples: tuple[datetime, ...] = ()
    planned: datetime | None = None
    file: str = "<risk>"


def _time(v: Any, where: str, file: str, start: datetime | None) -> datetime:
    if isinstance(v, str):
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            raise InputError(f"{v!r} is not an ISO 8601 date-time", file=file,
                             field=where) from None
        if t.tzinfo is None:
            raise InputError(f"{v!r} has no UTC offset", file=file, field=where)
        return t
    if isinstance(v, int | float) and not isinstance(v, bool) and start is not None:
        return start + timedelta(hours=float(v))
    raise InputError(f"expected an ISO 8601 date-time, got {v!r}", file=file, field=where)


def parse_risk(data: Any, file: str = "<risk>", start: datetime | None = None) -> RiskSummary:
    """Validate risk JSON data; ``start`` anchors samples given as hours.

    Raises
    ------
    InputError
        Naming the file and the field that is missing or malformed.
    """
    if not isinstance(data, dict):
        raise InputError("a risk result must be a JSON object", file=file)

    def need(key: str) -> Any:
        if key not in data or data[key] is None:
            raise InputError(f"required field {key!r} is missing", file=file, field=key)
        return data[key]

    p = need("p_by_deadline")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise InputError(f"expected a probability in [0, 1], got {p!r}", file=file,
                         field="p_by_deadline")
    ci = data.get("p_by_deadline_ci")
    p_ci = None
    if ci is not None:
        if (not isinstance(ci, list | tuple) or len(ci) != 2
                or not all(isinstance(x, int | float) for x in ci)):
            raise InputError(f"expected [low, high], got {ci!r}", file=file,
                             field="p_by_deadline_ci")
        p_ci = (float(ci[0]), float(ci[1]))
    q = need("completion_quantiles")
    if not isinstance(q, dict):
        raise InputError("expected an object {p10, p50, p90}", file=file,
                         field="completion_quantiles")
    quantiles = {k: _time(v, f"completion_quantiles.{k}", file, start) for k, v in q.items()
                 if v is not None and _QUANTILE.match(k)}
    nations: dict[str, dict[str, datetime]] = {}
    for n, nq in (data.get("nations") or {}).items():
        if isinstance(nq, dict):
            nations[str(n)] = {k: _time(v, f"nations.{n}.{k}", file, start)
                               for k, v in nq.items() if _QUANTILE.match(k) and v is not None}
    drivers = []
    for i, d in enumerate(data.get("drivers") or []):
        if not isinstance(d, dict) or "source" not in d or "effect" not in d:
            raise InputError("each driver needs 'source' and 'effect'", file=file,
                             field=f"drivers[{i}]")
        eff = d["effect"]
        if isinstance(eff, bool) or not isinstance(eff, int | float):
            raise InputError(f"expected a number, got {eff!r}", file=file,
                             field=f"drivers[{i}].effect")
        def opt(key: str, d: dict[str, Any] = d) -> float | None:
            v = d.get(key)
            return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

        drivers.append(Driver(str(d["source"]), float(eff), opt("p_without"),
                              opt("p50_shift_minutes")))
    samples: tuple[datetime, ...] = ()
    for key in _SAMPLE_KEYS:
        raw = data.get(key)
        if isinstance(raw, list) and raw:
            samples = tuple(sorted(_time(v, f"{key}[{i}]", file, start)
                                   for i, v in enumerate(raw)))
            break
    deadline = data.get("deadline")
    runs = data.get("runs", len(samples))
    seed = data.get("seed")
    return RiskSummary(
        runs=int(runs) if isinstance(runs, int | float) else len(samples),
        seed=int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None,
        deadline=_time(deadline, "deadline", file, start) if deadline is not None else None,
        p_by_deadline=float(p),
        p_ci=p_ci,
        quantiles=quantiles,
        nations=nations,
        drivers=tuple(drivers),
        samples=samples,
        planned=(_time(data["planned_completion"], "planned_completion", file, start)
                 if data.get("planned_completion") is not None else None),
        file=file,
    )


def read_risk(path: Path | str, start: datetime | None = None) -> RiskSummary:
    """Read and validate a risk result file; see :func:`parse_risk`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the risk result: {exc.strerror or exc}",
                         file=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    return parse_risk(data, str(path), start)


__all__ = ["Driver", "RiskSummary", "parse_risk", "read_risk"]
