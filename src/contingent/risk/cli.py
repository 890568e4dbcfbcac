"""``contingent risk``: the odds that a plan is done by its deadline, and why it may not be."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contingent.cli_common import PhaseName
from contingent.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

    from contingent.risk.simulate import RiskResult

log = logging.getLogger(__name__)



class EngineName(StrEnum):
    """Engine choices."""

    fast = "fast"
    reference = "reference"


_SOURCE_LABEL = {
    "weather": "weather closures",
    "sortie-abort": "sortie aborts",
    "technical-delay": "technical delays",
    "aircraft-unserviceable": "aircraft unserviceable",
    "handover-slip": "handover slips",
}


def _when(t: datetime | None) -> str:
    return "-" if t is None else t.strftime("%d %b %H:%M")


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{100 * p:.1f}%"


def risk_summary(r: RiskResult) -> list[Any]:
    """What ``contingent risk`` prints: headline, nations table, drivers table."""
    out: list[Any] = []
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Runs", f"{r.runs:,} (seed {r.seed}, {r.engine} engine, {r.policy} dispatch)")
    head.add_row("Planned completion", _when(r.planned_completion))
    head.add_row("Deadline", _when(r.deadline))
    if r.p_by_deadline is not None and r.p_by_deadline_ci is not None:
        lo, hi = r.p_by_deadline_ci
        head.add_row("P(done by deadline)",
                     f"{_pct(r.p_by_deadline)} ({100 * r.confidence:.0f}% interval "
                     f"{_pct(lo)} - {_pct(hi)})")
    q = r.completion_quantiles
    head.add_row("Completion", f"P10 {_when(q['p10'])}   P50 {_when(q['p50'])}   "
                               f"P90 {_when(q['p90'])}")
    head.add_row("Late handovers", f"{r.late_handover_facility_days:.2f} facility-days expected")
    if r.breach_rate:
        head.add_row("Windows passed", f"{_pct(r.breach_rate)} of runs pass the end of an "
                                       "order window or a fleet's availability:")
        for label, rate in r.breaches.items():
            if rate:
                head.add_row("", f"{_pct(rate)}  {label}")
    if r.beyond_horizon:
        head.add_row("Beyond horizon", f"{r.beyond_horizon} runs (counted as not done)")
    out.append(head)
    if r.nations:
        t = Table(title="Per nation", box=box.SIMPLE, title_justify="left")
        for col in ("Nation", "Planned", "P50", "P90", "P(by deadline)"):
            t.add_column(col, justify="right" if col.startswith("P(") else "left")
        for n, nr in r.nations.items():
            t.add_row(n, _when(nr.planned), _when(nr.quantiles["p50"]),
                      _when(nr.quantiles["p90"]), _pct(nr.p_by_deadline))
        out.append(t)
    if r.drivers:
        t = Table(title="Drivers (each source switched off in turn, same random numbers)",
                  box=box.SIMPLE, title_justify="left")
        for col in ("#", "Source", "P(by deadline) without", "Effect", "Median later by"):
            t.add_column(col, justify="left" if col == "Source" else "right")
        for i, d in enumerate(r.drivers, 1):
            eff = "-" if d.effect is None else f"{100 * d.effect:+.1f} pp"
            t.add_row(str(i), _SOURCE_LABEL.get(d.source, d.source), _pct(d.p_without), eff,
                      f"{d.p50_shift_minutes / 60:.1f} h")
        out.append(t)
    elif not r.sources:
        out.append("The scenario has no disruptions: every run is the plan itself.")
    return out


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write JSON so that a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def register(app: typer.Typer) -> None:
    """Add the ``risk`` command to the application."""

    @app.command("risk")
    def risk_command(
        scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
        phase: Annotated[PhaseName, typer.Option("--phase", help="Which phase to simulate.")],
        plan_file: Annotated[
            Path | None,
            typer.Option("--plan", help="Plan JSON file; without it the phase is planned first."),
        ] = None,
        runs: Annotated[int, typer.Option("--runs", min=1, help="Number of runs.")] = 10_000,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
        workers: Annotated[
            int | None,
            typer.Option("--workers", min=1, help="Local worker processes (default: CPUs)."),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."),
        ] = None,
        engine: Annotated[
            EngineName, typer.Option("--engine", help="fast (vectorized) or reference (SimPy).")
        ] = EngineName.fast,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the result to this JSON file.")
        ] = None,
        drivers: Annotated[
            bool, typer.Option("--drivers/--no-drivers", help="Rank the disruption sources.")
        ] = True,
    ) -> None:
        """Run a plan many times under the scenario's disruptions: P(done by deadline), drivers."""
        from contingent.cli import EXIT_BAD_INPUT, EXIT_NO_PLAN, _input_errors, _load

        s = _load(scenario)
        err = Console(stderr=True, highlight=False)
        with _input_errors():
            if phase.value not in s.operation.phases:
                raise InputError(f"the scenario has no {phase.value} phase", file=s.file,
                                 field="operation.phases")
            if out is not None and not out.parent.is_dir():
                raise InputError("cannot write the result: no such directory", file=str(out))
            if plan_file is not None:
                from contingent.cli import _plan_matches
                from contingent.planfile import read_plan

                p = read_plan(plan_file)
                _plan_matches(s, p, plan_file)
                if p.phase != phase.value:
                    raise InputError(f"the plan is for the {p.phase} phase, not {phase.value}",
                                     file=str(plan_file), field="phase")
        if plan_file is None:
            from contingent.plan import plan as make_plan  # type: ignore[attr-defined,unused-ignore]

            with err.status(f"planning {s.scenario} {phase.value}"):
                p = make_plan(s, phase.value)
            if p.completion is None:
                err.print(f"no plan for {phase.value}: {p.message or p.status}")
                raise typer.Exit(EXIT_NO_PLAN)
        from contingent.risk.model import PlanNotExecutable
        from contingent.risk.simulate import simulate

        progress = Progress(
            TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        )
        task = progress.add_task("runs", total=runs)
        try:
            with progress:
                result = simulate(
                    s, p, runs=runs, seed=seed, engine=engine.value,  # type: ignore[arg-type]
                    workers=workers, scheduler=scheduler, drivers=drivers,
                    progress=lambda done, total: progress.update(task, completed=done),
                )
        except PlanNotExecutable as exc:
            typer.echo(f"{plan_file or s.file}: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            typer.echo(f"--scheduler {scheduler}: cannot reach the cluster: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        con = Console(highlight=False)
        con.print(f"[bold]{s.scenario} {phase.value}[/bold]")
        for part in risk_summary(result):
            con.print(part)
        if out is not None:
            with _input_errors():
                try:
                    write_json_atomic(result.to_dict(s.operation.tz), out)
                except OSError as exc:
                    raise InputError(f"cannot write the result: {exc.strerror or exc}",
                                     file=str(out)) from None
            con.print(f"risk written to {out}", soft_wrap=True)
