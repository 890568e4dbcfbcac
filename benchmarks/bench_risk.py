"""Benchmarks of the risk simulation on the kazakhstan-2022 withdrawal.

Run by hand (never in the test suite); results go to docs/benchmarks.md, section "Risk"::

    .venv/bin/python benchmarks/bench_risk.py                # plans first (minutes)
    .venv/bin/python benchmarks/bench_risk.py --plan PLAN.json

Targets (issue 3):

1. the fast engine runs 100,000 runs in under 10 s on 2 cores;
2. it is at least 50 times faster per run than the reference engine, side by side;
3. two Dask workers reach at least 80% parallel efficiency on 200,000 runs.

Each figure is the median of ``--repeat`` measurements; the ratio and the efficiency are
computed from medians measured in the same run of this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from contingent.planfile import Plan, read_plan, write_plan
from contingent.risk import simulate
from contingent.scenario import Scenario, load_scenario


def _plan(s: Scenario, path: Path | None) -> Plan:
    if path is not None and path.exists():
        return read_plan(path)
    from contingent.plan import plan  # type: ignore[attr-defined,unused-ignore]

    t = time.perf_counter()
    p = plan(s, "withdrawal")
    print(f"planned in {time.perf_counter() - t:.0f} s: {p.status}, completion {p.completion}")
    if path is not None:
        write_plan(p, path, tz=s.operation.tz)
    return p


def _median(f, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", type=Path, help="plan file (written there if missing)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--dask-runs", type=int, default=200_000)
    ap.add_argument("--ref-runs", type=int, default=200)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()

    s = load_scenario("kazakhstan-2022")
    p = _plan(s, args.plan)
    print(f"kazakhstan-2022 withdrawal: {len(p.sorties)} sorties, {len(p.road_moves)} road moves")
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load average {os.getloadavg()}")
    print(f"date: {datetime.now(UTC).isoformat(timespec='minutes')}")
    results: dict[str, float] = {}

    # 1. 100,000 runs: in one process, then on a local process pool of 2, with and without
    #    the drivers.
    med, times = _median(lambda: simulate(s, p, runs=args.runs, seed=1, workers=1,
                                          drivers=False), args.repeat)
    results[f"fast_{args.runs}_workers1"] = med
    print(f"[1] fast, {args.runs:,} runs, 1 process, drivers off: median {med:.2f} s "
          f"({_fmt(times)})")
    for drivers in (False, True):
        med, times = _median(lambda d=drivers: simulate(  # type: ignore[misc]
            s, p, runs=args.runs, seed=1, workers=2, drivers=d), args.repeat)
        key = f"fast_{args.runs}_workers2" + ("_drivers" if drivers else "")
        results[key] = med
        print(f"[1] fast, {args.runs:,} runs, 2 processes, drivers {'on' if drivers else 'off'}:"
              f" median {med:.2f} s ({_fmt(times)})")
    r = simulate(s, p, runs=args.runs, seed=1, workers=2)
    print(f"    P(done by deadline) {r.p_by_deadline:.4f} CI {r.p_by_deadline_ci}, "
          f"P50 {r.completion_quantiles['p50']}, P90 {r.completion_quantiles['p90']}")
    print("    drivers: " + ", ".join(f"{d.source} {d.effect:+.4f}" for d in r.drivers))

    # 2. Per-run speed, side by side, one process each, drivers off.
    n_fast = 20_000
    med_f, times_f = _median(lambda: simulate(s, p, runs=n_fast, seed=2, workers=1,
                                              drivers=False), args.repeat)
    med_r, times_r = _median(lambda: simulate(s, p, runs=args.ref_runs, seed=2, workers=1,
                                              drivers=False, engine="reference"), args.repeat)
    per_f, per_r = med_f / n_fast, med_r / args.ref_runs
    results["ratio"] = per_r / per_f
    print(f"[2] per run, one process: fast {per_f * 1e6:.1f} us ({n_fast:,} runs: "
          f"{_fmt(times_f)} s), reference {per_r * 1e3:.2f} ms ({args.ref_runs} runs: "
          f"{_fmt(times_r)} s); ratio {per_r / per_f:.0f}x")

    # 3. Dask parallel efficiency on 2 workers.
    if not args.skip_dask:
        from distributed import Client, LocalCluster

        def dask_time(n_workers: int) -> tuple[float, list[float], float]:
            with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                # warm the workers (imports) before timing
                simulate(s, p, runs=2000, seed=0, scheduler=cluster.scheduler_address,
                         drivers=False)
                cpu0 = client.run(time.process_time)
                med, times = _median(lambda: simulate(s, p, runs=args.dask_runs, seed=3,
                                                      scheduler=cluster.scheduler_address,
                                                      drivers=False), args.repeat)
                cpu1 = client.run(time.process_time)
                cpu = sum(cpu1[w] - cpu0[w] for w in cpu1) / args.repeat
                return med, times, cpu

        t1, times1, c1 = dask_time(1)
        t2, times2, c2 = dask_time(2)
        eff = t1 / (2 * t2)
        results["dask_efficiency"] = eff
        print(f"[3] Dask, {args.dask_runs:,} runs: 1 worker {t1:.2f} s ({_fmt(times1)}), "
              f"2 workers {t2:.2f} s ({_fmt(times2)}); efficiency {100 * eff:.0f}%")
        print(f"    worker CPU per simulation: 1 worker {c1:.2f} s, 2 workers {c2:.2f} s in all "
              f"(CPU-time efficiency {100 * c1 / c2:.0f}%); load average {os.getloadavg()}")

    ok1 = results[f"fast_{args.runs}_workers2"] < 10
    ok2 = results["ratio"] >= 50
    print(f"target 1 (< 10 s): {'met' if ok1 else 'NOT met'}; "
          f"target 2 (>= 50x): {'met' if ok2 else 'NOT met'}"
          + ("" if args.skip_dask else
             f"; target 3 (>= 80%): {'met' if results['dask_efficiency'] >= 0.8 else 'NOT met'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
