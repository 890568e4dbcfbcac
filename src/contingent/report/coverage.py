"""Facility guard coverage over time against each facility's requirement."""

from __future__ import annotations

from datetime import timedelta

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from contingent.planfile import Plan
from contingent.report.common import (
    ALERT,
    INK,
    OK,
    figure_and_axes,
    house_style,
    num,
    time_axis,
)
from contingent.report.derive import coverage, phase_span
from contingent.scenario.model import Scenario

_AMBER = "#f2a900"
_HANDED = "#f0f2f4"


def _duration(td: timedelta) -> str:
    h = td.total_seconds() / 3600
    return f"{h:.0f} h" if h >= 1 else f"{td.total_seconds() / 60:.0f} min"


@house_style
def plot_coverage(scenario: Scenario, plan: Plan, ax: Axes | None = None) -> Figure:
    """Guard personnel on each facility over time, one row per facility.

    Each row is as tall as the facility's guard requirement: the green part is the guard on
    duty, the red hatched part a shortfall before handover (in a deployment: amber, not yet
    guarded), grey after the handover (diamond) to host-nation forces.

    Returns
    -------
    Figure
        The figure drawn on.
    """
    tz = scenario.operation.tz
    series = coverage(scenario, plan)
    withdrawal = plan.phase == "withdrawal"
    fig, ax = figure_and_axes(ax, 12.0, max(2.4, 0.36 * len(series) + 1.6))
    start, end = phase_span(scenario, plan)
    if withdrawal:
        end = max([end, *(c.handover + timedelta(hours=6) for c in series)])
    x_end = num(end)
    h = 0.72
    short_color = ALERT if withdrawal else _AMBER
    gap_rows = []
    for i, c in enumerate(series):
        y0 = i + (1 - h) / 2
        for k, g in enumerate(c.guards):
            a, b = num(c.times[k]), num(c.times[k + 1])
            if b <= a:
                continue
            frac = min(g / c.required, 1.0) if c.required else 1.0
            if frac > 0:
                ax.add_patch(Rectangle((a, y0 + h * (1 - frac)), b - a, h * frac, facecolor=OK,
                                       edgecolor="none", alpha=0.85, gid=f"guard:{c.id}"))
            if frac < 1:
                ax.add_patch(Rectangle((a, y0), b - a, h * (1 - frac), facecolor=short_color,
                                       edgecolor=short_color, hatch="xxx" if withdrawal else "",
                                       lw=0.4, alpha=0.9, gid=f"gap:{c.id}"))
        if c.times:
            ax.add_patch(Rectangle((num(c.times[0]), y0), num(c.times[-1]) - num(c.times[0]), h,
                                   facecolor="none", edgecolor="#4a5560", lw=0.6))
        if withdrawal:
            hx = num(c.handover)
            ax.add_patch(Rectangle((hx, y0), max(x_end - hx, 0), h, facecolor=_HANDED,
                                   edgecolor="none", zorder=0.4))
            ax.plot([hx], [i + 0.5], marker="D", color=INK, ms=5, zorder=5,
                    gid=f"handover:{c.id}")
            ax.annotate(c.handover.astimezone(tz).strftime("%d %b %H:%M"), (hx, i + 0.5),
                        xytext=(6, 0), textcoords="offset points", va="center", fontsize=7,
                        color="#3a4550")
        if c.gaps:
            worst = min(g for _, _, g in c.gaps)
            length = sum(((b - a) for a, b, _ in c.gaps), timedelta())
            gap_rows.append(c.id)
            msg = (f"short: {worst}/{c.required} for {_duration(length)}" if withdrawal
                   else f"fully guarded {c.gaps[-1][1].astimezone(tz):%d %b %H:%M}"
                   if c.guards and c.guards[-1] >= c.required else "never fully guarded")
            ax.text(1.005, i + 0.5, msg, transform=ax.get_yaxis_transform(), fontsize=7.5,
                    va="center", color=short_color if withdrawal else INK,
                    fontweight="bold" if withdrawal else "normal")
        else:
            ax.text(1.005, i + 0.5, f"{c.required}/{c.required} \u2713",
                    transform=ax.get_yaxis_transform(), fontsize=7.5, va="center", color=OK)

    time_axis(ax, tz, start, end)
    ax.set_ylim(len(series), 0)
    ax.set_yticks([i + 0.5 for i in range(len(series))],
                  [f"{c.id} {c.name} ({c.required})" for c in series], fontsize=7.5)
    ax.tick_params(axis="y", length=0)
    if not series:
        ax.text(0.5, 0.5, "no facilities in this scenario", transform=ax.transAxes,
                ha="center", va="center")
    if withdrawal:
        if gap_rows:
            title = (f"Guard coverage: {len(gap_rows)} of {len(series)} facilities UNDER-GUARDED "
                     f"before handover ({', '.join(gap_rows)})")
        else:
            which = f"all {len(series)} facilities" if len(series) > 1 else "the facility"
            title = f"Guard coverage: {which} fully guarded until handover"
    else:
        title = f"Guard build-up on {len(series)} facilities as units arrive"
    ax.set_title(title, color=ALERT if gap_rows and withdrawal else INK)
    handles: list[Patch | Line2D] = [
        Patch(fc=OK, alpha=0.85, label="guard on duty (row height = requirement)"),
        Patch(fc=short_color, ec=short_color, hatch="xxx" if withdrawal else "",
              label="shortfall before handover" if withdrawal else "not yet guarded"),
    ]
    if withdrawal:
        handles += [Patch(fc=_HANDED, ec="#c0c6cc", label="handed over"),
                    Line2D([], [], ls="", marker="D", color=INK, label="handover")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12 if len(series) < 8
                                                                 else -0.06),
              ncols=len(handles), fontsize=8)
    ax.set_gid(f"coverage:gaps={len(gap_rows)}")
    return fig


__all__ = ["plot_coverage"]
