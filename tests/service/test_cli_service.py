"""``contingent users`` and ``serve``'s database handling: tokens printed once, located
one-line errors with exit code 2."""

from __future__ import annotations

from pathlib import Path

from svc_helpers import free_port
from typer.testing import CliRunner

from contingent.cli import app
from contingent.service.auth import caller_for
from contingent.service.db import Database


def test_users_add_prints_a_working_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()
    res = runner.invoke(app, ["users", "add", "alice", "--role", "planner", "--db", url])
    assert res.exit_code == 0, res.output
    token = res.output.strip()
    assert token.startswith("ctg_") and "\n" not in token
    db = Database(url)
    with db.read() as s:
        who = caller_for(s, token)
    db.dispose()
    assert who is not None and (who.name, who.role) == ("alice", "planner")
    res = runner.invoke(app, ["users", "add", "alice", "--role", "viewer", "--db", url])
    assert res.exit_code == 2
    assert res.output.strip() == "<command line>: name: user 'alice' exists already"
    res = runner.invoke(app, ["users", "token", "alice", "--db", url])
    assert res.exit_code == 0 and res.output.strip() != token
    res = runner.invoke(app, ["users", "list", "--db", url])
    assert res.exit_code == 0 and "alice" in res.output and "planner" in res.output
    res = runner.invoke(app, ["users", "revoke", "alice", "--db", url])
    assert res.exit_code == 0 and res.output.strip() == "revoked 2 tokens of alice"
    db = Database(url)
    with db.read() as s:
        assert caller_for(s, token) is None
    db.dispose()
    res = runner.invoke(app, ["users", "add", "bob", "--role", "boss", "--db", url])
    assert res.exit_code == 2 and "boss" in res.output


def test_bad_database_urls(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["users", "list", "--db", "mysql://x@localhost/db"])
    assert res.exit_code == 2
    assert res.output.strip() == ("<command line>: --db: unsupported database 'mysql' (use "
                                  "sqlite:///FILE or postgresql://...)")
    port = free_port()  # nothing listens there
    res = runner.invoke(app, ["users", "list", "--db", f"postgresql://u@127.0.0.1:{port}/x"])
    assert res.exit_code == 2
    assert res.output.startswith(f"postgresql+psycopg://u@127.0.0.1:{port}/x: --db: cannot "
                                 "open the database: ")
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(app, ["users", "list", "--db", f"sqlite:///{tmp_path}/no/such/dir.db"])
    assert res.exit_code == 2 and "cannot open the database" in res.output
