"""The fleet-work bound: exact on a case worked by hand, never above a plan, fast."""

from __future__ import annotations

import importlib
import math
import re

import pytest
from plan_helpers import TINY, one_tail_three_lifts

from contingent.check import check
from contingent.generate import generate
from contingent.plan import plan
from contingent.plan.bounds import MinuteBound
from contingent.plan.greedy import completion_of, greedy
from contingent.plan.mip import plan_from_legs
from contingent.plan.problem import Problem, build_problem
from contingent.plan.workbound import (
    cap_day_opens,
    cap_days_bound,
    days_before,
    lift_plan,
    work_bound,
)
from contingent.scenario import loads_scenario


def test_one_tail_three_lifts_is_exact():
    # 150 passengers, 50 seats: three lifts THA->HOM by one tail based at HOM. Each lift costs
    # positioning in (B), a turnaround, the lift (B) and the turnaround before the positioning;
    # the first positioning has no turnaround before it: 3 * (2B + 2ta) - ta.
    p = one_tail_three_lifts()
    blk = p.block("JET", "THA", "HOM")
    assert p.block("JET", "HOM", "THA") == blk
    ta = p.fleets[0].turnaround
    bound = work_bound(p)
    assert bound is not None and bound.name == "fleet-work"
    assert bound.minute == 6 * blk + 5 * ta
    # The greedy flies exactly that chain: the bound is tight.
    assert completion_of(p, greedy(p)) == bound.minute


def test_whole_lifts_round_up_per_route():
    # 160 passengers, 50 seats: the LP flies 3.2 lifts, a plan flies 4. With the cost per lift
    # of the case above (2B + 2ta, minus ta once): LP 3.2 * (2B + 2ta) - ta, whole 8B + 7ta.
    p = one_tail_three_lifts(pax=130)
    blk, ta = p.block("JET", "THA", "HOM"), p.fleets[0].turnaround
    lp = work_bound(p, integer=False)
    whole = work_bound(p)
    assert lp is not None and whole is not None
    assert lp.minute == math.ceil(3.2 * (2 * blk + 2 * ta) - ta - 1e-6)
    assert whole.minute == 8 * blk + 7 * ta
    assert "whole lifts" in whole.detail and "whole lifts" not in lp.detail
    assert completion_of(p, greedy(p)) == whole.minute


def test_more_aircraft_lower_bound():
    one = work_bound(one_tail_three_lifts())
    two = work_bound(one_tail_three_lifts(count=2))
    assert one is not None and two is not None
    assert two.minute < one.minute


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_never_above_a_checked_plan(seed, phase):
    s = loads_scenario(generate(40, 8, 24, 4, seed), f"g{seed}.yaml")
    p = build_problem(s, phase)
    legs = greedy(p)
    assert legs is not None
    bound = work_bound(p)
    assert bound is not None
    assert bound.minute <= completion_of(p, legs)


def test_planner_lists_it_and_its_plan_passes_the_checker():
    s = loads_scenario(generate(60, 10, 30, 4, 5), "g5.yaml")
    pl = plan(s, "deployment", time_limit=5, workers=1)
    names = [b.name for b in pl.bounds]
    assert "fleet-work" in names
    assert check(s, pl) == []
    work = next(b for b in pl.bounds if b.name == "fleet-work")
    assert pl.completion is not None and work.value <= pl.completion


def test_aircraft_fly_back_from_where_their_lifts_went():
    # As in the first test, one tail based at HOM lifts 150 RUS passengers THA->HOM, three
    # times. A second nation goes home to NEAR, close to the theatre, in its own aircraft. The
    # RUS tail can never be at NEAR, so each of its lifts still costs the flight back from HOM:
    # 6B + 5ta, not the short hop from NEAR that a lift's nearest destination would give.
    text = (TINY.replace("count: 2, base: HOM, carries: [RUS, BLR]",
                         "count: 1, base: HOM, carries: [RUS]")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 150")
            .replace("personnel: 30, theatre: THA, home: HOM", "personnel: 30, theatre: THA, "
                     "home: NEAR")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards'))
    text = text.replace(
        "  - {id: HOM,",
        "  - {id: NEAR, name: Near, lat: 43.5, lon: 77.5, assumed: test}\n  - {id: HOM,")
    text = text.replace(
        "fleets:\n",
        "fleets:\n  - {id: F2, operator: BLR, type: JET, count: 1, base: NEAR, carries: [BLR], "
        "assumed: test}\n")
    p = build_problem(loads_scenario(text, "tiny-near.yaml"), "withdrawal")
    blk, ta = p.block("JET", "THA", "HOM"), p.fleets[0].turnaround
    assert p.block("JET", "NEAR", "THA") < blk // 4
    bound = work_bound(p)
    assert bound is not None
    assert bound.minute == 6 * blk + 5 * ta
    legs = greedy(p)
    assert legs is not None and completion_of(p, legs) == bound.minute


def test_lift_plan_gives_the_lps_lifts_per_class_and_route():
    # 150 passengers in 50 seats: three lifts THA->HOM, all by the only class.
    p = one_tail_three_lifts()
    lp = lift_plan(p)
    assert lp is not None
    assert lp.lifts == pytest.approx({("JET", frozenset({"RUS", "BLR"}), "THA", "HOM"): 3.0})
    # Its bound is the LP's, and work_bound given it solves only the whole-lift model.
    assert lp.bound == work_bound(p, integer=False)
    assert work_bound(p, lp=lp.bound) == work_bound(p)


# --- cap days ------------------------------------------------------------------------------


def capped_text(cap: int = 1, count: int = 3, extra: str = "") -> str:
    """tiny.yaml with 150 passengers THA->HOM in 50 seats (three lifts) by ``count`` aircraft
    based at HOM, with THA's departures capped at ``cap`` a day (``extra``: more of THA's
    YAML fields)."""
    return (TINY.replace("count: 2, base: HOM", f"count: {count}, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 120")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards')
            .replace("departure_cap_per_day: 4,", f"departure_cap_per_day: {cap},{extra}"))


def capped(cap: int = 1, count: int = 3, extra: str = "") -> Problem:
    """:func:`capped_text`'s withdrawal."""
    return build_problem(loads_scenario(capped_text(cap, count, extra), "tiny-capped.yaml"),
                         "withdrawal")


def test_three_lifts_at_one_a_day_need_the_third_day():
    # THA lets one aircraft leave a day (days from midnight, Almaty): the third lift leaves on
    # the third day at the earliest and lands a flight later. Three aircraft would otherwise
    # be done in one cycle, which is all the fleet-work bound sees.
    p = capped()
    blk = p.block("JET", "THA", "HOM")
    bound = cap_days_bound(p)
    assert bound is not None and bound.name == "cap-days"
    assert bound.minute == 2 * 1440 + blk
    work = work_bound(p)
    assert work is not None and work.minute < 1440
    # The greedy's plan departs at midnight on the third day: the bound is tight.
    legs = greedy(p)
    assert legs is not None and completion_of(p, legs) == bound.minute
    # Two a day: the second day suffices.
    two = cap_days_bound(capped(cap=2))
    assert two is not None and two.minute == 1440 + blk


def test_opening_hours_and_closures_move_the_days_first_departure():
    # Open 06:00-20:00 local: the third day's first departure is at 06:00. A closure over
    # that morning moves it to the closure's end.
    blk = capped().block("JET", "THA", "HOM")
    hours = cap_days_bound(capped(extra=' hours: {open: "06:00", close: "20:00"},'))
    assert hours is not None and hours.minute == 2 * 1440 + 360 + blk
    closed = cap_days_bound(capped(extra=(
        ' hours: {open: "06:00", close: "20:00"}, closures: [{from: "2022-01-15T05:00:00+06:00",'
        ' to: "2022-01-15T09:30:00+06:00", reason: test}],')))
    assert closed is not None and closed.minute == 2 * 1440 + 570 + blk


def test_a_day_is_used_only_by_flights_that_can_still_land_in_time():
    # Two departures a day at THA: five lifts to FAR (long) and one to HOM (short). Six
    # flights need a third day, which alone gives the third day's midnight plus the short
    # lift. But only the short lift may use that day before the long one could land: the
    # five long ones need the first two days (four places), so one of them flies on the
    # third day, and nothing lands all by then plus the long flight.
    src = (TINY.replace("count: 2, base: HOM", "count: 6, base: HOM")
           .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000, theatre: THA, "
                    "home: HOM", "personnel: 250, theatre: THA, home: FAR")
           .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards')
           .replace("departure_cap_per_day: 4,", "departure_cap_per_day: 2,")
           .replace("  - {id: HOM,", "  - {id: FAR, name: Far, lat: 60.0, lon: 30.0, "
                    "assumed: test}\n  - {id: HOM,"))
    p = build_problem(loads_scenario(src, "tiny-far.yaml"), "withdrawal")
    long, short = p.block("JET", "THA", "FAR"), p.block("JET", "THA", "HOM")
    assert long > short
    bound = cap_days_bound(p)
    assert bound is not None and bound.minute == 2 * 1440 + long
    # The greedy's plan lands its last lift then: the bound is tight.
    legs = greedy(p)
    assert legs is not None and completion_of(p, legs) == bound.minute


def test_cap_days_stops_below_a_known_bound_and_above_an_achieved_plan():
    p = capped()
    blk = p.block("JET", "THA", "HOM")
    # Nothing it could prove beats a bound already at the third day.
    assert cap_days_bound(p, above=2 * 1440 + blk) is None
    # Nor is any threshold past a completion said to be achieved (the model holds there):
    # told 24:00, it asks only about the first day, and proves the second.
    told = cap_days_bound(p, upper=1440)
    assert told is not None and told.minute == 1440 + blk
    # No time: nothing is claimed.
    assert cap_days_bound(p, seconds=0.0) is None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_cap_days_never_above_a_checked_plan(seed, phase):
    # Caps cut to a third so that they bind on some seeds.
    text = re.sub(r"departure_cap_per_day: (\d+)",
                  lambda m: f"departure_cap_per_day: {max(1, int(m.group(1)) // 3)}",
                  generate(40, 8, 24, 4, seed))
    s = loads_scenario(text, f"g{seed}.yaml")
    p = build_problem(s, phase)
    legs = greedy(p)
    assert legs is not None
    assert check(s, plan_from_legs(p, legs)) == []
    bound = cap_days_bound(p)
    if bound is not None:
        assert bound.minute <= completion_of(p, legs)


@pytest.mark.parametrize("past", [False, True])
def test_planner_asks_cap_days_between_its_bound_and_its_plan(monkeypatch, caplog, past):
    planner = importlib.import_module("contingent.plan")
    asked: list[tuple[int, int | None]] = []

    def fake(p, seconds=None, *, above=0, upper=None):
        asked.append((above, upper))
        assert upper is not None
        return MinuteBound("cap-days", upper + 1 if past else above + 1, "test")

    monkeypatch.setattr(planner, "cap_days_bound", fake)
    s = loads_scenario(generate(60, 10, 30, 4, 5), "g5.yaml")
    pl = plan(s, "deployment", time_limit=5, workers=1)
    assert asked and all(upper is not None and above < upper for above, upper in asked)
    names = [b.name for b in pl.bounds]
    # Listed when below the plan; above it, it cannot be a relaxation and is dropped.
    assert ("cap-days" in names) is not past
    assert ("cap-days bound above an achieved completion" in caplog.text) is past


# --- day plans -----------------------------------------------------------------------------


def two_types(big_seats: int) -> Problem:
    """:func:`capped` (one departure a day at THA) with a second, slower type of
    ``big_seats`` seats: one aircraft of it, also based at HOM."""
    src = (capped_text(cap=1, count=3)
           .replace("aircraft_types:\n", "aircraft_types:\n  - {id: BIG, seats: "
                    f"{big_seats}, payload_kg: 40000, vehicle_space_m: 20.0, cruise_kmh: 300, "
                    "block_extra_min: 20, turnaround_min: 60, assumed: test}\n")
           .replace("fleets:\n", "fleets:\n  - {id: F2, operator: RUS, type: BIG, count: 1, "
                    "base: HOM, carries: [RUS, BLR], assumed: test}\n"))
    return build_problem(loads_scenario(src, "tiny-two-types.yaml"), "withdrawal")


def test_a_day_plan_flies_the_big_aircraft_where_the_cap_binds():
    # 150 passengers leave THA, one departure a day. Without the caps the LP shares the lifts
    # between three fast 50-seat jets and one slow 150-seat aircraft; within one day (the
    # days that open before minute 1) only the big one's single lift fits.
    p = two_types(150)
    big, jet = (("BIG", frozenset({"RUS", "BLR"}), "THA", "HOM"),
                ("JET", frozenset({"RUS", "BLR"}), "THA", "HOM"))
    free = lift_plan(p)
    assert free is not None and free.lifts[jet] > 0.1
    day = lift_plan(p, before=1)
    assert day is not None
    assert day.lifts[big] == pytest.approx(1.0)
    assert day.lifts[jet] == pytest.approx(0.0, abs=1e-6)
    # It is no bound: its completion is the slow aircraft's, later than the LP's.
    assert day.bound.minute > free.bound.minute


def test_a_day_plan_without_room_in_its_days_is_none():
    # 100 seats at most a departure: 150 passengers need two days at one departure a day.
    p = two_types(100)
    assert lift_plan(p, before=1) is None
    two = lift_plan(p, before=1441)
    assert two is not None
    jet, big = (two.lifts[(t, frozenset({"RUS", "BLR"}), "THA", "HOM")] for t in ("JET", "BIG"))
    assert jet + big <= 2 + 1e-6
    assert 50 * jet + 100 * big >= 150 - 1e-6


def test_days_before_counts_the_days_opened_by_then():
    opens = [[0, 1440, None, 4320], [360, 1800]]
    assert days_before(opens, 0) == [0, 0]
    assert days_before(opens, 1) == [1, 0]
    assert days_before(opens, 1441) == [2, 1]
    assert days_before(opens, 5000) == [3, 2]
    # One departure a day at THA, open from midnight: its days start at midnight.
    p = capped()
    assert cap_day_opens(p)[0][:3] == [0, 1440, 2880]


def test_a_fleet_ready_too_late_to_fly_does_not_raise_the_bounds():
    # tiny.yaml with a second fleet available only after the withdrawal's deadline: the plan
    # is flown by the first fleet, and neither bound may pass it (both once required C to
    # reach the late fleet's readiness).
    late = ("  - {id: F2, operator: RUS, type: JET, count: 1, base: HOM, carries: [RUS, BLR], "
            'available_from: "2022-01-20T00:00:00+06:00", assumed: test}\n')
    old = "carries: [RUS, BLR], assumed: test}\n"
    p = build_problem(loads_scenario(TINY.replace(old, old + late), "tiny-late.yaml"),
                      "withdrawal")
    assert max(f.available[0] for f in p.fleets) >= 7 * 1440
    legs = greedy(p)
    assert legs is not None
    done = completion_of(p, legs)
    for bound in (work_bound(p), work_bound(p, integer=False), cap_days_bound(p)):
        assert bound is not None and bound.minute <= done


def test_cap_days_stops_at_once_when_the_model_is_too_large(monkeypatch):
    # Past CAP_DAYS_MAX lift counts no model is built: one look, not a search of them.
    workbound = importlib.import_module("contingent.plan.workbound")
    calls: list[int | None] = []
    real = workbound._solve

    def spy(*a, **k):
        calls.append(k.get("by"))
        return real(*a, **k)

    monkeypatch.setattr(workbound, "_solve", spy)
    p = capped()
    assert cap_days_bound(p) is not None and len(calls) > 1
    calls.clear()
    monkeypatch.setattr(workbound, "CAP_DAYS_MAX", 0)
    assert cap_days_bound(p) is None
    assert calls == [None]
