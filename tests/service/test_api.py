"""The REST API on SQLite and PostgreSQL: auth on every write, resources, located errors, size
limits, plan / risk / re-plan jobs, cancel and re-run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from svc_helpers import TINY, auth, wait_job

T = "2022-01-13T{}:00+06:00"


def writes(app: Any) -> list[tuple[str, str]]:
    """Every write endpoint of the API, from its OpenAPI document."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method in ops:
            if method in ("post", "put", "patch", "delete"):
                out.append((method, path))
    return sorted(out)


def test_every_write_needs_a_token_and_a_role(client: Any, tokens: dict[str, str]) -> None:
    endpoints = writes(client.app)
    assert ("post", "/api/operations/{operation_id}/events") in endpoints
    assert len(endpoints) >= 9
    admin_only = {"/api/users", "/api/users/{name}/tokens", "/api/users/{name}/revoke"}
    for method, path in endpoints:
        url = path.replace("{operation_id}", "1").replace("{job_id}", "1") \
            .replace("{plan_id}", "1").replace("{name}", "viewer")
        body = {"name": "x", "role": "viewer"} if path in admin_only else {"name": "x"}
        r = client.request(method, url, json=body)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["detail"].startswith("a bearer token is required")
        r = client.request(method, url, json=body, headers=auth("ctg_not-a-token"))
        assert r.status_code == 401, (method, path)
        r = client.request(method, url, json=body, headers=auth(tokens["viewer"]))
        assert r.status_code == 403, (method, path, r.text)
        assert "role viewer may not" in r.json()["detail"]
        if path in admin_only:
            r = client.request(method, url, json=body, headers=auth(tokens["planner"]))
            assert r.status_code == 403, (method, path)


def test_reads_need_a_token(client: Any, tokens: dict[str, str]) -> None:
    assert client.get("/api/operations").status_code == 401
    assert client.get("/api/operations", headers=auth(tokens["viewer"])).status_code == 200
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.get("/api/me", headers=auth(tokens["viewer"])).json() == \
        {"name": "viewer", "role": "viewer"}


def test_users_and_tokens(client: Any, tokens: dict[str, str]) -> None:
    admin = auth(tokens["admin"])
    r = client.post("/api/users", json={"name": "ops-1", "role": "planner"}, headers=admin)
    assert r.status_code == 201
    token = r.json()["token"]
    assert client.get("/api/me", headers=auth(token)).json()["role"] == "planner"
    r = client.post("/api/users", json={"name": "ops-1", "role": "planner"}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "name"
    r = client.post("/api/users", json={"name": "bad name", "role": "planner"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "name"
    r = client.post("/api/users/ops-1/tokens", headers=admin)
    assert r.status_code == 201 and r.json()["token"] != token
    names = [u["name"] for u in client.get("/api/users", headers=admin).json()]
    assert names == ["admin", "planner", "viewer", "ops-1"]
    r = client.post("/api/users/ops-1/revoke", headers=admin)
    assert r.status_code == 200 and r.json() == {"revoked": 2}
    assert client.get("/api/me", headers=auth(token)).status_code == 401
    for action in ("tokens", "revoke"):
        r = client.post(f"/api/users/nobody/{action}", headers=admin)
        assert r.status_code == 404 and r.json()["field"] == "name"
        assert "nobody" in r.json()["detail"]


def test_tokens_are_stored_hashed(db_url: str, tokens: dict[str, str]) -> None:
    from sqlalchemy import select

    from contingent.service.db import Database
    from contingent.service.models import Token

    db = Database(db_url)
    with db.read() as s:
        stored = list(s.scalars(select(Token.token_hash)))
    db.dispose()
    assert len(stored) == 3
    for t in tokens.values():
        assert t not in stored and all(t not in h for h in stored)


def make_op(c: Any, token: str, name: str = "tiny") -> dict[str, Any]:
    r = c.post("/api/operations", json={"name": name, "title": "Tiny",
                                        "scenario": {"source": TINY.read_text()}},
               headers=auth(token))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_operations_and_revisions(client: Any, tokens: dict[str, str]) -> None:
    p = auth(tokens["planner"])
    op = make_op(client, tokens["planner"])
    assert op["latest_revision"]["number"] == 1
    assert op["latest_revision"]["phases"] == ["deployment", "withdrawal"]
    r = client.post("/api/operations", json={"name": "tiny"}, headers=p)
    assert r.status_code == 409
    # Each upload is a new revision; the old one stays as it was.
    r = client.post(f"/api/operations/{op['id']}/revisions", json={"bundled": "kazakhstan-2022"},
                    headers=p)
    assert r.status_code == 201 and r.json()["number"] == 2
    revs = client.get(f"/api/operations/{op['id']}/revisions", headers=p).json()
    assert [x["scenario"] for x in revs] == ["tiny", "kazakhstan-2022"]
    first = client.get(f"/api/revisions/{revs[0]['id']}", headers=p).json()
    assert first["source"] == TINY.read_text()


def test_bad_scenario_is_located(client: Any, tokens: dict[str, str]) -> None:
    op = make_op(client, tokens["planner"])
    bad = TINY.read_text().replace("count: 2,", "count: -2,")
    r = client.post(f"/api/operations/{op['id']}/revisions", json={"source": bad},
                    headers=auth(tokens["planner"]))
    assert r.status_code == 422
    body = r.json()
    line = next(i for i, x in enumerate(bad.splitlines(), 1) if "count: -2" in x)
    assert body["field"] == "fleets[F1].count"
    assert body["detail"].startswith(f"revision 2:{line}: fleets[F1].count: ")
    assert body["errors"][0]["line"] == line
    r = client.post(f"/api/operations/{op['id']}/revisions", json={"source": "a: [b"},
                    headers=auth(tokens["planner"]))
    assert r.status_code == 422 and "YAML syntax error" in r.json()["detail"]
    r = client.post(f"/api/operations/{op['id']}/revisions", json={},
                    headers=auth(tokens["planner"]))
    assert r.status_code == 422 and r.json()["field"] == "source"


def test_request_errors_are_json(client: Any, tokens: dict[str, str]) -> None:
    p = auth(tokens["planner"])
    r = client.post("/api/operations", json={"name": "", "title": "x"}, headers=p)
    assert r.status_code == 422
    assert r.json()["field"] == "name" and r.json()["detail"].startswith("name: ")
    r = client.post("/api/operations", content=b"{not json", headers={
        **p, "content-type": "application/json"})
    assert r.status_code == 422 and "detail" in r.json()
    r = client.get("/api/operations/999", headers=p)
    assert r.status_code == 404 and r.json() == {
        "detail": "no operation 999", "field": "operation_id",
        "errors": [{"message": "no operation 999", "field": "operation_id", "line": None}]}
    r = client.get("/api/nothing-here", headers=p)
    assert r.status_code == 404
    r = client.post("/api/operations/1/jobs", json={"kind": "plan"}, headers=p)
    assert r.status_code == 422 and "phase" in r.json()["field"]


def test_request_size_limit(client: Any, tokens: dict[str, str]) -> None:
    big = "x" * (5 * 1024 * 1024)
    r = client.post("/api/operations", json={"name": "big", "title": big},
                    headers=auth(tokens["planner"]))
    assert r.status_code == 413
    assert r.json()["detail"].startswith("request body over")


def test_plan_events_replan_and_exports(client: Any, tokens: dict[str, str]) -> None:
    p, v = auth(tokens["planner"]), auth(tokens["viewer"])
    op = make_op(client, tokens["planner"])
    oid = op["id"]
    # Events need an announced plan first.
    r = client.post(f"/api/operations/{oid}/events", json={"phase": "withdrawal", "events": [
        {"type": "facility_handed_over", "facility": "FAC-A", "time": T.format("16:00")}]},
        headers=p)
    assert r.status_code == 409 and "no announced plan" in r.json()["detail"]
    r = client.post(f"/api/operations/{oid}/jobs", json={
        "kind": "plan", "phase": "withdrawal", "time_limit": 3}, headers=p)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    job = wait_job(client, r.json()["id"], tokens["viewer"])
    assert job["status"] == "succeeded", job
    plan_id = job["plan_id"]
    plan = client.get(f"/api/plans/{plan_id}", headers=v).json()
    assert plan["announced"] and plan["status"] == "optimal"
    assert client.get(f"/api/plans/{plan_id}/check", headers=v).json()["violations"] == []
    views = client.get(f"/api/plans/{plan_id}/views", headers=v).json()
    assert views["facilities"][0]["id"] == "FAC-A" and views["departures"][0]["cap"] == 4
    assert {s["id"] for s in views["sorties"]} == {s["id"] for s in plan["plan"]["sorties"]}
    # A contradiction is refused whole: neither event is kept.
    lift = next(s["id"] for s in plan["plan"]["sorties"] if s["kind"] == "lift")
    r = client.post(f"/api/operations/{oid}/events", json={"phase": "withdrawal", "events": [
        {"type": "facility_handed_over", "facility": "FAC-A", "time": T.format("16:00")},
        {"type": "cancelled", "sortie": "S999", "time": T.format("01:00")}]}, headers=p)
    assert r.status_code == 422
    assert r.json()["field"] == "events[1].sortie"
    assert "unknown sortie 'S999'" in r.json()["detail"]
    assert client.get(f"/api/operations/{oid}/events", headers=v).json() == []
    r = client.post(f"/api/operations/{oid}/events", json={"phase": "withdrawal", "events": [
        {"type": "facility_handed_over", "facility": "FAC-A", "time": T.format("16:00"),
         "reporter": "hq-almaty"}]}, headers=p)
    assert r.status_code == 201, r.text
    ev = r.json()[0]
    assert ev["seq"] == 1 and ev["reporter"] == "hq-almaty" and ev["plan_id"] == plan_id
    r = client.post(f"/api/operations/{oid}/events", json={"phase": "withdrawal", "events": [
        {"type": "departed", "sortie": lift, "time": T.format("11:00")}]}, headers=p)
    assert r.status_code == 422 and "before its release" in r.json()["detail"]
    # Re-plan from the latest event time.
    r = client.post(f"/api/operations/{oid}/jobs", json={
        "kind": "replan", "phase": "withdrawal", "time_limit": 3}, headers=p)
    assert r.status_code == 202, r.text
    assert r.json()["params"]["now"].startswith("2022-01-13T10:00:00")  # 16:00+06:00
    job = wait_job(client, r.json()["id"], tokens["viewer"])
    assert job["status"] == "succeeded", job
    re = client.get(f"/api/plans/{job['plan_id']}", headers=v).json()
    assert re["kind"] == "replan" and re["based_on_id"] == plan_id and not re["announced"]
    assert re["check"] == []
    assert re["diff"]["counts"]["moved"] == 2
    assert all("FAC-A handed over" in c["reason"] for c in re["diff"]["changes"])
    assert re["plan"]["replan"]["strategy"] == "shifted"
    # Announce the re-plan; events now report against it and the handover still applies.
    r = client.post(f"/api/plans/{re['id']}/announce", headers=p)
    assert r.status_code == 200 and r.json()["announced"]
    r = client.post(f"/api/operations/{oid}/events", json={"phase": "withdrawal", "events": [
        {"type": "departed", "sortie": lift, "time": T.format("11:00")}]}, headers=p)
    assert r.status_code == 422 and "before its release" in r.json()["detail"]
    for fmt, kind in (("csv", "text/csv"), ("geojson", "application/geo+json"),
                      ("xlsx", "spreadsheetml"), ("html", "text/html")):
        r = client.get(f"/api/plans/{plan_id}/export/{fmt}", headers=v)
        assert r.status_code == 200 and kind in r.headers["content-type"], fmt


def test_job_cancel_rerun_and_risk(client: Any, tokens: dict[str, str]) -> None:
    p = auth(tokens["planner"])
    oid = make_op(client, tokens["planner"])["id"]
    r = client.post(f"/api/operations/{oid}/jobs", json={
        "kind": "plan", "phase": "withdrawal", "time_limit": 3}, headers=p)
    first = wait_job(client, r.json()["id"], tokens["planner"])
    assert first["status"] == "succeeded"
    # Queue two; cancel the second while queued or running.
    a = client.post(f"/api/operations/{oid}/jobs", json={
        "kind": "risk", "plan_id": first["plan_id"], "runs": 200}, headers=p).json()
    b = client.post(f"/api/operations/{oid}/jobs", json={
        "kind": "plan", "phase": "deployment", "time_limit": 3}, headers=p).json()
    r = client.post(f"/api/jobs/{b['id']}/cancel", headers=p)
    assert r.status_code == 200 and r.json()["cancel_requested"]
    assert wait_job(client, b["id"], tokens["planner"])["status"] == "cancelled"
    assert client.post(f"/api/jobs/{b['id']}/cancel", headers=p).status_code == 409
    risk = wait_job(client, a["id"], tokens["planner"])
    assert risk["status"] == "succeeded", risk
    got = client.get(f"/api/risks/{risk['risk_id']}", headers=p).json()
    assert got["runs"] == 200 and got["plan_id"] == first["plan_id"]
    assert got["result"]["runs"] == 200
    # A finished job can be re-run with the same parameters.
    r = client.post(f"/api/jobs/{b['id']}/rerun", headers=p)
    assert r.status_code == 202 and r.json()["rerun_of"] == b["id"]
    again = wait_job(client, r.json()["id"], tokens["planner"])
    assert again["status"] == "succeeded" and again["params"] == b["params"]
    kinds = [j["kind"] for j in client.get(f"/api/operations/{oid}/jobs", headers=p).json()]
    assert kinds == ["plan", "plan", "risk", "plan"]


def test_openapi_and_console(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "Contingent operations service"
    assert all(p.startswith("/api/") for p in doc["paths"])
    assert "HTTPBearer" in json.dumps(doc["components"]["securitySchemes"])
    r = client.get("/")
    assert r.status_code == 200 and "<title>Contingent" in r.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_migration_matches_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from contingent.service.db import Database
    from contingent.service.models import Base

    db = Database(db_url)
    db.migrate()
    db.migrate()  # a second upgrade is a no-op
    with db.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}),
                                Base.metadata)
    db.dispose()
    assert diff == []
