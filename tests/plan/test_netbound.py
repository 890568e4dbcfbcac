"""Aircraft-network bound: worked by hand on tiny cases, never above a checked plan."""

from __future__ import annotations

import time

import pytest
from plan_helpers import TINY, one_tail_three_lifts

from contingent.check import check
from contingent.generate import generate
from contingent.plan import plan
from contingent.plan.bounds import all_bounds
from contingent.plan.greedy import completion_of, greedy
from contingent.plan.netbound import NetworkLP, network_bound
from contingent.plan.problem import Problem, build_problem
from contingent.scenario import load_scenario, loads_scenario

TA = 60  # tiny.yaml's JET turnaround


def test_one_tail_shuttles_three_times():
    # 150 passengers THA->HOM, one 50-seat aircraft at HOM: positioning, lift, three times
    # over, a turnaround between legs: 6 legs of the same length and 5 turnarounds. In
    # minutes (buckets of 1) the relaxation has no rounding to gain from.
    p = one_tail_three_lifts()
    blk = p.block("JET", "HOM", "THA")
    assert p.block("JET", "THA", "HOM") == blk
    b = network_bound(p, 0, 1500, dt=1)
    assert b is not None and b.name == "aircraft-network"
    assert b.minute == 6 * blk + 5 * TA
    # Coarser buckets only round towards earlier readiness: never above the exact value.
    coarse = network_bound(p, 0, 1500, dt=30)
    assert coarse is not None and coarse.minute <= b.minute


def test_a_unit_far_from_the_base_needs_the_positioning_flight():
    # 50 passengers, one lift: the aircraft flies HOM->THA, turns around, lifts back.
    text = (TINY.replace("count: 2, base: HOM", "count: 1, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 40")
            .replace("personnel: 30, theatre", "personnel: 10, theatre")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards'))
    p = build_problem(loads_scenario(text, "tiny-far.yaml"), "withdrawal")
    blk = p.block("JET", "HOM", "THA")
    b = network_bound(p, 0, 1000, dt=1)
    assert b is not None and b.minute == 2 * blk + TA


def test_a_closure_delays_the_positioning_flight():
    # The same single lift, THA closed 00:00-10:00 local (the phase's zone): the aircraft
    # lands there at 600 at the earliest (the closure's end is open), turns, lifts back.
    text = (TINY.replace("count: 2, base: HOM", "count: 1, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 40")
            .replace("personnel: 30, theatre", "personnel: 10, theatre")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards')
            .replace("max_on_ground: 2,", 'max_on_ground: 2, closures: [{from: '
                     '"2022-01-13T00:00:00+06:00", to: "2022-01-13T10:00:00+06:00"}],'))
    p = build_problem(loads_scenario(text, "tiny-closed.yaml"), "withdrawal")
    blk = p.block("JET", "THA", "HOM")
    b = network_bound(p, 0, 1500, dt=1)
    assert b is not None and b.minute == 600 + TA + blk


def _two_origins() -> Problem:
    """Deployment: 50 passengers at HOM and 30 at HO2 (far west of it) for THA, one aircraft
    based at HOM."""
    text = (TINY.replace("count: 2, base: HOM", "count: 1, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 50")
            .replace("theatre: THA, home: HOM, assumed: test}\n  - {id: U-KGZ",
                     "theatre: THA, home: HO2, assumed: test}\n  - {id: U-KGZ")
            .replace("  - {id: HOM, name: Home,",
                     "  - {id: HO2, name: West, lat: 52.0, lon: 40.0, assumed: test}\n"
                     "  - {id: HOM, name: Home,"))
    return build_problem(loads_scenario(text, "tiny-two.yaml"), "deployment")


def test_one_aircraft_chains_two_far_apart_origins():
    p = _two_origins()
    b = p.block
    # Either lift HOM's unit first, then position from THA to HO2 and lift again; or
    # position to HO2 first, lift, position THA->HOM and lift: turnarounds between legs.
    first_home = b("JET", "HOM", "THA") + TA + b("JET", "THA", "HO2") + TA + b("JET", "HO2", "THA")
    first_west = (b("JET", "HOM", "HO2") + TA + b("JET", "HO2", "THA") + TA
                  + b("JET", "THA", "HOM") + TA + b("JET", "HOM", "THA"))
    best = min(first_home, first_west)
    nb = network_bound(p, 0, 2000, dt=1)
    assert nb is not None and nb.minute == best
    # No existing bound sees the chain (here the fleet-cycles bound is below it).
    assert all_bounds(p)[0].minute < best


def _eight_lifts() -> Problem:
    """Withdrawal: 400 passengers THA->HOM (8 lifts of 50 seats), 8 aircraft at HOM, THA
    capped at 4 departures a day (tiny.yaml)."""
    text = (TINY.replace("count: 2, base: HOM", "count: 8, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 370")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards'))
    return build_problem(loads_scenario(text, "tiny-eight.yaml"), "withdrawal")


def test_daily_cap_forces_a_second_day():
    # Four lifts may leave THA on day 0 (THA's local midnight is the phase start); the other
    # four leave at 1440 at the earliest, aircraft waiting on the ground (aprons are left out).
    p = _eight_lifts()
    blk = p.block("JET", "THA", "HOM")
    b = network_bound(p, 0, 2000, dt=1)
    assert b is not None and b.minute == 1440 + blk
    # Hourly buckets align with THA's midnights: the same value.
    hb = network_bound(p, 0, 4000, dt=60)
    assert hb is not None and hb.minute == 1440 + blk


def test_opening_hours_delay_the_second_day():
    # THA open 08:00-20:00 local (the phase's own zone): day 1's lifts leave from 1920.
    text = (TINY.replace("count: 2, base: HOM", "count: 8, base: HOM")
            .replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000", "personnel: 370")
            .replace('T10:00:00+06:00", guards', 'T00:00:00+06:00", guards')
            .replace("max_on_ground: 2,",
                     'max_on_ground: 2, hours: {open: "08:00", close: "20:00"},'))
    p = build_problem(loads_scenario(text, "tiny-hours.yaml"), "withdrawal")
    blk = p.block("JET", "THA", "HOM")
    b = network_bound(p, 0, 2500, dt=1)
    assert b is not None and b.minute == 1440 + 480 + blk


def test_upper_bound_must_be_feasible():
    # At a completion below the exact one the LP is infeasible: no bound is claimed.
    p = one_tail_three_lifts()
    blk = p.block("JET", "HOM", "THA")
    assert network_bound(p, 0, 6 * blk + 5 * TA - 1, dt=1) is None


def _check_relaxation(s, phase: str, seconds: float) -> None:
    p = build_problem(s, phase)
    pl = plan(s, phase, time_limit=seconds, workers=1)
    assert check(s, pl) == []
    assert pl.completion is not None
    done = p.minutes(pl.completion)
    for dt in (15, 60):
        lp = NetworkLP(p, done, dt)
        lp.build()
        # A plan landing everything by `done` exists, so the relaxation must admit `done`.
        assert lp.solve(done) is True, dt
    b = network_bound(p, 0, done, seconds=1)
    assert b is None or b.minute <= done
    listed = [x for x in pl.bounds if x.name == "aircraft-network"]
    assert all(x.value <= pl.completion for x in listed)


@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_kazakhstan_never_above_its_plan(phase):
    _check_relaxation(load_scenario("kazakhstan-2022"), phase, 2)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("phase", ["withdrawal", "deployment"])
def test_generated_never_above_a_checked_plan(seed, phase):
    s = loads_scenario(generate(60, 8, 30, 4, seed), f"g{seed}.yaml")
    _check_relaxation(s, phase, 1)


def test_respects_seconds():
    p = build_problem(loads_scenario(generate(150, 10, 60, 4, 3), "g.yaml"), "deployment")
    g = greedy(p)
    assert g is not None
    upper = completion_of(p, g)
    lower = all_bounds(p)[0].minute
    for seconds in (0.05, 0.5):
        t = time.perf_counter()
        b = network_bound(p, lower, upper, seconds=seconds)
        assert time.perf_counter() - t < seconds + 0.5
        assert b is None or lower < b.minute <= upper
