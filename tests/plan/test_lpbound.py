"""The flow LP bound: exact on a case worked by hand, below every plan, within its budget."""

from __future__ import annotations

import time

import pytest
from plan_helpers import one_tail_three_lifts

from contingent.generate import generate
from contingent.plan.bounds import _ready, all_bounds
from contingent.plan.greedy import completion_of, greedy
from contingent.plan.lpbound import FlowLP, flow_bound
from contingent.plan.problem import build_problem
from contingent.scenario import loads_scenario


def test_one_tail_three_lifts_exact_bound():
    # 150 passengers, 50 seats: three lifts THA->HOM by the single tail based at HOM. It is
    # ready at THA after positioning (block B) and a turnaround; between two lift departures
    # it flies home, turns, flies back and turns (cycle 2B + 2 * 60). With hour buckets the
    # LP lets the third lift depart in the bucket b3 holding ready + 2 * cycle, counted from
    # the bucket's start, so the LP's bound is b3 * 60 + B: never above the true
    # ready + 2 * cycle + B, and less than one bucket below it.
    p = one_tail_three_lifts()
    blk = p.block("JET", "THA", "HOM")
    ready = _ready(p, p.fleets[0], "THA")
    cycle = 2 * blk + 2 * p.fleets[0].turnaround
    upper = completion_of(p, greedy(p))
    assert upper == ready + 2 * cycle + blk
    lp = FlowLP(p, upper)
    assert lp.dt == 60
    b3 = -(-(ready + 2 * cycle + 1) // lp.dt) - 1
    flow = flow_bound(p, 0, upper)
    assert flow is not None
    assert flow.minute == b3 * lp.dt + blk
    assert upper - lp.dt < flow.minute <= upper


def test_fleets_of_one_type_and_carries_are_merged():
    p = build_problem(loads_scenario(generate(60, 8, 40, 4, 3), "g.yaml"), "withdrawal")
    lp = FlowLP(p, 10_000)
    keys = {(f.type, f.carries) for f in p.fleets if f.carries & {u.nation for u in p.units}}
    assert len(lp.classes) == len(keys)
    assert sum(c.count for c in lp.classes) == sum(
        f.count for f in p.fleets if (f.type, f.carries) in keys)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_bound_below_greedy_plans(seed, phase):
    p = build_problem(loads_scenario(generate(40, 8, 30, 4, seed), "g.yaml"), phase)
    g = greedy(p)
    assert g is not None
    upper = completion_of(p, g)
    lower = all_bounds(p)[0].minute
    for level in (0, 1, 2):
        lp = FlowLP(p, upper, level)
        lp.build()
        # The relaxation admits the greedy plan's completion (it is a relaxation).
        assert lp.solve(upper) is True
    flow = flow_bound(p, lower, upper)
    assert flow is None or lower < flow.minute <= upper
    # Coarser models are never stronger than the plan either.
    flow0 = flow_bound(p, 0, upper, max_vars=0)
    assert flow0 is None or flow0.minute <= upper


def test_respects_seconds():
    p = build_problem(loads_scenario(generate(400, 16, 140, 6, 1), "g.yaml"), "withdrawal")
    upper = completion_of(p, greedy(p))
    lower = all_bounds(p)[0].minute
    for seconds in (0.05, 0.5):
        t = time.perf_counter()
        flow = flow_bound(p, lower, upper, seconds=seconds)
        assert time.perf_counter() - t < seconds + 0.5
        assert flow is None or lower < flow.minute <= upper
