"""Re-planning from reported events: history fixed, the rest re-planned and checked, changes
explained; contradictions refused whole; the replan and diff commands."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contingent.check import check
from contingent.cli import app
from contingent.errors import InputError
from contingent.events import dumps_events, loads_events, validate_events
from contingent.plan import plan as make_plan
from contingent.planfile import Plan, read_plan, write_plan
from contingent.replan import (
    check_remaining,
    diff_plans,
    replan,
    reported_scenario,
)
from contingent.scenario import Scenario, load_scenario

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
T = "2022-01-13T{}:00+06:00"


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(T.format(hhmm))


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(TINY)


@pytest.fixture(scope="module")
def announced(tiny: Scenario) -> Plan:
    p = make_plan(tiny, "withdrawal", time_limit=3, workers=1)
    assert p.status == "optimal" and not check(tiny, p)
    return p


def ev(text: str) -> list:
    return loads_events(text, file="events.yaml")


def sortie(p: Plan, kind: str, tail: str) -> str:
    return next(s.id for s in p.sorties if s.kind == kind and s.tail == tail)


def assert_accepted(tiny: Scenario, announced: Plan, events: list, r: Plan) -> None:
    """The rest passes the checker on the derived scenario; the whole keeps every rule of the
    scenario as reported."""
    assert check_remaining(tiny, r) == []
    assert check(reported_scenario(tiny, announced, events), r) == []


def test_no_events_keeps_the_plan(tiny: Scenario, announced: Plan) -> None:
    r = replan(tiny, announced, [], at("00:00"), time_limit=3, workers=1)
    assert r.strategy == "kept"
    assert r.changes == ()
    assert [(s.id, s.departure) for s in r.sorties] == \
        [(s.id, s.departure) for s in sorted(announced.sorties, key=lambda s: (s.departure, s.id))]
    assert r.completion == announced.completion
    assert_accepted(tiny, announced, [], r)


def test_late_handover_moves_the_guards_sorties(tiny: Scenario, announced: Plan) -> None:
    events = ev(f"""
events:
  - type: facility_handed_over
    facility: FAC-A
    time: "{T.format('16:00')}"
    reporter: hq
""")
    r = replan(tiny, announced, events, at("16:00"), time_limit=3, workers=1)
    assert r.strategy == "shifted"
    lifts = [c for c in r.changes if c.kind == "lift"]
    assert lifts and all(c.change == "moved" and c.minutes == 360 for c in lifts)
    assert all(c.events == (1,) and "FAC-A handed over" in c.reason for c in lifts)
    assert "events.yaml:3" in lifts[0].reason
    # The unit guarding FAC-A leaves no earlier than the real handover.
    rus = [s for s in r.lifts if any(ld.unit == "U-RUS" for ld in s.loads)]
    assert min(s.departure for s in rus) >= at("16:00")
    assert r.nations["RUS"] > announced.nations["RUS"]
    assert r.nations["KGZ"] == announced.nations["KGZ"]
    assert_accepted(tiny, announced, events, r)


def test_cancelled_sortie_closure_and_late_departure(tiny: Scenario, announced: Plan) -> None:
    p1 = sortie(announced, "positioning", "F1-01")
    lift2 = sortie(announced, "lift", "F1-02")
    events = ev(f"""
- {{type: departed, sortie: {p1}, time: "{T.format('00:30')}", reporter: ops}}
- {{type: arrived, sortie: {p1}, time: "{T.format('03:30')}", reporter: ops}}
- {{type: cancelled, sortie: {lift2}, time: "{T.format('05:00')}", reporter: ops}}
- {{type: airfield_closed, airfield: HOM, from: "{T.format('11:00')}", to: "{T.format('14:00')}",
   time: "{T.format('06:00')}", reporter: met}}
""")
    r = replan(tiny, announced, events, at("06:00"), time_limit=3, workers=1)
    assert r.status in ("optimal", "feasible")
    by = {(c.change, c.sortie): c for c in r.changes}
    assert by[("moved", p1)].events == (1, 2)  # history as reported
    assert by[("cancelled", lift2)].events == (3,)
    added = [c for c in r.changes if c.change == "added"]
    assert added and all(3 in c.events for c in added)
    assert lift2 not in {s.id for s in r.sorties}
    # Nothing lands at HOM while it is closed.
    assert all(not at("11:00") <= s.arrival < at("14:00") for s in r.sorties
               if s.destination == "HOM" and s.id not in r.fixed)
    assert_accepted(tiny, announced, events, r)
    # The diff of the files repeats the re-plan's own changes.
    d = diff_plans(announced, r, r.changes)
    assert {(c.change, c.sortie) for c in d.changes} == {(c.change, c.sortie) for c in r.changes}


def test_unserviceable_aircraft_waits(tiny: Scenario, announced: Plan) -> None:
    lift2 = next(s for s in announced.lifts if s.tail == "F1-02")
    events = ev(f"""
- {{type: aircraft_unserviceable, tail: F1-02, from: "{T.format('09:00')}",
   to: "{T.format('12:00')}", time: "{T.format('08:00')}", reporter: eng}}
""")
    r = replan(tiny, announced, events, at("08:00"), time_limit=3, workers=1)
    for s in r.sorties:
        if s.tail == "F1-02" and s.id not in r.fixed:
            assert s.arrival <= at("09:00") or s.departure >= at("12:00")
    assert any(c.sortie == lift2.id or 1 in c.events for c in r.changes)
    assert_accepted(tiny, announced, events, r)


def test_unit_ready_late(tiny: Scenario, announced: Plan) -> None:
    events = ev(f'[{{type: unit_ready_late, unit: U-BLR, time: "{T.format("13:00")}", '
                'reporter: blr}]')
    r = replan(tiny, announced, events, at("08:00"), time_limit=3, workers=1)
    blr = [s for s in r.lifts if any(ld.unit == "U-BLR" for ld in s.loads)]
    assert blr and min(s.departure for s in blr) >= at("13:00")
    assert all(c.events == (1,) for c in r.changes)
    assert_accepted(tiny, announced, events, r)


def test_reported_load_differs(tiny: Scenario, announced: Plan) -> None:
    """A lift that left with fewer people than planned: the rest carries the others."""
    first = min(announced.lifts, key=lambda s: (s.departure, s.id))
    loads = [{"unit": ld.unit, "pax": max(0, ld.pax - 5), "vehicles": dict(ld.vehicles),
              "cargo_kg": ld.cargo_kg} for ld in first.loads]
    events = ev(json.dumps([{"type": "departed", "sortie": first.id, "reporter": "ops",
                             "time": first.departure.isoformat(), "units": loads}]))
    r = replan(tiny, announced, events, first.departure, time_limit=3, workers=1)
    assert r.status in ("optimal", "feasible"), r.message
    assert_accepted(tiny, announced, events, r)
    assert any(1 in c.events for c in r.changes)


def test_strict_replans_unreported_sorties(tiny: Scenario, announced: Plan) -> None:
    r = replan(tiny, announced, [], at("01:00"), time_limit=3, workers=1, assume_flown=False)
    assert r.fixed == ()
    assert all(s.departure >= at("01:00") for s in r.sorties)
    moved = [c for c in r.changes if c.change == "moved"]
    assert moved and all(c.reason == "not reported departed by now" for c in moved)
    assert_accepted(tiny, announced, [], r)


def test_assumed_flown_is_reported(tiny: Scenario, announced: Plan) -> None:
    r = replan(tiny, announced, [], at("01:00"), time_limit=3, workers=1)
    early = {s.id for s in announced.sorties if s.departure < at("01:00")}
    assert set(r.assumed) == early and set(r.fixed) == early
    assert r.strategy == "kept"


# --- contradictions ---------------------------------------------------------------------


def refused(tiny: Scenario, announced: Plan, text: str, now: str = "12:00") -> InputError:
    with pytest.raises(InputError) as info:
        validate_events(tiny, announced, ev(text), at(now))
    return info.value


def test_arrival_before_departure(tiny: Scenario, announced: Plan) -> None:
    s = sortie(announced, "positioning", "F1-01")
    err = refused(tiny, announced, f"""
- {{type: departed, sortie: {s}, time: "{T.format('01:00')}", reporter: a}}
- {{type: arrived, sortie: {s}, time: "{T.format('00:30')}", reporter: a}}
""")
    assert str(err).startswith("events.yaml:3: events[1].time: arrival 2022-01-13 00:30 is not "
                               "after the departure")


def test_departed_twice(tiny: Scenario, announced: Plan) -> None:
    s = sortie(announced, "positioning", "F1-01")
    err = refused(tiny, announced, f"""
- {{type: departed, sortie: {s}, time: "{T.format('00:00')}", reporter: a}}
- {{type: departed, sortie: {s}, time: "{T.format('00:10')}", reporter: b}}
""")
    assert str(err).startswith("events.yaml:3: events[1].sortie: sortie")
    assert "already departed (event 1" in str(err)


def test_unknown_tail_sortie_airfield(tiny: Scenario, announced: Plan) -> None:
    err = refused(tiny, announced, f"""
- {{type: aircraft_unserviceable, tail: F9-01, from: "{T.format('01:00')}",
   to: "{T.format('02:00')}", time: "{T.format('01:00')}", reporter: a}}
- {{type: cancelled, sortie: S999, time: "{T.format('01:00')}", reporter: a}}
- {{type: airfield_closed, airfield: NOPE, from: "{T.format('01:00')}",
   to: "{T.format('02:00')}", time: "{T.format('01:00')}", reporter: a}}
""")
    lines = [str(e) for e in err.all()]
    assert lines == [
        "events.yaml:2: events[0].tail: unknown tail 'F9-01'",
        "events.yaml:4: events[1].sortie: unknown sortie 'S999' (not in the plan)",
        "events.yaml:5: events[2].airfield: unknown airfield 'NOPE'",
    ]


def test_cancel_after_departure_and_future_report(tiny: Scenario, announced: Plan) -> None:
    s = sortie(announced, "positioning", "F1-02")
    err = refused(tiny, announced, f"""
- {{type: departed, sortie: {s}, time: "{T.format('00:00')}", reporter: a}}
- {{type: cancelled, sortie: {s}, time: "{T.format('01:00')}", reporter: a}}
""")
    assert "already departed" in str(err) and err.line == 3
    err = refused(tiny, announced, f"""
- {{type: departed, sortie: {s}, time: "{T.format('13:00')}", reporter: a}}
""", now="12:00")
    assert "after now" in str(err) and err.field == "events[0].time"


def test_departure_from_closed_airfield_and_busy_tail(tiny: Scenario, announced: Plan) -> None:
    pos = sortie(announced, "positioning", "F1-01")
    lift = sortie(announced, "lift", "F1-01")
    err = refused(tiny, announced, f"""
- {{type: airfield_closed, airfield: HOM, from: "{T.format('00:00')}", to: "{T.format('01:00')}",
   time: "{T.format('00:00')}", reporter: met}}
- {{type: departed, sortie: {pos}, time: "{T.format('00:10')}", reporter: a}}
""")
    assert "departed HOM" in str(err) and "reported closed (event 1)" in str(err)
    err = refused(tiny, announced, f"""
- {{type: departed, sortie: {pos}, time: "{T.format('00:00')}", reporter: a}}
- {{type: departed, sortie: {lift}, time: "{T.format('01:00')}", reporter: a}}
""")
    msgs = " | ".join(str(e) for e in err.all())
    assert "while still flying" in msgs or "before its release" in msgs


def test_unit_leaves_before_reported_handover(tiny: Scenario, announced: Plan) -> None:
    lift = next(s for s in announced.lifts if any(ld.unit == "U-RUS" for ld in s.loads))
    err = refused(tiny, announced, f"""
- {{type: facility_handed_over, facility: FAC-A, time: "{T.format('16:00')}", reporter: hq}}
- {{type: departed, sortie: {lift.id}, time: "{lift.departure.isoformat()}", reporter: a}}
""", now="12:00")
    assert "before its release" in " ".join(str(e) for e in err.all())


def test_malformed_events_are_located() -> None:
    with pytest.raises(InputError) as info:
        ev("- {type: exploded, time: 2022-01-13T00:00+06:00, reporter: a}\n")
    assert str(info.value).startswith("events.yaml:1: events[0].type: unknown event type")
    with pytest.raises(InputError) as info:
        ev("- {type: cancelled, sortie: S1, time: 2022-01-13T00:00, reporter: a}\n")
    assert "has no UTC offset" in str(info.value)
    with pytest.raises(InputError) as info:
        ev("- {type: cancelled, sortie: S1, time: 2022-01-13T00:00+06:00}\n")
    assert "'reporter' is missing" in str(info.value)
    with pytest.raises(InputError) as info:
        ev("- {type: cancelled, sortie: S1, time: 2022-01-13T00:00+06:00, reporter: a, x: 1}\n")
    assert "events[0].x: unknown field" in str(info.value)


def test_events_round_trip(tiny: Scenario, announced: Plan) -> None:
    events = ev(f"""
- {{type: airfield_closed, airfield: HOM, from: "{T.format('11:00')}", to: "{T.format('14:00')}",
   time: "{T.format('06:00')}", reporter: met, note: fog}}
- {{type: facility_handed_over, facility: FAC-A, time: "{T.format('16:00')}", reporter: hq}}
""")
    again = loads_events(dumps_events(events))
    assert [(e.kind, e.time, e.from_, e.to, e.note) for e in again] == \
        [(e.kind, e.time, e.from_, e.to, e.note) for e in events]


# --- commands ---------------------------------------------------------------------------


@pytest.fixture()
def files(tmp_path: Path, tiny: Scenario, announced: Plan) -> dict[str, Path]:
    plan_file = tmp_path / "plan.json"
    write_plan(announced, plan_file, tiny.operation.tz)
    events = tmp_path / "events.yaml"
    events.write_text(f"""events:
  - type: facility_handed_over
    facility: FAC-A
    time: "{T.format('16:00')}"
    reporter: hq
""", encoding="utf-8")
    return {"plan": plan_file, "events": events, "new": tmp_path / "new.json"}


def test_cli_replan_and_diff(files: dict[str, Path]) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["replan", str(TINY), str(files["plan"]), str(files["events"]),
                              "--now", T.format("16:00"), "--out", str(files["new"]),
                              "--time-limit", "3", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "shifted" in res.output and "FAC-A handed over" in res.output
    data = json.loads(files["new"].read_text())
    assert data["replan"]["strategy"] == "shifted"
    assert read_plan(files["new"]).phase == "withdrawal"
    res = runner.invoke(app, ["check", str(TINY), str(files["new"])])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["diff", str(files["plan"]), str(files["new"])])
    assert res.exit_code == 0, res.output
    assert "2 moved, 0 added, 0 cancelled" in res.output
    assert "because event 1" in res.output
    res = runner.invoke(app, ["diff", str(files["plan"]), str(files["new"]), "--format", "json"])
    d = json.loads(res.output)
    assert d["counts"]["moved"] == 2
    assert {n["nation"]: n["minutes"] for n in d["nations"]}["RUS"] == 360


def test_cli_bad_events_exit_2_and_write_nothing(files: dict[str, Path]) -> None:
    files["events"].write_text("- {type: cancelled, sortie: S999, time: "
                               f"'{T.format('01:00')}', reporter: a}}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["replan", str(TINY), str(files["plan"]), str(files["events"]),
                                   "--now", T.format("16:00"), "--out", str(files["new"])])
    assert res.exit_code == 2
    assert res.output.strip() == (f"{files['events']}:1: events[0].sortie: unknown sortie 'S999' "
                                  "(not in the plan)")
    assert "Traceback" not in res.output
    assert not files["new"].exists()


def test_cli_now_without_offset(files: dict[str, Path]) -> None:
    res = CliRunner().invoke(app, ["replan", str(TINY), str(files["plan"]), str(files["events"]),
                                   "--now", "2022-01-13T16:00"])
    assert res.exit_code == 2
    assert res.output.startswith("<command line>: --now: ")


def test_diff_same_plan_is_empty(files: dict[str, Path], announced: Plan) -> None:
    d = diff_plans(announced, announced)
    assert d.changes == () and d.unchanged == len(announced.sorties)
    res = CliRunner().invoke(app, ["diff", str(files["plan"]), str(files["plan"])])
    assert res.exit_code == 0 and "0 moved, 0 added, 0 cancelled" in res.output


def test_kazakhstan_handover_six_hours_late() -> None:
    """The reference case: FAC-03 (guarded by the Belarus company) handed over 6 h late."""
    s = load_scenario("kazakhstan-2022")
    announced = make_plan(s, "withdrawal", time_limit=3, workers=1)
    assert announced.completion is not None
    planned = s.facility["FAC-03"].handover
    late = planned + (datetime.fromisoformat(T.format("06:00")) -
                      datetime.fromisoformat(T.format("00:00")))
    events = ev(f'[{{type: facility_handed_over, facility: FAC-03, time: "{late.isoformat()}", '
                'reporter: hq}]')
    r = replan(s, announced, events, late, time_limit=3, workers=1)
    assert r.status in ("optimal", "feasible"), r.message
    moved = [c for c in r.changes if c.change == "moved"]
    assert moved and all(c.events == (1,) for c in moved)
    blr = [x for x in r.lifts if any(ld.unit == "BLR-103" for ld in x.loads)]
    assert min(x.departure for x in blr) >= late
    assert r.nations["BLR"] > announced.nations["BLR"]
    assert_accepted(s, announced, events, r)
