"""Tests for the independent plan checker.

One hand-made valid withdrawal plan for the tiny scenario; each test breaks one rule, either
in the plan or (for rules the tiny scenario cannot exercise) in a varied scenario.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contingent.check import RULES, Violation, check
from contingent.planfile import Load, Plan, RoadMove, Sortie, dumps_plan, read_plan
from contingent.scenario import Scenario, block_minutes, load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
PLAN_FILE = FIXTURES / "check" / "tiny-withdrawal.json"


def T(text: str) -> datetime:
    """A theatre time in January 2022: ``T("13T10:00")``."""
    return datetime.fromisoformat(f"2022-01-{text}+06:00")


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(FIXTURES / "tiny.yaml")


def leg(sc: Scenario, sid: str, kind: str, tail: str, origin: str, destination: str,
        departure: datetime, loads: tuple[Load, ...] = ()) -> Sortie:
    """A sortie flown in exactly its block time."""
    arrival = departure + timedelta(minutes=block_minutes(sc, "JET", origin, destination))
    return Sortie(id=sid, kind=kind,  # type: ignore[arg-type]
                  aircraft_type="JET", tail=tail, operator="RUS", origin=origin,
                  destination=destination, departure=departure, arrival=arrival, loads=loads,
                  nations=tuple(sorted({sc.unit[ld.unit].nation for ld in loads})))


def refresh(plan: Plan) -> Plan:
    """Recompute the reported completion times, so a test breaks only what it means to."""
    last: dict[str, datetime] = {}
    nation = {"U-RUS": "RUS", "U-BLR": "BLR", "U-KGZ": "KGZ"}
    ends = []
    for s in plan.lifts:
        ends.append(s.arrival)
        for ld in s.loads:
            n = nation.get(ld.unit)
            if n is not None:
                last[n] = max(last.get(n, s.arrival), s.arrival)
    for r in plan.road_moves:
        ends.append(r.end)
        last[r.nation] = max(last.get(r.nation, r.end), r.end)
    return plan.replace(completion=max(ends, default=None), nations=last)


def valid_plan(sc: Scenario) -> Plan:
    """The reference plan for tiny.yaml's withdrawal.

    Both jets position from HOM at the phase start (block 172 min), wait at THA (2 on the
    ground, the limit) and lift at 10:00, when FAC-A's handover releases U-RUS. L2 takes 20 of
    U-RUS's 60, so even early it would leave the 40 guards in place. U-KGZ drives RD from
    08:00 (120 km at 40 km/h inside the 08:00-16:00 window: 11:00).
    """
    sorties = (
        leg(sc, "P1", "positioning", "F1-01", "HOM", "THA", T("13T00:00")),
        leg(sc, "P2", "positioning", "F1-02", "HOM", "THA", T("13T00:30")),
        leg(sc, "L1", "lift", "F1-01", "THA", "HOM", T("13T10:00"),
            (Load("U-RUS", pax=40, vehicles={"CAR": 2}, cargo_kg=1000),)),
        leg(sc, "L2", "lift", "F1-02", "THA", "HOM", T("13T10:30"),
            (Load("U-RUS", pax=20), Load("U-BLR", pax=30))),
    )
    road = (RoadMove(id="R1", nation="KGZ", units=("U-KGZ",), from_="THA-TOWN", to="BORDER",
                     start=T("13T08:00"), end=T("13T11:00")),)
    plan = Plan(scenario="tiny", phase="withdrawal", status="given", completion=None,
                lower_bound=None, sorties=sorties, road_moves=road)
    return refresh(plan)


# --- helpers to break things ------------------------------------------------------------


def edit(plan: Plan, sid: str, **changes: Any) -> Plan:
    """The plan with one sortie changed."""
    assert any(s.id == sid for s in plan.sorties)
    return plan.replace(sorties=tuple(replace(s, **changes) if s.id == sid else s
                                      for s in plan.sorties))


def move(sc: Scenario, plan: Plan, sid: str, departure: datetime) -> Plan:
    """The plan with one sortie flown at another time, reports kept true."""
    s = next(s for s in plan.sorties if s.id == sid)
    block = timedelta(minutes=block_minutes(sc, s.aircraft_type, s.origin, s.destination))
    return refresh(edit(plan, sid, departure=departure, arrival=departure + block))


def edit_road(plan: Plan, **changes: Any) -> Plan:
    return refresh(plan.replace(road_moves=(replace(plan.road_moves[0], **changes),)))


def vary(sc: Scenario, change: Callable[[dict[str, Any]], None]) -> Scenario:
    """A scenario re-validated after ``change`` edits its data.

    Re-validating rather than ``model_copy`` keeps the cached lookups (``airfield`` etc.)
    true to the new data.
    """
    data = _lists(sc.model_dump(by_alias=True))
    change(data)
    return Scenario.model_validate(data)


def _lists(node: Any) -> Any:
    # model_dump gives tuples; lists let a change append.
    if isinstance(node, dict):
        return {k: _lists(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_lists(v) for v in node]
    return node


def item(data: dict[str, Any], coll: str, ident: str) -> dict[str, Any]:
    return next(x for x in data[coll] if x["id"] == ident)


def rules_of(found: list[Violation]) -> set[str]:
    return {v.rule for v in found}


# --- the valid plan ---------------------------------------------------------------------


def test_valid_plan_passes(tiny: Scenario) -> None:
    assert check(tiny, valid_plan(tiny)) == []


def test_plan_file_fixture_passes(tiny: Scenario) -> None:
    # The JSON fixture is the same plan as a hand-made file would give it.
    plan = read_plan(PLAN_FILE)
    assert plan == valid_plan(tiny)
    assert check(tiny, plan) == []


def test_plan_file_fixture_is_current(tiny: Scenario) -> None:
    assert PLAN_FILE.read_text(encoding="utf-8") == dumps_plan(valid_plan(tiny),
                                                               tiny.operation.tz)


# --- one break per rule -----------------------------------------------------------------

PlanChange = Callable[[Scenario, Plan], Plan]
ScenarioChange = Callable[[dict[str, Any]], None]


def _airfield(aid: str, **changes: Any) -> ScenarioChange:
    return lambda d: item(d, "airfields", aid).update(changes)


def _fleet(**changes: Any) -> ScenarioChange:
    return lambda d: item(d, "fleets", "F1").update(changes)


def _type(**changes: Any) -> ScenarioChange:
    return lambda d: item(d, "aircraft_types", "JET").update(changes)


def _rule(**rule: Any) -> ScenarioChange:
    return lambda d: d["rules"].append(rule)


def _unit_home(uid: str, home: str) -> ScenarioChange:
    def change(d: dict[str, Any]) -> None:
        d["airfields"].append({"id": home, "name": home, "lat": 55.0, "lon": 61.0})
        item(d, "units", uid)["home"] = home
    return change


def _no_withdrawal(d: dict[str, Any]) -> None:
    del d["operation"]["phases"]["withdrawal"]


def _same(sc: Scenario, p: Plan) -> Plan:
    return p


# (case id, rule, scenario change or None, plan change, only that rule?)
BREAKS: list[tuple[str, str, ScenarioChange | None, PlanChange, bool]] = [
    ("reference-tail", "reference", None,
     lambda sc, p: edit(p, "L2", tail="F1-99"), True),
    ("reference-type", "reference", None,
     lambda sc, p: edit(p, "L2", aircraft_type="B747"), True),
    ("reference-operator", "reference", None,
     lambda sc, p: edit(p, "L2", operator="BLR"), True),
    ("reference-unit", "reference", None,
     lambda sc, p: edit(p, "L1", loads=(*p.sorties[2].loads, Load("U-XXX", pax=1))), True),
    ("reference-vehicle", "reference", None,
     lambda sc, p: edit(p, "L1", loads=(*p.sorties[2].loads,
                                        Load("U-XXX", vehicles={"TANK": 1}))), True),
    ("reference-road-unit", "reference", None,
     lambda sc, p: edit_road(p, units=("U-KGZ", "U-XXX")), True),
    ("reference-phase", "reference", _no_withdrawal, _same, False),
    ("reference-same-ends", "reference", None,
     lambda sc, p: edit(p, "P2", origin="THA"), False),
    ("block-time", "block-time", None,
     lambda sc, p: refresh(edit(p, "L1", arrival=p.sorties[2].arrival
                                - timedelta(minutes=1))), True),
    ("tail-chain-base", "tail-chain", None,
     lambda sc, p: p.replace(sorties=p.sorties[1:]), True),
    ("tail-chain-turnaround", "tail-chain", None,
     lambda sc, p: move(sc, p, "P1", T("13T07:00")), True),
    ("tail-chain-gap", "tail-chain", None,
     lambda sc, p: p.replace(sorties=(*p.sorties, leg(sc, "P3", "positioning", "F1-01",
                                                      "THA", "HOM", T("14T10:00")))), True),
    ("fleet-available-from", "fleet-availability",
     _fleet(available_from="2022-01-13T00:10:00+06:00"), _same, True),
    ("fleet-available-until", "fleet-availability",
     _fleet(available_until="2022-01-13T13:00:00+06:00"), _same, True),
    ("capacity-seats", "capacity", None,
     lambda sc, p: edit(edit(p, "L1", loads=(Load("U-RUS", pax=30, vehicles={"CAR": 2},
                                                   cargo_kg=1000),)),
                        "L2", loads=(Load("U-RUS", pax=30), Load("U-BLR", pax=30))), True),
    ("capacity-space", "capacity", _type(vehicle_space_m=9.5), _same, True),
    ("capacity-mass", "capacity", _type(payload_kg=14_999), _same, True),
    ("capacity-no-space-figure", "capacity",
     lambda d: item(d, "vehicle_classes", "CAR").update(space_m={"OTHER": 5.0}), _same, True),
    ("carriage-nation", "carriage", _fleet(carries=["RUS"]), _same, True),
    ("carriage-empty-lift", "carriage", None,
     lambda sc, p: edit(p, "P2", kind="lift"), True),
    ("carriage-loaded-positioning", "carriage", None,
     lambda sc, p: edit(p, "L2", kind="positioning"), False),
    ("routing", "routing", _unit_home("U-BLR", "HOM2"), _same, True),
    ("routing-road-unit", "routing", None,
     lambda sc, p: edit(p, "L1", loads=(*p.sorties[2].loads, Load("U-KGZ", pax=1))), False),
    ("completeness-missing", "completeness", None,
     lambda sc, p: edit(p, "L1", loads=(Load("U-RUS", pax=39, vehicles={"CAR": 2},
                                             cargo_kg=1000),)), True),
    ("completeness-extra", "completeness", None,
     lambda sc, p: edit(p, "L1", loads=(Load("U-RUS", pax=40, vehicles={"CAR": 2},
                                             cargo_kg=1500),)), True),
    ("completeness-road-missing", "completeness", None,
     lambda sc, p: refresh(p.replace(road_moves=())), False),
    ("completeness-road-twice", "completeness", None,
     lambda sc, p: refresh(p.replace(road_moves=(*p.road_moves,
                                                 replace(p.road_moves[0], id="R2")))), True),
    ("completeness-air-on-road", "completeness", None,
     lambda sc, p: edit_road(p, units=("U-KGZ", "U-BLR")), False),
    ("phase-window-sortie", "phase-window", None,
     lambda sc, p: move(sc, p, "P1", T("12T23:00")), True),
    ("phase-window-road", "phase-window", None,
     lambda sc, p: edit_road(p, start=T("12T23:00")), False),
    ("deadline-road", "deadline", None,
     lambda sc, p: edit_road(p, start=T("16T08:00"), end=T("16T11:00")), True),
    ("deadline-lift", "deadline",
     lambda d: d["operation"]["phases"]["withdrawal"].update(
         deadline="2022-01-13T13:00:00+06:00"), _same, True),
    ("daily-cap-airfield", "daily-cap", _airfield("THA", departure_cap_per_day=1),
     _same, True),
    ("daily-cap-group", "daily-cap",
     lambda d: d["cap_groups"].append({"id": "G", "airfields": ["THA", "HOM"],
                                       "departure_cap_per_day": 3}), _same, True),
    ("ground", "ground", _airfield("THA", max_on_ground=1), _same, True),
    ("hours-open", "hours", _airfield("THA", hours={"open": "00:00", "close": "10:15"}),
     _same, True),
    ("hours-closure", "hours",
     _airfield("THA", closures=[{"from": "2022-01-13T10:29:00+06:00",
                                 "to": "2022-01-13T10:31:00+06:00", "reason": "snow"}]),
     _same, True),
    ("release", "release", None, lambda sc, p: move(sc, p, "L2", T("13T09:00")), True),
    ("release-road", "release",
     lambda d: item(d, "units", "U-KGZ").update(ready="2022-01-13T09:00:00+06:00"),
     _same, True),
    ("coverage", "coverage", None, lambda sc, p: move(sc, p, "L1", T("13T09:00")), False),
    ("order-day", "order",
     _rule(kind="fly_within", nations=["BLR"], day="2022-01-14"), _same, True),
    ("order-window", "order",
     _rule(kind="fly_within", **{"from": "2022-01-13T00:00:00+06:00",
                                 "to": "2022-01-13T10:15:00+06:00"}), _same, True),
    ("order-before", "order", _rule(kind="before", first=["RUS"], then=["BLR"]), _same, True),
    ("order-before-road", "order", _rule(kind="before", first=["BLR"], then=["KGZ"]),
     _same, True),
    ("order-road", "order", None,
     lambda sc, p: edit(p, "L1", loads=(*p.sorties[2].loads, Load("U-KGZ", pax=1))), False),
    ("order-road-nation", "order", _rule(kind="road", nations=["BLR"]), _same, True),
    ("road-too-fast", "road", None, lambda sc, p: edit_road(p, end=T("13T10:59")), True),
    ("road-no-route", "road", None, lambda sc, p: edit_road(p, to="ELSEWHERE"), True),
    ("road-nation", "road", None, lambda sc, p: edit_road(p, nation="RUS"), False),
    ("road-wrong-ends", "road",
     lambda d: d["road_routes"].append({"id": "RD2", "from": "THA-TOWN", "to": "ELSEWHERE",
                                        "distance_km": 40, "speed_kmh": 40,
                                        "driving_hours_per_day": 8}),
     lambda sc, p: edit_road(p, to="ELSEWHERE"), True),
    ("reporting-completion", "reporting", None,
     lambda sc, p: p.replace(completion=T("13T13:23")), True),
    ("reporting-nation-time", "reporting", None,
     lambda sc, p: p.replace(nations={**p.nations, "BLR": T("13T10:00")}), True),
    ("reporting-nation-missing", "reporting", None,
     lambda sc, p: p.replace(nations={k: v for k, v in p.nations.items() if k != "KGZ"}),
     True),
    ("reporting-nation-unknown", "reporting", None,
     lambda sc, p: p.replace(nations={**p.nations, "ARM": T("13T10:00")}), True),
]


@pytest.mark.parametrize(("rule", "scenario_change", "plan_change", "only"),
                         [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_break_one_rule(tiny: Scenario, rule: str, scenario_change: ScenarioChange | None,
                        plan_change: PlanChange, only: bool) -> None:
    sc = vary(tiny, scenario_change) if scenario_change is not None else tiny
    found = check(sc, plan_change(sc, valid_plan(tiny)))
    assert rule in rules_of(found), found
    if only:
        assert rules_of(found) == {rule}, found


def test_every_rule_has_a_break() -> None:
    assert {b[1] for b in BREAKS} == set(RULES)


# --- subjects, numbers and edges --------------------------------------------------------


def only(found: list[Violation], rule: str) -> list[str]:
    return [str(v) for v in found if v.rule == rule]


def test_messages_name_subject_and_numbers(tiny: Scenario) -> None:
    sc = vary(tiny, _airfield("THA", departure_cap_per_day=1, max_on_ground=1))
    found = check(sc, valid_plan(tiny))
    assert only(found, "daily-cap") == ["[daily-cap] airfield THA on 2022-01-13: "
                                        "2 departures, cap 1"]
    assert only(found, "ground") == [
        "[ground] airfield THA: 2 aircraft on the ground at 2022-01-13T03:22+06:00, max 1 "
        "(first exceeded at 2022-01-13T03:22+06:00)"
    ]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda sc, p: edit(p, "L1", loads=(Load("U-RUS", pax=55, vehicles={"CAR": 2},
                                             cargo_kg=1000),)),
     "[capacity] sortie L1: 55 pax, 50 seats"),
    (lambda sc, p: refresh(edit(p, "L1", arrival=p.sorties[2].arrival
                                - timedelta(minutes=5))),
     "[block-time] sortie L1: block 167 min, needs 172 min (JET THA->HOM)"),
    (lambda sc, p: move(sc, p, "P1", T("13T06:30")),
     "[tail-chain] tail F1-01: sortie L1 departs 38 min after P1 arrives, turnaround 60 min"),
    (lambda sc, p: edit(p, "L1", loads=(Load("U-RUS", pax=38, vehicles={"CAR": 1}),)),
     "[completeness] unit U-RUS: personnel 58 of 60 (2 missing); CAR 1 of 2 (1 missing); "
     "cargo kg 0 of 1000 (1000 missing)"),
    (lambda sc, p: move(sc, p, "L2", T("13T09:00")),
     "[release] sortie L2: carries unit U-RUS at 2022-01-13T09:00+06:00, "
     "released 2022-01-13T10:00+06:00"),
    (lambda sc, p: move(sc, p, "L1", T("13T09:00")),
     "[coverage] facility FAC-A: guard 20 at 2022-01-13T09:00+06:00, required 40 "
     "until handover 2022-01-13T10:00+06:00"),
    (lambda sc, p: edit_road(p, end=T("13T10:59")),
     "[road] road move R1: ends 2022-01-13T10:59+06:00, route RD from 2022-01-13T08:00+06:00 "
     "ends 2022-01-13T11:00+06:00 at the earliest"),
    (lambda sc, p: p.replace(completion=T("13T13:00")),
     "[reporting] plan: completion 2022-01-13T13:00+06:00, last arrival "
     "2022-01-13T13:22+06:00"),
], ids=["capacity", "block-time", "tail-chain", "completeness", "release", "coverage", "road",
        "reporting"])
def test_message_text(tiny: Scenario, change: PlanChange, expected: str) -> None:
    found = [str(v) for v in check(tiny, change(tiny, valid_plan(tiny)))]
    assert expected in found, found


def test_daily_cap_counts_local_days(tiny: Scenario) -> None:
    # HOM runs on Yekaterinburg time (UTC+5): 00:00 and 00:30 Almaty are 23:00 and 23:30 on
    # the 12th there, and both positioning legs fall on that local day.
    sc = vary(tiny, _airfield("HOM", departure_cap_per_day=1))
    assert only(check(sc, valid_plan(tiny)), "daily-cap") == [
        "[daily-cap] airfield HOM on 2022-01-12: 2 departures, cap 1"]
    sc = vary(tiny, _airfield("HOM", departure_cap_per_day=1, time_zone="Asia/Almaty"))
    assert only(check(sc, valid_plan(tiny)), "daily-cap") == [
        "[daily-cap] airfield HOM on 2022-01-13: 2 departures, cap 1"]


def test_daily_cap_group_counts_theatre_days(tiny: Scenario) -> None:
    # In theatre time the HOM legs leave on the 13th with the THA lifts: 4 in one day.
    sc = vary(tiny, lambda d: d["cap_groups"].append(
        {"id": "G", "airfields": ["THA", "HOM"], "departure_cap_per_day": 3}))
    assert only(check(sc, valid_plan(tiny)), "daily-cap") == [
        "[daily-cap] group G on 2022-01-13: 4 departures, cap 3"]


def test_ground_half_open(tiny: Scenario) -> None:
    # With room for one, F1-02 may land at THA the minute L1 leaves, not a minute before.
    sc = vary(tiny, _airfield("THA", max_on_ground=1))
    ok = move(tiny, valid_plan(tiny), "P2", T("13T07:08"))  # lands 10:00, as L1 leaves
    ok = move(tiny, ok, "L2", T("13T11:00"))
    assert check(sc, ok) == []
    later = move(tiny, ok, "P2", T("13T08:08"))  # lands 11:00, long after L1 left
    later = move(tiny, later, "L2", T("13T12:00"))
    assert check(sc, later) == []
    early = move(tiny, ok, "P2", T("13T07:07"))
    assert [str(v) for v in check(sc, early)] == [
        "[ground] airfield THA: 2 aircraft on the ground at 2022-01-13T09:59+06:00, max 1 "
        "(first exceeded at 2022-01-13T09:59+06:00)"]


def test_ground_ignores_time_at_base_before_first_leg(tiny: Scenario) -> None:
    sc = vary(tiny, _airfield("HOM", max_on_ground=1))
    found = check(sc, valid_plan(tiny))
    # Both jets end the day at HOM: that counts, the wait there before P1/P2 does not.
    assert only(found, "ground") == [
        "[ground] airfield HOM: 2 aircraft on the ground at 2022-01-13T13:22+06:00, max 1 "
        "(first exceeded at 2022-01-13T13:22+06:00)"]


@pytest.mark.parametrize(("hours", "ok"), [
    (("02:52", "10:30"), True),   # both ends inclusive: P1 lands 02:52, L2 leaves 10:30
    (("02:53", "10:30"), False),
    (("02:52", "10:29"), False),
])
def test_hours_inclusive(tiny: Scenario, hours: tuple[str, str], ok: bool) -> None:
    sc = vary(tiny, _airfield("THA", hours={"open": hours[0], "close": hours[1]}))
    assert (check(sc, valid_plan(tiny)) == []) is ok


def test_hours_local_clock(tiny: Scenario) -> None:
    # HOM keeps Yekaterinburg time (UTC+5): the jets leave at 23:00 and 23:30 local on the
    # 12th and the lifts land at 11:52 and 12:22 local.
    sc = vary(tiny, _airfield("HOM", hours={"open": "06:00", "close": "12:21"}))
    assert only(check(sc, valid_plan(tiny)), "hours") == [
        "[hours] sortie L2: arrives HOM at 2022-01-13 12:22 local, open 06:00-12:21",
        "[hours] sortie P1: departs HOM at 2022-01-12 23:00 local, open 06:00-12:21",
        "[hours] sortie P2: departs HOM at 2022-01-12 23:30 local, open 06:00-12:21",
    ]
    sc = vary(tiny, _airfield("HOM", hours={"open": "11:52", "close": "24:00"}))
    assert check(sc, valid_plan(tiny)) == []


@pytest.mark.parametrize(("closure", "ok"), [
    (("13T10:31", "13T12:00"), True),
    (("13T04:00", "13T10:00"), True),    # ends as L1 leaves: half-open
    (("13T10:00", "13T10:01"), False),   # starts as L1 leaves
])
def test_closure_half_open(tiny: Scenario, closure: tuple[str, str], ok: bool) -> None:
    sc = vary(tiny, _airfield("THA", closures=[{"from": T(closure[0]), "to": T(closure[1])}]))
    assert (check(sc, valid_plan(tiny)) == []) is ok


def test_day_rule_end_exclusive_window_inclusive(tiny: Scenario) -> None:
    # A day rule ends at the next midnight, exclusive; from/to include both ends.
    plan = move(tiny, valid_plan(tiny), "L2", T("14T00:00"))
    day = vary(tiny, _rule(kind="fly_within", nations=["BLR"], day="2022-01-13"))
    assert rules_of(check(day, plan)) == {"order"}
    span = vary(tiny, _rule(kind="fly_within", nations=["BLR"],
                            **{"from": T("13T00:00"), "to": T("14T00:00")}))
    assert check(span, plan) == []


def test_before_is_strict(tiny: Scenario) -> None:
    sc = vary(tiny, _rule(kind="before", first=["RUS"], then=["BLR"]))
    msgs = only(check(sc, valid_plan(tiny)), "order")
    assert msgs == [
        "[order] nations RUS before BLR: last RUS departure 2022-01-13T10:30+06:00 "
        "(sortie L2) is not before first BLR departure 2022-01-13T10:30+06:00 (sortie L2)"]


def test_rule_for_other_phase_is_ignored(tiny: Scenario) -> None:
    sc = vary(tiny, _rule(kind="fly_within", phase="deployment", day="2022-01-20"))
    assert check(sc, valid_plan(tiny)) == []


def test_coverage_counts_only_before_handover(tiny: Scenario) -> None:
    # L2 early takes 20 of U-RUS's 60: 40 remain, exactly the guard required.
    found = check(tiny, move(tiny, valid_plan(tiny), "L2", T("13T09:00")))
    assert rules_of(found) == {"release"}


def test_coverage_road_move_takes_everyone(tiny: Scenario) -> None:
    def guard_by_kgz(d: dict[str, Any]) -> None:
        d["facilities"].append({"id": "FAC-B", "name": "B", "kind": "energy", "lat": 43.0,
                                "lon": 77.0, "guard_required": 10,
                                "handover": "2022-01-13T07:00:00+06:00",
                                "guards": [{"unit": "U-KGZ", "personnel": 10}]})
    sc = vary(tiny, guard_by_kgz)
    early = edit_road(valid_plan(tiny), start=T("13T06:00"), end=T("13T11:00"))
    found = check(sc, early)
    assert "[coverage] facility FAC-B: guard 0 at 2022-01-13T06:00+06:00, required 10 " \
           "until handover 2022-01-13T07:00+06:00" in [str(v) for v in found]


def test_coverage_only_in_withdrawal(tiny: Scenario) -> None:
    plan = move(tiny, valid_plan(tiny), "L1", T("13T09:00")).replace(phase="deployment")
    assert "coverage" not in rules_of(check(tiny, plan))


def test_unknown_references_do_not_crash(tiny: Scenario) -> None:
    plan = valid_plan(tiny)
    junk = Sortie(id="X1", kind="lift", aircraft_type="ZZZ", tail="NOPE", operator="",
                  origin="NOWHERE", destination="NOWHERE", departure=T("13T12:00"),
                  arrival=T("13T11:00"), loads=(Load("GHOST", pax=5, vehicles={"UFO": 1}),))
    road = RoadMove(id="R9", nation="XXX", units=("GHOST",), from_="A", to="B",
                    start=T("13T12:00"), end=T("13T12:00"))
    found = check(tiny, plan.replace(sorties=(*plan.sorties, junk),
                                     road_moves=(*plan.road_moves, road)))
    subjects = {v.subject for v in found if v.rule == "reference"}
    assert subjects == {"sortie X1", "road move R9"}
    assert "[reference] sortie X1: unknown tail 'NOPE'" in [str(v) for v in found]


def test_missing_phase_does_not_crash(tiny: Scenario) -> None:
    sc = vary(tiny, _no_withdrawal)
    found = check(sc, valid_plan(tiny))
    assert "[reference] plan: phase 'withdrawal' is not in scenario tiny" in map(str, found)


def test_empty_plan_on_reference_scenario() -> None:
    sc = load_scenario("kazakhstan-2022")
    plan = Plan(scenario=sc.scenario, phase="withdrawal", status="given", completion=None,
                lower_bound=None)
    found = check(sc, plan)
    assert rules_of(found) == {"completeness"}
    assert {v.subject for v in found} == {f"unit {u.id}" for u in sc.units}


def test_sorted_by_rule_then_natural_subject(tiny: Scenario) -> None:
    plan = valid_plan(tiny)
    extra = tuple(replace(plan.sorties[1], id=f"S{i}", tail="NOPE") for i in (10, 2, 1))
    found = check(tiny, plan.replace(sorties=(*plan.sorties, *extra),
                                     completion=T("13T00:00")))
    order = [(v.rule, v.subject) for v in found]
    assert order[:3] == [("reference", "sortie S1"), ("reference", "sortie S2"),
                         ("reference", "sortie S10")]
    ranks = [list(RULES).index(r) for r, _ in order]
    assert ranks == sorted(ranks)
    assert check(tiny, plan.replace(sorties=tuple(reversed(plan.sorties)))) == []


def test_violation_str() -> None:
    v = Violation("capacity", "sortie S12", "55 pax, 50 seats")
    assert str(v) == "[capacity] sortie S12: 55 pax, 50 seats"


def test_rules_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule}`" in doc, rule


def test_checker_never_imports_ortools() -> None:
    code = ("import contingent.check, sys; "
            "assert 'ortools' not in sys.modules; "
            "assert not any(m.startswith('contingent.plan.') or m == 'contingent.plan' "
            "for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
