"""Scenario model: derived lookups, replace(), release and road timing."""

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from contingent.scenario import load_scenario
from contingent.scenario.model import road_end

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"


@pytest.fixture
def tiny():
    return load_scenario(TINY)


def test_replace_rebuilds_lookups(tiny):
    assert tiny.airfield["THA"].max_on_ground == 2  # fills the cache
    tha = tiny.airfields[0].model_copy(update={"max_on_ground": 5})
    changed = tiny.replace(airfields=(tha, *tiny.airfields[1:]))
    assert changed.airfield["THA"].max_on_ground == 5
    assert tiny.airfield["THA"].max_on_ground == 2
    assert changed.figures == tiny.figures


def test_replace_validates(tiny):
    with pytest.raises(ValidationError):
        tiny.replace(units=())


def test_release_is_last_handover_of_guarded_facilities(tiny):
    rus = tiny.unit["U-RUS"]
    assert tiny.release(rus, "withdrawal") == datetime.fromisoformat("2022-01-13T10:00+06:00")
    assert tiny.release(rus, "deployment") == tiny.window("deployment").start
    assert tiny.release(tiny.unit["U-BLR"], "withdrawal") == tiny.window("withdrawal").start


def test_road_end_halts_outside_the_driving_window(tiny):
    route = tiny.road_routes[0]  # 120 km at 40 km/h = 180 min, 08:00 + 8 h a day
    tz = tiny.operation.tz
    start = datetime.fromisoformat("2022-01-13T15:00+06:00")
    # 60 min until 16:00, then the remaining 120 min from 08:00 next day.
    assert road_end(route, start, tz) == datetime.fromisoformat("2022-01-14T10:00+06:00")
    assert road_end(route, datetime.fromisoformat("2022-01-13T02:00+06:00"), tz) == (
        datetime.fromisoformat("2022-01-13T11:00+06:00"))


def test_road_end_with_seconds_just_before_the_window_closes(tiny):
    route = tiny.road_routes[0]  # window 08:00-16:00
    start = datetime.fromisoformat("2022-01-13T15:59:30+06:00")
    # Rounded up to 16:00: the window is closed, so all 180 min drive from 08:00 next day.
    assert road_end(route, start, tiny.operation.tz) == datetime.fromisoformat(
        "2022-01-14T11:00+06:00")
