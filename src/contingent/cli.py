"""The command line: ``contingent scenarios | validate | sources | plan | check``.

A thin shell over the library: each command loads its input with the library, calls one
library function and prints the result for a person. Bad input never shows a traceback: every
located error goes to stderr on its own line (``FILE:LINE: FIELD: message``) and the exit code
is 2. Exit codes: 0 ok, 1 no plan or a plan that breaks rules, 2 bad input.
"""

from __future__ import annotations

import csv
import inspect
import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from contingent import __version__
from contingent.cli_common import PhaseName
from contingent.errors import InputError
from contingent.scenario import Scenario, bundled_scenarios, load_scenario

if TYPE_CHECKING:
    from contingent.planfile import Plan

EXIT_OK = 0
EXIT_NO_PLAN = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="contingent",
    help="Plan and verify multinational peacekeeping airlift deployments and withdrawals.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback is for bugs; bad input is reported as located one-line errors instead.
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    """Output formats of ``sources``."""

    table = "table"
    csv = "csv"


def _console(stderr: bool = False) -> Console:
    # Built per call so that COLUMNS, NO_COLOR and TERM are read when the command runs.
    return Console(stderr=stderr, highlight=False)


@contextmanager
def _input_errors() -> Iterator[None]:
    """Turn an :class:`InputError` into its located lines on stderr and exit code 2."""
    try:
        yield
    except InputError as exc:
        for err in exc.all():
            typer.echo(str(err), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _load(scenario: str) -> Scenario:
    with _input_errors():
        return load_scenario(scenario)


@contextmanager
def _spinner(console: Console, text: str, delay: float = 1.0,
             seconds: float | None = None) -> Iterator[Callable[[str], None]]:
    """Show progress on a terminal if the work inside takes longer than ``delay`` seconds.

    With ``seconds`` (the work's time limit) it is a bar filling over that time, else a
    spinner. Yields a function that sets the current stage (a no-op off a terminal).
    """
    if not console.is_terminal:
        yield lambda _text: None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                   *([BarColumn(), TextColumn(f"of {seconds:g} s")] if seconds else []),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task(text, total=seconds)
    lock = threading.Lock()
    state = {"started": False, "done": False}
    began = time.monotonic()

    def tick() -> None:
        # Fill the bar with the time spent, and keep doing so until the work is done.
        with lock:
            if state["done"]:
                return
            if not state["started"]:
                bar.start()
                state["started"] = True
            bar.update(task, completed=min(seconds or 0, time.monotonic() - began))
        nxt = threading.Timer(0.25, tick)
        nxt.daemon = True
        nxt.start()

    timer = threading.Timer(delay, tick)
    timer.daemon = True
    timer.start()
    try:
        yield lambda stage: bar.update(task, description=f"{text}: {stage}")
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
            if state["started"]:
                bar.stop()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"contingent {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="Log progress (-v) or details (-vv)."),
    ] = 0,
) -> None:
    """Plan and verify multinational peacekeeping airlift deployments and withdrawals."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


# --- scenarios, validate, sources ---------------------------------------------------------


@app.command()
def scenarios() -> None:
    """List the bundled scenarios (name, title, file)."""
    out = _console()
    found = bundled_scenarios()
    if not found:
        out.print("no bundled scenarios")
        return
    table = Table("name", "title", "file", box=box.SIMPLE_HEAD)
    for name, path in sorted(found.items()):
        try:
            title = load_scenario(path).title
        except InputError as exc:
            title = f"(invalid: {exc})"
        table.add_row(name, title, path.name)
    out.print(table)
    folder = next(iter(found.values())).parent
    out.print(f"bundled scenarios are in {folder}", soft_wrap=True)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def scenario_summary(s: Scenario) -> str:
    """One line of counts that tells a user what was loaded."""
    personnel = sum(u.personnel for u in s.units)
    vehicles = sum(sum(u.vehicles.values()) for u in s.units)
    aircraft = sum(f.count for f in s.fleets)
    reported = sum(1 for f in s.figures if f.kind == "reported")
    return (
        f"{_plural(len(s.units), 'unit')} of {_plural(len(s.nations), 'nation')} "
        f"({_plural(personnel, 'person', 'personnel')}, {_plural(vehicles, 'vehicle')}), "
        f"{_plural(len(s.fleets), 'fleet')} of {_plural(aircraft, 'aircraft', 'aircraft')}, "
        f"{_plural(len(s.airfields), 'airfield')}, "
        f"{_plural(len(s.facilities), 'facility', 'facilities')}, "
        f"{_plural(len(s.rules), 'rule')}, phases {', '.join(s.operation.phases)}; "
        f"{_plural(len(s.figures), 'figure')} "
        f"({reported:,} reported, {len(s.figures) - reported:,} assumed)"
    )


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
) -> None:
    """Load and validate a scenario; print every located error, or OK with counts."""
    s = _load(scenario)
    _console().print(f"OK {scenario}: {scenario_summary(s)}", soft_wrap=True)


@app.command()
def sources(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
    assumed_only: Annotated[
        bool, typer.Option("--assumed-only", help="Show only the assumed figures.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Show where every figure of a scenario comes from: a reported source or an assumption."""
    s = _load(scenario)
    figures = [f for f in s.figures if not assumed_only or f.kind == "assumed"]
    reported = sum(1 for f in s.figures if f.kind == "reported")
    count = (
        f"{len(s.figures)} figures: {reported} reported, {len(s.figures) - reported} assumed"
    )
    if assumed_only:
        count += f" (showing the {len(figures)} assumed)"
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["field", "value", "kind", "source_or_reason", "line"])
        for f in figures:
            writer.writerow([f.path, f.value, f.kind, f.provenance, f.line or ""])
        # The count goes to stderr so that stdout stays plain CSV.
        typer.echo(count, err=True)
        return
    out = _console()
    # Fixed widths: rich would cut a long field path with an ellipsis, and a path is what a
    # user greps for. The reasons wrap into the width left (26 columns or more).
    line_w = max([4, *(len(str(f.line)) for f in figures)])
    value_w = min(25, max([5, *(len(str(f.value)) for f in figures)]))
    kind_w = 8
    # Five columns: padding of 1 each side, and six edges and separators.
    room = out.width - 2 * 5 - 6 - line_w - value_w - kind_w
    field_w = min(max([5, *(len(f.path) for f in figures)]), max(20, room - 26))
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("line", justify="right", no_wrap=True, width=line_w)
    table.add_column("field", overflow="fold", width=field_w)
    table.add_column("value", overflow="fold", width=value_w)
    table.add_column("kind", no_wrap=True, width=kind_w)
    table.add_column("source or reason", width=max(10, room - field_w))
    previous = None
    for f in figures:
        # An object-level source covers many figures in a row: say it once, then ditto.
        said = (f.kind, f.provenance)
        reason = '"' if said == previous else f.provenance
        previous = said
        table.add_row(str(f.line or ""), f.path, str(f.value), f.kind, reason)
    out.print(table)
    if s.sources:
        register = Table("source", "description", box=box.SIMPLE_HEAD, title="declared sources")
        for sid, text in s.sources.items():
            register.add_row(sid, str(text))
        out.print(register)
    out.print(count, soft_wrap=True)


# --- plan and check -----------------------------------------------------------------------


def _when(t: datetime | None, tz: tzinfo) -> str:
    return "-" if t is None else t.astimezone(tz).strftime("%a %d %b %H:%M")


def _day_label(d: date) -> str:
    return d.strftime("%a %d %b")


def _hours(minutes: int) -> str:
    return f"{minutes:,} min ({minutes / 60:.1f} h)"


def departures_table(s: Scenario, plan: Plan) -> Table | None:
    """Departures per day per airfield and per cap group, against their daily caps.

    Days are theatre days, except for an airfield with its own time zone, whose cap counts
    its own local days (as the checker does).
    """
    if not plan.sorties:
        return None
    theatre = s.operation.tz
    local: Counter[tuple[str, date]] = Counter(
        (so.origin, so.departure.astimezone(s.tz(so.origin)).date()) for so in plan.sorties
    )
    in_theatre: Counter[tuple[str, date]] = Counter(
        (so.origin, so.departure.astimezone(theatre).date()) for so in plan.sorties
    )
    days = sorted({d for _, d in local} | {d for _, d in in_theatre})
    table = Table("airfield / cap group", "cap", *map(_day_label, days), box=box.SIMPLE_HEAD,
                  title=f"departures per day ({s.operation.time_zone} days)")

    def cell(n: int, cap: int | None) -> Text:
        if cap is None:
            return Text(str(n) if n else "-")
        # The "!" marks a broken cap without colour too.
        return Text(f"{n}/{cap}!", style="bold red") if n > cap else Text(f"{n}/{cap}")

    used = {a for a, _ in local}
    known = [a.id for a in s.airfields]
    for a in [*known, *sorted(used - set(known))]:
        if a not in used:
            continue
        field = s.airfield.get(a)
        cap = field.departure_cap_per_day if field is not None else None
        label = a
        if field is not None and field.time_zone and field.time_zone != s.operation.time_zone:
            label = f"{a}*"
            table.caption = "* days in the airfield's own time zone"
        table.add_row(label, "-" if cap is None else str(cap),
                      *(cell(local[(a, d)], cap) for d in days))
    for g in s.cap_groups:
        if not used & set(g.airfields):
            continue
        table.add_row(
            f"{g.id} ({'+'.join(g.airfields)})", str(g.departure_cap_per_day),
            *(cell(sum(in_theatre[(a, d)] for a in g.airfields), g.departure_cap_per_day)
              for d in days),
        )
    return table


def nations_table(s: Scenario, plan: Plan) -> Table | None:
    """Completion, mode, sorties and personnel moved per nation."""
    if not plan.nations:
        return None
    tz = s.operation.tz
    sorties: Counter[str] = Counter()
    pax: Counter[str] = Counter()
    for so in plan.lifts:
        nations = {s.unit[ld.unit].nation for ld in so.loads if ld.unit in s.unit}
        nations |= set(so.nations)
        for n in nations:
            sorties[n] += 1
        for ld in so.loads:
            if ld.unit in s.unit:
                pax[s.unit[ld.unit].nation] += ld.pax
    modes: dict[str, set[str]] = defaultdict(set)
    for u in s.units:
        modes[u.nation].add(u.mode)
    table = Table("nation", "by", "complete", "lift sorties", "personnel flown",
                  box=box.SIMPLE_HEAD, title="per nation")
    for n, t in sorted(plan.nations.items(), key=lambda kv: (kv[1], kv[0])):
        table.add_row(n, "+".join(sorted(modes.get(n, {"?"}))), _when(t, tz),
                      str(sorties[n]), f"{pax[n]:,}")
    return table


def road_table(s: Scenario, plan: Plan) -> Table | None:
    """The convoy moves."""
    if not plan.road_moves:
        return None
    tz = s.operation.tz
    table = Table("move", "nation", "units", "from", "to", "start", "end",
                  box=box.SIMPLE_HEAD, title="road moves")
    for r in plan.road_moves:
        table.add_row(r.id, r.nation, ", ".join(r.units), r.from_, r.to,
                      _when(r.start, tz), _when(r.end, tz))
    return table


def plan_has_result(plan: Plan) -> bool:
    """Whether the planner produced a plan (rather than infeasible or nothing in time)."""
    return plan.status in ("optimal", "feasible", "given") and plan.completion is not None


def plan_summary(s: Scenario, plan: Plan) -> RenderableType:
    """What a planner reads at a glance: status, completion, bound, gap, binding, loads."""
    tz = s.operation.tz
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    solved = f" (solved in {plan.solve_seconds:.1f} s)" if plan.solve_seconds is not None else ""
    head.add_row("plan", f"{plan.scenario or s.scenario} {plan.phase}: {plan.status}{solved}")
    head.add_row("times", f"theatre time, {s.operation.time_zone}")
    if not plan_has_result(plan):
        reason = plan.message or (
            "no plan found within the time limit" if plan.status == "unknown" else "no plan"
        )
        head.add_row("no plan", reason)
        if plan.lower_bound is not None:
            head.add_row("lower bound", _when(plan.lower_bound, tz))
        return head
    head.add_row("completion", _when(plan.completion, tz))
    if plan.lower_bound is not None and plan.gap_minutes is not None:
        gap = _hours(plan.gap_minutes)
        head.add_row("lower bound", f"{_when(plan.lower_bound, tz)}, gap {gap}")
    else:
        head.add_row("lower bound", "none proven")
    for b in plan.bounds:
        detail = f" ({b.detail})" if b.detail else ""
        head.add_row("", f"{b.name}: {_when(b.value, tz)}{detail}")
    if plan.binding:
        head.add_row("binding", plan.binding)
    lifts = len(plan.lifts)
    sorties = f"{len(plan.sorties)}: {lifts} lift, {len(plan.sorties) - lifts} positioning"
    if plan.sorties_lower_bound is not None:
        sorties += f"; lower bound {plan.sorties_lower_bound}"
    head.add_row("sorties", sorties)
    if plan.message:
        head.add_row("note", plan.message)
    parts: list[RenderableType] = [head]
    parts += [t for t in (departures_table(s, plan), nations_table(s, plan), road_table(s, plan))
              if t is not None]
    return Group(*parts)


@app.command("plan")
def plan_command(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
    phase: Annotated[PhaseName, typer.Option("--phase", help="Which phase to plan.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the plan to this JSON file.")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0.0, help="Solver time limit, seconds.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Solver worker threads.")
    ] = None,
) -> None:
    """Plan one phase of a scenario and print a summary; exit 1 when there is no plan."""
    s = _load(scenario)
    with _input_errors():
        if phase.value not in s.operation.phases:
            raise InputError(f"the scenario has no {phase.value} phase", file=s.file,
                             field="operation.phases")
        # Check before solving so a long solve is not lost to a wrong path.
        if out is not None and not out.parent.is_dir():
            raise InputError("cannot write the plan: no such directory", file=str(out))
    # The planner pulls in OR-Tools: import it only when planning.
    from contingent.plan import plan as make_plan  # type: ignore[attr-defined,unused-ignore]

    err = _console(stderr=True)
    options: dict[str, Any] = {"time_limit": time_limit, "workers": workers}
    try:
        with _spinner(err, f"planning {phase.value}",
                      seconds=time_limit or 30.0) as show:
            # The planner may report its stages; older planners take no such argument.
            if "progress" in inspect.signature(make_plan).parameters:
                options["progress"] = show
            result = make_plan(s, phase.value, **options)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    _console().print(plan_summary(s, result))
    if not plan_has_result(result):
        if out is not None:
            typer.echo(f"no plan: nothing written to {out}", err=True)
        raise typer.Exit(EXIT_NO_PLAN)
    if out is not None:
        from contingent.planfile import write_plan

        with _input_errors():
            try:
                write_plan(result, out, tz=s.operation.tz)
            except OSError as exc:
                raise InputError(f"cannot write the plan: {exc.strerror or exc}",
                                 file=str(out)) from None
        _console().print(f"plan written to {out}", soft_wrap=True)


def _plan_matches(s: Scenario, plan: Plan, plan_file: Path) -> None:
    """Raise a located InputError when a plan file is for another scenario or phase."""
    from contingent.scenario.yamlio import format_path, line_of, read_text, read_yaml

    def fail(key: str, msg: str) -> InputError:
        _, lines = read_yaml(read_text(plan_file), str(plan_file))
        return InputError(msg, file=str(plan_file), line=line_of(lines, (key,)),
                          field=format_path((key,)))

    if plan.scenario and plan.scenario != s.scenario:
        raise fail("scenario", f"the plan is for scenario {plan.scenario!r}, not {s.scenario!r}")
    if plan.phase not in s.operation.phases:
        raise fail("phase", f"scenario {s.scenario!r} has no {plan.phase} phase")


@app.command("check")
def check_command(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
    plan_file: Annotated[Path, typer.Argument(help="Plan JSON file (computed or hand-made).")],
) -> None:
    """Check a plan file against every rule of a scenario; exit 1 listing any violations."""
    from contingent.planfile import read_plan

    s = _load(scenario)
    with _input_errors():
        p = read_plan(plan_file)
        _plan_matches(s, p, plan_file)
    import contingent.check as checker

    violations = checker.check(s, p)
    out = _console()
    if violations:
        for v in violations:
            out.print(str(v), soft_wrap=True, markup=False)
        out.print(f"{_plural(len(violations), 'violation')}", soft_wrap=True)
        raise typer.Exit(EXIT_NO_PLAN)
    rules = getattr(checker, "RULES", None)
    n = f"{len(rules)} " if rules is not None else ""
    out.print(f"plan satisfies all {n}rules", soft_wrap=True)


# Sub-commands of later stages register themselves here (each module has register(app)),
# one import per stage appended below the marker, e.g.
#   from contingent.risk.cli import register as _register_risk
#   _register_risk(app)
# --- stage commands ---
from contingent.report.cli import register as _register_report  # noqa: E402

_register_report(app)
from contingent.risk.cli import register as _register_risk  # noqa: E402

_register_risk(app)
from contingent.service.cli import register as _register_service  # noqa: E402

_register_service(app)
from contingent.generate_cli import register as _register_generate  # noqa: E402

_register_generate(app)
