"""Two engines, one truth: the fast engine and the SimPy reference agree.

* Same seed: every run gives the same event trace in both engines (tiny plan, the planner's
  tiny plan with a convoy, and a saved planner plan of kazakhstan-2022).
* Different seeds: the completion distributions pass a two-sample Kolmogorov-Smirnov test at
  the 1% level (400 runs per engine on tiny, 300 on kazakhstan-2022).
* All probabilities zero: every run, in both engines, reproduces the plan's own completion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from risk_helpers import FIXTURES, TINY_RISK
from scipy.stats import ks_2samp

from contingent.check import check
from contingent.planfile import read_plan
from contingent.risk import simulate
from contingent.risk.draws import Sampler
from contingent.risk.fast import run_fast
from contingent.risk.model import compile_model
from contingent.risk.reference import run_reference
from contingent.scenario import load_scenario
from contingent.scenario.disruptions import Disruptions

KS_LEVEL = 0.01
KAZ_PLAN = FIXTURES / "risk" / "kazakhstan-2022-withdrawal.json"


@pytest.fixture(scope="module")
def kazakhstan():
    """The saved planner plan; planned afresh if the scenario has changed under it (refresh
    the file with: contingent plan kazakhstan-2022 --phase withdrawal --out <it>)."""
    s = load_scenario("kazakhstan-2022")
    p = read_plan(KAZ_PLAN)
    if check(s, p):
        plan_mod = pytest.importorskip("contingent.plan")
        p = plan_mod.plan(s, "withdrawal")
        assert check(s, p) == []
    return s, p


@pytest.fixture(scope="module")
def tiny_with_convoy(tiny_risk):
    """The shared tiny scenario (a road unit too) with tiny-risk's disruptions, planned."""
    plan_mod = pytest.importorskip("contingent.plan")
    s = load_scenario(Path(TINY_RISK).parent.parent / "tiny.yaml")
    s = s.model_copy(update={"disruptions": tiny_risk.disruptions})
    return s, plan_mod.plan(s, "withdrawal")


def _same_traces(s, p, runs, seed):
    m = compile_model(s, p)
    real = Sampler(m, s.disruptions).draw(seed, 0, runs)
    fast = run_fast(m, real)
    disrupted = 0
    for i in range(runs):
        ref = run_reference(s, p, m, real.row(i))
        assert list(ref.trace) == fast.trace(m, real, i), f"run {i}"
        assert ref.completion == fast.completion[i]
        assert ref.breach == tuple(bool(x) for x in fast.breach[i])
        for n, t in ref.nations.items():
            assert fast.nations[i, m.nations.index(n)] == t
        disrupted += int(fast.completion[i] != m.planned_completion)
    return disrupted


def test_same_seed_same_traces_tiny(tiny_risk, tiny_risk_plan):
    assert _same_traces(tiny_risk, tiny_risk_plan, 200, seed=11) > 50


def test_same_seed_same_traces_with_convoy(tiny_with_convoy):
    s, p = tiny_with_convoy
    assert p.road_moves
    assert _same_traces(s, p, 150, seed=12) > 30


def test_same_seed_same_traces_kazakhstan(kazakhstan):
    s, p = kazakhstan
    assert _same_traces(s, p, 40, seed=13) > 10


def test_completion_distributions_agree_tiny(tiny_risk, tiny_risk_plan):
    fast = simulate(tiny_risk, tiny_risk_plan, runs=400, seed=1, workers=1, drivers=False)
    ref = simulate(tiny_risk, tiny_risk_plan, runs=400, seed=2, workers=1, drivers=False,
                   engine="reference")
    assert ks_2samp(fast.completion_minutes, ref.completion_minutes).pvalue > KS_LEVEL
    # the test has teeth: a shifted sample is told apart
    assert ks_2samp(fast.completion_minutes, ref.completion_minutes + 60).pvalue < KS_LEVEL


def test_completion_distributions_agree_kazakhstan(kazakhstan):
    s, p = kazakhstan
    fast = simulate(s, p, runs=300, seed=3, workers=1, drivers=False)
    ref = simulate(s, p, runs=300, seed=4, workers=1, drivers=False, engine="reference")
    assert ks_2samp(fast.completion_minutes, ref.completion_minutes).pvalue > KS_LEVEL


def _zeroed(d: Disruptions) -> Disruptions:
    return Disruptions(
        weather=tuple(z.model_copy(update={"daily_probability": 0.0}) for z in d.weather),
        sorties=tuple(e.model_copy(update={"abort_probability": 0.0, "delay_probability": 0.0})
                      for e in d.sorties),
        aircraft=tuple(e.model_copy(update={"daily_probability": 0.0}) for e in d.aircraft),
        handovers=tuple(e.model_copy(update={"probability": 0.0}) for e in d.handovers),
    )


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("case", ["tiny", "convoy", "kazakhstan"])
def test_zero_probabilities_reproduce_the_plan(engine, case, request, tiny_risk,
                                               tiny_risk_plan):
    if case == "tiny":
        s, p = tiny_risk, tiny_risk_plan
    else:
        s, p = request.getfixturevalue("tiny_with_convoy" if case == "convoy" else "kazakhstan")
    assert s.disruptions is not None
    s = s.model_copy(update={"disruptions": _zeroed(s.disruptions)})
    r = simulate(s, p, runs=30 if engine == "reference" else 300, seed=5, workers=1,
                 engine=engine)
    m = compile_model(s, p)
    assert np.all(r.completion_minutes == m.planned_completion)
    assert r.planned_completion == p.completion
    assert r.completion_quantiles["p10"] == r.completion_quantiles["p90"] == p.completion
    for n, t in p.nations.items():
        assert r.nations[n].quantiles["p50"] == t
    assert r.sources == ()
    assert r.drivers == ()
    assert r.late_handover_facility_days == 0


def test_no_disruption_section_means_the_plan(tiny_risk, tiny_risk_plan):
    s = tiny_risk.model_copy(update={"disruptions": None})
    r = simulate(s, tiny_risk_plan, runs=50, seed=0, workers=1)
    assert r.p_by_deadline == 1.0
    assert r.completion_quantiles["p50"] == tiny_risk_plan.completion


def test_same_seed_same_traces_with_order_rules(tiny_risk, tiny_risk_plan):
    """A 'before' rule (RUS before BLR) and a one-day fly_within window for BLR, with three
    times the tiny disruption rates: the rule paths agree too, breaches included."""
    from contingent.scenario.model import Rule

    d = tiny_risk.disruptions
    assert d is not None
    heavy = Disruptions(
        weather=tuple(z.model_copy(update={"daily_probability": 0.9}) for z in d.weather),
        sorties=tuple(e.model_copy(update={"abort_probability": 0.3, "delay_probability": 0.6})
                      for e in d.sorties),
        aircraft=tuple(e.model_copy(update={"daily_probability": 0.3}) for e in d.aircraft),
        handovers=tuple(e.model_copy(update={"probability": 1.0}) for e in d.handovers),
    )
    rules = (Rule(kind="before", phase="withdrawal", first=("RUS",), then=("BLR",)),
             Rule(kind="fly_within", phase="withdrawal", nations=("BLR",), day="2022-01-13"))
    s = tiny_risk.model_copy(update={"rules": rules, "disruptions": heavy})
    m = compile_model(s, tiny_risk_plan)
    assert m.item_after[m.sortie_ids.index("S4")] == (0,)
    assert _same_traces(s, tiny_risk_plan, 300, seed=14) > 250
    real = Sampler(m, heavy).draw(14, 0, 300)
    o = run_fast(m, real)
    s3, s4 = m.sortie_ids.index("S3"), m.sortie_ids.index("S4")
    assert np.all(o.start[:, s4] > o.start[:, s3])
    assert m.soft_limits == ("fly_within BLR (rule 2)",)
    assert 0 < o.breach[:, 0].mean() < 1
