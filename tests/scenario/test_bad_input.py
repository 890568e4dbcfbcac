"""Broken scenarios: every kind of bad input gives one located error and exit code 2.

Each case is a small edit of a good scenario's text. The error must name the file, the line
and the field, and neither the CLI nor the library may show a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contingent.errors import InputError
from contingent.scenario import bundled_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = (ROOT / "tests" / "fixtures" / "tiny.yaml").read_text(encoding="utf-8")
KAZ = bundled_scenarios()["kazakhstan-2022"].read_text(encoding="utf-8")

# (id, base text, old, new, line, field, part of the message)
CASES = [
    ("yaml-syntax", TINY, "  name: Tiny test operation", "  name: [Tiny test operation",
     8, "(document)", "YAML syntax error"),
    ("control-character", TINY, "  name: Tiny test operation", "  name: Tiny\x07 operation",
     7, "(document)", "unacceptable character #x0007"),
    # Read before the ids are known, so the list position names the fleet.
    ("bad-explicit-tag", TINY, "count: 2,", "count: !!int two,",
     23, "fleets[0].count", "cannot read 'two' as int"),
    ("missing-required-field", TINY, "  host: KAZ\n", "",
     6, "operation.host", "required field 'host' is missing"),
    ("wrong-type", TINY, "count: 2,", "count: two,",
     23, "fleets[F1].count", "valid integer"),
    ("boolean-for-number", TINY, "count: 2,", "count: yes,",
     23, "fleets[F1].count", "booleans"),
    ("negative-number", TINY, "personnel: 30", "personnel: -30",
     31, "units[U-BLR].personnel", "greater than or equal to 0, got -30"),
    ("unknown-airfield", TINY, "base: HOM", "base: HOX",
     23, "fleets[F1].base", "unknown airfield 'HOX'"),
    ("unknown-aircraft-type", TINY, "space_m: {JET: 5.0}", "space_m: {JET: 5.0, JUMBO: 5.0}",
     19, "vehicle_classes[CAR].space_m.JUMBO", "unknown aircraft type 'JUMBO'"),
    ("unknown-vehicle-class", TINY, "vehicles: {CAR: 2}", "vehicles: {TRUCK: 2}",
     30, "units[U-RUS].vehicles.TRUCK", "unknown vehicle class 'TRUCK'"),
    ("unknown-unit-in-guards", TINY, "{unit: U-RUS", "{unit: U-XXX",
     34, "facilities[FAC-A].guards[0].unit", "unknown unit 'U-XXX'"),
    ("unit-fits-no-aircraft", TINY, "space_m: {JET: 5.0}", "space_m: {JET: 12.0}",
     30, "units[U-RUS].id", "unit fits no aircraft"),
    ("facility-cannot-be-guarded", TINY, "guard_required: 40", "guard_required: 50",
     34, "facilities[FAC-A].guard_required", "requires 50 personnel, its guards give 40"),
    ("duplicate-id", TINY, "road_routes:\n",
     "  - {id: THA, name: Again, lat: 43.0, lon: 77.0, assumed: test}\nroad_routes:\n",
     27, "airfields[THA].id", "duplicate id 'THA' in airfields (first on line 25)"),
    ("unknown-time-zone", TINY, "time_zone: Asia/Almaty", "time_zone: Asia/Almatyy",
     9, "operation.time_zone", "unknown IANA time zone 'Asia/Almatyy'"),
    ("deadline-before-start", TINY, "2022-01-16T00:00:00+06:00", "2022-01-12T00:00:00+06:00",
     17, "operation.phases.withdrawal.deadline", "deadline must be after start"),
    ("figure-without-provenance", TINY, "home: HOM, assumed: test}\n  - {id: U-KGZ",
     "home: HOM}\n  - {id: U-KGZ",
     31, "units[U-BLR].personnel", "figure 30 has no provenance"),
    ("undeclared-source-id", TINY, 'source: "T1"', 'source: "T2"',
     16, "operation.phases.withdrawal.start.source", "source 'T2' is not declared"),
    ("both-source-and-assumed", TINY, "{value: 100, assumed: test}",
     "{value: 100, assumed: test, source: T1}",
     11, "operation.personnel_mass_kg", "either 'source' or 'assumed'"),
    ("unknown-field", TINY, "cargo_kg: 1000", "cargo_kgs: 1000",
     30, "units[U-RUS].cargo_kgs", "unknown field"),
    ("unknown-phase", TINY, "    withdrawal:\n", "    withdrawl:\n",
     15, "operation.phases.withdrawl", "'deployment' or 'withdrawal', got 'withdrawl'"),
    ("naive-time", TINY, "2022-01-13T10:00:00+06:00", "2022-01-13T10:00:00",
     34, "facilities[FAC-A].handover", "has no UTC offset"),
    ("latitude-out-of-range", TINY, "lat: 43.0", "lat: 93.0",
     25, "airfields[THA].lat", "less than or equal to 90, got 93.0"),
    ("closure-to-before-from", TINY, "time_zone: Asia/Yekaterinburg,",
     'time_zone: Asia/Yekaterinburg, closures: [{from: "2022-01-14T10:00:00+06:00", '
     'to: "2022-01-14T08:00:00+06:00"}],',
     26, "airfields[HOM].closures[0].to", "closure 'to' must be after 'from'"),
    ("bad-clock-time", TINY, 'driving_from: "08:00"', 'driving_from: "25:00"',
     28, "road_routes[RD].driving_from", "'25:00' is not a clock time HH:MM"),
    ("road-unit-without-route", TINY, "theatre: THA-TOWN", "theatre: THA",
     32, "units[U-KGZ].home", "no road route between 'THA' and 'BORDER'"),
    ("duplicate-yaml-key", TINY, "  host: KAZ\n", "  host: KAZ\n  host: RUS\n",
     9, "operation.host", "duplicate key 'host'"),
    ("rule-nation-without-units", TINY, "nations: [KGZ]", "nations: [KGZ, TJK]",
     37, "rules[0].nations[1]", "no unit of nation 'TJK'"),
    ("kazakhstan-unknown-cap-group-airfield", KAZ,
     "airfields: [UAAA, ZHETYGEN]\n    departure_cap_per_day",
     "airfields: [UAAA, ZHETYGENN]\n    departure_cap_per_day",
     None, "cap_groups[ALMATY-AREA].airfields[1]", "unknown airfield 'ZHETYGENN'"),
    ("kazakhstan-undeclared-source", KAZ, 'count: {value: 70, source: "P6"}',
     'count: {value: 70, source: "P7"}',
     None, "fleets[RUS-IL76].count.source", "source 'P7' is not declared"),
]


def _line_of(text: str, fragment: str) -> int:
    """1-based line where ``fragment`` starts in ``text``."""
    return text[: text.index(fragment)].count("\n") + 1


@pytest.mark.parametrize(
    ("base", "old", "new", "line", "field", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_broken_scenario_is_located(
    tmp_path: Path, base: str, old: str, new: str, line: int | None, field: str, message: str
) -> None:
    assert base.count(old) == 1, "the edit must hit exactly one place"
    text = base.replace(old, new)
    if line is None:  # in the big scenario: the line of the edit itself
        line = _line_of(text, new.split("\n")[0])
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")

    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    run = subprocess.run(
        [sys.executable, "-m", "contingent", "validate", str(path)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    first = run.stderr.splitlines()[0]
    assert re.match(rf"^{re.escape(str(path))}:{line}: {re.escape(field)}: ", first), first
    assert message in first

    with pytest.raises(InputError) as caught:
        load_scenario(path)
    err = caught.value
    assert (err.file, err.line, err.field) == (str(path), line, field)
    assert message in err.message
    assert str(err) == first
