"""The self-contained HTML report: pictures, tables, conclusions and the sources appendix.

``report.html`` embeds its styles and every image (base64 PNG), so it opens from disk with no
network and can be mailed as one file; the same pictures are written beside it as PNG files
for slides. Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from matplotlib.figure import Figure

from contingent import __version__
from contingent.planfile import Plan
from contingent.report.common import fmt_time, tz_label
from contingent.report.coverage import plot_coverage
from contingent.report.departures import plot_departures
from contingent.report.derive import cap_scopes, coverage, daily_departures, nation_lines
from contingent.report.findings import Finding, findings, provenance_counts, section_of
from contingent.report.gantt import plot_gantt
from contingent.report.map import plot_map
from contingent.report.risk import plot_risk
from contingent.report.riskfile import RiskSummary
from contingent.report.timelines import plot_timelines
from contingent.scenario.model import Scenario

log = logging.getLogger(__name__)

_CSS = """
:root { --ink:#1d2733; --muted:#5a6570; --line:#d8dde3; --ok:#2f8a3e; --bad:#c62828;
        --warn:#b77900; --info:#1f5fa8; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 "DejaVu Sans", "Segoe UI", Arial, sans-serif; color:var(--ink);
       background:var(--bg); }
header { background:#1d2733; color:#fff; padding:18px 32px 14px; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; color:#c9d1d9; font-size:13px; }
nav { background:#27323f; padding:6px 32px; position:sticky; top:0; z-index:2; }
nav a { color:#dfe6ee; margin-right:18px; text-decoration:none; font-size:13px; }
nav a:hover { text-decoration:underline; }
main { max-width:1320px; margin:0 auto; padding:18px 32px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:16px 20px;
          margin:0 0 18px; }
h2 { margin:0 0 10px; font-size:17px; }
h3 { margin:14px 0 6px; font-size:14px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:0 0 18px; }
.card { flex:1 1 140px; background:#fff; border:1px solid var(--line); border-radius:6px;
        padding:10px 14px; border-top:4px solid var(--info); }
.card.ok { border-top-color:var(--ok); } .card.bad { border-top-color:var(--bad); }
.card.warn { border-top-color:var(--warn); }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.card .v { font-size:19px; font-weight:bold; margin-top:2px; }
.card .s { color:var(--muted); font-size:12px; }
figure { margin:6px 0 4px; }
figure img { max-width:100%; height:auto; display:block; border:1px solid #eceff2; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
table { border-collapse:collapse; width:100%; font-size:13px; margin:6px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left;
         vertical-align:top; }
th { background:#eef1f4; font-weight:600; }
td.v { white-space:nowrap; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
tr.over td { color:var(--bad); font-weight:bold; }
.finding { border-left:5px solid var(--info); padding:6px 12px; margin:8px 0;
           background:#fafbfc; }
.finding.ok { border-left-color:var(--ok); } .finding.bad { border-left-color:var(--bad); }
.finding.warn { border-left-color:var(--warn); }
.finding .t { font-weight:bold; margin-right:6px; }
.tag { display:inline-block; font-size:11.5px; padding:1px 7px; border-radius:10px;
       margin-left:4px; white-space:nowrap; }
.tag.assumed { background:#fff1d6; color:#7a5200; border:1px solid #f0c36d; }
.tag.reported { background:#e3f1e6; color:#1e5e2a; border:1px solid #9bcfa5; }
.tag.none { background:#eef1f4; color:var(--muted); border:1px solid var(--line); }
details { margin:4px 0 0; } summary { cursor:pointer; color:var(--muted); font-size:12.5px; }
details ul { margin:4px 0; padding-left:20px; font-size:12.5px; color:#3a4550; }
.note { color:var(--muted); font-size:13px; }
.absent { background:#fff8e6; border:1px dashed #e0b44c; padding:10px 14px; border-radius:4px; }
.bar { display:inline-block; height:10px; background:#f0c36d; vertical-align:middle; }
.bar.r { background:#7cbf88; }
code { font-size:12.5px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:8px; }
@media print { nav { display:none; } section { break-inside:avoid; } body { background:#fff; } }
"""


@dataclass(frozen=True, slots=True)
class Picture:
    """One rendered figure: file name, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, facecolor="white")
    return buf.getvalue()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_pictures(scenario: Scenario, plan: Plan,
                    risk: RiskSummary | None = None) -> list[Picture]:
    """Draw every picture of the report."""
    tz = scenario.operation.tz
    out: list[Picture] = []
    has_moves = bool(plan.sorties or plan.road_moves)

    def add(name: str, title: str, caption: str, draw: Callable[[], Figure]) -> None:
        t = time.perf_counter()
        fig = draw()
        out.append(Picture(name, title, caption, _png(fig)))
        log.debug("drew %s in %.2f s", name, time.perf_counter() - t)

    if has_moves:
        add("map.png", "Map",
            "Routes are great circles, width by lift sorties, coloured by the nation mostly "
            "carried; airfield circles by sorties; the inset shows the facilities coloured by "
            "handover day.", lambda: plot_map(scenario, plan))
        add("gantt.png", "Sortie Gantt by aircraft",
            "One row per aircraft; lift legs coloured by the nation carried, positioning legs "
            "hatched; vertical lines at theatre midnight.", lambda: plot_gantt(scenario, plan))
        add("gantt-airfields.png", "Sortie Gantt by departure airfield",
            "The same legs, one row per departure airfield; overlapping legs stacked.",
            lambda: plot_gantt(scenario, plan, by="airfield"))
        add("departures.png", "Daily departures against caps",
            "Departures per local day from each capped airfield or airfield group, stacked by "
            "nation carried; dashed red line: the cap.", lambda: plot_departures(scenario, plan))
        if scenario.facilities:
            add("coverage.png", "Facility guard coverage",
                "Each row is as tall as the facility's guard requirement; green: on duty; red "
                "hatched: shortfall before handover; diamond: handover.",
                lambda: plot_coverage(scenario, plan))
        add("timelines.png", "Nation timelines",
            "From first movement to completion per nation; ticks: lift departures; shaded: "
            "order-rule windows; red dashed: deadline.", lambda: plot_timelines(scenario, plan))
    if risk is not None:
        add("risk.png", "Risk",
            "Share of simulated runs complete over time, the deadline and P(done by deadline); "
            "right: how much each disruption source moves that probability.",
            lambda: plot_risk(risk, tz))
    return out


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figure_list(figs: tuple, limit: int = 400) -> str:
    items = []
    for f in figs[:limit]:
        items.append(f"<li><code>{_e(f.path)}</code> = {_e(f.value)} &mdash; {_e(f.provenance)}"
                     "</li>")
    more = f"<li>... and {len(figs) - limit} more</li>" if len(figs) > limit else ""
    return "<ul>" + "".join(items) + more + "</ul>"


def _finding_html(f: Finding) -> str:
    a, r = len(f.assumed), len(f.reported)
    if not f.figures:
        tag = '<span class="tag none">a check of the plan, no input figures</span>'
        details = ""
    elif a:
        sections = sorted({section_of(x.path) for x in f.assumed})
        tag = (f'<span class="tag assumed">depends on {a} assumed figure{"s" * (a != 1)}</span>'
               f'<span class="tag reported">{r} reported</span>')
        details = (f"<details><summary>assumed inputs ({', '.join(sections)})</summary>"
                   f"{_figure_list(f.assumed)}</details>")
    else:
        tag = f'<span class="tag reported">rests on reported figures only ({r})</span>'
        details = (f"<details><summary>inputs</summary>{_figure_list(f.reported)}</details>")
    return (f'<div class="finding {f.level}"><span class="t">{_e(f.title)}</span>{_e(f.text)}'
            f"{tag}{details}</div>")


def _cards(scenario: Scenario, plan: Plan, risk: RiskSummary | None,
           found: list[Finding]) -> str:
    tz = scenario.operation.tz
    window = scenario.window(plan.phase)
    cards = []

    def card(k: str, v: str, s: str = "", level: str = "info") -> None:
        cards.append(f'<div class="card {level}"><div class="k">{_e(k)}</div>'
                     f'<div class="v">{_e(v)}</div><div class="s">{_e(s)}</div></div>')

    if plan.completion is not None:
        level = "info"
        sub = f"status {plan.status}"
        if window.deadline is not None:
            late = plan.completion > window.deadline
            level = "bad" if late else "ok"
            hours = (window.deadline - plan.completion).total_seconds() / 3600
            sub = (f"{abs(hours):.1f} h {'after' if late else 'before'} deadline; "
                   f"status {plan.status}")
        card("Completion", fmt_time(plan.completion, tz), sub, level)
    else:
        card("Completion", "no plan", plan.message or plan.status, "bad")
    if window.deadline is not None:
        card("Deadline", fmt_time(window.deadline, tz), f"{plan.phase} window")
    lifts = len(plan.lifts)
    card("Sorties", str(len(plan.sorties)), f"{lifts} lift, {len(plan.sorties) - lifts} "
         "positioning" + (f"; lower bound {plan.sorties_lower_bound}"
                          if plan.sorties_lower_bound else ""))
    if plan.gap_minutes is not None and plan.lower_bound is not None:
        card("Proven bound", fmt_time(plan.lower_bound, tz), f"gap {plan.gap_minutes} min",
             "ok" if plan.gap_minutes == 0 else "warn")
    cov = coverage(scenario, plan) if (plan.sorties or plan.road_moves) else []
    if cov:
        short = [c.id for c in cov if c.gaps]
        if plan.phase == "withdrawal":
            card("Facilities", f"{len(short)} under-guarded" if short else "all guarded",
                 ", ".join(short[:4]) if short else f"{len(cov)} kept at full guard to handover",
                 "bad" if short else "ok")
        else:
            card("Facilities", f"{len(cov)}", "guard build-up: see the coverage chart")
    if risk is not None:
        card("P(done by deadline)", f"{risk.p_by_deadline:.1%}", f"{risk.runs:,} runs",
             "ok" if risk.p_by_deadline >= 0.9 else "warn" if risk.p_by_deadline >= 0.5
             else "bad")
    counts = provenance_counts(scenario)["all"]
    card("Input figures", f"{counts['reported']} reported / {counts['assumed']} assumed",
         "see the sources appendix", "warn" if counts["assumed"] > counts["reported"] else "info")
    return '<div class="cards">' + "".join(cards) + "</div>"


def _tables(scenario: Scenario, plan: Plan) -> str:
    tz = scenario.operation.tz
    rows = []
    for ln in nation_lines(scenario, plan):
        rows.append(
            f"<tr><td>{_e(ln.nation)}</td><td>{_e(fmt_time(ln.first, tz))}</td>"
            f"<td>{_e(fmt_time(ln.last_departure, tz))}</td>"
            f"<td>{_e(fmt_time(ln.completion, tz))}</td><td class=n>{ln.lifts}</td>"
            f"<td class=n>{ln.pax}</td><td>{'yes' if ln.road else ''}</td></tr>")
    nations = ("<table><tr><th>nation</th><th>first movement</th><th>last departure</th>"
               "<th>complete</th><th class=n>lift sorties</th><th class=n>personnel by air</th>"
               "<th>road</th></tr>" + "".join(rows) + "</table>")
    blocks = [nations]
    for scope in cap_scopes(scenario, plan):
        dd = daily_departures(scenario, plan, scope)
        head = "".join(f"<th class=n>{_e(k)}</th>" for k in dd.by_nation)
        body = []
        for i, d in enumerate(dd.days):
            t = dd.totals[i]
            over = scope.cap is not None and t > scope.cap
            cells = "".join(f"<td class=n>{v[i] or ''}</td>" for v in dd.by_nation.values())
            cap = scope.cap if scope.cap is not None else "-"
            body.append(f"<tr{' class=over' if over else ''}><td>{d:%a %d %b}</td>{cells}"
                        f"<td class=n>{t}</td><td class=n>{cap}</td></tr>")
        blocks.append(f"<h3>Departures per day from {_e(scope.id)}</h3><table><tr><th>day</th>"
                      f"{head}<th class=n>total</th><th class=n>cap</th></tr>{''.join(body)}"
                      "</table>")
    return "".join(blocks)


def _sources(scenario: Scenario, found: list[Finding]) -> str:
    counts = provenance_counts(scenario)
    total = counts["all"]
    n = total["reported"] + total["assumed"]
    rows = []
    for sec, c in counts.items():
        if sec == "all":
            continue
        k = c["reported"] + c["assumed"]
        rows.append(f"<tr><td>{_e(sec)}</td><td class=n>{c['reported']}</td>"
                    f"<td class=n>{c['assumed']}</td><td><span class='bar r' "
                    f"style='width:{120 * c['reported'] / max(k, 1):.0f}px'></span><span "
                    f"class=bar style='width:{120 * c['assumed'] / max(k, 1):.0f}px'></span>"
                    "</td></tr>")
    register = "".join(f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>"
                       for k, v in scenario.sources.items())
    figs = "".join(
        f"<tr><td><code>{_e(f.path)}</code></td><td class=v>{_e(f.value)}</td>"
        f"<td><span class='tag {f.kind}'>{f.kind}</span></td><td>{_e(f.provenance)}</td>"
        f"<td class=n>{f.line if f.line is not None else ''}</td></tr>"
        for f in scenario.figures)
    def flag(f: Finding) -> str:
        if f.assumed:
            return "<b>depends on assumed figures</b>"
        return "reported figures only" if f.figures else "check of the plan"

    flagged = "".join(
        f"<tr><td>{_e(f.title)}</td><td>{_e(f.text)}</td>"
        f"<td class=n>{len(f.reported)}</td><td class=n>{len(f.assumed)}</td>"
        f"<td>{flag(f)}</td></tr>"
        for f in found)
    return f"""
<p>The scenario holds <b>{n}</b> input figures: <b>{total['reported']}</b> reported (with a
source) and <b>{total['assumed']}</b> assumed (with the reason). Source ids refer to the
register below; report facts are cited as <code>R2/F15</code> (report R2, fact F15 of the
project's source ledger).</p>
<h3>Reported and assumed figures by section</h3>
<table><tr><th>section</th><th class=n>reported</th><th class=n>assumed</th><th></th></tr>
{''.join(rows)}
<tr><th>all</th><th class=n>{total['reported']}</th><th class=n>{total['assumed']}</th><th></th>
</tr></table>
<h3>Conclusions and the figures they rest on</h3>
<table><tr><th>conclusion</th><th>statement</th><th class=n>reported</th>
<th class=n>assumed</th><th>flag</th></tr>{flagged}</table>
<h3>Source register</h3>
<table>{register or '<tr><td class=note>no sources declared</td></tr>'}</table>
<h3>Every input figure</h3>
<p class=note>In document order; line numbers refer to <code>{_e(scenario.file)}</code>.</p>
<table><tr><th>field</th><th>value</th><th>kind</th><th>source or reason</th>
<th class=n>line</th></tr>{figs}</table>
"""


def build_html(scenario: Scenario, plan: Plan, pictures: list[Picture],
               risk: RiskSummary | None = None, risk_note: str = "",
               violations: list[str] | None = None) -> str:
    """The report as one HTML document (images embedded)."""
    tz = scenario.operation.tz
    window = scenario.window(plan.phase)
    found = findings(scenario, plan, risk, violations)
    title = scenario.title or scenario.scenario
    pics = {p.name: p for p in pictures}

    def fig(name: str) -> str:
        p = pics.get(name)
        if p is None:
            return ""
        data = base64.b64encode(p.png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(p.title)}">'
                f"<figcaption>{_e(p.caption)} File: <code>{_e(p.name)}</code>.</figcaption>"
                "</figure>")

    sections = []
    nav = []

    def section(anchor: str, heading: str, body: str) -> None:
        nav.append(f'<a href="#{anchor}">{_e(heading)}</a>')
        sections.append(f'<section id="{anchor}"><h2>{_e(heading)}</h2>{body}</section>')

    section("summary", "Conclusions", "".join(_finding_html(f) for f in found)
            + (f"<p class=note>Planner note: {_e(plan.message)}</p>" if plan.message else "")
            + (f"<p class=note>Binding constraint: {_e(plan.binding)}</p>" if plan.binding
               else ""))
    if plan.sorties or plan.road_moves:
        section("map", "Map", fig("map.png"))
        section("gantt", "Sortie Gantt", fig("gantt.png") + fig("gantt-airfields.png"))
        section("departures", "Daily departures against caps", fig("departures.png"))
        section("coverage", "Facility coverage", fig("coverage.png") if "coverage.png" in pics
                else "<p class=note>The scenario has no facilities.</p>")
        section("nations", "Nation timelines", fig("timelines.png") + _tables(scenario, plan))
    if risk is not None:
        nat = "".join(
            f"<tr><td>{_e(n)}</td>" + "".join(f"<td>{_e(fmt_time(q.get(k), tz))}</td>"
                                             for k in ("p10", "p50", "p90")) + "</tr>"
            for n, q in sorted(risk.nations.items()))
        table = (f"<h3>Completion per nation</h3><table><tr><th>nation</th><th>P10</th>"
                 f"<th>P50</th><th>P90</th></tr>{nat}</table>" if nat else "")
        section("risk", "Risk", fig("risk.png") + table
                + f"<p class=note>From <code>{_e(Path(risk.file).name)}</code>.</p>")
    else:
        section("risk", "Risk", '<p class="absent">No risk result was given, so this report '
                "has no risk section. Run <code>contingent risk ... --out RISK.json</code> and "
                f"pass <code>--risk RISK.json</code>. {_e(risk_note)}</p>")
    section("sources", "Sources appendix", _sources(scenario, found))

    generated = datetime.now(UTC).astimezone(tz)
    deadline = f" &middot; deadline {_e(fmt_time(window.deadline, tz))}" if window.deadline \
        else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}: {_e(plan.phase)} report</title>
<style>{_CSS}</style></head>
<body>
<header><h1>{_e(title)} &mdash; {_e(plan.phase)}</h1>
<p>Scenario <code>{_e(scenario.scenario)}</code> &middot; phase starts
{_e(fmt_time(window.start, tz))}{deadline} &middot; all times theatre time
({_e(tz_label(tz, window.start))}) &middot; plan status {_e(plan.status)}</p></header>
<nav>{''.join(nav)}</nav>
<main>
{_cards(scenario, plan, risk, found)}
{''.join(sections)}
</main>
<footer>Contingent {_e(__version__)} &middot; generated {generated:%d %b %Y %H:%M}
(theatre time) &middot; self-contained: opens with no network</footer>
</body></html>
"""


def write_report(scenario: Scenario, plan: Plan, out_dir: Path, *,
                 risk: RiskSummary | None = None, risk_note: str = "",
                 violations: list[str] | None = None) -> Path:
    """Write ``out_dir/report.html`` and the PNGs beside it; returns the HTML path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    pictures = render_pictures(scenario, plan, risk)
    page = build_html(scenario, plan, pictures, risk, risk_note, violations)
    for p in pictures:
        atomic_write(out_dir / p.name, p.png)
    path = out_dir / "report.html"
    atomic_write(path, page.encode("utf-8"))
    log.info("report written to %s in %.1f s", path, time.perf_counter() - t)
    return path


__all__ = ["Picture", "atomic_write", "build_html", "render_pictures", "write_report"]
