"""The report's conclusions, each with the input figures it rests on.

A conclusion that rests on assumed figures says so: the reader sees how many of its inputs are
reported and how many assumed, and which assumptions they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from contingent.planfile import Plan
from contingent.report.common import fmt_time
from contingent.report.derive import cap_scopes, coverage, daily_departures, nation_lines
from contingent.report.riskfile import RiskSummary
from contingent.scenario.model import Scenario
from contingent.scenario.provenance import Figure

Level = Literal["ok", "warn", "bad", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion of the report and the input figures it depends on."""

    title: str
    text: str
    level: Level
    figures: tuple[Figure, ...] = field(default=())

    @property
    def assumed(self) -> tuple[Figure, ...]:
        """The assumed figures among its inputs."""
        return tuple(f for f in self.figures if f.kind == "assumed")

    @property
    def reported(self) -> tuple[Figure, ...]:
        """The reported (sourced) figures among its inputs."""
        return tuple(f for f in self.figures if f.kind == "reported")


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in prefixes)


def figures_under(scenario: Scenario, prefixes: tuple[str, ...]) -> tuple[Figure, ...]:
    """The scenario's figures at or below any of the field paths ``prefixes``."""
    return tuple(f for f in scenario.figures if _under(f.path, prefixes))


def section_of(path: str) -> str:
    """The top-level section of a figure path: ``units[X].personnel`` -> ``units``."""
    for i, ch in enumerate(path):
        if ch in ".[":
            return path[:i]
    return path


def _phase_figures(scenario: Scenario, plan: Plan) -> tuple[Figure, ...]:
    """Everything a phase's plan rests on: all figures but the other phase's window/rules."""
    other = [p for p in scenario.operation.phases if p != plan.phase]
    skip = tuple(f"operation.phases.{p}" for p in other)
    skip += tuple(f"rules[{i}]" for i, r in enumerate(scenario.rules)
                  if r.phase not in (None, plan.phase))
    if plan.phase != "withdrawal":
        skip += ("disruptions",)
    return tuple(f for f in scenario.figures if not _under(f.path, skip))


def _nation_prefixes(scenario: Scenario, plan: Plan, nation: str) -> tuple[str, ...]:
    units = [u for u in scenario.units if u.nation == nation]
    fleets = [f for f in scenario.fleets if nation in f.carries]
    out = [f"units[{u.id}]" for u in units]
    out += [f"fleets[{f.id}]" for f in fleets]
    out += [f"aircraft_types[{t}]" for t in sorted({f.type for f in fleets})]
    out += [f"vehicle_classes[{c}]" for c in sorted({c for u in units for c in u.vehicles})]
    places = {p for u in units for p in (u.theatre, u.home)} | {f.base for f in fleets}
    out += [f"airfields[{a}]" for a in sorted(places)]
    out += [f"road_routes[{r.id}]" for r in scenario.road_routes
            if any(u.mode == "road" for u in units)]
    out += [f"rules[{i}]" for i, r in enumerate(scenario.rules_for(plan.phase))
            if nation in (*r.nations, *r.first, *r.then) or (r.kind == "fly_within"
                                                              and not r.nations)]
    out += [f"cap_groups[{g.id}]" for g in scenario.cap_groups]
    out.append(f"operation.phases.{plan.phase}")
    if plan.phase == "withdrawal":
        guards = {u.id for u in units}
        out += [f"facilities[{f.id}]" for f in scenario.facilities
                if any(g.unit in guards for g in f.guards)]
    return tuple(out)


def findings(scenario: Scenario, plan: Plan, risk: RiskSummary | None = None,
             violations: list[str] | None = None) -> list[Finding]:
    """The report's conclusions in reading order."""
    tz = scenario.operation.tz
    window = scenario.window(plan.phase)
    everything = _phase_figures(scenario, plan)
    out: list[Finding] = []

    if not plan.sorties and not plan.road_moves:
        out.append(Finding("No plan", plan.message or f"the planner found no plan ({plan.status})",
                           "bad", everything))
        return out

    # Completion and deadline.
    if plan.completion is not None:
        text = f"Everyone is home by {fmt_time(plan.completion, tz)} (theatre time)"
        level: Level = "info"
        if window.deadline is not None:
            margin = window.deadline - plan.completion
            hours = margin.total_seconds() / 3600
            if hours >= 0:
                text += f", {hours:.1f} h before the deadline {fmt_time(window.deadline, tz)}"
                level = "ok"
            else:
                text += f", {-hours:.1f} h AFTER the deadline {fmt_time(window.deadline, tz)}"
                level = "bad"
        if plan.lower_bound is not None and plan.gap_minutes is not None:
            text += (f". No plan can finish before {fmt_time(plan.lower_bound, tz)} "
                     f"(proven bound; gap {plan.gap_minutes} min, status {plan.status})")
        else:
            text += f" (status {plan.status})"
        out.append(Finding("Completion", text + ".", level, everything))

    # Daily caps.
    for scope in cap_scopes(scenario, plan):
        if scope.cap is None:
            continue
        dd = daily_departures(scenario, plan, scope)
        peak = max(dd.totals, default=0)
        over = [d for d, t in zip(dd.days, dd.totals, strict=True) if t > scope.cap]
        text = (f"{scope.id}: at most {peak} departures a day against a cap of {scope.cap}"
                f" ({sum(dd.totals)} in all over {sum(1 for t in dd.totals if t)} days)")
        if over:
            text += "; OVER the cap on " + ", ".join(d.strftime("%a %d %b") for d in over)
        figs = tuple(f for f in [scope.figure] if f is not None)
        out.append(Finding("Daily departure cap", text + ".", "bad" if over else "ok", figs))

    # Facility coverage.
    cov = coverage(scenario, plan)
    if cov:
        guard_units = tuple(sorted({g.unit for f in scenario.facilities for g in f.guards}))
        figs = figures_under(scenario, ("facilities",)) + tuple(
            f for f in figures_under(scenario, tuple(f"units[{u}]" for u in guard_units))
            if f.path.endswith(".personnel"))
        short = [c for c in cov if c.gaps]
        if plan.phase == "withdrawal":
            if short:
                worst = ", ".join(f"{c.id} down to {c.min_guards} of {c.required}"
                                  for c in short)
                out.append(Finding("Facility guard", f"{len(short)} of {len(cov)} facilities "
                                   f"are under-guarded before their handover: {worst}.", "bad",
                                   figs))
            else:
                last = max(c.handover for c in cov)
                out.append(Finding("Facility guard", f"All {len(cov)} facilities keep their "
                                   f"full guard until handover; the last handover is "
                                   f"{fmt_time(last, tz)}.", "ok", figs))
        else:
            never = [c.id for c in cov if c.guards and c.guards[-1] < c.required]
            text = (f"{len(cov) - len(never)} of {len(cov)} facilities are fully guarded by the "
                    "end of the deployment")
            text += f"; not fully guarded: {', '.join(never)}." if never else "."
            out.append(Finding("Facility guard", text, "warn" if never else "ok", figs))

    # Nations.
    for ln in nation_lines(scenario, plan):
        figs = figures_under(scenario, _nation_prefixes(scenario, plan, ln.nation))
        if ln.completion is None:
            out.append(Finding(f"{ln.nation}", f"{ln.nation} does not move in this plan.",
                               "warn", figs))
            continue
        how = (f"{ln.lifts} lift sorties, {ln.pax} personnel by air" if ln.lifts else "by road")
        late = window.deadline is not None and ln.completion > window.deadline
        out.append(Finding(
            f"{ln.nation}",
            f"{ln.nation} moves from {fmt_time(ln.first, tz)} and is complete by "
            f"{fmt_time(ln.completion, tz)} ({how}).",
            "bad" if late else "info", figs))

    # The independent checker.
    if violations is not None:
        if violations:
            shown = "; ".join(violations[:5]) + (" ..." if len(violations) > 5 else "")
            out.append(Finding("Independent check",
                               f"The plan breaks {len(violations)} rule(s): {shown}", "bad"))
        else:
            out.append(Finding("Independent check", "The independent checker finds the plan "
                               "keeps every rule of the scenario.", "ok"))

    # Risk.
    if risk is not None:
        ci = (f" (95% interval {risk.p_ci[0]:.1%} to {risk.p_ci[1]:.1%})" if risk.p_ci else "")
        q = risk.quantiles
        p50 = f"; median completion {fmt_time(q['p50'], tz)}" if "p50" in q else ""
        p90 = f", P90 {fmt_time(q['p90'], tz)}" if "p90" in q else ""
        level = "ok" if risk.p_by_deadline >= 0.9 else "warn" if risk.p_by_deadline >= 0.5 \
            else "bad"
        top = max(risk.drivers, key=lambda d: abs(d.effect), default=None)
        drv = (f"; the largest driver is {top.source} ({top.effect * 100:+.1f} percentage "
               "points)" if top else "")
        out.append(Finding("Risk", f"P(done by the deadline) = {risk.p_by_deadline:.1%}{ci} "
                           f"over {risk.runs:,} runs{p50}{p90}{drv}.", level,
                           everything + figures_under(scenario, ("disruptions",))))
    return out


def provenance_counts(scenario: Scenario) -> dict[str, Counter[str]]:
    """Reported and assumed figures per top-level section, plus ``all``."""
    out: dict[str, Counter[str]] = {"all": Counter()}
    for f in scenario.figures:
        out["all"][f.kind] += 1
        out.setdefault(section_of(f.path), Counter())[f.kind] += 1
    return out


__all__ = ["Finding", "figures_under", "findings", "provenance_counts", "section_of"]
