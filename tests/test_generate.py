"""The scenario generator: valid scenarios, byte-identical per seed, plans the checker accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contingent.check import check
from contingent.generate import generate
from contingent.plan import build_problem, plan
from contingent.plan.greedy import greedy
from contingent.scenario import loads_scenario

SIZES = [(1, 2, 1, 1, 0), (12, 6, 10, 3, 1), (45, 12, 30, 5, 2)]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contingent", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize("size", SIZES)
def test_generated_scenarios_pass_validate(tmp_path: Path, size: tuple[int, ...]) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(generate(*size))
    done = _cli("validate", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK {path}")


def test_cli_writes_the_same_file_for_the_same_seed(tmp_path: Path) -> None:
    args = ["generate", "--units", "20", "--airfields", "7", "--aircraft", "12", "--days", "4",
            "--seed", "5"]
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    # Different hash seeds: nothing may depend on set or dict-of-str iteration order.
    first = _cli(*args, "--out", str(a), env={"PYTHONHASHSEED": "1"})
    second = _cli(*args, "--out", str(b), env={"PYTHONHASHSEED": "2"})
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "wrote" in first.stdout and "20 units" in first.stdout
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text() == generate(20, 7, 12, 4, 5)


def test_cli_refuses_bad_sizes() -> None:
    done = _cli("generate", "--units", "0", "--airfields", "3", "--aircraft", "2", "--days", "2")
    assert done.returncode == 2


def test_same_seed_same_text_and_seeds_differ() -> None:
    assert generate(30, 8, 20, 4, 3) == generate(30, 8, 20, 4, 3)
    texts = {generate(30, 8, 20, 4, seed) for seed in range(5)}
    assert len(texts) == 5


@pytest.mark.parametrize("bad", [(0, 3, 2, 2), (3, 1, 2, 2), (3, 3, 0, 2), (3, 3, 2, 0)])
def test_bad_sizes_raise(bad: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(*bad, seed=0)


def test_every_figure_is_assumed_generated_and_the_scenario_is_rich() -> None:
    s = loads_scenario(generate(60, 12, 40, 5, 4), "g.yaml")
    assert s.figures and all(f.kind == "assumed" and f.provenance == "generated"
                             for f in s.figures)
    assert len(s.units) == 60 and sum(f.count for f in s.fleets) == 40
    assert len(s.airfields) == 12
    assert len({f.type for f in s.fleets}) >= 2 and len({f.operator for f in s.fleets}) >= 2
    assert {r.kind for r in s.rules} == {"fly_within", "before", "road"}
    assert s.facilities and s.road_routes and s.cap_groups
    assert any(u.mode == "road" for u in s.units)
    assert any(u.vehicles for u in s.units) and all(u.personnel > 0 for u in s.units)
    theatre = [s.airfield[a] for a in s.operation.theatre_airfields]
    assert any(a.departure_cap_per_day for a in theatre)
    assert all(a.max_on_ground for a in theatre)
    assert any(a.hours for a in s.airfields) and any(a.closures for a in s.airfields)
    assert all(s.window(ph).deadline is not None for ph in ("deployment", "withdrawal"))


@pytest.mark.parametrize("seed", range(6))
def test_greedy_finds_a_plan_for_both_phases(seed: int) -> None:
    s = loads_scenario(generate(25, 8, 16, 4, seed), "g.yaml")
    for phase in ("deployment", "withdrawal"):
        assert greedy(build_problem(s, phase)) is not None, (seed, phase)


@pytest.mark.parametrize(("seed", "phase"), [(0, "deployment"), (1, "withdrawal"),
                                              (2, "withdrawal")])
def test_planner_plans_on_generated_scenarios_pass_the_checker(seed: int, phase: str) -> None:
    s = loads_scenario(generate(6, 4, 4, 3, seed), "g.yaml")
    pl = plan(s, phase, time_limit=3, workers=1)  # type: ignore[arg-type]
    assert pl.completion is not None, pl.message
    assert check(s, pl) == []
    assert pl.lower_bound is not None and pl.lower_bound <= pl.completion
