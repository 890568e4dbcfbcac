"""The time-indexed MIP baseline: its plans pass the checker, rule by rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from contingent.check import check
from contingent.generate import generate
from contingent.plan import build_problem
from contingent.plan.greedy import greedy
from contingent.plan.mip import plan_from_legs, solve_mip
from contingent.scenario import Scenario, loads_scenario

TINY = (Path(__file__).parents[1] / "fixtures" / "tiny.yaml").read_text()


def _tiny(*edits: tuple[str, str]) -> Scenario:
    text = TINY
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return loads_scenario(text, "tiny.yaml")


def _solve(s: Scenario, phase: str, **kw: object):
    r = solve_mip(s, phase, time_limit=30, threads=1, **kw)  # type: ignore[arg-type]
    assert r.stats.solver == "HIGHS"
    assert r.plan.completion is not None, (r.stats, r.plan.message)
    assert check(s, r.plan) == []
    assert r.plan.lower_bound is not None and r.plan.lower_bound <= r.plan.completion
    return r


def test_tiny_withdrawal_is_optimal_and_checked() -> None:
    s = _tiny()
    r = _solve(s, "withdrawal")
    assert r.stats.status == "optimal"
    assert r.plan.status == "optimal"  # meets the independent lower bound
    assert r.stats.variables > 0 and r.stats.integer_variables > 0
    assert {so.kind for so in r.plan.sorties} == {"lift", "positioning"}
    assert r.plan.road_moves and r.plan.facilities


def test_tiny_deployment_with_a_horizon() -> None:
    _solve(_tiny(), "deployment", horizon=24 * 60)


def test_caps_ground_limit_hours_closures_and_before_rules_hold() -> None:
    s = _tiny(
        ("departure_cap_per_day: 4, max_on_ground: 2",
         "departure_cap_per_day: 2, max_on_ground: 1, hours: {open: \"09:00\", close: \"18:00\"}, "
         "closures: [{from: \"2022-01-13T13:00:00+06:00\", to: \"2022-01-13T15:00:00+06:00\"}]"),
        ("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000",
         "personnel: 150, vehicles: {CAR: 3}, cargo_kg: 9000"),
        ("  - kind: road\n", "  - {kind: before, first: [BLR], then: [RUS], assumed: test}\n"
         "  - kind: road\n"),
        ('deadline: {value: "2022-01-16', 'deadline: {value: "2022-01-18'),
    )
    r = _solve(s, "withdrawal", bucket=30)
    lifts = [so for so in r.plan.sorties if so.kind == "lift"]
    blr = max(so.departure for so in lifts if "BLR" in so.nations)
    rus = min(so.departure for so in lifts if "RUS" in so.nations)
    assert blr < rus


def test_generated_scenario() -> None:
    s = loads_scenario(generate(4, 3, 3, 2, 1), "g.yaml")
    p = build_problem(s, "withdrawal")
    legs = greedy(p)
    assert legs is not None
    _solve(s, "withdrawal", bucket=60)


def test_plan_from_greedy_legs_passes_the_checker() -> None:
    s = loads_scenario(generate(12, 6, 10, 3, 1), "g.yaml")
    for phase in ("deployment", "withdrawal"):
        p = build_problem(s, phase)  # type: ignore[arg-type]
        legs = greedy(p)
        assert legs is not None
        pl = plan_from_legs(p, legs)
        assert pl.status in ("optimal", "feasible")
        assert check(s, pl) == []


def test_too_large_is_reported_not_built() -> None:
    r = solve_mip(_tiny(), "withdrawal", max_arcs=10)
    assert r.stats.status == "too-large"
    assert r.plan.status == "unknown" and r.plan.completion is None
    assert "not built" in r.plan.message


@pytest.mark.parametrize("bucket", [20, 60])
def test_other_buckets(bucket: int) -> None:
    r = _solve(_tiny(), "withdrawal", bucket=bucket)
    assert r.stats.bucket == bucket
    assert all((so.departure - so.departure.replace(hour=0, minute=0)).seconds % (bucket * 60)
               == 0 for so in r.plan.sorties)
