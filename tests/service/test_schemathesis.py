"""Schemathesis against /openapi.json with a planner token: generated requests to every
operation find no server error, and responses keep to the schema's status codes, content
types and bodies."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from svc_helpers import TINY, make_users

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contingent.service.app import create_app  # noqa: E402
from contingent.service.db import Database  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _seeded_app(root: Path) -> tuple[Any, str]:
    """An app on SQLite with an operation, an announced plan and an event; jobs stay queued."""
    from fastapi.testclient import TestClient

    from contingent.plan import plan as make_plan
    from contingent.planfile import plan_to_dict
    from contingent.scenario import load_scenario
    from contingent.service.models import Announcement, PlanRecord, utcnow

    url = f"sqlite:///{root / 'fuzz.db'}"
    token = make_users(url)["planner"]
    db = Database(url)
    app = create_app(db, run_jobs=False, migrate=False)
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as c:
        op = c.post("/api/operations", json={"name": "tiny", "scenario": {
            "source": TINY.read_text()}}, headers=h).json()
    s = load_scenario(TINY)
    p = make_plan(s, "withdrawal", time_limit=3, workers=1)
    with db.write() as ses:
        rec = PlanRecord(operation_id=op["id"], revision_id=op["latest_revision"]["id"],
                         phase="withdrawal", kind="plan", status=p.status,
                         completion=p.completion, body=json.dumps(plan_to_dict(p, s.operation.tz)),
                         created_at=utcnow(), created_by=1)
        ses.add(rec)
        ses.flush()
        ses.add(Announcement(operation_id=op["id"], phase="withdrawal", plan_id=rec.id,
                             created_at=utcnow(), created_by=1))
    with TestClient(app) as c:
        r = c.post(f"/api/operations/{op['id']}/events", headers=h, json={
            "phase": "withdrawal", "events": [{"type": "airfield_closed", "airfield": "HOM",
                                               "from": "2022-01-14T00:00+06:00",
                                               "to": "2022-01-14T02:00+06:00",
                                               "time": "2022-01-13T00:00+06:00"}]})
        assert r.status_code == 201, r.text
    return app, token


_ROOT = Path(tempfile.mkdtemp(prefix="contingent-fuzz-"))
atexit.register(shutil.rmtree, _ROOT, True)
APP, TOKEN = _seeded_app(_ROOT)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
