"""Planner benchmarks: CP-SAT planner, greedy list scheduler and time-indexed MIP side by side.

Run by hand (never in the test suite); results go to docs/benchmarks.md, section "Planner"::

    .venv/bin/python benchmarks/bench_planner.py                 # full suite, about 20 min
    .venv/bin/python benchmarks/bench_planner.py --only kaz gen-1e2 --no-write

Cases: kazakhstan-2022 (both phases) and generated scenarios (``contingent generate``) of about
10^2, 10^3, 10^4 and 10^5 sorties. Every run is a fresh subprocess, so peak memory is that
run's own (``ru_maxrss``) and a run can be stopped at a hard time or memory limit. Every plan
is checked with ``contingent.check``; a plan the checker rejects makes the script exit 1 after
writing the table, with the violations printed.

Targets (issue 6), on 2 cores:

1. kazakhstan-2022, each phase: proven optimal in under 2 s;
2. 10^4 sorties: within 1 % of the lower bound in under 30 s;
3. 10^5 sorties: within 2 % of the lower bound in under 120 s, peak memory under 4 GB;
4. at least 10 times faster than the time-indexed MIP at equal or better completion, on every
   size the MIP solves within 10 minutes (the MIP gets ``--mip-limit`` seconds here). The
   planner is an anytime method, so where the MIP returns a plan the planner runs once more
   with a tenth of the MIP's wall time as its limit; the faster of its two runs that is at
   least as good as the MIP's plan (and accepted by the checker) is compared.

Gap = (completion - lower bound) / (lower bound - phase start), in minutes; the lower bound of
a case is the best independent bound (the planner's, which holds for every plan).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Planner"
MEMORY_CAP_MB = 8192  # a run above this is stopped (the machine is shared)
LOADED = "#loaded"
# Runs of one case and phase, in table order: key -> label.
METHODS = {"planner": "planner", "tenth": "planner at MIP/10", "greedy": "greedy", "mip": "mip"}


@dataclass
class Case:
    key: str
    label: str
    phases: tuple[str, ...]
    scenario: str | None = None  # bundled name
    gen: tuple[int, int, int, int, int] | None = None  # units, airfields, aircraft, days, seed
    planner_limit: float = 30.0  # the planner's time_limit (its target time)
    hard_limit: float = 240.0  # wall seconds before a planner or greedy run is stopped
    mip_bucket: int | None = 15  # None: the MIP is not attempted
    mip_phases: tuple[str, ...] = ("deployment", "withdrawal")
    mip_max_arcs: int = 300_000
    results: list[dict[str, Any]] = field(default_factory=list)


CASES = [
    Case("kaz", "kazakhstan-2022", ("deployment", "withdrawal"), scenario="kazakhstan-2022",
         planner_limit=2.0, hard_limit=120.0, mip_bucket=15),
    Case("gen-1e2", "generated ~10^2", ("deployment", "withdrawal"), gen=(30, 8, 20, 4, 1),
         planner_limit=30.0, hard_limit=120.0, mip_bucket=30),
    Case("gen-1e3", "generated ~10^3", ("deployment", "withdrawal"), gen=(200, 16, 140, 6, 1),
         planner_limit=30.0, hard_limit=180.0, mip_bucket=30, mip_phases=("withdrawal",)),
    Case("gen-1e4", "generated ~10^4", ("deployment", "withdrawal"), gen=(2000, 50, 900, 9, 1),
         planner_limit=30.0, hard_limit=240.0, mip_bucket=60, mip_phases=("withdrawal",)),
    Case("gen-1e5", "generated ~10^5", ("withdrawal",), gen=(26000, 160, 4000, 27, 1),
         # The hard limit covers the checker too (about 50 s on 10^5 sorties).
         planner_limit=120.0, hard_limit=300.0, mip_bucket=60),
]


# --- child: one method on one scenario phase ------------------------------------------------


def _child(args: argparse.Namespace) -> int:
    """Run one method and print one JSON line (the parent reads it)."""
    from contingent.check import check
    from contingent.plan import build_problem
    from contingent.scenario import load_scenario

    s = load_scenario(args.scenario)
    print(LOADED, flush=True)  # the parent's clock for the hard limit starts here
    phase = args.phase
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, Any] = {"method": args.method}
    t = time.perf_counter()
    if args.method == "planner":
        from contingent.plan import plan

        pl = plan(s, phase, time_limit=args.limit, workers=2)
        out["status"] = pl.status
    elif args.method == "greedy":
        from contingent.plan.greedy import greedy
        from contingent.plan.mip import plan_from_legs

        p = build_problem(s, phase)
        # Variants start while the planner's time limit lasts (the first always runs to the
        # end); no improvement rounds: the plain list scheduler.
        legs = greedy(p, seconds=args.limit or None)
        seconds = time.perf_counter() - t
        if legs is None:
            out.update(status="stuck", seconds=seconds)
            print(json.dumps(out))
            return 0
        pl = plan_from_legs(p, legs)  # computes the bounds: not the greedy's time
        out["status"] = "heuristic"
    else:
        from contingent.plan.mip import solve_mip

        r = solve_mip(s, phase, bucket=args.bucket, time_limit=args.limit,
                      horizon=args.horizon, max_arcs=args.max_arcs)
        pl = r.plan
        out["status"] = r.stats.status
        out["mip"] = {"bucket": r.stats.bucket, "variables": r.stats.variables,
                      "integer": r.stats.integer_variables, "rows": r.stats.constraints,
                      "build_s": r.stats.build_seconds, "solve_s": r.stats.solve_seconds,
                      "bound_min": r.stats.objective_bound_minutes, "horizon": args.horizon,
                      "max_arcs": args.max_arcs}
    out["seconds"] = seconds if args.method == "greedy" else time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_before_mb"] = rss0
    start = s.window(phase).start
    if pl.lower_bound is not None:
        out["lb_min"] = (pl.lower_bound - start).total_seconds() / 60
    out["message"] = pl.message
    if pl.completion is not None:
        out["completion_min"] = (pl.completion - start).total_seconds() / 60
        out["sorties"] = len(pl.sorties)
        out["lifts"] = sum(1 for so in pl.sorties if so.kind == "lift")
        t = time.perf_counter()
        violations = check(s, pl)
        out["check_s"] = time.perf_counter() - t
        out["violations"] = len(violations)
        out["violation_lines"] = [str(v) for v in violations[:10]]
    print(json.dumps(out))
    return 0


# --- parent ------------------------------------------------------------------------------------


def _run(cmd: list[str], hard: float) -> dict[str, Any]:
    """Run a child with a wall-clock and memory limit; its JSON result or why it stopped."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    loaded: list[float] = []

    def read(stream: Any, into: list[str]) -> None:
        for line in stream:
            if line.strip() == LOADED:
                loaded.append(time.perf_counter())
            into.append(line)

    errors: list[str] = []
    readers = [threading.Thread(target=read, args=(proc.stdout, lines), daemon=True),
               threading.Thread(target=read, args=(proc.stderr, errors), daemon=True)]
    for r in readers:
        r.start()
    peak = 0.0
    stopped = ""
    while proc.poll() is None:
        time.sleep(0.5)
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        # The hard limit counts from the end of loading (a 10^5 scenario takes ~40 s).
        if loaded and time.perf_counter() - loaded[0] > hard:
            stopped = f"stopped {hard:.0f} s after loading"
        elif peak > MEMORY_CAP_MB:
            stopped = f"stopped at {peak:,.0f} MB resident"
        if stopped:
            proc.kill()
            break
    proc.wait()
    for r in readers:
        r.join()
    end = time.perf_counter()
    wall = end - (loaded[0] if loaded else t)
    if stopped:
        return {"status": "stopped", "note": stopped, "seconds": wall, "peak_rss_mb": peak,
                "load_s": (loaded[0] - t) if loaded else None}
    results = [ln for ln in lines if ln.startswith("{")]
    if proc.returncode != 0 or not results:
        tail = " | ".join(ln.strip() for ln in errors[-3:])
        return {"status": "crashed", "note": f"exit {proc.returncode}: {tail}", "seconds": wall,
                "peak_rss_mb": peak}
    out: dict[str, Any] = json.loads(results[-1])
    out["load_s"] = (loaded[0] - t) if loaded else None
    return out


def _scenario_file(case: Case, folder: Path) -> str:
    if case.scenario is not None:
        return case.scenario
    from contingent.generate import generate

    assert case.gen is not None
    path = folder / f"{case.key}.yaml"
    path.write_text(generate(*case.gen), encoding="utf-8")
    return str(path)


def _child_cmd(method: str, scenario: str, phase: str, limit: float, extra: list[str]
               ) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", method, scenario, phase,
            "--limit", str(limit), *extra]


def _bench_case(case: Case, folder: Path, mip_limit: float, log: Any) -> None:
    scenario = _scenario_file(case, folder)
    for phase in case.phases:
        row: dict[str, Any] = {"phase": phase}
        log(f"{case.label} {phase}: greedy")
        row["greedy"] = _run(_child_cmd("greedy", scenario, phase, case.planner_limit, []),
                             case.hard_limit)
        log(f"  {_short(row['greedy'])}")
        log(f"{case.label} {phase}: planner (time_limit {case.planner_limit:g} s)")
        row["planner"] = _run(_child_cmd("planner", scenario, phase, case.planner_limit, []),
                              case.hard_limit)
        log(f"  {_short(row['planner'])}")
        if case.mip_bucket is not None and phase in case.mip_phases:
            extra = ["--bucket", str(case.mip_bucket), "--max-arcs", str(case.mip_max_arcs)]
            g = row["greedy"].get("completion_min")
            if g is not None:
                # A time-indexed model needs a horizon: the greedy's makespan plus a quarter.
                extra += ["--horizon", str(math.ceil(1.25 * g))]
            log(f"{case.label} {phase}: MIP ({case.mip_bucket}-min buckets, {mip_limit:g} s)")
            row["mip"] = _run(_child_cmd("mip", scenario, phase, mip_limit, extra),
                              mip_limit + 600)
            log(f"  {_short(row['mip'])}")
            mip_s = row["mip"].get("seconds")
            if row["mip"].get("completion_min") is not None and mip_s:
                # Target 4 asks for equal or better completion in a tenth of the MIP's time:
                # the planner is an anytime method, so it gets exactly that as its limit.
                tenth = round(mip_s / 10, 1)
                log(f"{case.label} {phase}: planner (time_limit {tenth:g} s, a tenth of the "
                    "MIP's time)")
                row["tenth"] = _run(_child_cmd("planner", scenario, phase, tenth, []),
                                    case.hard_limit)
                row["tenth"]["limit"] = tenth
                log(f"  {_short(row['tenth'])}")
        case.results.append(row)


def _short(r: dict[str, Any]) -> str:
    c = r.get("completion_min")
    comp = f"completion {c / 60:.2f} h" if c is not None else "no plan"
    v = r.get("violations")
    checked = "" if v is None else ("checker OK" if v == 0 else f"CHECKER REJECTS ({v})")
    return (f"{r.get('status')} in {r.get('seconds', 0):.1f} s, {comp}, "
            f"{r.get('sorties', '-')} sorties, {r.get('peak_rss_mb', 0):,.0f} MB {checked} "
            f"{r.get('note', '')}").strip()


# --- report --------------------------------------------------------------------------------


def _lb(row: dict[str, Any]) -> float | None:
    """The case's lower bound: the best independent bound any run reported."""
    vals = [r["lb_min"] for m in METHODS
            if (r := row.get(m) or {}).get("lb_min") is not None]
    return max(vals) if vals else None


def _gap(r: dict[str, Any], lb: float | None) -> float | None:
    c = r.get("completion_min")
    if c is None or lb is None or lb <= 0:
        return None
    return (c - lb) / lb


def _h(m: float | None) -> str:
    return "-" if m is None else f"{m / 60:.2f}"


def _verdict(r: dict[str, Any]) -> str:
    v = r.get("violations")
    if v is None:
        return "-"
    return "accepted" if v == 0 else f"**REJECTED ({v})**"


def _method_status(m: str, r: dict[str, Any]) -> str:
    st = str(r.get("status", "-"))
    if m == "tenth":
        st += f" (`time_limit={r.get('limit', 0):g}`)"
    if m == "mip" and "mip" in r:
        st += (f" (over {r['mip']['max_arcs']:,} flight arcs, not built)"
               if st == "too-large" else f" ({r['mip']['variables']:,} vars)")
    if r.get("note"):
        st += f": {r['note']}"
    return st


def _table(cases: list[Case]) -> list[str]:
    out = ["| case | phase | method | status | plan time (s) | completion (h) | lower bound (h) "
           "| gap | sorties | peak memory (MB) | checker |",
           "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for case in cases:
        for row in case.results:
            lb = _lb(row)
            for m in METHODS:
                r = row.get(m)
                if r is None:
                    continue
                g = _gap(r, lb)
                out.append(
                    f"| {case.label} | {row['phase']} | {METHODS[m]} | {_method_status(m, r)} | "
                    f"{r.get('seconds', 0):.1f} | {_h(r.get('completion_min'))} | {_h(lb)} | "
                    f"{'-' if g is None else f'{100 * g:.1f} %'} | {r.get('sorties', '-')} | "
                    f"{r.get('peak_rss_mb', 0):,.0f} | {_verdict(r)} |")
    return out


def _targets(cases: list[Case], mip_limit: float) -> list[str]:
    by = {c.key: c for c in cases}
    lines = []

    def row(key: str, phase: str) -> dict[str, Any] | None:
        c = by.get(key)
        if c is None:
            return None
        return next((r for r in c.results if r["phase"] == phase), None)

    for phase in ("deployment", "withdrawal"):
        r = row("kaz", phase)
        if r is None:
            continue
        p = r["planner"]
        ok = p.get("status") == "optimal" and p.get("seconds", 1e9) < 2 and p.get(
            "violations") == 0
        lines.append(f"- kazakhstan-2022 {phase}, proven optimal in under 2 s: "
                     f"**{'met' if ok else 'not met'}** ({p.get('status')} in "
                     f"{p.get('seconds', 0):.1f} s, gap {_pct(_gap(p, _lb(r)))})")
    for key, phase, pct, secs, mem in (("gen-1e4", "withdrawal", 1, 30, None),
                                       ("gen-1e5", "withdrawal", 2, 120, 4000)):
        r = row(key, phase)
        if r is None:
            continue
        p = r["planner"]
        g = _gap(p, _lb(r))
        ok = (g is not None and g <= pct / 100 and p.get("seconds", 1e9) < secs
              and p.get("violations") == 0
              and (mem is None or p.get("peak_rss_mb", 1e9) < mem))
        size = "10^4" if key == "gen-1e4" else "10^5"
        mem_txt = f", peak memory under {mem / 1000:.0f} GB" if mem else ""
        got = (f"{p.get('status')} in {p.get('seconds', 0):.1f} s, gap {_pct(g)}, "
               f"{p.get('sorties', '-')} sorties, {p.get('peak_rss_mb', 0):,.0f} MB")
        if p.get("note"):
            got += f"; {p['note']}"
        lines.append(f"- {size} sorties, within {pct} % of the lower bound in under {secs} s"
                     f"{mem_txt}: **{'met' if ok else 'not met'}** ({got})")
    solved, judged = [], []
    for c in cases:
        for r in c.results:
            mip, p = r.get("mip"), r["planner"]
            if not mip:
                continue
            name = f"{c.label} {r['phase']}"
            if mip.get("completion_min") is None:
                judged.append(f"{name}: the MIP found no plan ({mip.get('status')}"
                              + (f", {mip['note']}" if mip.get("note") else "") + ")")
                continue
            # The faster of the planner's runs that is at least as good as the MIP's plan:
            # the full-limit run, or the one limited to a tenth of the MIP's time.
            mc, ms = mip["completion_min"], mip.get("seconds", 0)
            runs = [x for x in (p, r.get("tenth")) if x and x.get("violations") == 0
                    and x.get("completion_min") is not None]
            good = [x for x in runs if x["completion_min"] <= mc]
            best = min(good, key=lambda x: x.get("seconds", 1e9)) if good else p
            pc, ps = best.get("completion_min"), best.get("seconds", 1e9)
            ok = bool(good) and ps * 10 <= ms
            which = (f"planner with `time_limit={best['limit']:g}`" if best.get("limit")
                     else "planner")
            txt = (f"{which} {ps:.1f} s vs MIP {ms:.1f} s ({ms / max(ps, 1e-9):.1f}x), "
                   f"completion {_h(pc)} h vs {_h(mc)} h")
            if mip.get("status") != "optimal":
                judged.append(f"{name}: MIP not solved within {mip_limit:g} s "
                              f"({mip.get('status')}; its plan {_h(mc)} h); {txt}")
                continue
            solved.append(ok)
            judged.append(f"{name}: {txt}: {'met' if ok else 'not met'}")
    if judged:
        verdict = ("met" if solved and all(solved) else "not met" if solved else
                   "not established")
        within = ("the target's 10 min" if mip_limit >= 600
                  else f"here {mip_limit:g} s, less than the target's 10 min")
        lines.append(f"- at least 10x faster than the time-indexed MIP at equal or better "
                     f"completion, on every size the MIP solves within {within}: "
                     f"**{verdict}**")
        lines += [f"  - {j}" for j in judged]
    return lines


def _pct(g: float | None) -> str:
    return "-" if g is None else f"{100 * g:.2f} %"


def _machine() -> str:
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f"{kb / 1024 ** 2:.0f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import ortools

    return (f"{os.cpu_count()} cores ({cpu}), {mem} RAM, shared with other work; "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"OR-Tools {ortools.__version__} (HiGHS through MathOpt)")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _section(cases: list[Case], args: argparse.Namespace, started: datetime, wall: float
             ) -> str:
    sizes = []
    for c in cases:
        what = c.scenario or ("contingent generate --units {} --airfields {} --aircraft {} "
                              "--days {} --seed {}".format(*c.gen or ()))
        sizes.append(f"- {c.label}: `{what}`; phases {', '.join(c.phases)}; planner "
                     f"`time_limit={c.planner_limit:g}`, runs (checker included) stopped after "
                     f"{c.hard_limit:g} s; MIP "
                     + (f"{c.mip_bucket}-minute buckets, at most {c.mip_max_arcs:,} flight "
                        f"arcs, phases {', '.join(x for x in c.phases if x in c.mip_phases)}"
                        if c.mip_bucket else "not attempted"))
    lines = [
        HEADING,
        "",
        f"Measured {started:%Y-%m-%d} (UTC) at commit `{args.commit}` with",
        "",
        "```",
        " ".join([".venv/bin/python", "benchmarks/bench_planner.py", *args.argv]).strip(),
        "```",
        "",
        f"Machine: {_machine()}. The whole run took {wall / 60:.1f} min.",
        "",
        "### Targets (issue 6)",
        "",
        *_targets(cases, args.mip_limit),
        "",
        "### Results",
        "",
        *_table(cases),
        "",
        "### How it is measured",
        "",
        "- Each run is its own process: plan time is the wall time of the call (problem, "
        "bounds, heuristics, model, solve and plan); peak memory is that process's maximum "
        "resident set (`ru_maxrss`, including the Python interpreter and the loaded "
        "scenario), or the largest resident size seen before a run was stopped.",
        "- Planner: `contingent.plan.plan(scenario, phase, time_limit=..., workers=2)`. "
        "Greedy: the planner's list scheduler (`contingent.plan.greedy.greedy`) on its own, "
        "starting variants while the planner's time limit lasts (the first always runs to the "
        "end), without improvement rounds and without the fleet-work LP's guide (so no "
        "guided variants; the paced ones need no LP and do run). "
        f"MIP: `contingent.plan.mip.solve_mip`, the time-expanded formulation solved by HiGHS "
        f"with a {args.mip_limit:g} s limit (building the model not counted in it, but in "
        "the plan time), its horizon set to 1.25 times the greedy's makespan; its "
        "departures lie on bucket starts, so it solves a restriction of the real problem. "
        "Planner at MIP/10: the planner again, with a tenth of the MIP's wall time (plan "
        "time above) as its `time_limit`; for target 4 the faster of the two planner runs "
        "whose plan is at least as good as the MIP's counts, with its own measured wall "
        "time.",
        "- Lower bound: the best independent bound (valid for every plan); gap = (completion "
        "- bound) / (bound - phase start). Completion and bound are hours after the phase "
        "start. `optimal` for the planner and in the table means completion equals that "
        "bound; the MIP's `optimal` means optimal among bucket-aligned plans.",
        "- Every plan is checked with `contingent.check.check`; the script exits 1 when the "
        "checker rejects one.",
        "",
        "Cases:",
        "",
        *sizes,
        "",
    ]
    for c in cases:
        if not any(r[m].get("sorties") for r in c.results for m in ("planner", "greedy", "mip")
                   if r.get(m)):
            lines.append(f"- {c.label}: no run produced a plan, so its sortie count is not "
                         "measured; the size is the generator's demand scaled with aircraft "
                         "and days from the smaller cases.")
        loads = [r[m]["load_s"] for r in c.results for m in ("planner", "greedy", "mip")
                 if r.get(m) and r[m].get("load_s") is not None]
        if loads:
            lines.append(f"- {c.label}: loading the scenario took {min(loads):.1f} s "
                         "(not counted in plan time).")
    for c in cases:
        for r in c.results:
            mip = r.get("mip") or {}
            if "mip" in mip and mip.get("status") != "too-large":
                mm = mip["mip"]
                lines.append(
                    f"- MIP model, {c.label} {r['phase']}: {mm['variables']:,} variables "
                    f"({mm['integer']:,} integer), {mm['rows']:,} rows, built in "
                    f"{mm['build_s']:.1f} s, HiGHS {mm['solve_s']:.1f} s, horizon "
                    f"{_h(mm['horizon'])} h, HiGHS bound for bucket-aligned plans "
                    f"{_h(mm['bound_min'])} h.")
    return "\n".join(lines).rstrip() + "\n"


def _write(section: str) -> None:
    """Replace the Planner section of docs/benchmarks.md (re-read now), keep the rest."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == HEADING), None)
    if start is None:
        body = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        body = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    DOC.write_text(body, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3, metavar=("METHOD", "SCENARIO", "PHASE"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=float, default=30.0, help=argparse.SUPPRESS)
    ap.add_argument("--bucket", type=int, default=15, help=argparse.SUPPRESS)
    ap.add_argument("--horizon", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--max-arcs", type=int, default=300_000, help=argparse.SUPPRESS)
    ap.add_argument("--only", nargs="+", choices=[c.key for c in CASES],
                    help="run only these cases")
    ap.add_argument("--mip-limit", type=float, default=75.0,
                    help="HiGHS time limit per MIP run, seconds (default 75)")
    ap.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    ap.add_argument("--json", type=Path, help="also save the raw results here")
    ap.add_argument("--render", type=Path, metavar="JSON",
                    help="do not run: write the section from results saved with --json")
    args = ap.parse_args()
    if args.child:
        args.method, args.scenario, args.phase = args.child
        return _child(args)
    args.argv = sys.argv[1:]
    cases = [c for c in CASES if not args.only or c.key in args.only]
    if args.render:
        saved = json.loads(args.render.read_text())
        args.argv, args.mip_limit = saved["argv"], saved["mip_limit"]
        by_key = {c["key"]: c["results"] for c in saved["cases"]}
        cases = [c for c in CASES if c.key in by_key]
        for c in cases:
            c.results = by_key[c.key]
        started, wall = datetime.fromisoformat(saved["started"]), saved["wall"]
        args.commit = saved["commit"]
    else:
        started = datetime.now(UTC)
        args.commit = _commit()
        t0 = time.perf_counter()

        def log(msg: str) -> None:
            print(f"[{time.perf_counter() - t0:6.0f} s] {msg}", flush=True)

        with tempfile.TemporaryDirectory(prefix="contingent-bench-") as tmp:
            for case in cases:
                _bench_case(case, Path(tmp), args.mip_limit, log)
        wall = time.perf_counter() - t0
        if args.json:
            args.json.write_text(json.dumps({
                "argv": args.argv, "mip_limit": args.mip_limit, "started": started.isoformat(),
                "wall": wall, "commit": args.commit,
                "cases": [{"key": c.key, "results": c.results} for c in cases]}, indent=1))
    section = _section(cases, args, started, wall)
    print()
    print(section)
    if not args.no_write:
        _write(section)
        print(f"wrote the {HEADING!r} section of {DOC}")
    rejected = [(c.label, r["phase"], m, res) for c in cases for r in c.results
                for m, res in r.items() if isinstance(res, dict) and res.get("violations")]
    if rejected:
        print("\nTHE CHECKER REJECTED PLANS:", file=sys.stderr)
        for label, phase, m, res in rejected:
            print(f"  {label} {phase} {m}: {res['violations']} violations", file=sys.stderr)
            for line in res["violation_lines"]:
                print(f"    {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
