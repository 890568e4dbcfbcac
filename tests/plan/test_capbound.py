"""Departure-slot bounds: worked by hand on tiny cases, never above a checked plan."""

from __future__ import annotations

import re

import pytest
from plan_helpers import TINY

from contingent.check import check
from contingent.generate import generate
from contingent.plan import plan
from contingent.plan.bounds import all_bounds
from contingent.plan.capbound import (
    cap_bounds,
    departure_days_bound,
    lift_prices,
    theatre_exits_bound,
)
from contingent.plan.problem import Problem, build_problem
from contingent.scenario import load_scenario, loads_scenario

NAMES = ("departure-days", "theatre-exits")


def eight_lifts(phase: str, hours: bool = False) -> Problem:
    """tiny.yaml with 400 passengers THA<->HOM (8 lifts of 50 seats), 8 aircraft at HOM,
    THA capped at 4 departures a day with 2 places; optionally THA open 08:00-20:00."""
    text = (TINY.replace("count: 2, base: HOM", "count: 8, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 370")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards'))
    if hours:
        text = text.replace("max_on_ground: 2,",
                            'max_on_ground: 2, hours: {open: "08:00", close: "20:00"},')
    return build_problem(loads_scenario(text, "tiny-eight.yaml"), phase)


def test_prices_count_lifts_exactly():
    p = eight_lifts("withdrawal")
    prices = lift_prices(p, {"RUS": (370, 0, 37000), "BLR": (30, 0, 3000)})
    assert prices is not None
    # 50 seats and 20 t: a seat is worth 1/50 lift, mass is slack.
    assert prices["RUS"][0] == pytest.approx(1 / 50)
    assert 370 * prices["RUS"][0] + 30 * prices["BLR"][0] == pytest.approx(8, abs=1e-6)


def test_departure_days_by_hand():
    # Withdrawal: 8 lifts leave THA, 4 a day. Day 0 holds 4 (the first tail is ready at
    # B + 60 min); day 1 (from 1440) needs 4 more: 2 may stand on the apron overnight and
    # leave at 1440, the other 2 land from 1440 and turn around (60 min) on 2 places: 1500.
    p = eight_lifts("withdrawal")
    blk = p.block("JET", "THA", "HOM")
    b = departure_days_bound(p)
    assert b is not None and b.name == "departure-days"
    assert b.minute == 1440 + 60 + blk
    assert "THA: 8 lifts" in b.detail


def test_departure_days_with_opening_hours():
    # Same, THA open 08:00-20:00 local (UTC+6, the phase's own zone): day 1 opens at 1920.
    p = eight_lifts("withdrawal", hours=True)
    blk = p.block("JET", "THA", "HOM")
    b = departure_days_bound(p)
    assert b is not None
    assert b.minute == 1440 + 480 + 60 + blk


def test_theatre_exits_by_hand():
    # Deployment: 8 lifts land at THA, 2 places, so 6 aircraft must leave before the end;
    # 4 may leave on day 0, the other 2 (already on the ground) at 1440 at the earliest.
    p = eight_lifts("deployment")
    b = theatre_exits_bound(p)
    assert b is not None and b.name == "theatre-exits"
    assert b.minute == 1440
    hb = theatre_exits_bound(eight_lifts("deployment", hours=True))
    assert hb is not None and hb.minute == 1440 + 480


def test_all_bounds_lists_them_strongest_first():
    p = eight_lifts("withdrawal")
    bounds = all_bounds(p)
    assert [b.minute for b in bounds] == sorted((b.minute for b in bounds), reverse=True)
    assert "departure-days" in [b.name for b in bounds]


def _tight(text: str) -> str:
    """Daily caps cut to a sixth, so that they bind."""
    return re.sub(r"departure_cap_per_day: (\d+)",
                  lambda m: f"departure_cap_per_day: {max(2, int(m.group(1)) // 6)}", text)


@pytest.mark.parametrize("tight", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_never_above_a_checked_plan(seed, phase, tight):
    text = generate(300, 6, 80, 4, seed)
    s = loads_scenario(_tight(text) if tight else text, f"g{seed}.yaml")
    p = build_problem(s, phase)
    found = cap_bounds(p)
    assert found
    pl = plan(s, phase, time_limit=1, workers=1)
    assert check(s, pl) == []
    assert pl.completion is not None
    for b in found:
        assert p.time(b.minute) <= pl.completion, b
    listed = [b for b in pl.bounds if b.name in NAMES]
    assert listed and all(b.value <= pl.completion for b in listed)


@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_kazakhstan_never_above_its_plan(phase):
    s = load_scenario("kazakhstan-2022")
    p = build_problem(s, phase)
    pl = plan(s, phase, time_limit=3, workers=1)
    assert check(s, pl) == []
    assert pl.completion is not None
    for b in cap_bounds(p):
        assert p.time(b.minute) <= pl.completion, b
