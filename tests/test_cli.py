"""The command line, with a fixed colourless terminal 120 columns wide.

Most commands run in-process (typer's runner, for speed); those about exit codes and
tracebacks run as a subprocess, as a user runs them. Outputs of ``scenarios``, ``validate``
and ``sources`` are compared with the saved files in ``tests/expected/``. After an intended
change of output, regenerate them with::

    UPDATE_EXPECTED=1 .venv/bin/pytest tests/test_cli.py

and review the diff. Tests that need the planner or the checker skip while those modules are
missing and run once they land.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import contingent
from contingent.cli import app, plan_summary
from contingent.planfile import loads_plan
from contingent.scenario import bundled_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected"
TINY = "tests/fixtures/tiny.yaml"
UPDATE = os.environ.get("UPDATE_EXPECTED") == "1"
# A fixed, colourless terminal so that the output is the same everywhere.
FIXED_TERMINAL = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}

# A hand-made withdrawal plan for tiny.yaml that keeps every rule: two aircraft position from
# HOM, U-RUS leaves after the FAC-A handover at 10:00, U-KGZ drives (08:00-11:00 window).
GOOD_PLAN: dict[str, Any] = {
    "format": 1,
    "scenario": "tiny",
    "phase": "withdrawal",
    "status": "given",
    "completion": "2022-01-13T13:22:00+06:00",
    "nations": {
        "BLR": "2022-01-13T12:52:00+06:00",
        "KGZ": "2022-01-13T11:00:00+06:00",
        "RUS": "2022-01-13T13:22:00+06:00",
    },
    "sorties": [
        {"id": "P1", "kind": "positioning", "aircraft_type": "JET", "tail": "F1-01",
         "operator": "RUS", "origin": "HOM", "destination": "THA",
         "departure": "2022-01-13T05:00:00+06:00", "arrival": "2022-01-13T07:52:00+06:00"},
        {"id": "P2", "kind": "positioning", "aircraft_type": "JET", "tail": "F1-02",
         "operator": "RUS", "origin": "HOM", "destination": "THA",
         "departure": "2022-01-13T05:00:00+06:00", "arrival": "2022-01-13T07:52:00+06:00"},
        {"id": "L1", "kind": "lift", "aircraft_type": "JET", "tail": "F1-01",
         "operator": "RUS", "nations": ["RUS", "BLR"], "origin": "THA", "destination": "HOM",
         "departure": "2022-01-13T10:00:00+06:00", "arrival": "2022-01-13T12:52:00+06:00",
         "units": [{"unit": "U-RUS", "pax": 10, "vehicles": {"CAR": 2}, "cargo_kg": 1000},
                   {"unit": "U-BLR", "pax": 30}]},
        {"id": "L2", "kind": "lift", "aircraft_type": "JET", "tail": "F1-02",
         "operator": "RUS", "nations": ["RUS"], "origin": "THA", "destination": "HOM",
         "departure": "2022-01-13T10:30:00+06:00", "arrival": "2022-01-13T13:22:00+06:00",
         "units": [{"unit": "U-RUS", "pax": 50}]},
    ],
    "road_moves": [
        {"id": "R1", "nation": "KGZ", "units": ["U-KGZ"], "from": "THA-TOWN", "to": "BORDER",
         "start": "2022-01-13T08:00:00+06:00", "end": "2022-01-13T11:00:00+06:00"},
    ],
    "facilities": [
        {"id": "FAC-A", "handover": "2022-01-13T10:00:00+06:00", "released_units": ["U-RUS"]},
    ],
}


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scenario paths are given relative to the repository, as a user in it would.
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Ran:
    """Run the CLI in-process; an unexpected exception fails the test with its traceback."""
    result = CliRunner().invoke(app, list(args), env=FIXED_TERMINAL, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str) -> Ran:
    """Run ``python -m contingent`` as a user does."""
    result = subprocess.run(
        [sys.executable, "-m", "contingent", *args],
        capture_output=True, text=True, env={**os.environ, **FIXED_TERMINAL}, cwd=ROOT,
        timeout=300,
    )
    return Ran(result.returncode, result.stdout, result.stderr)


def normalise(text: str) -> str:
    """Machine-independent text: the install folder replaced, trailing blanks dropped."""
    folder = str(next(iter(bundled_scenarios().values())).parent)
    text = text.replace(folder, "<bundled>")
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def compare(name: str, text: str) -> None:
    """Compare with ``tests/expected/<name>``, or write it when UPDATE_EXPECTED=1."""
    path = EXPECTED / name
    text = normalise(text)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_EXPECTED=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"output differs from {path.relative_to(ROOT)}; if the change is intended, "
        "regenerate with UPDATE_EXPECTED=1 and review the diff"
    )


def write_plan_file(tmp_path: Path, plan: dict[str, Any], name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    return path


def no_traceback(result: Ran) -> None:
    assert "Traceback" not in result.stdout + result.stderr


# --- scenarios, validate, sources -----------------------------------------------------


def test_version() -> None:
    result = run_process("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"contingent {contingent.__version__}"


def test_scenarios() -> None:
    result = run("scenarios")
    assert result.returncode == 0, result.stderr
    assert "kazakhstan-2022" in result.stdout
    compare("scenarios.txt", result.stdout)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [("kazakhstan-2022", "validate-kazakhstan-2022.txt"), (TINY, "validate-tiny.txt")],
)
def test_validate_ok(scenario: str, expected: str) -> None:
    result = run("validate", scenario)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith(f"OK {scenario}: ")
    compare(expected, result.stdout)


def test_validate_kazakhstan_counts() -> None:
    line = run("validate", "kazakhstan-2022").stdout
    for part in ("5 nations", "2,030 personnel", "250 vehicles", "14 facilities"):
        assert part in line


def test_validate_lists_every_error_on_stderr(tmp_path: Path) -> None:
    text = (ROOT / TINY).read_text(encoding="utf-8")
    bad = tmp_path / "two-errors.yaml"
    bad.write_text(text.replace("base: HOM", "base: HOX").replace("{unit: U-RUS", "{unit: U-X"),
                   encoding="utf-8")
    result = run_process("validate", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert f"{bad}:23: fleets[F1].base: unknown airfield 'HOX'" in lines
    assert f"{bad}:34: facilities[FAC-A].guards[0].unit: unknown unit 'U-X'" in lines
    assert all(re.match(rf"^{re.escape(str(bad))}:\d+: \S+: ", line) for line in lines)


def test_validate_unknown_scenario() -> None:
    result = run_process("validate", "no-such-scenario")
    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.startswith("no-such-scenario: (document): no such file or bundled")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((TINY,), "sources-tiny.txt"),
        (("kazakhstan-2022",), "sources-kazakhstan-2022.txt"),
        (("kazakhstan-2022", "--assumed-only"), "sources-kazakhstan-2022-assumed.txt"),
    ],
)
def test_sources_table(args: tuple[str, ...], expected: str) -> None:
    result = run("sources", *args)
    assert result.returncode == 0, result.stderr
    s = load_scenario(args[0])
    reported = sum(1 for f in s.figures if f.kind == "reported")
    count = f"{len(s.figures)} figures: {reported} reported, {len(s.figures) - reported} assumed"
    assert result.stdout.splitlines()[-1].startswith(count)
    compare(expected, result.stdout)


def test_sources_csv() -> None:
    result = run("sources", "kazakhstan-2022", "--assumed-only", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    s = load_scenario("kazakhstan-2022")
    assumed = [f for f in s.figures if f.kind == "assumed"]
    assert len(rows) == len(assumed)
    assert {r["kind"] for r in rows} == {"assumed"}
    assert rows[0] == {
        "field": assumed[0].path, "value": str(assumed[0].value), "kind": "assumed",
        "source_or_reason": assumed[0].provenance, "line": str(assumed[0].line),
    }
    # The count goes to stderr, so stdout stays plain CSV.
    assert result.stderr.startswith(f"{len(s.figures)} figures: ")
    compare("sources-kazakhstan-2022-assumed.csv", result.stdout)


def test_sources_bad_format() -> None:
    result = run("sources", TINY, "--format", "xml")
    assert result.returncode == 2
    no_traceback(result)


# --- check --------------------------------------------------------------------------------


def test_check_plan_file_with_located_error(tmp_path: Path) -> None:
    plan = copy.deepcopy(GOOD_PLAN)
    plan["sorties"][3]["units"][0]["pax"] = "fifty"
    path = write_plan_file(tmp_path, plan)
    result = run_process("check", TINY, str(path))
    assert result.returncode == 2
    no_traceback(result)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "fifty" in text)
    assert re.match(
        rf"^{re.escape(str(path))}:{line}: sorties\[L2\]\.units\[0\]\.pax: ", result.stderr
    ), result.stderr


def test_check_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "phase": "withdrawal",\n  "sorties": [\n}\n', encoding="utf-8")
    result = run("check", TINY, str(path))
    assert result.returncode == 2
    no_traceback(result)
    assert re.match(rf"^{re.escape(str(path))}:4: \(document\): invalid JSON", result.stderr)


def test_check_plan_for_another_scenario(tmp_path: Path) -> None:
    path = write_plan_file(tmp_path, {**GOOD_PLAN, "scenario": "other"})
    result = run("check", TINY, str(path))
    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.startswith(f"{path}:3: scenario: the plan is for scenario 'other'")


def test_check_missing_plan_file(tmp_path: Path) -> None:
    result = run("check", TINY, str(tmp_path / "none.json"))
    assert result.returncode == 2
    no_traceback(result)
    assert "no such file" in result.stderr


def test_check_good_plan(tmp_path: Path) -> None:
    checker = pytest.importorskip("contingent.check", reason="contingent.check not written yet")
    result = run("check", TINY, str(write_plan_file(tmp_path, GOOD_PLAN)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"plan satisfies all {len(checker.RULES)} rules"


def test_check_lists_violations(tmp_path: Path) -> None:
    pytest.importorskip("contingent.check", reason="contingent.check not written yet")
    plan = copy.deepcopy(GOOD_PLAN)
    # L2 leaves before the FAC-A handover releases U-RUS.
    plan["sorties"][3]["departure"] = "2022-01-13T09:00:00+06:00"
    plan["sorties"][3]["arrival"] = "2022-01-13T11:52:00+06:00"
    result = run("check", TINY, str(write_plan_file(tmp_path, plan)))
    assert result.returncode == 1
    no_traceback(result)
    lines = result.stdout.splitlines()
    assert any(line.startswith("[release] sortie L2: ") for line in lines), result.stdout
    assert all(re.match(r"^\[[a-z-]+\] .+: ", line) for line in lines[:-1])
    assert re.match(r"^\d+ violations?$", lines[-1])


# --- plan ---------------------------------------------------------------------------------


def test_plan_summary_of_a_hand_made_plan() -> None:
    s = load_scenario(ROOT / TINY)
    plan = loads_plan(json.dumps(GOOD_PLAN))
    plan = plan.replace(lower_bound=plan.completion.replace(hour=12),  # type: ignore[union-attr]
                        binding="release of U-RUS", sorties_lower_bound=4)
    console = Console(width=120, record=True, no_color=True, file=io.StringIO())
    console.print(plan_summary(s, plan))
    text = console.export_text()
    assert "tiny withdrawal: given" in text
    assert "completion   Thu 13 Jan 13:22" in text
    assert "gap 60 min (1.0 h)" in text
    assert "binding      release of U-RUS" in text
    assert "sorties      4: 2 lift, 2 positioning; lower bound 4" in text
    assert re.search(r"THA\s+4\s+2/4", text)
    assert re.search(r"RUS\s+air\s+Thu 13 Jan 13:22\s+2\s+60", text)
    assert re.search(r"R1\s+KGZ\s+U-KGZ\s+THA-TOWN\s+BORDER", text)


def test_plan_phase_missing_from_scenario(tmp_path: Path) -> None:
    text = (ROOT / TINY).read_text(encoding="utf-8")
    only = tmp_path / "withdrawal-only.yaml"
    only.write_text(text.replace(
        '    deployment:\n      start: {value: "2022-01-06T00:00:00+06:00", assumed: test}\n', ""
    ), encoding="utf-8")
    result = run("plan", str(only), "--phase", "deployment")
    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.startswith(f"{only}: operation.phases: the scenario has no deployment")


def test_plan_bad_phase_and_out_folder(tmp_path: Path) -> None:
    result = run("plan", TINY, "--phase", "invasion")
    assert result.returncode == 2
    no_traceback(result)
    result = run("plan", TINY, "--phase", "withdrawal", "--out", str(tmp_path / "no" / "p.json"))
    assert result.returncode == 2
    no_traceback(result)
    assert "no such directory" in result.stderr


def _planner() -> None:
    module = pytest.importorskip("contingent.plan", reason="contingent.plan not written yet")
    if not hasattr(module, "plan"):
        pytest.skip("contingent.plan.plan not written yet")


def test_plan_and_check_tiny(tmp_path: Path) -> None:
    _planner()
    pytest.importorskip("contingent.check", reason="contingent.check not written yet")
    out = tmp_path / "tiny-withdrawal.json"
    result = run("plan", TINY, "--phase", "withdrawal", "--out", str(out),
                 "--time-limit", "20", "--workers", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    for part in ("completion", "lower bound", "gap", "sorties", "THA", "per nation"):
        assert part in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["scenario"], data["phase"]) == ("tiny", "withdrawal")
    assert data["completion"].endswith("+06:00")  # theatre time
    checked = run("check", TINY, str(out))
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("plan satisfies all ")


def test_plan_infeasible_exits_1(tmp_path: Path) -> None:
    _planner()
    text = (ROOT / TINY).read_text(encoding="utf-8")
    # The withdrawal deadline falls before the FAC-A handover releases U-RUS.
    early = tmp_path / "early-deadline.yaml"
    early.write_text(text.replace("2022-01-16T00:00:00+06:00", "2022-01-13T09:00:00+06:00"),
                     encoding="utf-8")
    out = tmp_path / "none.json"
    result = run("plan", str(early), "--phase", "withdrawal", "--out", str(out),
                 "--time-limit", "20", "--workers", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    assert "infeasible" in result.stdout
    assert "no plan" in result.stdout
    assert not out.exists()
