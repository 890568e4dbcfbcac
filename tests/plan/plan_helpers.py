"""Small problems shared by the planner's tests."""

from __future__ import annotations

from pathlib import Path

from contingent.plan.problem import Problem, build_problem
from contingent.scenario import loads_scenario

TINY = (Path(__file__).parents[1] / "fixtures" / "tiny.yaml").read_text()


def one_tail_three_lifts(count: int = 1, pax: int = 120) -> Problem:
    """tiny.yaml's withdrawal with 150 passengers (``pax`` + 30) to lift THA->HOM by ``count``
    aircraft (50 seats each) based at HOM, everyone released at the phase start."""
    text = (TINY.replace("count: 2, base: HOM", f"count: {count}, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", f"personnel: {pax}")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards'))
    return build_problem(loads_scenario(text, "tiny-one-tail.yaml"), "withdrawal")
