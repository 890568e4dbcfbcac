"""Property: for generated valid scenarios, every plan found is accepted by the checker and its
lower bound is at most its completion."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingent.check import check
from contingent.plan import plan
from contingent.scenario import loads_scenario

TINY = (Path(__file__).parents[1] / "fixtures" / "tiny.yaml").read_text()


@st.composite
def scenarios(draw):
    pax = draw(st.integers(1, 160))
    cars = draw(st.integers(0, 4))
    cargo = draw(st.integers(0, 6000))
    blr = draw(st.integers(1, 90))
    count = draw(st.integers(1, 3))
    cap = draw(st.integers(2, 8))
    mog = draw(st.integers(1, 3))
    hour = draw(st.integers(0, 20))
    guard = draw(st.integers(1, min(pax, 40)))
    text = (
        TINY.replace("personnel: 60, vehicles: {CAR: 2}, cargo_kg: 1000",
                     f"personnel: {pax}, vehicles: {{CAR: {cars}}}, cargo_kg: {cargo}")
        .replace("nation: BLR, personnel: 30", f"nation: BLR, personnel: {blr}")
        .replace("count: 2, base: HOM", f"count: {count}, base: HOM")
        .replace("departure_cap_per_day: 4", f"departure_cap_per_day: {cap}")
        .replace("max_on_ground: 2", f"max_on_ground: {mog}")
        .replace('handover: "2022-01-13T10:00', f'handover: "2022-01-13T{hour:02d}:00')
        .replace("guard_required: 40", f"guard_required: {guard}")
        .replace("personnel: 40}]", f"personnel: {guard}}}]")
        .replace('deadline: {value: "2022-01-16', 'deadline: {value: "2022-01-25')
    )
    if cars == 0:
        text = text.replace("vehicles: {CAR: 0}, ", "")
    return loads_scenario(text, "generated.yaml"), draw(st.sampled_from(["withdrawal",
                                                                          "deployment"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_plan_found_is_accepted_by_the_checker(case):
    s, phase = case
    pl = plan(s, phase, time_limit=3, workers=1)
    if pl.completion is None:
        assert pl.status in ("infeasible", "unknown") and pl.message
        return
    assert check(s, pl) == []
    assert pl.lower_bound is not None and pl.lower_bound <= pl.completion
