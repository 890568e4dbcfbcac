"""Per-nation timelines: first movement, last departure, completion, against the deadline."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from contingent.planfile import Plan
from contingent.report.common import (
    ALERT,
    INK,
    figure_and_axes,
    fmt_time,
    house_style,
    nation_colors,
    num,
    time_axis,
)
from contingent.report.derive import nation_lines, phase_span
from contingent.scenario.model import Scenario


@house_style
def plot_timelines(scenario: Scenario, plan: Plan, ax: Axes | None = None) -> Figure:
    """One row per nation: its movement window, each lift departure, and its completion.

    The bar runs from the nation's first movement to its completion (last arrival); ticks
    mark lift departures, a dashed bar a road move; shaded bands are the order rules' windows
    for that nation (e.g. "fly only on 14 Jan"); the red line is the phase deadline.

    Returns
    -------
    Figure
        The figure drawn on.
    """
    tz = scenario.operation.tz
    colors = nation_colors(scenario)
    lines = nation_lines(scenario, plan)
    fig, ax = figure_and_axes(ax, 12.0, max(2.4, 0.62 * len(lines) + 1.5))
    start, end = phase_span(scenario, plan)
    window = scenario.window(plan.phase)

    for i, ln in enumerate(lines):
        color = colors.get(ln.nation, "#777")
        # order-rule windows that name this nation
        for rule in scenario.rules_for(plan.phase):
            if rule.kind != "fly_within" or (rule.nations and ln.nation not in rule.nations):
                continue
            if not rule.nations:
                continue  # a window for everyone is drawn once, below
            lo, hi = scenario.rule_window(rule)
            lo, hi = lo or start, hi or end
            ax.add_patch(Rectangle((num(lo), i + 0.12), num(hi) - num(lo), 0.76,
                                   facecolor=color, alpha=0.10, edgecolor=color, lw=0.6,
                                   ls=":", zorder=0.6, gid=f"rule:{ln.nation}"))
        if ln.first is None or ln.completion is None:
            ax.text(num(start), i + 0.5, "  no movement in this plan", va="center", fontsize=8,
                    color="#6a737c")
            continue
        ax.add_patch(Rectangle((num(ln.first), i + 0.32), num(ln.completion) - num(ln.first),
                               0.36, facecolor=color, alpha=0.35, edgecolor=color, lw=0.8,
                               gid=f"span:{ln.nation}"))
        for a, b in ln.road:
            ax.add_patch(Rectangle((num(a), i + 0.32), num(b) - num(a), 0.36, facecolor="none",
                                   edgecolor=color, lw=1.6, ls="--", gid=f"road:{ln.nation}"))
        if ln.departures:
            ax.vlines([num(t) for t in ln.departures], i + 0.24, i + 0.76, color=color, lw=1.0,
                      gid=f"departures:{ln.nation}")
        late = window.deadline is not None and ln.completion > window.deadline
        ax.plot([num(ln.completion)], [i + 0.5], marker="D", ms=7, color=ALERT if late else INK,
                zorder=5, gid=f"completion:{ln.nation}")
        what = f"{ln.lifts} lifts, {ln.pax} pers." if ln.lifts else "road"
        ax.annotate(f"done {fmt_time(ln.completion, tz)}  ({what})", (num(ln.completion), i + 0.5),
                    xytext=(8, 0), textcoords="offset points", va="center", fontsize=8,
                    color=ALERT if late else INK)

    for rule in scenario.rules_for(plan.phase):
        if rule.kind == "fly_within" and not rule.nations:
            _, hi = scenario.rule_window(rule)
            if hi is not None:
                ax.axvline(num(hi), color="#7a838c", lw=1.0, ls=":", zorder=4)
                ax.text(num(hi), 0.01, "last flight ", transform=ax.get_xaxis_transform(),
                        fontsize=7.5, color="#5a636c", ha="right", va="bottom")
    ax.axvline(num(window.start), color="#7a838c", lw=1.0, zorder=4)
    if window.deadline is not None:
        ax.axvline(num(window.deadline), color=ALERT, lw=1.6, ls="--", zorder=4,
                   gid="deadline")
        ax.text(num(window.deadline), 1.0, f" deadline {fmt_time(window.deadline, tz)}",
                transform=ax.get_xaxis_transform(), fontsize=8, color=ALERT, ha="right",
                va="bottom")
    time_axis(ax, tz, start, end)
    ax.set_ylim(len(lines), 0)
    ax.set_yticks([i + 0.5 for i in range(len(lines))], [ln.nation for ln in lines],
                  fontsize=9, fontweight="bold")
    ax.tick_params(axis="y", length=0)
    done = [ln.completion for ln in lines if ln.completion is not None]
    title = f"{plan.phase.capitalize()} by nation"
    if done:
        title += f": all home by {fmt_time(max(done), tz)}"
    ax.set_title(title)
    handles = [
        Patch(fc="#888", alpha=0.35, ec="#888", label="first movement \u2192 completion"),
        Line2D([], [], color="#888", lw=1, label="lift departure"),
        Line2D([], [], ls="", marker="D", color=INK, label="completion"),
        Patch(fc="#888", alpha=0.10, ec="#888", ls=":", label="order-rule window"),
    ]
    if plan.road_moves:
        handles.append(Patch(fc="none", ec="#888", ls="--", lw=1.5, label="road move"))
    if window.deadline is not None:
        handles.append(Line2D([], [], color=ALERT, ls="--", label="deadline"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.2 if len(lines) < 5
                                                                 else -0.12),
              ncols=len(handles), fontsize=8)
    return fig


__all__ = ["plot_timelines"]
