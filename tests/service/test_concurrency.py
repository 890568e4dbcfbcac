"""Two planners recording events on one operation at the same time: every event is kept,
numbered without gaps or repeats, each planner's in the order they sent them."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from svc_helpers import TINY, auth, make_users, wait_job

PER_PLANNER = 12


def record_concurrently(base: str, tokens: dict[str, str], other: str) -> list[dict[str, Any]]:
    p = auth(tokens["planner"])
    with httpx.Client(base_url=base, timeout=60) as c:
        op = c.post("/api/operations", json={"name": "race", "scenario": {
            "source": TINY.read_text()}}, headers=p).json()
        job = c.post(f"/api/operations/{op['id']}/jobs", json={
            "kind": "plan", "phase": "withdrawal", "time_limit": 3}, headers=p).json()
        assert wait_job(c, job["id"], tokens["planner"])["status"] == "succeeded"
    start = threading.Barrier(2)
    failures: list[str] = []

    def planner(name: str, token: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            start.wait()
            for i in range(PER_PLANNER):
                r = c.post(f"/api/operations/{op['id']}/events", headers=auth(token), json={
                    "phase": "withdrawal", "events": [{
                        "type": "airfield_closed", "airfield": "HOM", "reporter": name,
                        "from": f"2022-01-14T{i:02d}:00+06:00",
                        "to": f"2022-01-14T{i:02d}:30+06:00",
                        "time": "2022-01-13T00:00+06:00", "note": f"{name}-{i}"}]})
                if r.status_code != 201:
                    failures.append(f"{name} {i}: {r.status_code} {r.text}")

    threads = [threading.Thread(target=planner, args=("alpha", tokens["planner"])),
               threading.Thread(target=planner, args=("bravo", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not failures, failures
    with httpx.Client(base_url=base, timeout=60) as c:
        return list(c.get(f"/api/operations/{op['id']}/events",
                          headers=p).json())


def check_all_kept(events: list[dict[str, Any]]) -> None:
    assert [e["seq"] for e in events] == list(range(1, 2 * PER_PLANNER + 1))
    for name in ("alpha", "bravo"):
        notes = [e["event"]["note"] for e in events if e["reporter"] == name]
        assert notes == [f"{name}-{i}" for i in range(PER_PLANNER)]


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_planners_record_at_once(backend: str, request: pytest.FixtureRequest,
                                     tmp_path: Any, server_factory: Any) -> None:
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'race.db'}"
    tokens = make_users(url)
    from contingent.service.auth import add_user
    from contingent.service.db import Database

    db = Database(url)
    with db.write() as s:
        other = add_user(s, "planner-2", "planner")[1]
    db.dispose()
    server = server_factory(url)
    check_all_kept(record_concurrently(server.base, tokens, other))
