"""Plot functions on tiny hand-made plans: the expected artists and data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from report_helpers import TZ, at, make_plan

from contingent.report import derive
from contingent.report.coverage import plot_coverage
from contingent.report.departures import plot_departures
from contingent.report.gantt import plot_gantt
from contingent.report.map import plot_map
from contingent.report.risk import plot_risk
from contingent.report.riskfile import parse_risk, read_risk
from contingent.report.timelines import plot_timelines
from contingent.report.world import Lambert, countries, decode_arcs, geometry_rings, great_circle

BASELINES = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "baseline"


def rects(fig: Figure, prefix: str) -> list[Rectangle]:
    return [p for ax in fig.axes for p in ax.patches
            if isinstance(p, Rectangle) and (p.get_gid() or "").startswith(prefix)]


def x_of(dt) -> float:
    return float(mdates.date2num(dt))


# --- world data ---------------------------------------------------------------------------


def test_topojson_arcs_decode_deltas_and_reversed_arcs():
    topo = {"transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
            "arcs": [[[0, 0], [2, 0], [0, 4]], [[2, 4], [-2, -4]]]}
    arcs = decode_arcs(topo)
    assert arcs[0].tolist() == [[10, 20], [11, 20], [11, 21]]
    ring = geometry_rings({"type": "Polygon", "arcs": [[0, 1]]}, arcs)[0]
    assert ring.tolist() == [[10, 20], [11, 20], [11, 21], [10, 20]]  # shared point once
    rev = geometry_rings({"type": "Polygon", "arcs": [[~0]]}, arcs)[0]
    assert rev.tolist() == [[11, 21], [11, 20], [10, 20]]


def test_vendored_outlines_hold_the_theatre():
    by_name = {c.name: c for c in countries()}
    kaz = by_name["Kazakhstan"]
    pts = np.concatenate(kaz.rings)
    assert kaz.id == "398"
    assert 46 < pts[:, 0].min() < 48 and 86 < pts[:, 0].max() < 88
    assert 40 < pts[:, 1].min() < 41.5 and 55 < pts[:, 1].max() < 56
    assert len(countries()) > 200


def test_great_circle_and_projection():
    lon, lat = great_circle(77.0, 43.0, 38.0, 55.9, n=20)
    assert (lon[0], lat[0]) == pytest.approx((77.0, 43.0))
    assert (lon[-1], lat[-1]) == pytest.approx((38.0, 55.9))
    assert lat.max() > 55.9 - 1e-9  # a great circle bulges poleward
    proj = Lambert.for_extent([38, 77], [43, 56])
    x, _ = proj([38, 77], [43, 43])
    assert x[0] < 0 < x[1]
    # east-west distance at 43N is about 3,170 km; conformal conic within a few percent
    assert abs(x[1] - x[0]) == pytest.approx(3170, rel=0.05)


# --- map ------------------------------------------------------------------------------------


def test_map_routes_airfields_facilities(tiny, good_plan):
    fig = plot_map(tiny, good_plan)
    main = fig.axes[0]
    routes = [ln for ln in main.lines if (ln.get_gid() or "").startswith("route:")]
    assert [r.get_gid() for r in routes] == ["route:THA>HOM"]
    assert routes[0].get_linewidth() == pytest.approx(6.0)  # the busiest route is widest
    fields = {c.get_gid(): c for c in main.collections if isinstance(c, PathCollection)}
    assert {"airfield:THA", "airfield:HOM"} <= set(fields)
    facility = [c for ax in fig.axes for c in ax.collections
                if (c.get_gid() or "") == "facility:FAC-A"]
    assert len(facility) == 1
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "KGZ by road: THA-TOWN" in texts and "120 km" in texts
    legend_labels = {t.get_text() for ax in fig.axes for leg in ax.get_children()
                     if isinstance(leg, Legend) for t in leg.get_texts()}
    assert {"RUS", "BLR"} <= legend_labels
    # both airfields inside the visible extent
    x0, x1 = main.get_xlim()
    y0, y1 = main.get_ylim()
    for c in fields.values():
        (x, y), = c.get_offsets()
        assert x0 < x < x1 and y0 < y < y1


def test_map_on_given_axes_keeps_inset_inside(tiny, good_plan):
    from contingent.report.common import new_figure

    fig = new_figure(8, 6)
    ax = fig.add_subplot()
    assert plot_map(tiny, good_plan, ax=ax) is fig
    assert [a.get_gid() for a in ax.child_axes] == ["theatre-inset"]


# --- Gantt ----------------------------------------------------------------------------------


def test_gantt_bars_per_leg_split_by_nation_positioning_hatched(tiny, good_plan):
    fig = plot_gantt(tiny, good_plan)
    ax = fig.axes[0]
    pos = rects(fig, "positioning:")
    assert len(pos) == 2 and all(p.get_hatch() == "////" for p in pos)
    lift = rects(fig, "lift:")
    assert sorted(p.get_gid() for p in lift) == ["lift:S1:BLR", "lift:S1:RUS", "lift:S2:RUS"]
    s1 = {p.get_gid(): p.get_height() for p in lift if p.get_gid().startswith("lift:S1")}
    assert s1["lift:S1:BLR"] == pytest.approx(s1["lift:S1:RUS"] * 30 / 20)  # by personnel
    s2 = next(p for p in lift if p.get_gid() == "lift:S2:RUS")
    assert s2.get_x() == pytest.approx(x_of(at(13, 10, 30)))
    assert s2.get_width() == pytest.approx(172 / 1440)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["F1-01 (JET)", "F1-02 (JET)"]
    # day boundaries at theatre midnight
    assert any(ln.get_xdata()[0] == pytest.approx(x_of(at(14, 0))) for ln in ax.lines)


def test_gantt_by_airfield_stacks_overlapping_legs(tiny, good_plan):
    fig = plot_gantt(tiny, good_plan, by="airfield")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Home", "Theatre"]
    pos = rects(fig, "positioning:")
    assert len({p.get_y() for p in pos}) == 2  # two simultaneous legs in two lanes
    with pytest.raises(ValueError):
        plot_gantt(tiny, good_plan, by="nation")  # type: ignore[arg-type]


# --- departures -----------------------------------------------------------------------------


def test_departures_stacked_by_nation_with_cap_line(tiny, good_plan):
    fig = plot_departures(tiny, good_plan)
    ax = fig.axes[0]
    cap = [ln for ln in ax.lines if ln.get_gid() == "cap-line"]
    assert len(cap) == 1 and cap[0].get_ydata()[0] == 4
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    # 13 Jan: S1 (mostly BLR: 30 of 50) and S2 (RUS) leave THA; nothing else
    assert bars["BLR"][0] == 1 and bars["RUS"][0] == 1
    assert "positioning (empty)" not in bars
    assert not [p for p in ax.patches if p.get_gid() == "over-cap"]
    assert "cap 4/day (assumed)" in {t.get_text().strip() for t in ax.texts}


def test_departures_over_cap_is_marked(tiny):
    plan = make_plan(extra_day_departures=5)
    fig = plot_departures(tiny, plan)
    ax = fig.axes[0]
    over = [p for p in ax.patches if p.get_gid() == "over-cap"]
    assert len(over) == 1 and over[0].get_height() == 5
    hatched = next(c for c in ax.containers if c.get_label() == "positioning (empty)")
    assert hatched.patches[1].get_height() == 5 and hatched.patches[1].get_hatch() == "////"


# --- coverage -------------------------------------------------------------------------------


def test_coverage_full_guard_has_no_gap(tiny, good_plan):
    (cov,) = derive.coverage(tiny, good_plan)
    assert cov.min_guards == 40 and cov.gaps == ()
    fig = plot_coverage(tiny, good_plan)
    assert rects(fig, "gap:") == []
    assert "fully guarded" in fig.axes[0].get_title(loc="left")


def test_coverage_gap_is_red_and_named(tiny, gap_plan):
    (cov,) = derive.coverage(tiny, gap_plan)
    assert cov.gaps == ((at(13, 4), at(13, 10), 20),)
    fig = plot_coverage(tiny, gap_plan)
    ax = fig.axes[0]
    (gap,) = rects(fig, "gap:FAC-A")
    assert gap.get_x() == pytest.approx(x_of(at(13, 4)))
    assert gap.get_width() == pytest.approx(6 / 24)
    assert gap.get_height() == pytest.approx(0.72 * 0.5)  # 20 of 40 missing
    assert gap.get_facecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=0.01)
    title = ax.get_title(loc="left")
    assert "UNDER-GUARDED" in title and "FAC-A" in title
    assert any("short: 20/40 for 6 h" in t.get_text() for t in ax.texts)


# --- timelines ------------------------------------------------------------------------------


def test_timelines_completion_and_deadline(tiny, good_plan):
    fig = plot_timelines(tiny, good_plan)
    ax = fig.axes[0]
    marks = {ln.get_gid(): ln.get_xdata()[0] for ln in ax.lines
             if (ln.get_gid() or "").startswith("completion:")}
    assert marks["completion:RUS"] == pytest.approx(x_of(good_plan.nations["RUS"]))
    assert marks["completion:KGZ"] == pytest.approx(x_of(at(13, 11)))
    deadline = next(ln for ln in ax.lines if ln.get_gid() == "deadline")
    assert deadline.get_xdata()[0] == pytest.approx(x_of(at(16, 0)))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["BLR", "KGZ", "RUS"]
    assert rects(fig, "road:KGZ")


# --- risk -----------------------------------------------------------------------------------


def test_risk_cdf_deadline_and_drivers(risk_file):
    risk = read_risk(risk_file)
    fig = plot_risk(risk, TZ)
    cdf_ax, drv_ax = fig.axes
    (cdf,) = [ln for ln in cdf_ax.lines if ln.get_gid() == "cdf:samples"]
    assert len(cdf.get_xdata()) == 60 and cdf.get_ydata()[-1] == 1.0
    deadline = next(ln for ln in cdf_ax.lines if ln.get_gid() == "deadline")
    assert deadline.get_xdata()[0] == pytest.approx(x_of(at(16, 0)))
    text = next(t.get_text() for t in cdf_ax.texts if t.get_gid() == "p-by-deadline")
    assert f"{risk.p_by_deadline:.1%}" in text
    widths = sorted(p.get_width() for p in drv_ax.patches if p.get_gid() == "drivers")
    assert widths == pytest.approx([-8.0, -5.0, -2.0])


def test_risk_without_samples_draws_through_quantiles(risk_file):
    data = json.loads(risk_file.read_text())
    del data["completion_samples"]
    fig = plot_risk(parse_risk(data), TZ)
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == "cdf:quantiles"]
    assert list(line.get_ydata()) == [0.1, 0.5, 0.9]


def test_risk_single_axes_draws_cdf_only(risk_file):
    from contingent.report.common import new_figure

    fig = new_figure(6, 3)
    ax = fig.add_subplot()
    plot_risk(read_risk(risk_file), TZ, ax=ax)
    assert len(fig.axes) == 1


# --- image comparison (stable: no text-heavy map) -------------------------------------------


def test_departures_image_matches_baseline(tiny, tmp_path):
    from matplotlib.testing.compare import compare_images

    fig = plot_departures(tiny, make_plan(extra_day_departures=5))
    out = tmp_path / "departures.png"
    fig.savefig(out, dpi=60)
    baseline = BASELINES / "departures-tiny.png"
    if os.environ.get("UPDATE_BASELINES") or not baseline.exists():
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_bytes(out.read_bytes())
        pytest.skip("baseline written; run again to compare")
    assert compare_images(str(baseline), str(out), tol=6) is None


def test_coverage_agrees_with_the_checker(tiny, good_plan, gap_plan):
    from contingent.check import check

    assert [v for v in check(tiny, good_plan) if v.rule == "coverage"] == []
    (v,) = [v for v in check(tiny, gap_plan) if v.rule == "coverage"]
    (cov,) = derive.coverage(tiny, gap_plan)
    start, _, guards = cov.gaps[0]
    assert f"guard {guards} at {start:%Y-%m-%dT%H:%M}" in v.message


def test_risk_result_as_contingent_risk_writes_it():
    """Per-nation entries carry more than quantiles; drivers carry p_without and the shift."""
    data = {
        "runs": 2000, "seed": 0, "deadline": "2022-01-16T00:00:00+06:00",
        "planned_completion": "2022-01-13T13:22:00+06:00", "p_by_deadline": 0.992,
        "p_by_deadline_ci": [0.987, 0.995], "confidence": 0.95,
        "completion_quantiles": {"p10": "2022-01-13T14:00:00+06:00",
                                 "p50": "2022-01-13T20:00:00+06:00",
                                 "p90": "2022-01-14T09:00:00+06:00"},
        "nations": {"RUS": {"planned": "2022-01-13T13:22:00+06:00", "p_by_deadline": 1.0,
                            "p10": "2022-01-13T14:00:00+06:00",
                            "p50": "2022-01-13T20:00:00+06:00"}},
        "drivers": [{"source": "handover-slip", "effect": 0.007, "p_without": 0.999,
                     "p50_shift_minutes": 465.5}],
    }
    risk = parse_risk(data)
    assert risk.nations["RUS"] == {"p10": at(13, 14), "p50": at(13, 20)}
    assert risk.planned == at(13, 13, 22)
    assert risk.drivers[0].p50_shift_minutes == 465.5
    fig = plot_risk(risk, TZ)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "median later by 7.8 h" in texts
    assert any(ln.get_gid() == "planned" for ln in fig.axes[0].lines)
