"""Commands of the operations stage: ``replan``, ``diff``, ``serve`` and ``users``.

Registered on the main app by :func:`register`. Bad input is reported as located one-line
errors on stderr with exit code 2, as everywhere else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from contingent.errors import InputError

_EXIT_NO_PLAN = 1


class DiffFormat(StrEnum):
    """Output formats of ``diff``."""

    table = "table"
    json = "json"


class Role(StrEnum):
    """User roles."""

    viewer = "viewer"
    planner = "planner"
    admin = "admin"


def _user_named(s: Any, name: str) -> Any:
    """The user called ``name``, or a located error naming the argument."""
    from contingent.service.auth import find_user

    user = find_user(s, name)
    if user is None:
        raise InputError(f"no user {name!r}", field="NAME")
    return user


def _when(t: datetime | None, tz: tzinfo | None) -> str:
    if t is None:
        return "-"
    return (t.astimezone(tz) if tz is not None else t).strftime("%d %b %H:%M")


def _delta(minutes: int | None) -> str:
    if minutes is None:
        return "-"
    if minutes == 0:
        return "0"
    sign = "+" if minutes > 0 else "-"
    m = abs(minutes)
    return f"{sign}{m // 60}h{m % 60:02d}" if m >= 60 else f"{sign}{m}min"


def diff_view(d: Any, tz: tzinfo | None) -> RenderableType:
    """A diff as tables: completion, per-nation completion and every changed sortie."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("completion", f"{_when(d.old_completion, tz)} -> {_when(d.new_completion, tz)}"
                               f" ({_delta(d.completion_minutes)})")
    head.add_row("sorties", f"{d.count('moved')} moved, {d.count('added')} added, "
                            f"{d.count('cancelled')} cancelled, {d.count('reloaded')} re-loaded, "
                            f"{d.unchanged} unchanged")
    nations = Table("nation", "was", "now", "change", box=box.SIMPLE_HEAD,
                    title="completion per nation")
    for n in d.nations:
        nations.add_row(n.nation, _when(n.old, tz), _when(n.new, tz), _delta(n.minutes))
    parts: list[RenderableType] = [head, nations]
    # One line per change and its reason below: a table would squeeze the reasons to nothing.
    for c in d.changes:
        sortie = c.sortie if c.was in (None, c.sortie) else f"{c.sortie} (was {c.was})"
        label = c.change + (" and re-loaded" if c.reloaded and c.change == "moved" else "")
        when = {
            "moved": f"{_when(c.old_departure, tz)} -> {_when(c.new_departure, tz)} "
                     f"({_delta(c.minutes)})",
            "reloaded": f"{_when(c.new_departure, tz)}, other load",
            "added": f"departs {_when(c.new_departure, tz)}",
            "cancelled": f"was {_when(c.old_departure, tz)}",
        }[c.change]
        line = Text(f"{label:<9} {sortie} {c.kind} {c.tail} {c.origin}->{c.destination} {when}")
        parts.append(line)
        parts.append(Text(f"          because {c.reason or '-'}", style="dim"))
    return Group(*parts)


def _parse_now(text: str) -> datetime:
    from contingent.scenario.model import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise InputError(str(exc), file="<command line>", field="--now") from None


def register(app: typer.Typer) -> None:
    """Add ``replan``, ``diff``, ``serve`` and ``users`` to the main app."""
    from contingent.cli import _console, _input_errors, _load, _plan_matches, plan_has_result

    @app.command("replan")
    def replan_command(
        scenario: Annotated[str, typer.Argument(help="Bundled scenario name or YAML file.")],
        plan_file: Annotated[Path, typer.Argument(help="The announced plan (JSON).")],
        events_file: Annotated[Path, typer.Argument(help="Reported events (YAML or JSON).")],
        now: Annotated[str, typer.Option("--now", help="Re-plan from this time (ISO 8601 "
                                                       "with UTC offset).")],
        out: Annotated[Path | None, typer.Option("--out", help="Write the new plan here.")]
        = None,
        time_limit: Annotated[float | None, typer.Option(
            "--time-limit", min=0.0, help="Solver time limit, seconds.")] = None,
        workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                    help="Solver worker threads.")] = None,
        move_cost: Annotated[int, typer.Option(
            "--move-cost", min=0, help="Minutes of completion one changed sortie is worth.")]
        = 60,
        strict: Annotated[bool, typer.Option(
            "--strict", help="Sorties not reported departed have not flown (default: assume "
                             "announced sorties before now flew as announced).")] = False,
    ) -> None:
        """Re-plan the rest of a phase after reported events (exit 1: no valid re-plan)."""
        from contingent.events import read_events
        from contingent.planfile import read_plan
        from contingent.replan import replan, write_replan

        s = _load(scenario)
        with _input_errors():
            when = _parse_now(now)
            p = read_plan(plan_file)
            _plan_matches(s, p, plan_file)
            events = read_events(events_file)
            if out is not None and not out.parent.is_dir():
                raise InputError("cannot write the plan: no such directory", file=str(out))
            result = replan(s, p, events, when, time_limit=time_limit, workers=workers,
                            move_cost=move_cost, assume_flown=not strict)
        tz = s.operation.tz
        con = _console()
        n = f"{len(events)} event{'' if len(events) == 1 else 's'}"
        con.print(f"re-plan of {s.scenario} {p.phase} from {_when(when, tz)} ({n}): "
                  f"{result.strategy}, {result.status}", soft_wrap=True)
        if result.assumed:
            con.print(f"assumed flown as announced (not reported): {', '.join(result.assumed)}",
                      soft_wrap=True)
        for w in result.warnings:
            con.print(f"warning: {w}", soft_wrap=True)
        if not plan_has_result(result):
            con.print(result.message, soft_wrap=True, markup=False)
            if out is not None:
                typer.echo(f"no plan: nothing written to {out}", err=True)
            raise typer.Exit(_EXIT_NO_PLAN)
        con.print(diff_view(result.diff, tz))
        if out is not None:
            with _input_errors():
                try:
                    write_replan(result, out, tz)
                except OSError as exc:
                    raise InputError(f"cannot write the plan: {exc.strerror or exc}",
                                     file=str(out)) from None
            con.print(f"plan written to {out}", soft_wrap=True)

    _service_commands(app)

    @app.command("diff")
    def diff_command(
        old_file: Annotated[Path, typer.Argument(help="The earlier plan (JSON).")],
        new_file: Annotated[Path, typer.Argument(help="The later plan (JSON), e.g. a re-plan.")],
        fmt: Annotated[DiffFormat, typer.Option("--format", help="Output format.")]
        = DiffFormat.table,
    ) -> None:
        """Moved, added and cancelled sorties between two plans, with a re-plan's reasons."""
        from contingent.planfile import read_plan
        from contingent.replan import changes_from_dict, diff_plans, diff_to_dict

        with _input_errors():
            old = read_plan(old_file)
            new = read_plan(new_file)
            if old.phase != new.phase:
                raise InputError(f"the plans are for different phases ({old.phase}, "
                                 f"{new.phase})", file=str(new_file), field="phase")
            if old.scenario and new.scenario and old.scenario != new.scenario:
                raise InputError(f"the plans are for different scenarios ({old.scenario}, "
                                 f"{new.scenario})", file=str(new_file), field="scenario")
        raw = json.loads(new_file.read_text(encoding="utf-8"))
        d = diff_plans(old, new, changes_from_dict(raw))
        tz = _plan_tz(new) or _plan_tz(old)
        if fmt is DiffFormat.json:
            sys.stdout.write(json.dumps(diff_to_dict(d, tz), indent=2, ensure_ascii=False)
                             + "\n")
            return
        _console().print(diff_view(d, tz))


_DB_HELP = "Database URL: sqlite:///FILE (default, env CONTINGENT_DB) or postgresql://..."


def _database(url: str | None) -> Any:
    """The service database, migrated; a bad URL or an unreachable server exits 2."""
    import os

    from sqlalchemy.exc import SQLAlchemyError

    from contingent.cli import _input_errors
    from contingent.service.db import DEFAULT_URL, Database

    text = url or os.environ.get("CONTINGENT_DB") or DEFAULT_URL
    with _input_errors(), _from_command_line():
        db = Database(text)
        try:
            db.migrate()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise InputError(f"cannot open the database: {reason}",
                             file=db.url.render_as_string(hide_password=True),
                             field="--db") from None
    return db


@contextmanager
def _from_command_line() -> Iterator[None]:
    """Errors not about a file are about the command line: say so."""
    try:
        yield
    except InputError as exc:
        for err in exc.all():
            if err.file == "<string>":
                err.file = "<command line>"
        raise


def _service_commands(app: typer.Typer) -> None:
    """``serve`` and ``users``."""
    from contingent.cli import _console, _input_errors

    @app.command("serve")
    def serve_command(
        db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8000,
        jobs: Annotated[int, typer.Option("--jobs", min=1, max=16,
                                          help="Background jobs run at once.")] = 1,
    ) -> None:
        """Run the operations service: REST API under /api, web console at /."""
        import uvicorn

        from contingent.service.app import create_app

        database = _database(db)
        api = create_app(database, job_slots=jobs, migrate=False)
        url = database.url.render_as_string(hide_password=True)
        typer.echo(f"contingent service on http://{host}:{port}/ (database {url})", err=True)
        uvicorn.run(api, host=host, port=port, log_level="info", access_log=False)

    users = typer.Typer(help="Manage the service's users and tokens.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def users_add(
        name: Annotated[str, typer.Argument(help="User name.")],
        role: Annotated[Role, typer.Option("--role", help="viewer, planner or admin.")],
        db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    ) -> None:
        """Add a user and print their token (shown once; only its hash is stored)."""
        from contingent.service.auth import add_user

        database = _database(db)
        with _input_errors(), _from_command_line(), database.write() as s:
            _user, token = add_user(s, name, role.value)
        typer.echo(token)

    @users.command("token")
    def users_token(
        name: Annotated[str, typer.Argument(help="User name.")],
        db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    ) -> None:
        """Print a new token for an existing user."""
        from contingent.service.auth import issue_token

        database = _database(db)
        with _input_errors(), _from_command_line(), database.write() as s:
            token = issue_token(s, _user_named(s, name))
        typer.echo(token)

    @users.command("revoke")
    def users_revoke(
        name: Annotated[str, typer.Argument(help="User name.")],
        db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    ) -> None:
        """Revoke every token of a user."""
        from contingent.service.auth import revoke_tokens

        database = _database(db)
        with _input_errors(), _from_command_line(), database.write() as s:
            n = revoke_tokens(s, _user_named(s, name))
        typer.echo(f"revoked {n} token{'' if n == 1 else 's'} of {name}")

    @users.command("list")
    def users_list(
        db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    ) -> None:
        """List users and roles."""
        from sqlalchemy import select

        from contingent.service.models import User

        database = _database(db)
        table = Table("name", "role", "created", box=box.SIMPLE_HEAD)
        with database.read() as s:
            for u in s.scalars(select(User).order_by(User.id)):
                table.add_row(u.name, u.role, u.created_at.strftime("%Y-%m-%d %H:%M UTC"))
        _console().print(table)


def _plan_tz(plan: Any) -> tzinfo | None:
    """The UTC offset a plan file was written in (its theatre time)."""
    for t in (plan.completion, *(s.departure for s in plan.sorties)):
        if t is not None:
            return t.tzinfo  # type: ignore[no-any-return]
    return None
