"""kill -9 of the server during a plan job: nothing committed is lost, nothing of the job is
kept, its process does not outlive the server, and on restart the job shows as failed with
the reason and can be re-run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from svc_helpers import TINY, auth, make_users, wait_job

from contingent.service.jobs import DIED


def job_processes(parent: int) -> list[int]:
    """Pids of job processes whose parent is ``parent``."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and "contingent.service.worker" in cmd:
            out.append(int(d.name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_during_a_plan_job(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path, server_factory: Any) -> None:
    url = (request.getfixturevalue("pg_url") if backend == "postgresql"
           else f"sqlite:///{tmp_path / 'durable.db'}")
    tokens = make_users(url)
    p = auth(tokens["planner"])
    server = server_factory(url)
    with httpx.Client(base_url=server.base, timeout=60) as c:
        op = c.post("/api/operations", json={"name": "durable", "scenario": {
            "source": TINY.read_text()}}, headers=p).json()
        oid = op["id"]
        done = wait_job(c, c.post(f"/api/operations/{oid}/jobs", headers=p, json={
            "kind": "plan", "phase": "withdrawal", "time_limit": 3}).json()["id"],
            tokens["planner"])
        assert done["status"] == "succeeded"
        r = c.post(f"/api/operations/{oid}/events", headers=p, json={"phase": "withdrawal",
                   "events": [{"type": "facility_handed_over", "facility": "FAC-A",
                               "time": "2022-01-13T16:00+06:00"}]})
        assert r.status_code == 201
        rev = c.post(f"/api/operations/{oid}/revisions", json={"bundled": "kazakhstan-2022"},
                     headers=p).json()
        long = c.post(f"/api/operations/{oid}/jobs", headers=p, json={
            "kind": "plan", "phase": "withdrawal", "revision_id": rev["id"],
            "time_limit": 600}).json()
        deadline = time.monotonic() + 60
        while True:
            j = c.get(f"/api/jobs/{long['id']}", headers=p).json()
            workers = job_processes(server.proc.pid)
            if j["status"] == "running" and j["progress"] not in ("queued", "starting") \
                    and workers:
                break
            assert j["status"] in ("queued", "running"), j
            assert time.monotonic() < deadline, j
            time.sleep(0.3)
        before = {
            "plans": c.get(f"/api/operations/{oid}/plans", headers=p).json(),
            "events": c.get(f"/api/operations/{oid}/events", headers=p).json(),
            "revisions": c.get(f"/api/operations/{oid}/revisions", headers=p).json(),
        }
    server.kill9()
    # The job's process notices its server is gone and ends too.
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(w) for w in workers), "the job process outlived the server"
    again = server_factory(url)
    with httpx.Client(base_url=again.base, timeout=60) as c:
        j = c.get(f"/api/jobs/{long['id']}", headers=p).json()
        assert j["status"] == "failed" and j["error"] == DIED
        assert j["plan_id"] is None and j["finished_at"] is not None
        after = {
            "plans": c.get(f"/api/operations/{oid}/plans", headers=p).json(),
            "events": c.get(f"/api/operations/{oid}/events", headers=p).json(),
            "revisions": c.get(f"/api/operations/{oid}/revisions", headers=p).json(),
        }
        assert after == before
        assert len(after["plans"]) == 1 and len(after["events"]) == 1
        # It can be re-run; this time we cancel it rather than wait.
        r = c.post(f"/api/jobs/{long['id']}/rerun", headers=p)
        assert r.status_code == 202 and r.json()["params"] == j["params"]
        rerun = r.json()["id"]
        assert c.post(f"/api/jobs/{rerun}/cancel", headers=p).status_code == 200
        assert wait_job(c, rerun, tokens["planner"], timeout=60)["status"] == "cancelled"
