"""simulate(): statistics, reproducibility across workers and Dask, drivers, policies."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from risk_helpers import at, sortie

from contingent.planfile import Load
from contingent.risk import (
    Asap,
    PlanNotExecutable,
    PlanOrder,
    compile_model,
    simulate,
    wilson,
)
from contingent.risk.draws import Realization, Sampler
from contingent.risk.fast import run_fast


def _same(a, b):
    assert np.array_equal(a.completion_minutes, b.completion_minutes)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


def test_wilson_interval():
    lo, hi = wilson(80, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.7112, 0.8666)
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 1.0
    lo, hi = wilson(50, 100, confidence=0.99)
    assert lo < 0.5 < hi and hi - lo > wilson(50, 100)[1] - wilson(50, 100)[0]


def test_result_fields(tiny_risk, tiny_risk_plan):
    r = simulate(tiny_risk, tiny_risk_plan, runs=500, seed=9, workers=1)
    d = r.to_dict()
    for key in ("runs", "seed", "deadline", "p_by_deadline", "p_by_deadline_ci",
                "completion_quantiles", "nations", "drivers"):
        assert key in d
    assert d["runs"] == 500 and d["seed"] == 9
    assert d["deadline"] == "2022-01-13T18:00:00+06:00"
    done = int(np.sum(r.completion_minutes <= compile_model(tiny_risk, tiny_risk_plan).deadline))
    assert d["p_by_deadline"] == done / 500
    assert d["p_by_deadline_ci"] == list(wilson(done, 500))
    q = d["completion_quantiles"]
    assert set(q) == {"p10", "p50", "p90"} and q["p10"] <= q["p50"] <= q["p90"]
    assert set(d["nations"]) == {"RUS", "BLR"}
    assert {"p10", "p50", "p90", "p_by_deadline"} <= set(d["nations"]["BLR"])
    assert {x["source"] for x in d["drivers"]} == {
        "weather", "sortie-abort", "technical-delay", "aircraft-unserviceable", "handover-slip"}
    effects = [x["effect"] for x in d["drivers"]]
    assert effects == sorted(effects, reverse=True)
    # handover slips: P = 0.4, triangular(0, 2, 6) h, one facility
    assert r.late_handover_facility_days == pytest.approx(0.4 * 8 / 3 / 24, rel=0.25)
    json.dumps(d)  # JSON-ready


def test_drivers_use_common_random_numbers(tiny_risk, tiny_risk_plan):
    """Switching a source off changes nothing else: with only handover slips left on, the
    completion of every run equals a run drawn with the other sources zeroed."""
    m = compile_model(tiny_risk, tiny_risk_plan)
    real = Sampler(m, tiny_risk.disruptions).draw(4, 0, 300)
    only_slips = real
    for s in ("weather", "sortie-abort", "technical-delay", "aircraft-unserviceable"):
        only_slips = only_slips.without(s)
    o = run_fast(m, only_slips)
    # A slip only delays U-A's lift; with nothing else, S3 leaves at the handover.
    slip = only_slips.slip[:, 0]
    s3 = m.sortie_ids.index("S3")
    assert np.array_equal(o.start[:, s3], np.maximum(m.sortie_dep[s3], m.facility_handover[0]
                                                     + slip))
    assert np.array_equal(real.slip, only_slips.slip)


def test_same_result_whatever_the_workers(tiny_risk, tiny_risk_plan):
    one = simulate(tiny_risk, tiny_risk_plan, runs=3000, seed=21, workers=1)
    two = simulate(tiny_risk, tiny_risk_plan, runs=3000, seed=21, workers=2)
    _same(one, two)
    other = simulate(tiny_risk, tiny_risk_plan, runs=3000, seed=22, workers=1)
    assert not np.array_equal(one.completion_minutes, other.completion_minutes)


def test_first_runs_do_not_depend_on_the_total(tiny_risk, tiny_risk_plan):
    a = simulate(tiny_risk, tiny_risk_plan, runs=100, seed=3, workers=1, drivers=False)
    b = simulate(tiny_risk, tiny_risk_plan, runs=250, seed=3, workers=1, drivers=False)
    assert np.array_equal(a.completion_minutes, b.completion_minutes[:100])


def test_dask_cluster_gives_the_same_result(tiny_risk, tiny_risk_plan):
    distributed = pytest.importorskip("distributed")
    local = simulate(tiny_risk, tiny_risk_plan, runs=2000, seed=8, workers=1)
    seen = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = simulate(tiny_risk, tiny_risk_plan, runs=2000, seed=8,
                          scheduler=cluster.scheduler_address,
                          progress=lambda done, total: seen.append((done, total)))
    _same(local, remote)
    assert seen[-1] == (2000, 2000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_reference_engine_through_simulate(tiny_risk, tiny_risk_plan):
    fast = simulate(tiny_risk, tiny_risk_plan, runs=60, seed=6, workers=1)
    ref = simulate(tiny_risk, tiny_risk_plan, runs=60, seed=6, workers=1, engine="reference")
    assert ref.engine == "reference"
    d_fast, d_ref = fast.to_dict(), ref.to_dict()
    d_fast.pop("engine"), d_ref.pop("engine")
    assert d_fast == d_ref


def test_progress_reports_every_run(tiny_risk, tiny_risk_plan):
    seen = []
    simulate(tiny_risk, tiny_risk_plan, runs=1000, seed=1, workers=1,
             progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (1000, 1000) and len(seen) > 1


def test_asap_policy_may_leave_early(tiny_risk, tiny_risk_plan):
    """A hand-made plan with slack (U-A lifted 14:00-16:00): plan-order never leaves before
    the planned time; asap flies S1 to land at THA's 06:00 opening and S3 at U-A's 10:00
    release."""
    slack = tiny_risk_plan.replace(sorties=(
        sortie("S1", "positioning", "F1-01", "HOM", "THA", "13 06:00", "13 08:00"),
        sortie("S3", "lift", "F1-01", "THA", "HOM", "13 14:00", "13 16:00", Load("U-A", pax=40)),
    ), completion=at("13 16:00"), nations={"RUS": at("13 16:00")})
    units = {u.id: u for u in tiny_risk.units}
    s = tiny_risk.model_copy(update={"units": (units["U-A"],),
                                     "disruptions": None})
    keep = simulate(s, slack, runs=5, seed=0, workers=1, policy=PlanOrder())
    early = simulate(s, slack, runs=5, seed=0, workers=1, policy=Asap())
    assert keep.completion_quantiles["p50"] == at("13 16:00")
    # the handover at 10:00 releases U-A; F1-01 has turned around by 09:00
    assert early.completion_quantiles["p50"] == at("13 12:00")
    assert early.policy == "asap"


def test_overfull_apron_is_refused(tiny_risk, tiny_risk_plan):
    crowded = tiny_risk_plan.replace(sorties=(
        sortie("S1", "positioning", "F1-01", "HOM", "THA", "13 06:00", "13 08:00"),
        sortie("S2", "positioning", "F1-02", "HOM", "THA", "13 06:00", "13 08:00"),
        sortie("S3", "lift", "F1-01", "THA", "HOM", "13 10:00", "13 12:00", Load("U-A", pax=40)),
        sortie("S4", "lift", "F1-02", "THA", "HOM", "13 12:00", "13 14:00", Load("U-B", pax=30)),
    ))
    with pytest.raises(PlanNotExecutable, match="more than 1 aircraft on the ground at THA"):
        compile_model(tiny_risk, crowded)


def test_fly_within_end_is_a_breach_not_a_wall(tiny_risk, tiny_risk_plan):
    """A fly_within window's start holds; its end may be passed under disruption, and such
    runs are counted as breaches."""
    from contingent.scenario.model import Rule

    rule = Rule(kind="fly_within", phase="withdrawal", nations=("BLR",),
                **{"from": at("13 00:00")}, to=at("13 12:30"), note="BLR by 12:30")
    s = tiny_risk.model_copy(update={"rules": (rule,)})
    m = compile_model(s, tiny_risk_plan)
    assert m.soft_limits == ("BLR by 12:30",)
    o = run_fast(m, Realization.fixed(m, slips={"FAC-A": 240}))
    assert o.breach.tolist() == [[True]]  # S4 (BLR) leaves at 15:00, after 12:30
    o = run_fast(m, Realization.none(m))
    assert o.breach.tolist() == [[False]]
    r = simulate(s, tiny_risk_plan, runs=400, seed=2, workers=1, drivers=False)
    assert 0 < r.breach_rate < 1
    assert r.to_dict()["breaches"] == {"BLR by 12:30": r.breach_rate}
    # 12:30 is allowed (explicit ends are inclusive), 12:31 is not
    o = run_fast(m, Realization.fixed(m, delays={"S4": 30}))
    assert o.breach.tolist() == [[False]]
    o = run_fast(m, Realization.fixed(m, delays={"S4": 31}))
    assert o.breach.tolist() == [[True]]


def test_runs_must_be_positive(tiny_risk, tiny_risk_plan):
    with pytest.raises(ValueError, match="runs"):
        simulate(tiny_risk, tiny_risk_plan, runs=0)
    with pytest.raises(ValueError, match="engine"):
        simulate(tiny_risk, tiny_risk_plan, runs=1, engine="quick")  # type: ignore[arg-type]


def test_probability_matches_a_closed_form(tiny_risk, tiny_risk_plan):
    """Only handover slips on, deadline 13:00: the lift of U-A (planned 10:00-12:00) is late
    iff the slip exceeds 60 minutes. P(slip <= 1 h) = 0.6 + 0.4 * F(1 h) with F the
    triangular(0, 2, 6) CDF: 1/12. The estimate lies within its interval of the truth."""
    from contingent.scenario.disruptions import Disruptions

    d = tiny_risk.disruptions
    window = tiny_risk.operation.phases["withdrawal"].model_copy(
        update={"deadline": at("13 13:00")})
    op = tiny_risk.operation.model_copy(update={"phases": {"withdrawal": window}})
    s = tiny_risk.model_copy(update={
        "operation": op, "disruptions": Disruptions(handovers=d.handovers)})
    one = tiny_risk_plan.replace(sorties=tiny_risk_plan.sorties[:1] + tiny_risk_plan.sorties[2:3],
                                 completion=at("13 12:00"), nations={"RUS": at("13 12:00")})
    units = {u.id: u for u in s.units}
    s = s.model_copy(update={"units": (units["U-A"],)})
    r = simulate(s, one, runs=4000, seed=17, workers=1)
    truth = 0.6 + 0.4 * (1 / 12)
    lo, hi = r.p_by_deadline_ci
    assert lo <= truth <= hi
    assert math.isclose(r.p_by_deadline, truth, abs_tol=0.03)
    assert [d.source for d in r.drivers] == ["handover-slip"]
    assert r.drivers[0].effect == pytest.approx(1 - r.p_by_deadline)


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3, 2**127 + 1])
def test_run_streams_are_numpys_per_run_seed_sequences(seed):
    """Run i draws from Generator(PCG64(SeedSequence(seed, spawn_key=(i,)))), exactly."""
    from contingent.risk.draws import run_uniforms

    got = run_uniforms(seed, 1000, 20, 11)
    for r in range(20):
        ss = np.random.SeedSequence(seed, spawn_key=(1000 + r,))
        assert np.array_equal(got[r], np.random.Generator(np.random.PCG64(ss)).random(11))
