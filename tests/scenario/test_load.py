"""Loading scenarios: bundled and test scenarios, provenance, figure lines, reference totals."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from contingent.errors import InputError
from contingent.scenario import (
    Figure,
    Scenario,
    bundled_scenarios,
    load_scenario,
    loads_scenario,
    resolve_scenario_path,
)

ROOT = Path(__file__).resolve().parents[2]
TINY_PATH = ROOT / "tests" / "fixtures" / "tiny.yaml"
TINY = TINY_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(TINY_PATH)


@pytest.fixture(scope="module")
def kazakhstan() -> Scenario:
    return load_scenario("kazakhstan-2022")


def figures_by_path(s: Scenario) -> dict[str, Figure]:
    return {f.path: f for f in s.figures}


def line_of(text: str, fragment: str) -> int:
    assert text.count(fragment) == 1, fragment
    return text[: text.index(fragment)].count("\n") + 1


def test_bundled_scenarios_lists_kazakhstan() -> None:
    bundled = bundled_scenarios()
    assert "kazakhstan-2022" in bundled
    assert bundled["kazakhstan-2022"].name == "kazakhstan-2022.yaml"
    assert bundled["kazakhstan-2022"].is_file()


def test_name_and_path_load_the_same(kazakhstan: Scenario) -> None:
    path = bundled_scenarios()["kazakhstan-2022"]
    assert resolve_scenario_path("kazakhstan-2022") == path
    by_path = load_scenario(path)
    assert by_path.scenario == kazakhstan.scenario == "kazakhstan-2022"
    assert by_path.figures == kazakhstan.figures
    assert kazakhstan.file == str(path)


def test_unknown_name_is_a_located_error() -> None:
    with pytest.raises(InputError, match="no such file or bundled scenario") as caught:
        load_scenario("no-such-scenario")
    assert caught.value.file == "no-such-scenario"
    assert "kazakhstan-2022" in caught.value.message


def test_tiny_loads(tiny: Scenario) -> None:
    assert tiny.scenario == "tiny"
    assert tiny.file == str(TINY_PATH)
    assert tiny.nations == ("BLR", "KGZ", "RUS")
    assert [u.id for u in tiny.units] == ["U-RUS", "U-BLR", "U-KGZ"]
    assert tiny.unit["U-KGZ"].mode == "road"
    assert tiny.fleet["F1"].tails() == ["F1-01", "F1-02"]
    assert set(tiny.operation.phases) == {"deployment", "withdrawal"}
    start = tiny.window("withdrawal").start
    assert isinstance(start, datetime)
    assert start.utcoffset() is not None
    assert start.isoformat() == "2022-01-13T00:00:00+06:00"
    # The road unit's route, and the facility that holds U-RUS until its handover.
    assert ("THA-TOWN", "BORDER") in tiny.route
    assert tiny.unit_facilities["U-RUS"] == ("FAC-A",)
    assert tiny.release(tiny.unit["U-RUS"], "withdrawal").isoformat() == (
        "2022-01-13T10:00:00+06:00"
    )


def test_loads_from_text_names_the_file() -> None:
    s = loads_scenario(TINY, file="memory.yaml")
    assert s.file == "memory.yaml"
    with pytest.raises(InputError) as caught:
        loads_scenario(TINY.replace("base: HOM", "base: NOWHERE"))
    assert str(caught.value).startswith("<string>:23: fleets[F1].base: ")


def test_tiny_figure_counts(tiny: Scenario) -> None:
    kinds = Counter(f.kind for f in tiny.figures)
    assert len(tiny.figures) == 33
    assert kinds == {"reported": 1, "assumed": 32}
    # Ids, names, codes and the sources register are not figures.
    paths = {f.path for f in tiny.figures}
    assert not any(p.startswith("sources") for p in paths)
    assert "airfields[THA].name" not in paths
    assert "operation.host" not in paths
    # Figures come in document order.
    assert [f.line for f in tiny.figures] == sorted(f.line or 0 for f in tiny.figures)


def test_object_level_assumption_covers_nested_figures(tiny: Scenario) -> None:
    figs = figures_by_path(tiny)
    for path, value in [
        ("units[U-RUS].personnel", 60),
        ("units[U-RUS].vehicles.CAR", 2),  # nested mapping
        ("facilities[FAC-A].guards[0].personnel", 40),  # nested list of mappings
        ("facilities[FAC-A].handover", "2022-01-13T10:00:00+06:00"),  # a date-time
        ("road_routes[RD].driving_from", "08:00"),  # a clock time
    ]:
        assert figs[path].value == value
        assert (figs[path].kind, figs[path].provenance) == ("assumed", "test"), path


def test_figure_source_overrides_the_object_level_one() -> None:
    text = TINY.replace(
        "{id: U-RUS, nation: RUS, personnel: 60,",
        "{id: U-RUS, nation: RUS, personnel: {value: 60, source: T1},",
    )
    figs = figures_by_path(loads_scenario(text))
    own = figs["units[U-RUS].personnel"]
    assert (own.value, own.kind, own.provenance, own.line) == (60, "reported", "T1", 30)
    # The sibling figures keep the object's assumption.
    for path in ("units[U-RUS].cargo_kg", "units[U-RUS].vehicles.CAR"):
        assert (figs[path].kind, figs[path].provenance) == ("assumed", "test"), path


def test_nested_provenance_in_a_block_mapping() -> None:
    # An object with `source:` holding a nested mapping with its own `assumed:`.
    text = TINY.replace(
        "  personnel_mass_kg: {value: 100, assumed: test}\n",
        "  personnel_mass_kg: 100\n  source: T1\n",
    )
    figs = figures_by_path(loads_scenario(text))
    mass = figs["operation.personnel_mass_kg"]
    assert (mass.kind, mass.provenance, mass.line) == ("reported", "T1", 11)
    # Figures with their own provenance inside that object keep it.
    deadline = figs["operation.phases.withdrawal.deadline"]
    assert (deadline.kind, deadline.provenance) == ("assumed", "test")


def test_free_text_source_needs_no_declaration(kazakhstan: Scenario) -> None:
    fig = figures_by_path(kazakhstan)["road_routes[ALMATY-KORDAY].distance_km"]
    assert fig.kind == "reported"
    assert fig.value == 250
    assert "Kyrgyz border" in fig.provenance


def test_figure_lines(tiny: Scenario, kazakhstan: Scenario) -> None:
    tiny_figs = figures_by_path(tiny)
    assert tiny_figs["fleets[F1].count"].line == line_of(TINY, "  - {id: F1,")
    assert tiny_figs["operation.phases.withdrawal.deadline"].line == line_of(TINY, "deadline:")
    text = Path(kazakhstan.file).read_text(encoding="utf-8")
    figs = figures_by_path(kazakhstan)
    cap = figs["cap_groups[ALMATY-AREA].departure_cap_per_day"]
    assert (cap.value, cap.kind, cap.provenance) == (24, "reported", "R2/F15")
    assert cap.line == line_of(text, "departure_cap_per_day: {value: 24")
    count = figs["fleets[RUS-IL76].count"]
    assert (count.value, count.provenance) == (70, "P6")
    assert count.line == line_of(text, "count: {value: 70")
    # A figure inherited from a block-style object sits on its own line.
    seats = figs["aircraft_types[IL-76MD].seats"]
    assert seats.kind == "assumed"
    assert seats.line == line_of(text, "seats: 126")


def test_kazakhstan_totals(kazakhstan: Scenario) -> None:
    assert sum(u.personnel for u in kazakhstan.units) == 2030
    assert sum(sum(u.vehicles.values()) for u in kazakhstan.units) == 250
    assert len(kazakhstan.facilities) == 14
    assert kazakhstan.nations == ("ARM", "BLR", "KGZ", "RUS", "TJK")
    assert len(kazakhstan.nations) == 5


def test_kazakhstan_provenance(kazakhstan: Scenario) -> None:
    kinds = Counter(f.kind for f in kazakhstan.figures)
    assert kinds["reported"] + kinds["assumed"] == len(kazakhstan.figures)
    assert kinds["reported"] > 0
    assert kinds["assumed"] > 0
    assert all(f.provenance.strip() for f in kazakhstan.figures)
    assert all(f.line is not None for f in kazakhstan.figures)
    # Report references name a declared source: R2/F11 -> R2.
    declared = set(kazakhstan.sources)
    for f in kazakhstan.figures:
        head = f.provenance.split("/")[0]
        if f.kind == "reported" and head.isalnum() and head.isupper():
            assert head in declared, f
    # The reported withdrawal window (R2/F11, R2/F17).
    figs = figures_by_path(kazakhstan)
    assert figs["operation.phases.withdrawal.start"].provenance == "R2/F11"
    assert figs["operation.phases.withdrawal.deadline"].provenance == "R2/F17"


def test_several_errors_are_reported_together() -> None:
    text = TINY.replace("base: HOM", "base: HOX").replace("{unit: U-RUS", "{unit: U-XXX")
    with pytest.raises(InputError) as caught:
        loads_scenario(text, file="two.yaml")
    found = [(e.line, e.field) for e in caught.value.all()]
    assert (23, "fleets[F1].base") in found
    assert (34, "facilities[FAC-A].guards[0].unit") in found
