"""Fixtures for the report tests: the tiny scenario and hand-made plans for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import FIXTURES, make_plan

from contingent.planfile import Plan
from contingent.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    return load_scenario(FIXTURES / "tiny.yaml")


@pytest.fixture()
def good_plan() -> Plan:
    return make_plan()


@pytest.fixture()
def gap_plan() -> Plan:
    return make_plan(gap=True)


@pytest.fixture(scope="session")
def risk_file() -> Path:
    return FIXTURES / "report" / "tiny-risk.json"
