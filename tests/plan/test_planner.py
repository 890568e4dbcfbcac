"""Planner tests: each constraint family on a tiny variant, the reference withdrawal, bounds.

Every plan is also handed to the independent checker.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contingent.check import check
from contingent.generate import generate
from contingent.plan import plan
from contingent.plan.bounds import all_bounds
from contingent.plan.problem import build_problem
from contingent.scenario import load_scenario, loads_scenario

TINY = (Path(__file__).parents[1] / "fixtures" / "tiny.yaml").read_text()
ALMATY = datetime.fromisoformat("2022-01-13T00:00:00+06:00").tzinfo


def tiny():
    """The tiny scenario as it is."""
    return loads_scenario(TINY, "tiny.yaml")


def variant(*pairs: tuple[str, str]):
    """The tiny scenario with text replacements (old, new) applied."""
    text = TINY
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return loads_scenario(text, "tiny-variant.yaml")


def solve(s, phase="withdrawal", limit=10.0):
    pl = plan(s, phase, time_limit=limit, workers=2)
    assert pl.status in ("optimal", "feasible"), pl.message
    assert check(s, pl) == []
    assert pl.lower_bound is not None and pl.completion is not None
    assert pl.lower_bound <= pl.completion
    return pl


def test_tiny_withdrawal_is_optimal_and_checked():
    pl = solve(tiny())
    assert pl.status == "optimal"
    # U-RUS guards FAC-A until 10:00: nothing of it leaves before.
    for s in pl.lifts:
        if "U-RUS" in s.units:
            assert s.departure >= datetime.fromisoformat("2022-01-13T10:00:00+06:00")
    assert {r.nation for r in pl.road_moves} == {"KGZ"}
    assert all("KGZ" not in s.nations for s in pl.sorties)


def test_capacity_splits_a_unit_across_sorties():
    s = variant(("personnel: 60, vehicles", "personnel: 120, vehicles"))
    pl = solve(s)
    rus = [ld.pax for so in pl.lifts for ld in so.loads if ld.unit == "U-RUS"]
    assert sum(rus) == 120
    assert all(so.pax <= 50 for so in pl.lifts)
    assert len(pl.lifts) >= 3  # 150 personnel on 50 seats


def test_daily_cap_spreads_departures_over_days():
    s = variant(("departure_cap_per_day: 4", "departure_cap_per_day: 1"),
                ('deadline: {value: "2022-01-16', 'deadline: {value: "2022-01-18'))
    pl = solve(s)
    per_day = Counter(so.departure.astimezone(ALMATY).date() for so in pl.sorties
                      if so.origin == "THA")
    assert per_day and max(per_day.values()) == 1
    assert len(per_day) >= 2


def test_max_on_ground_one_aircraft_at_a_time():
    s = variant(("max_on_ground: 2", "max_on_ground: 1"))
    pl = solve(s)
    spans = []
    for so in pl.sorties:
        if so.destination == "THA":
            nxt = min((x.departure for x in pl.sorties
                       if x.tail == so.tail and x.departure >= so.arrival), default=None)
            spans.append((so.arrival, nxt))
    assert len(spans) >= 2
    spans.sort()
    for (_, end1), (start2, _) in itertools.pairwise(spans):
        assert end1 is not None and end1 <= start2


def test_opening_hours_hold_departures():
    s = variant(("max_on_ground: 2, assumed", 'max_on_ground: 2, hours: {open: "13:00", '
                 'close: "15:00"}, assumed'))
    pl = solve(s)
    for so in pl.sorties:
        for place, t in ((so.origin, so.departure), (so.destination, so.arrival)):
            if place == "THA":
                local = t.astimezone(ALMATY)
                assert (13, 0) <= (local.hour, local.minute) <= (15, 0)


def test_closure_delays_the_lift():
    s = variant(("max_on_ground: 2, assumed", "max_on_ground: 2, closures: [{from: "
                 '"2022-01-13T09:00:00+06:00", to: "2022-01-13T16:00:00+06:00", '
                 "reason: weather}], assumed"))
    pl = solve(s)
    after = datetime.fromisoformat("2022-01-13T16:00:00+06:00")
    assert all(so.departure >= after for so in pl.lifts)


def test_handover_gates_release_and_moves_completion():
    early = solve(variant(('handover: "2022-01-13T10:00', 'handover: "2022-01-13T04:00')))
    late = solve(tiny())
    assert late.completion > early.completion


def test_before_rule_orders_nations():
    s = variant(("  - kind: road\n", "  - kind: before\n    first: [RUS]\n    then: [BLR]\n"
                 "  - kind: road\n"))
    pl = solve(s)
    rus = max(so.departure for so in pl.lifts if "RUS" in so.nations)
    blr = min(so.departure for so in pl.lifts if "BLR" in so.nations)
    assert rus < blr


def test_fly_within_day_rule():
    s = variant(("  - kind: road\n", "  - kind: fly_within\n    nations: [BLR]\n"
                 '    day: {value: "2022-01-14", assumed: test}\n  - kind: road\n'))
    pl = solve(s)
    days = {so.departure.astimezone(ALMATY).date().isoformat()
            for so in pl.lifts if "BLR" in so.nations}
    assert days == {"2022-01-14"}


def test_road_move_respects_driving_window():
    pl = solve(tiny())
    (rm,) = pl.road_moves
    # 120 km at 40 km/h = 3 h, from the 08:00 window opening.
    assert rm.start.astimezone(ALMATY).hour == 0
    assert rm.end.astimezone(ALMATY) == datetime.fromisoformat("2022-01-13T11:00:00+06:00")


def test_deployment_flies_aircraft_back_out_of_theatre():
    pl = solve(tiny(), phase="deployment")
    last = {}
    for so in sorted(pl.sorties, key=lambda x: x.departure):
        last[so.tail] = so
    assert all(so.destination != "THA" for so in last.values())


def test_impossible_deadline_explains_the_conflict():
    s = variant(('deadline: {value: "2022-01-16T00:00:00+06:00"',
                 'deadline: {value: "2022-01-13T11:00:00+06:00"'))
    pl = plan(s, "withdrawal", time_limit=5, workers=2)
    assert pl.status == "infeasible"
    assert pl.completion is None
    assert "deadline 13 Jan 11:00" in pl.message
    assert "U-RUS" in pl.message


def test_rule_window_against_cap_explains_needed_departures():
    s = variant(("departure_cap_per_day: 4", "departure_cap_per_day: 1"),
                ("  - kind: road\n", "  - kind: fly_within\n    nations: [RUS]\n"
                 '    day: {value: "2022-01-13", assumed: test}\n  - kind: road\n'))
    pl = plan(s, "withdrawal", time_limit=5, workers=2)
    assert pl.status == "infeasible"
    assert "1 departures/day" in pl.message and "needs 2" in pl.message


def test_bounds_are_below_every_plan_completion():
    s = tiny()
    p = build_problem(s, "withdrawal")
    pl = solve(s)
    for b in all_bounds(p):
        assert p.time(b.minute) <= pl.completion


@pytest.fixture(scope="module")
def reference_withdrawal():
    s = load_scenario("kazakhstan-2022")
    return s, plan(s, "withdrawal", time_limit=20, workers=2)


def test_reference_withdrawal_meets_the_reported_rules(reference_withdrawal):
    s, pl = reference_withdrawal
    tz = s.operation.tz
    assert pl.status in ("optimal", "feasible")
    assert check(s, pl) == []
    first = min(so.departure for so in pl.sorties)
    assert first >= datetime.fromisoformat("2022-01-13T00:00:00+06:00")
    assert min(so.departure for so in pl.lifts).astimezone(tz).date().isoformat() == "2022-01-13"
    for nation in ("BLR", "ARM", "TJK"):
        days = {so.departure.astimezone(tz).date().isoformat()
                for so in pl.lifts if nation in so.nations}
        assert days == {"2022-01-14"}, nation
    assert [r.nation for r in pl.road_moves] == ["KGZ"]
    assert all("KGZ" not in so.nations for so in pl.sorties)
    per_day = Counter(so.departure.astimezone(tz).date() for so in pl.sorties
                      if so.origin in ("UAAA", "ZHETYGEN"))
    assert max(per_day.values()) <= 24
    assert max(so.departure for so in pl.lifts) < datetime.fromisoformat(
        "2022-01-19T00:00:00+06:00")
    assert pl.completion <= datetime.fromisoformat("2022-01-19T23:59:00+06:00")
    assert pl.lower_bound <= pl.completion
    assert pl.status == "optimal" or pl.gap_minutes is not None
    # Per-nation completion covers all five nations.
    assert set(pl.nations) == {"ARM", "BLR", "KGZ", "RUS", "TJK"}
    assert max(pl.nations.values()) == pl.completion
    assert pl.completion - pl.lower_bound < timedelta(days=1)


def test_feasible_plan_names_what_it_saturates():
    # One departure a day from THA over several days: if no bound proves the plan, the cap
    # it fills must be named; if one does, the binding line names that bound.
    s = variant(("departure_cap_per_day: 4", "departure_cap_per_day: 1"),
                ('deadline: {value: "2022-01-16', 'deadline: {value: "2022-01-18'))
    pl = solve(s)
    if pl.status == "feasible":
        assert "daily cap 1 at THA reached on" in pl.binding
    else:
        assert pl.binding.split(":")[0] in {b.name for b in pl.bounds}


def test_saturated_names_full_caps_and_aprons():
    from contingent.plan.bounds import saturated

    s = variant(("departure_cap_per_day: 4", "departure_cap_per_day: 1"),
                ("max_on_ground: 2", "max_on_ground: 1"))
    p = build_problem(s, "withdrawal")
    # Two legs into THA, one leaving on the first day: apron full, cap reached on 13 Jan.
    legs = [("positioning", 0, 100, "HOM", "THA"), ("lift", 600, 800, "THA", "HOM")]
    out = saturated(p, legs)
    assert "daily cap 1 at THA reached on 13 Jan" in out
    assert "apron at THA full (1 aircraft on the ground)" in out


def test_greedy_only_above_model_size_still_checked():
    s = tiny()
    pl = plan(s, "withdrawal", time_limit=5, workers=1, max_model=0)
    assert pl.completion is not None and check(s, pl) == []
    assert "cp-sat-model" not in {b.name for b in pl.bounds}
    assert pl.lower_bound <= pl.completion


def test_rounds_take_the_search_time_when_the_model_is_too_big():
    # Generated 10^2 deployment: the greedy does not meet the bound, and one round takes a few
    # hundredths of a second, so the rounds run until they are stopped by time. Without a
    # model to search, they run to 90 % of the limit, not to the heuristic's half.
    s = loads_scenario(generate(30, 8, 20, 4, 1), "g1.yaml")
    limit = 4.0
    pl = plan(s, "deployment", time_limit=limit, workers=1, max_model=0)
    assert pl.status == "feasible" and check(s, pl) == []
    assert pl.solve_seconds is not None and pl.solve_seconds >= 0.85 * limit


def test_flow_lp_sees_a_full_theatre_apron():
    # Deployment into THA: one aircraft on the ground at a time and one departure a day.
    # Every lift after the first needs the previous aircraft gone, and it can leave only on
    # the next day: the LP must see that; the simple bounds do not, but the theatre-exits
    # bound does (two of the three aircraft must leave, one a day).
    from contingent.plan.bounds import all_bounds
    from contingent.plan.greedy import completion_of, greedy
    from contingent.plan.lpbound import flow_bound

    s = variant(("departure_cap_per_day: 4", "departure_cap_per_day: 1"),
                ("max_on_ground: 2", "max_on_ground: 1"),
                ("personnel: 60, vehicles", "personnel: 120, vehicles"))  # three lifts
    p = build_problem(s, "deployment")
    found = all_bounds(p)
    assert found[0].name == "theatre-exits"
    assert p.time(found[0].minute) == datetime.fromisoformat("2022-01-07T00:00:00+06:00")
    simple = next(b.minute for b in found if b.name not in ("theatre-exits", "departure-days"))
    upper = completion_of(p, greedy(p))
    flow = flow_bound(p, simple, upper)
    assert flow is not None and simple < flow.minute <= upper
    # The third lift can land only after two aircraft left, one per day: not before 7 Jan.
    assert p.time(flow.minute) >= datetime.fromisoformat("2022-01-07T00:00:00+06:00")
    pl = solve(s, phase="deployment")
    assert pl.lower_bound >= p.time(flow.minute)
    assert pl.completion >= p.time(flow.minute)
