"""Scenario: model, YAML loading with provenance, and validation."""

from contingent.scenario.load import (
    bundled_scenarios,
    load_scenario,
    loads_scenario,
    resolve_scenario_path,
)
from contingent.scenario.model import (
    PHASES,
    AircraftType,
    Airfield,
    CapGroup,
    Facility,
    Fleet,
    Phase,
    RoadRoute,
    Rule,
    Scenario,
    Unit,
    VehicleClass,
    block_minutes,
    haversine_km,
)
from contingent.scenario.provenance import Figure

__all__ = [
    "PHASES",
    "AircraftType",
    "Airfield",
    "CapGroup",
    "Facility",
    "Figure",
    "Fleet",
    "Phase",
    "RoadRoute",
    "Rule",
    "Scenario",
    "Unit",
    "VehicleClass",
    "block_minutes",
    "bundled_scenarios",
    "haversine_km",
    "load_scenario",
    "loads_scenario",
    "resolve_scenario_path",
]
