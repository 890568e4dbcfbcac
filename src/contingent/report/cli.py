"""Command-line commands ``contingent report`` and ``contingent export``.

Registered on the main typer app by :func:`register`. Bad input (unknown phase, unreadable
plan or risk file, a plan for another scenario) gives one located line on stderr and exit 2,
never a traceback; nothing is half-written.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from contingent.errors import InputError

if TYPE_CHECKING:
    from contingent.planfile import Plan
    from contingent.scenario.model import Scenario

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_NO_PLAN = 1
_PHASES = ("deployment", "withdrawal")
_FORMATS = ("csv", "xlsx", "geojson")


def _fail(exc: InputError) -> typer.Exit:
    for err in exc.all():
        typer.echo(str(err), err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _scenario_and_phase(scenario: str, phase: str) -> Scenario:
    from contingent.scenario import load_scenario

    if phase not in _PHASES:
        raise InputError(f"unknown phase {phase!r}: expected deployment or withdrawal",
                         file="<command line>", field="--phase")
    s = load_scenario(scenario)
    if phase not in s.operation.phases:
        raise InputError(f"the scenario has no {phase} phase", file=s.file,
                         field="operation.phases")
    return s


def _plan_for(s: Scenario, phase: str, plan_file: Path | None,
              time_limit: float | None) -> Plan:
    """Read the plan file (checked against the scenario and phase), or plan now."""
    if plan_file is not None:
        from contingent.planfile import read_plan

        p = read_plan(plan_file)
        if p.scenario and p.scenario != s.scenario:
            raise InputError(f"the plan is for scenario {p.scenario!r}, not {s.scenario!r}",
                             file=str(plan_file), field="scenario")
        if p.phase != phase:
            raise InputError(f"the plan is for the {p.phase} phase, not {phase}",
                             file=str(plan_file), field="phase")
        return p
    # The planner pulls in OR-Tools: import it only when planning.
    from contingent.plan import plan as make_plan  # type: ignore[attr-defined,unused-ignore]

    typer.echo(f"planning {s.scenario} {phase} (no --plan given) ...", err=True)
    return make_plan(s, phase, time_limit=time_limit)  # type: ignore[arg-type]


def report_command(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
    phase: Annotated[str, typer.Option("--phase", help="deployment or withdrawal.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for report.html and PNGs.")],
    plan_file: Annotated[Path | None, typer.Option(
        "--plan", help="Plan JSON file; without it the planner runs first.")] = None,
    risk_file: Annotated[Path | None, typer.Option(
        "--risk", help="Risk result JSON (from `contingent risk --out`).")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Planner time limit, seconds (without --plan).")] = None,
) -> None:
    """Write a self-contained HTML report with its pictures to a directory."""
    t0 = time.perf_counter()
    try:
        s = _scenario_and_phase(scenario, phase)
        if out.exists() and not out.is_dir():
            raise InputError("--out must be a directory, not a file", file=str(out))
        if not out.parent.is_dir():
            raise InputError("cannot write the report: no such parent directory",
                             file=str(out))
        risk = None
        if risk_file is not None:
            from contingent.report.riskfile import read_risk

            risk = read_risk(risk_file, start=s.window(phase).start)  # type: ignore[arg-type]
        p = _plan_for(s, phase, plan_file, time_limit)
    except InputError as exc:
        raise _fail(exc) from None

    import contingent.check as checker
    from contingent.report.html import write_report

    violations = [str(v) for v in checker.check(s, p)] if (p.sorties or p.road_moves) else None
    try:
        path = write_report(s, p, out, risk=risk, violations=violations)
    except OSError as exc:
        raise _fail(InputError(f"cannot write the report: {exc.strerror or exc}",
                               file=str(out))) from None
    pngs = sorted(x.name for x in out.glob("*.png"))
    typer.echo(f"report written to {path} with {len(pngs)} pictures "
               f"({time.perf_counter() - t0:.1f} s)")
    if not (p.sorties or p.road_moves):
        typer.echo(f"no plan ({p.status}): the report says why", err=True)
        raise typer.Exit(EXIT_NO_PLAN)


def export_command(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
    phase: Annotated[str, typer.Option("--phase", help="deployment or withdrawal.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or geojson.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    plan_file: Annotated[Path | None, typer.Option(
        "--plan", help="Plan JSON file; without it the planner runs first.")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Planner time limit, seconds (without --plan).")] = None,
) -> None:
    """Export a plan: sorties with manifests (CSV, XLSX) or a map layer (GeoJSON)."""
    try:
        if fmt not in _FORMATS:
            raise InputError(f"unknown format {fmt!r}: expected csv, xlsx or geojson",
                             file="<command line>", field="--format")
        s = _scenario_and_phase(scenario, phase)
        if out.is_dir():
            raise InputError("--out must be a file, not a directory", file=str(out))
        if not out.parent.is_dir():
            raise InputError("cannot write the export: no such directory", file=str(out))
        p = _plan_for(s, phase, plan_file, time_limit)
    except InputError as exc:
        raise _fail(exc) from None
    from contingent.report.export import export

    try:
        export(s, p, fmt, out)  # type: ignore[arg-type]
    except OSError as exc:
        raise _fail(InputError(f"cannot write the export: {exc.strerror or exc}",
                               file=str(out))) from None
    typer.echo(f"{fmt} written to {out}: {len(p.sorties)} sorties, {len(p.road_moves)} road moves")


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``export`` to the main command-line app."""
    app.command("report")(report_command)
    app.command("export")(export_command)


__all__ = ["export_command", "register", "report_command"]
