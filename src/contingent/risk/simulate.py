"""Monte Carlo risk of a plan: ``simulate(scenario, plan, runs=..., seed=...) -> RiskResult``.

Runs are cut into blocks of consecutive run indices; a block draws each run's disruptions
from the run's own seed (:mod:`contingent.risk.draws`) and executes them with the chosen
engine. Blocks go to a local process pool (``workers``) or to a Dask cluster (``scheduler``)
and come back in run order, so the result depends on the seed and the number of runs only.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from statistics import NormalDist
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from contingent.planfile import Plan
from contingent.risk.draws import Realization, Sampler
from contingent.risk.model import NEVER, ExecModel, compile_model
from contingent.risk.policy import DispatchPolicy, get_policy
from contingent.scenario.model import Scenario

log = logging.getLogger(__name__)

Engine = Literal["fast", "reference"]
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
#: With ``workers=None``, fast simulations of at most this many runs stay in this process.
_IN_PROCESS_RUNS = 20_000


@dataclass(frozen=True, slots=True)
class Driver:
    """How much one disruption source moves the outcome (switched off, same random numbers).

    Attributes
    ----------
    source
        ``weather``, ``sortie-abort``, ``technical-delay``, ``aircraft-unserviceable`` or
        ``handover-slip``.
    effect
        P(done by deadline) without the source minus with it (``None`` without a deadline).
    p_without
        P(done by deadline) without the source.
    p50_shift_minutes
        Median completion with every source minus without this one.
    """

    source: str
    effect: float | None
    p_without: float | None
    p50_shift_minutes: float


@dataclass(frozen=True, slots=True)
class NationRisk:
    """Completion of one nation's movements."""

    nation: str
    planned: datetime | None
    p_by_deadline: float | None
    quantiles: Mapping[str, datetime]


@dataclass(frozen=True, eq=False)
class RiskResult:
    """The risk of one plan.

    Attributes
    ----------
    p_by_deadline, p_by_deadline_ci
        Share of runs done by the phase deadline, with its Wilson score interval at
        ``confidence``; ``None`` when the phase has no deadline.
    completion_quantiles
        P10, P50 and P90 of the phase completion.
    nations
        The same per nation.
    drivers
        Each source's effect, largest first.
    late_handover_facility_days
        Expected facility-days by which handovers are late (sum of slips).
    breach_rate, breaches
        Share of runs that passed a ``fly_within`` window's end or a fleet's availability;
        the same per window (by the rule's note) and for fleet availability.
    beyond_horizon
        Runs whose completion lies beyond the simulated horizon (counted as not done).
    completion_minutes
        Each run's completion, minutes after :attr:`epoch`.
    """

    scenario: str
    phase: str
    engine: str
    policy: str
    runs: int
    seed: int
    epoch: datetime
    deadline: datetime | None
    planned_completion: datetime | None
    p_by_deadline: float | None
    p_by_deadline_ci: tuple[float, float] | None
    confidence: float
    completion_quantiles: Mapping[str, datetime]
    nations: Mapping[str, NationRisk]
    drivers: tuple[Driver, ...]
    late_handover_facility_days: float
    breach_rate: float
    breaches: Mapping[str, float]
    beyond_horizon: int
    sources: tuple[str, ...]
    completion_minutes: np.ndarray = field(repr=False)

    def to_dict(self, tz: ZoneInfo | None = None) -> dict[str, Any]:
        """JSON-ready data; times in ISO 8601 in ``tz`` (the epoch's zone by default)."""

        def iso(t: datetime | None) -> str | None:
            if t is None:
                return None
            return (t.astimezone(tz) if tz is not None else t).isoformat()

        return {
            "scenario": self.scenario,
            "phase": self.phase,
            "engine": self.engine,
            "policy": self.policy,
            "runs": self.runs,
            "seed": self.seed,
            "deadline": iso(self.deadline),
            "planned_completion": iso(self.planned_completion),
            "p_by_deadline": self.p_by_deadline,
            "p_by_deadline_ci": list(self.p_by_deadline_ci) if self.p_by_deadline_ci else None,
            "confidence": self.confidence,
            "completion_quantiles": {k: iso(v) for k, v in self.completion_quantiles.items()},
            "nations": {
                n: {"planned": iso(r.planned), "p_by_deadline": r.p_by_deadline,
                    **{k: iso(v) for k, v in r.quantiles.items()}}
                for n, r in self.nations.items()
            },
            "drivers": [
                {"source": d.source, "effect": d.effect, "p_without": d.p_without,
                 "p50_shift_minutes": d.p50_shift_minutes}
                for d in self.drivers
            ],
            "late_handover_facility_days": self.late_handover_facility_days,
            "breach_rate": self.breach_rate,
            "breaches": dict(self.breaches),
            "beyond_horizon": self.beyond_horizon,
            "sources": list(self.sources),
        }


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


# --- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Job:
    """Everything a worker needs to run blocks (pickled once per worker)."""

    model: ExecModel
    disruptions: Any
    engine: Engine
    seed: int
    drivers: tuple[str, ...]
    scenario: Scenario | None = None  # reference engine only
    plan: Plan | None = None  # reference engine only
    policy: DispatchPolicy | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """Results of consecutive runs ``first .. first+len-1``."""

    first: int
    completion: np.ndarray
    nations: np.ndarray
    breach: np.ndarray
    late: np.ndarray
    without: dict[str, np.ndarray]


def _execute(job: Job, real: Realization) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = job.model
    if job.engine == "fast":
        from contingent.risk.fast import run_fast

        o = run_fast(m, real)
        return o.completion, o.nations, o.breach
    from contingent.risk.reference import run_reference

    assert job.scenario is not None and job.plan is not None
    comp = np.empty(real.runs, np.int64)
    nat = np.full((real.runs, len(m.nations)), -NEVER, np.int64)
    breach = np.zeros((real.runs, len(m.soft_limits)), bool)
    for i in range(real.runs):
        r = run_reference(job.scenario, job.plan, m, real.row(i), job.policy)
        comp[i] = r.completion
        for n, t in r.nations.items():
            nat[i, m.nations.index(n)] = t
        breach[i] = r.breach
    return comp, nat, breach


def run_block(job: Job, first: int, count: int) -> Block:
    """Draw and execute runs ``first .. first+count-1`` (and each driver variant)."""
    sampler = Sampler(job.model, job.disruptions)
    real = sampler.draw(job.seed, first, count)
    comp, nat, breach = _execute(job, real)
    without = {s: _execute(job, real.without(s))[0] for s in job.drivers}
    return Block(first, comp, nat, breach, real.slip.sum(axis=1), without)


_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _pool_block(first: int, count: int) -> Block:
    assert _JOB is not None
    return run_block(_JOB, first, count)


def _blocks(runs: int, workers: int, engine: Engine) -> list[tuple[int, int]]:
    size = 4096 if engine == "fast" else 64
    size = max(1, min(size, math.ceil(runs / max(1, 4 * workers))))
    return [(a, min(size, runs - a)) for a in range(0, runs, size)]


def _run_all(job: Job, runs: int, workers: int, scheduler: str | None,
             progress: Callable[[int, int], None] | None) -> list[Block]:
    blocks = _blocks(runs, workers, job.engine)
    done = 0
    out: list[Block] = []

    def tick(b: Block) -> None:
        nonlocal done
        out.append(b)
        done += len(b.completion)
        if progress is not None:
            progress(done, runs)

    if scheduler is not None:
        from distributed import Client
        from distributed import as_completed as dask_completed

        log.info("sending %d blocks to the Dask scheduler at %s", len(blocks), scheduler)
        with Client(scheduler) as client:
            job_f = client.scatter(job, broadcast=True)
            futures = [client.submit(run_block, job_f, a, n, pure=False) for a, n in blocks]
            for fut in dask_completed(futures):
                tick(fut.result())
    elif workers <= 1 or len(blocks) == 1:
        for a, n in blocks:
            tick(run_block(job, a, n))
    else:
        log.info("running %d blocks on %d local processes", len(blocks), workers)
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=_init_worker, initargs=(job,)) as pool:
            futs = [pool.submit(_pool_block, a, n) for a, n in blocks]
            for f in as_completed(futs):
                tick(f.result())
    out.sort(key=lambda b: b.first)
    return out


# --- simulate -----------------------------------------------------------------------------


def simulate(
    scenario: Scenario,
    plan: Plan,
    *,
    runs: int = 1000,
    seed: int = 0,
    engine: Engine = "fast",
    workers: int | None = None,
    scheduler: str | None = None,
    policy: DispatchPolicy | str | None = None,
    drivers: bool = True,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> RiskResult:
    """Execute a plan ``runs`` times under the scenario's disruption model.

    Parameters
    ----------
    scenario, plan
        The operation (its ``disruptions`` section gives the model; none: nothing goes wrong)
        and a plan of one of its phases.
    runs, seed
        Number of runs and the seed; run ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``.
    engine
        ``fast`` (vectorized, default) or ``reference`` (SimPy).
    workers
        Local processes (1 runs in this process). Default: the CPU count, except that a
        fast simulation of at most 20,000 runs stays in this process.
    scheduler
        Address of a Dask scheduler; the runs then go to that cluster.
    policy
        Dispatch policy (default :class:`~contingent.risk.policy.PlanOrder`).
    drivers
        Also run every source switched off in turn, with the same random numbers.
    confidence
        Level of the interval on P(done by deadline).
    progress
        Called with (runs done, runs) as blocks finish.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if engine not in ("fast", "reference"):
        raise ValueError(f"unknown engine {engine!r} (fast or reference)")
    pol = get_policy(policy)
    model = compile_model(scenario, plan, pol)
    sampler = Sampler(model, scenario.disruptions)
    sources = sampler.sources
    job = Job(model=model, disruptions=scenario.disruptions, engine=engine, seed=seed,
              drivers=sources if drivers else (),
              scenario=scenario if engine == "reference" else None,
              plan=plan if engine == "reference" else None, policy=pol)
    if workers is None:
        # A pool costs about a second to start: not worth it for a short fast simulation.
        small = engine == "fast" and runs <= _IN_PROCESS_RUNS
        workers = 1 if small else (os.cpu_count() or 1)
    blocks = _run_all(job, runs, workers, scheduler, progress)
    comp = np.concatenate([b.completion for b in blocks])
    nat = np.concatenate([b.nations for b in blocks])
    breach = np.concatenate([b.breach for b in blocks])
    late = np.concatenate([b.late for b in blocks])
    without = {s: np.concatenate([b.without[s] for b in blocks]) for s in job.drivers}
    return _summarize(model, pol, engine, runs, seed, confidence, sources, comp, nat, breach,
                      late, without)


def _summarize(model: ExecModel, pol: DispatchPolicy, engine: str, runs: int, seed: int,
               confidence: float, sources: tuple[str, ...], comp: np.ndarray, nat: np.ndarray,
               breach: np.ndarray, late: np.ndarray,
               without: dict[str, np.ndarray]) -> RiskResult:
    dl = model.deadline
    beyond = comp >= model.horizon[1]

    def q(x: np.ndarray) -> dict[str, datetime]:
        v = np.minimum(np.quantile(x, list(QUANTILES.values()), method="inverted_cdf"),
                       model.horizon[1])
        return {k: model.time(int(t)) for k, t in zip(QUANTILES, v, strict=True)}

    def p_done(x: np.ndarray) -> float | None:
        return None if dl is None else float(np.mean((x <= dl) & (x < model.horizon[1])))

    p = p_done(comp)
    ci = None if dl is None else wilson(int(np.sum((comp <= dl) & ~beyond)), runs, confidence)
    med = float(np.median(comp))
    drivers = []
    for s, x in without.items():
        pw = p_done(x)
        drivers.append(Driver(s, None if p is None or pw is None else pw - p, pw,
                              med - float(np.median(x))))
    drivers.sort(key=lambda d: (-(d.effect or 0.0), -d.p50_shift_minutes, d.source))
    nations = {}
    for n_i, n in enumerate(model.nations):
        col = nat[:, n_i]
        if np.all(col == -NEVER):
            continue
        planned = model.planned_nations.get(n)
        nations[n] = NationRisk(n, None if planned is None else model.time(planned),
                                p_done(col), q(col))
    return RiskResult(
        scenario=model.scenario,
        phase=model.phase,
        engine=engine,
        policy=pol.name,
        runs=runs,
        seed=seed,
        epoch=model.epoch,
        deadline=None if dl is None else model.time(dl),
        planned_completion=None if model.planned_completion is None
        else model.time(model.planned_completion),
        p_by_deadline=p,
        p_by_deadline_ci=ci,
        confidence=confidence,
        completion_quantiles=q(comp),
        nations=nations,
        drivers=tuple(drivers),
        late_handover_facility_days=float(np.mean(late)) / 1440.0,
        breach_rate=float(np.mean(breach.any(axis=1))) if breach.shape[1] else 0.0,
        breaches={label: float(np.mean(breach[:, j]))
                  for j, label in enumerate(model.soft_limits)},
        beyond_horizon=int(np.sum(beyond)),
        sources=sources,
        completion_minutes=comp,
    )
