"""Fixtures of the service tests: a database on SQLite and, when Debian's PostgreSQL server is
installed, on a private PostgreSQL cluster started in a temporary directory for the session
and stopped by its pid; an app with users of every role; server processes."""

from __future__ import annotations

import contextlib
import os
import pwd
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from svc_helpers import PgCluster, Server, make_users, pg_bin

from contingent.service.db import Database


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                    "(apt-get install -y postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
    cluster = PgCluster(bindir)
    try:
        cluster.start()
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        cluster.stop()
        pytest.skip(f"cannot start a private PostgreSQL server: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_db()


@pytest.fixture()
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh PostgreSQL database."""
    return pg_cluster.create_db()


@pytest.fixture()
def tokens(db_url: str) -> dict[str, str]:
    """One user per role, by role name."""
    return make_users(db_url)


@pytest.fixture()
def client(db_url: str, tokens: dict[str, str]) -> Iterator[Any]:
    """An in-process client of the app, job runner on."""
    from fastapi.testclient import TestClient

    from contingent.service.app import create_app

    db = Database(db_url)
    with TestClient(create_app(db, migrate=False)) as c:
        yield c
    db.dispose()


@pytest.fixture()
def server_factory(tmp_path: Path) -> Iterator[Any]:
    """Start servers on a database; all are stopped (by pid) at the end."""
    started: list[Server] = []

    def make(url: str) -> Server:
        s = Server(url, tmp_path / f"server-{len(started)}.log")
        started.append(s)
        return s.start()

    yield make
    for s in started:
        with contextlib.suppress(Exception):
            s.stop()

