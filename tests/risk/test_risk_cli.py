"""``contingent risk``: summary, JSON output, planning first, bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from risk_helpers import TINY_RISK
from typer.testing import CliRunner

from contingent.cli import app
from contingent.planfile import write_plan

RUN = ["risk", str(TINY_RISK), "--phase", "withdrawal", "--runs", "400", "--seed", "5",
       "--workers", "1"]


@pytest.fixture
def plan_file(tmp_path, tiny_risk, tiny_risk_plan):
    path = tmp_path / "plan.json"
    write_plan(tiny_risk_plan, path, tz=tiny_risk.operation.tz)
    return path


def invoke(args):
    return CliRunner().invoke(app, args, env={"COLUMNS": "120", "NO_COLOR": "1"})


def test_risk_with_plan_file(tmp_path, plan_file):
    out = tmp_path / "risk.json"
    r = invoke([*RUN, "--plan", str(plan_file), "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "P(done by deadline)" in text and "interval" in text
    assert "P50" in text and "P90" in text
    assert "Drivers" in text and "sortie aborts" in text
    assert f"risk written to {out}" in text
    d = json.loads(out.read_text())
    assert d["runs"] == 400 and d["seed"] == 5
    assert d["deadline"] == "2022-01-13T18:00:00+06:00"
    assert 0 <= d["p_by_deadline_ci"][0] <= d["p_by_deadline"] <= d["p_by_deadline_ci"][1] <= 1
    for k in ("p10", "p50", "p90"):
        datetime.fromisoformat(d["completion_quantiles"][k])
    assert set(d["nations"]) == {"RUS", "BLR"}
    assert d["drivers"][0]["source"] == "sortie-abort"
    assert all(set(x) >= {"source", "effect"} for x in d["drivers"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # drivers are printed in the JSON's order
    pos = [text.index(label) for label in ("sortie aborts", "weather closures")]
    assert pos == sorted(pos)


def test_risk_plans_first_without_plan_file():
    pytest.importorskip("contingent.plan")
    r = invoke(RUN)
    assert r.exit_code == 0, r.output
    assert "P(done by deadline)" in r.stdout


def test_reference_engine_from_the_command_line(plan_file):
    r = invoke([*RUN[:4], "--runs", "30", "--workers", "1", "--plan", str(plan_file),
                "--engine", "reference"])
    assert r.exit_code == 0, r.output
    assert "reference engine" in r.stdout


def test_same_seed_same_json(tmp_path, plan_file):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert invoke([*RUN, "--plan", str(plan_file), "--out", str(a)]).exit_code == 0
    assert invoke([*RUN, "--plan", str(plan_file), "--out", str(b)]).exit_code == 0
    assert a.read_text() == b.read_text()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--plan", "missing.json"], "missing.json: (document): no such file"),
        (["--out", "no/such/dir/risk.json"], "no such directory"),
        (["--phase", "deployment"], "the scenario has no deployment phase"),
    ],
    ids=["no plan file", "no out directory", "no such phase"],
)
def test_bad_input_exits_2(args, fragment):
    base = [a for a in RUN if a != "withdrawal"]
    if "--phase" not in args:
        base.insert(base.index("--phase") + 1, "withdrawal")
    else:
        base.remove("--phase")
    r = invoke([*base, *args])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_plan_for_the_wrong_scenario(tmp_path, tiny_risk_plan, tiny_risk):
    path = tmp_path / "plan.json"
    write_plan(tiny_risk_plan.replace(scenario="other"), path, tz=tiny_risk.operation.tz)
    r = invoke([*RUN, "--plan", str(path)])
    assert r.exit_code == 2
    assert "the plan is for scenario 'other'" in r.stderr


def test_bad_scenario_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_RISK.read_text().replace("probability: 0.4", "probability: 4"))
    r = invoke(["risk", str(bad), "--phase", "withdrawal"])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "disruptions.handovers[0].probability" in lines[0]
