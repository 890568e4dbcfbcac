"""Fixtures for the risk tests: the tiny-risk scenario and a hand-made withdrawal plan."""

from __future__ import annotations

import pytest
from risk_helpers import TINY_RISK, tiny_plan

from contingent.planfile import Plan
from contingent.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def tiny_risk() -> Scenario:
    return load_scenario(TINY_RISK)


@pytest.fixture(scope="session")
def tiny_risk_plan() -> Plan:
    return tiny_plan()
