"""``contingent report`` and ``contingent export`` on the tiny scenario."""

from __future__ import annotations

import json

import pytest
from report_helpers import FIXTURES, make_plan
from typer.testing import CliRunner

from contingent.cli import app
from contingent.planfile import write_plan

TINY = str(FIXTURES / "tiny.yaml")
runner = CliRunner()


@pytest.fixture()
def plan_file(tmp_path, tiny):
    path = tmp_path / "plan.json"
    write_plan(make_plan(), path, tz=tiny.operation.tz)
    return path


def run(*args: str):
    return runner.invoke(app, list(args))


def one_error_line(result) -> str:
    err = result.stderr.strip().splitlines()
    assert len(err) == 1, result.stderr
    assert "Traceback" not in result.output
    return err[0]


def test_report_from_plan_file(plan_file, risk_file, tmp_path):
    out = tmp_path / "rep"
    r = run("report", TINY, "--phase", "withdrawal", "--plan", str(plan_file),
            "--risk", str(risk_file), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "report written to" in r.stdout and "7 pictures" in r.stdout
    assert (out / "report.html").stat().st_size > 10_000
    assert "The independent checker" in (out / "report.html").read_text()


def test_report_without_plan_calls_the_planner(monkeypatch, tmp_path):
    import contingent.plan

    calls = []

    def fake_plan(scenario, phase, *, time_limit=None, workers=None, **kw):
        calls.append((scenario.scenario, phase, time_limit))
        return make_plan()

    monkeypatch.setattr(contingent.plan, "plan", fake_plan)
    r = run("report", TINY, "--phase", "withdrawal", "--out", str(tmp_path / "rep"),
            "--time-limit", "5")
    assert r.exit_code == 0, r.output
    assert calls == [("tiny", "withdrawal", 5.0)]
    assert (tmp_path / "rep" / "report.html").exists()


@pytest.mark.parametrize(("args", "expect"), [
    (["--phase", "retreat"], "<command line>: --phase: unknown phase 'retreat'"),
    (["--phase", "deployment"], "the plan is for the withdrawal phase, not deployment"),
])
def test_report_bad_phase(plan_file, tmp_path, args, expect):
    out = tmp_path / "rep"
    r = run("report", TINY, *args, "--plan", str(plan_file), "--out", str(out))
    assert r.exit_code == 2
    assert expect in one_error_line(r)
    assert not out.exists()


def test_report_unreadable_plan_is_located(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "phase": "withdrawal",\n  "sorties": [{"kind": "lift"}]\n}\n')
    r = run("report", TINY, "--phase", "withdrawal", "--plan", str(bad),
            "--out", str(tmp_path / "rep"))
    assert r.exit_code == 2
    line = one_error_line(r)
    assert line.startswith(f"{bad}:3: sorties[0]")
    missing = run("report", TINY, "--phase", "withdrawal", "--plan", str(tmp_path / "nope.json"),
                  "--out", str(tmp_path / "rep"))
    assert missing.exit_code == 2 and str(tmp_path / "nope.json") in one_error_line(missing)
    assert not (tmp_path / "rep").exists()


def test_report_bad_risk_file(plan_file, tmp_path):
    risk = tmp_path / "risk.json"
    risk.write_text(json.dumps({"p_by_deadline": 1.5, "completion_quantiles": {}}))
    r = run("report", TINY, "--phase", "withdrawal", "--plan", str(plan_file),
            "--risk", str(risk), "--out", str(tmp_path / "rep"))
    assert r.exit_code == 2
    assert "p_by_deadline: expected a probability in [0, 1], got 1.5" in one_error_line(r)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_formats(plan_file, tmp_path, fmt):
    out = tmp_path / f"plan.{fmt}"
    r = run("export", TINY, "--phase", "withdrawal", "--plan", str(plan_file),
            "--format", fmt, "--out", str(out))
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["plan.json", out.name])


def test_export_bad_input(plan_file, tmp_path):
    r = run("export", TINY, "--phase", "withdrawal", "--plan", str(plan_file),
            "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    assert r.exit_code == 2 and "unknown format 'pdf'" in one_error_line(r)
    r = run("export", TINY, "--phase", "withdrawal", "--plan", str(plan_file),
            "--format", "csv", "--out", str(tmp_path / "no" / "x.csv"))
    assert r.exit_code == 2 and "no such directory" in one_error_line(r)
