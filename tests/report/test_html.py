"""The HTML report: self-contained, conclusions flagged, sources appendix, risk optional."""

from __future__ import annotations

import re

from contingent.report.findings import findings
from contingent.report.html import write_report
from contingent.report.riskfile import read_risk


def _external_refs(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)


def test_report_is_self_contained_with_pictures(tiny, good_plan, risk_file, tmp_path):
    path = write_report(tiny, good_plan, tmp_path, risk=read_risk(risk_file), violations=[])
    page = path.read_text()
    assert path.name == "report.html"
    assert _external_refs(page) == []
    assert "@import" not in page and "url(" not in page
    imgs = re.findall(r'<img src="data:image/png;base64,', page)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["coverage.png", "departures.png", "gantt-airfields.png", "gantt.png",
                    "map.png", "risk.png", "timelines.png"]
    assert len(imgs) == len(pngs)
    for section in ("Map", "Sortie Gantt", "Daily departures against caps",
                    "Facility coverage", "Nation timelines", "Risk", "Sources appendix"):
        assert f"<h2>{section}</h2>" in page
    assert "Asia/Almaty, UTC+06" in page
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_without_risk_the_report_says_so(tiny, good_plan, tmp_path):
    page = write_report(tiny, good_plan, tmp_path).read_text()
    assert "No risk result was given" in page
    assert not (tmp_path / "risk.png").exists()


def test_sources_appendix_counts_and_flags(tiny, good_plan, tmp_path):
    page = write_report(tiny, good_plan, tmp_path).read_text()
    reported = sum(f.kind == "reported" for f in tiny.figures)
    assumed = sum(f.kind == "assumed" for f in tiny.figures)
    assert (reported, assumed) == (1, len(tiny.figures) - 1)
    assert f"<b>{reported}</b> reported" in page and f"<b>{assumed}</b> assumed" in page
    for f in tiny.figures:
        assert f"<code>{f.path}</code>" in page
    assert "depends on assumed figures" in page


def test_conclusions_name_their_assumed_inputs(tiny, good_plan, gap_plan):
    found = {f.title: f for f in findings(tiny, good_plan)}
    assert found["Completion"].level == "ok"
    assert found["Completion"].assumed  # the tiny scenario is nearly all assumptions
    guard = findings(tiny, gap_plan)
    g = next(f for f in guard if f.title == "Facility guard")
    assert g.level == "bad" and "FAC-A down to 20 of 40" in g.text
    assert {f.path for f in g.assumed} >= {"facilities[FAC-A].guard_required",
                                           "facilities[FAC-A].handover"}
    cap = next(f for f in found.values() if f.title == "Daily departure cap")
    assert [f.path for f in cap.figures] == ["airfields[THA].departure_cap_per_day"]
    # the deadline-free risk of a phase's start figure is reported, not assumed
    assert any(f.kind == "reported" for f in found["Completion"].figures)


def test_report_of_an_empty_plan_explains(tiny, good_plan, tmp_path):
    empty = good_plan.replace(sorties=(), road_moves=(), status="infeasible", completion=None,
                              nations={}, message="deadline too early: needs 3 days")
    page = write_report(tiny, empty, tmp_path).read_text()
    assert "deadline too early: needs 3 days" in page
    assert "<img" not in page


def test_deployment_report_shows_guard_build_up(tiny, tmp_path):
    from datetime import timedelta

    from report_helpers import at

    from contingent.planfile import Load, Plan, RoadMove, Sortie
    from contingent.report.derive import coverage

    blk = timedelta(minutes=172)
    sorties = (
        Sortie("D1", "lift", "JET", "F1-01", "RUS", "HOM", "THA", at(6, 2), at(6, 2) + blk,
               (Load("U-RUS", 30),), ("RUS",)),
        Sortie("D2", "lift", "JET", "F1-02", "RUS", "HOM", "THA", at(6, 3), at(6, 3) + blk,
               (Load("U-RUS", 30, {"CAR": 2}), Load("U-BLR", 20)), ("BLR", "RUS")),
    )
    plan = Plan("tiny", "deployment", "given", at(6, 3) + blk, None, sorties,
                (RoadMove("R1", "KGZ", ("U-KGZ",), "BORDER", "THA-TOWN", at(6, 8), at(6, 11)),),
                nations={"RUS": at(6, 3) + blk, "BLR": at(6, 3) + blk, "KGZ": at(6, 11)})
    (cov,) = coverage(tiny, plan)
    assert cov.guards[:3] == (0, 30, 40)  # nobody, first lift lands, second lands
    page = write_report(tiny, plan, tmp_path).read_text()
    assert "fully guarded by the end of the deployment" in page
    assert (tmp_path / "coverage.png").exists()
