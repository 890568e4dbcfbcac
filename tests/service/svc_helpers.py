"""Helpers of the service tests: tokens, polling, a private PostgreSQL cluster and a server
process."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from contingent.service.auth import add_user
from contingent.service.db import Database

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PgCluster:
    """A throw-away PostgreSQL server: initdb in a temp dir, postgres on a free port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="contingent-pg-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # PostgreSQL refuses to run as root: run it as the `postgres` system user.
        self.user = "postgres" if os.geteuid() == 0 else None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.user, "--", *cmd] if self.user else cmd

    def start(self) -> None:
        data = self.root / "data"
        os.chmod(self.root, 0o755)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        subprocess.run(self._cmd("initdb", "-D", str(data), "-A", "trust", "-U", "postgres",
                                 "--no-sync", "-E", "UTF8"),
                       check=True, capture_output=True)
        self.proc = subprocess.Popen(
            self._cmd("postgres", "-D", str(data), "-p", str(self.port), "-k", str(self.root),
                      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                      "-c", "max_connections=60"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        import psycopg

        while True:
            try:
                with psycopg.connect(self.url("postgres").replace("+psycopg", ""),
                                     connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the private PostgreSQL server did not start") from None
                time.sleep(0.2)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_db(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres").replace("+psycopg", ""),
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        # `self.proc` may be runuser; the server's own pid is in postmaster.pid.
        pidfile = self.root / "data" / "postmaster.pid"
        pid = int(pidfile.read_text().split()[0]) if pidfile.exists() else None
        if pid is not None:
            # SIGINT is PostgreSQL's fast shutdown; the process is ours, by pid.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            if pidfile.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


def make_users(url: str) -> dict[str, str]:
    db = Database(url)
    db.migrate()
    out = {}
    with db.write() as s:
        for role in ("admin", "planner", "viewer"):
            out[role] = add_user(s, role, role)[1]
    db.dispose()
    return out


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_job(c: Any, job_id: int, token: str, timeout: float = 120) -> dict[str, Any]:
    """Poll a job until it is finished."""
    deadline = time.monotonic() + timeout
    while True:
        j = c.get(f"/api/jobs/{job_id}", headers=auth(token)).json()
        if j["status"] not in ("queued", "running"):
            return dict(j)
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {j['status']}: {j['progress']}")
        time.sleep(0.3)


class Server:
    """``contingent serve`` in its own process, on a free port."""

    def __init__(self, db_url: str, log: Path) -> None:
        self.db_url, self.log = db_url, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contingent", "serve", "--db", self.db_url,
             "--port", str(self.port)], stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("server did not start:\n" + self.log.read_text()[-3000:])
            time.sleep(0.2)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
