"""Each disruption kind alone on the tiny scenario: exact event traces, both engines.

The tiny plan (tests/risk/risk_helpers.py): F1-01 positions HOM->THA 06:00-08:00 (S1), lifts U-A
10:00-12:00 (S3) after FAC-A's 10:00 handover; F1-02 positions 09:00-11:00 (S2) onto the one
THA stand that S3 vacates at 10:00 and lifts U-B 12:00-14:00 (S4). THA: 06:00-22:00, two
departures a day, one aircraft on the ground. Blocks 120 min, turnaround 60 min.
"""

from __future__ import annotations

import pytest
from risk_helpers import at

from contingent.check import check
from contingent.risk.draws import Realization
from contingent.risk.fast import run_fast
from contingent.risk.model import compile_model, retimed_plan
from contingent.risk.reference import run_reference

PLAN_TRACE = [
    ("13 06:00", "depart", "S1"),
    ("13 08:00", "arrive", "S1"),
    ("13 09:00", "depart", "S2"),
    ("13 10:00", "handover", "FAC-A"),
    ("13 10:00", "depart", "S3"),
    ("13 11:00", "arrive", "S2"),
    ("13 12:00", "arrive", "S3"),
    ("13 12:00", "depart", "S4"),
    ("13 14:00", "arrive", "S4"),
]

CASES = {
    # THA fogged in 09:30-12:30: S3 waits for the airfield; S2 may only land once S3 has
    # vacated the stand (12:30), so it leaves HOM at 10:30; S4 turns around until 13:30.
    "weather": (
        {"closures": {"THA": [(at("13 09:30"), at("13 12:30"))]}},
        [
            ("13 06:00", "depart", "S1"),
            ("13 08:00", "arrive", "S1"),
            ("13 10:00", "handover", "FAC-A"),
            ("13 10:30", "depart", "S2"),
            ("13 12:30", "arrive", "S2"),
            ("13 12:30", "depart", "S3"),
            ("13 13:30", "depart", "S4"),
            ("13 14:30", "arrive", "S3"),
            ("13 15:30", "arrive", "S4"),
        ],
        "13 15:30",
    ),
    # S3 aborts at 10:00 and is held 3 h; the abort used one of THA's two slots of the 13th
    # and S3's retry the other, so S4 waits for the 14th's opening at 06:00.
    "sortie-abort": (
        {"aborts": {"S3": 180}},
        [
            ("13 06:00", "depart", "S1"),
            ("13 08:00", "arrive", "S1"),
            ("13 10:00", "handover", "FAC-A"),
            ("13 10:00", "abort", "S3"),
            ("13 11:00", "depart", "S2"),
            ("13 13:00", "arrive", "S2"),
            ("13 13:00", "depart", "S3"),
            ("13 15:00", "arrive", "S3"),
            ("14 06:00", "depart", "S4"),
            ("14 08:00", "arrive", "S4"),
        ],
        "14 08:00",
    ),
    # S1 is found faulty at the gate at 06:00 and leaves 90 min late; S3 leaves when F1-01
    # has turned around (10:30); S2 still lands after S3 has left the stand.
    "technical-delay": (
        {"delays": {"S1": 90}},
        [
            ("13 06:00", "delay", "S1"),
            ("13 07:30", "depart", "S1"),
            ("13 09:00", "depart", "S2"),
            ("13 09:30", "arrive", "S1"),
            ("13 10:00", "handover", "FAC-A"),
            ("13 10:30", "depart", "S3"),
            ("13 11:00", "arrive", "S2"),
            ("13 12:00", "depart", "S4"),
            ("13 12:30", "arrive", "S3"),
            ("13 14:00", "arrive", "S4"),
        ],
        "13 14:00",
    ),
    # F1-02 is unserviceable 08:00-12:00: S2 leaves at 12:00, S4 after turnaround at 15:00.
    "aircraft-unserviceable": (
        {"unserviceable": {"F1-02": [(at("13 08:00"), at("13 12:00"))]}},
        [
            ("13 06:00", "depart", "S1"),
            ("13 08:00", "arrive", "S1"),
            ("13 10:00", "handover", "FAC-A"),
            ("13 10:00", "depart", "S3"),
            ("13 12:00", "arrive", "S3"),
            ("13 12:00", "depart", "S2"),
            ("13 14:00", "arrive", "S2"),
            ("13 15:00", "depart", "S4"),
            ("13 17:00", "arrive", "S4"),
        ],
        "13 17:00",
    ),
    # FAC-A is handed over 4 h late (14:00): U-A and S3 wait, S2 waits for the stand.
    "handover-slip": (
        {"slips": {"FAC-A": 240}},
        [
            ("13 06:00", "depart", "S1"),
            ("13 08:00", "arrive", "S1"),
            ("13 12:00", "depart", "S2"),
            ("13 14:00", "handover", "FAC-A"),
            ("13 14:00", "arrive", "S2"),
            ("13 14:00", "depart", "S3"),
            ("13 15:00", "depart", "S4"),
            ("13 16:00", "arrive", "S3"),
            ("13 17:00", "arrive", "S4"),
        ],
        "13 17:00",
    ),
}


def _readable(model, trace):
    return [(model.time(e.t).strftime("%d %H:%M"), e.kind, e.subject) for e in trace]


@pytest.fixture(scope="module")
def model(tiny_risk, tiny_risk_plan):
    return compile_model(tiny_risk, tiny_risk_plan)


def test_plan_is_valid(tiny_risk, tiny_risk_plan):
    assert check(tiny_risk, tiny_risk_plan) == []


def test_no_disruption_replays_the_plan(tiny_risk, tiny_risk_plan, model):
    real = Realization.none(model)
    fast = run_fast(model, real)
    ref = run_reference(tiny_risk, tiny_risk_plan, model, real)
    assert _readable(model, fast.trace(model, real)) == PLAN_TRACE
    assert _readable(model, ref.trace) == PLAN_TRACE
    assert model.time(int(fast.completion[0])) == tiny_risk_plan.completion


@pytest.mark.parametrize("kind", list(CASES))
def test_each_disruption_alone(kind, tiny_risk, tiny_risk_plan, model):
    spec, expected, done = CASES[kind]
    real = Realization.fixed(model, **spec)
    fast = run_fast(model, real)
    ref = run_reference(tiny_risk, tiny_risk_plan, model, real)
    assert _readable(model, fast.trace(model, real)) == expected
    assert _readable(model, ref.trace) == expected
    assert model.time(int(fast.completion[0])) == at(done)
    assert model.time(ref.completion) == at(done)


@pytest.mark.parametrize("kind", list(CASES))
def test_executed_run_keeps_the_rules(kind, tiny_risk, tiny_risk_plan, model):
    """The dispatch policy never breaks a rule: the executed run passes the checker
    (except the deadline, which a disruption may well break)."""
    real = Realization.fixed(model, **CASES[kind][0])
    o = run_fast(model, real)
    executed = retimed_plan(tiny_risk_plan, model, o.start[0], o.end[0])
    assert [v for v in check(tiny_risk, executed) if v.rule != "deadline"] == []


def test_closure_at_destination_holds_the_departure(tiny_risk, tiny_risk_plan, model):
    """HOM closed 11:00-13:00: S3 may not land at 12:00, so it leaves THA at 11:00 instead."""
    real = Realization.fixed(model, closures={"HOM": [(at("13 11:00"), at("13 13:00"))]})
    fast = run_fast(model, real)
    ref = run_reference(tiny_risk, tiny_risk_plan, model, real)
    got = _readable(model, fast.trace(model, real))
    assert got == _readable(model, ref.trace)
    assert ("13 11:00", "depart", "S3") in got
    assert ("13 13:00", "arrive", "S3") in got
    # S2 still lands at 11:00, just as S3 vacates the stand; S4 keeps its 12:00.
    assert ("13 11:00", "arrive", "S2") in got
    assert ("13 12:00", "depart", "S4") in got
