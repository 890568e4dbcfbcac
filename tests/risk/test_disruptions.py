"""The disruption model in the scenario: loading, provenance, bad figures refused with a line."""

from __future__ import annotations

import re

import numpy as np
import pytest
from risk_helpers import TINY_RISK
from typer.testing import CliRunner

from contingent.cli import app
from contingent.errors import InputError
from contingent.scenario import load_scenario
from contingent.scenario.disruptions import Duration


def test_tiny_risk_loads(tiny_risk):
    d = tiny_risk.disruptions
    assert d is not None
    assert [z.airfields for z in d.weather] == [("THA",), ("HOM",)]
    assert d.weather[0].window_minutes == (300, 720)
    assert d.weather[1].window_minutes == (0, 1440)
    assert d.sortie_risk("F1").abort_probability == 0.1
    assert d.aircraft_risk("F1").daily_probability == 0.1
    assert d.handover_risk("FAC-A").probability == 0.4


def test_kazakhstan_disruptions_have_provenance():
    s = load_scenario("kazakhstan-2022")
    d = s.disruptions
    assert d is not None
    assert d.weather[0].airfields == ("UAAA", "ZHETYGEN")
    figs = [f for f in s.figures if f.path.startswith("disruptions")]
    assert len(figs) > 40
    # Nothing in the reports gives these figures: all are assumptions, with reasons.
    assert all(f.kind == "assumed" and len(f.provenance) > 10 for f in figs)
    # The handover entry cites the risk the reports name (R2/F18).
    assert "R2/F18" in d.handovers[0].note
    # Every airfield of the scenario has weather.
    covered = {a for z in d.weather for a in z.airfields}
    assert covered == {a.id for a in s.airfields}


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Duration(dist="fixed", at=2), 2.0),
        (Duration(dist="uniform", low=1, high=5), 3.0),
        (Duration(dist="triangular", low=1, mode=2, high=6), 3.0),
        (Duration(dist="exponential", mean=2), 2.0),
        (Duration(dist="exponential", mean=2, max=3), 2 * (1 - np.exp(-1.5))),
    ],
)
def test_duration_quantiles_match_their_mean(dist, mean):
    u = (np.arange(200_000) + 0.5) / 200_000
    x = dist.quantile(u)
    assert x.min() >= 0
    assert abs(x.mean() - mean) < 1e-3 * max(1.0, mean)
    assert dist.mean_value() == pytest.approx(mean)
    assert dist.minutes(np.asarray([0.5]), 60).dtype == np.int64


TEXT = TINY_RISK.read_text(encoding="utf-8")

# (name, text to replace, replacement, field, message fragment)
BAD = [
    ("probability above 1", "daily_probability: 0.3", "daily_probability: 1.3",
     "disruptions.weather[theatre].daily_probability", "less than or equal to 1"),
    ("negative probability", "delay_probability: 0.2", "delay_probability: -0.2",
     "disruptions.sorties[0].delay_probability", "greater than or equal to 0"),
    ("negative duration", "{dist: triangular, low: 1, mode: 3, high: 8}",
     "{dist: triangular, low: -1, mode: 3, high: 8}",
     "disruptions.weather[theatre].duration_hours.low", "greater than or equal to 0"),
    ("negative delay", "{dist: triangular, low: 10, mode: 30, high: 120}",
     "{dist: triangular, low: -10, mode: 30, high: 120}",
     "disruptions.sorties[0].delay_minutes.low", "greater than or equal to 0"),
    ("zero mean", "{dist: exponential, mean: 2, max: 6}", "{dist: exponential, mean: 0, max: 6}",
     "disruptions.sorties[0].abort_hold_hours.mean", "greater than 0"),
    ("mode outside", "{dist: triangular, low: 0, mode: 2, high: 6}",
     "{dist: triangular, low: 0, mode: 7, high: 6}",
     "disruptions.handovers[0].slip_hours", "need low <= mode <= high"),
    ("missing parameter", "{dist: uniform, low: 1, high: 4}", "{dist: uniform, low: 1}",
     "disruptions.weather[1].duration_hours", "needs high"),
    ("unknown distribution", "{dist: uniform, low: 2, high: 10}",
     "{dist: gamma, low: 2, high: 10}",
     "disruptions.aircraft[0].duration_hours.dist", "'fixed', 'uniform', 'triangular'"),
    ("unknown airfield", "airfields: [HOM]", "airfields: [XXX]",
     "disruptions.weather[1].airfields[0]", "unknown airfield 'XXX'"),
    ("unknown fleet", "fleets: [F1]", "fleets: [F9]",
     "disruptions.aircraft[0].fleets[0]", "unknown fleet 'F9'"),
    ("unknown facility", "    - probability: 0.4",
     "    - facilities: [FAC-Z]\n      probability: 0.4",
     "disruptions.handovers[0].facilities[0]", "unknown facility 'FAC-Z'"),
    ("reversed window", 'starts_between: {from: "05:00", to: "12:00"}',
     'starts_between: {from: "12:00", to: "05:00"}',
     "disruptions.weather[theatre].starts_between", "end must not be before its start"),
    ("bad clock", 'starts_between: {from: "05:00", to: "12:00"}',
     'starts_between: {from: "05:00", to: "25:00"}',
     "disruptions.weather[theatre].starts_between.to", "not a clock time"),
    ("boolean", "daily_probability: 0.3", "daily_probability: yes",
     "disruptions.weather[theatre].daily_probability", "true is not a valid value"),
    ("unknown field", "daily_probability: 0.3", "daily_probability: 0.3\n      gusts: 3",
     "disruptions.weather[theatre].gusts", "unknown field"),
    ("no provenance", "      duration_hours: {dist: uniform, low: 1, high: 4}\n      assumed: test",
     "      duration_hours: {dist: uniform, low: 1, high: 4}",
     "disruptions.weather[1].daily_probability", "no provenance"),
    ("abort without hold", "      abort_hold_hours: {dist: exponential, mean: 2, max: 6}\n", "",
     "disruptions.sorties[0]", "abort_probability > 0 needs abort_hold_hours"),
]


def _bad_file(tmp_path, old, new):
    assert TEXT.count(old) == 1, old
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    return path


def _line_of(path, field):
    """The line the error should name: where the field's last key is written."""
    key = re.split(r"[.\[]", field)[-1].rstrip("]")
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, text in enumerate(lines) if text.startswith("disruptions:"))
    if key.isdigit() or key in {"theatre", "FAC-Z", "XXX", "F9"}:
        key = re.split(r"[.\[]", field)[-2].rstrip("]")
    hits = [i + 1 for i, text in enumerate(lines) if i >= start and re.search(rf"\b{key}\b", text)]
    return hits


@pytest.mark.parametrize(("name", "old", "new", "field", "fragment"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_figure_is_located(tmp_path, name, old, new, field, fragment):
    path = _bad_file(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == str(path)
    assert err.field == field
    assert fragment in err.message
    assert err.line is not None
    assert err.line in _line_of(path, field) or name in {"abort without hold"}


@pytest.mark.parametrize(("name", "old", "new", "field", "fragment"), BAD,
                         ids=[b[0] for b in BAD])
def test_validate_refuses_bad_figure(tmp_path, name, old, new, field, fragment):
    path = _bad_file(tmp_path, old, new)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.match(rf"^{re.escape(str(path))}:\d+: {re.escape(field)}: ", lines[0])
    assert fragment in lines[0]
