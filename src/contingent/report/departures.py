"""Daily departures against the airfields' caps."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from contingent.planfile import Plan
from contingent.report.common import (
    ALERT,
    GREY,
    INK,
    POSITIONING_COLOR,
    figure_and_axes,
    house_style,
    nation_colors,
    new_figure,
)
from contingent.report.derive import (
    POSITIONING,
    CapScope,
    cap_scopes,
    daily_departures,
    provenance_note,
)
from contingent.scenario.model import Scenario


def _draw(ax: Axes, scenario: Scenario, plan: Plan, scope: CapScope) -> None:
    colors = nation_colors(scenario)
    dd = daily_departures(scenario, plan, scope)
    x = np.arange(len(dd.days))
    bottom = np.zeros(len(dd.days))
    for key, values in dd.by_nation.items():
        v = np.asarray(values, dtype=float)
        if key == POSITIONING:
            ax.bar(x, v, bottom=bottom, color=POSITIONING_COLOR, edgecolor=GREY, hatch="////",
                   lw=0.5, label="positioning (empty)", width=0.7, gid="bars:positioning")
        else:
            ax.bar(x, v, bottom=bottom, color=colors.get(key, "#777"), label=key, width=0.7,
                   edgecolor="white", lw=0.5, gid=f"bars:{key}")
        bottom += v
    totals = dd.totals
    top = max([*totals, scope.cap or 0, 1])
    for i, t in enumerate(totals):
        over = scope.cap is not None and t > scope.cap
        if t:
            ax.text(i, t + top * 0.015, str(t), ha="center", va="bottom", fontsize=8.5,
                    color=ALERT if over else INK, fontweight="bold" if over else "normal")
        if over:
            ax.bar([i], [t], width=0.78, fill=False, edgecolor=ALERT, lw=1.6, gid="over-cap")
    if scope.cap is not None:
        note = provenance_note(scope.figure)
        ax.axhline(scope.cap, color=ALERT, lw=1.4, ls="--", zorder=5, gid="cap-line")
        ax.text(-0.55, scope.cap, f" cap {scope.cap}/day" + (f" ({note})" if note else ""),
                color=ALERT, fontsize=8, ha="left", va="bottom")
    ax.set_xticks(x, [d.strftime("%a\n%d %b") for d in dd.days])
    ax.set_xlim(-0.6, len(dd.days) - 0.4)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("departures per day")
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.grid(axis="y", color="#e6e9ec", lw=0.6)
    ax.set_axisbelow(True)
    members = ", ".join(scenario.airfield[a].name.split(" (")[0] if a in scenario.airfield else a
                        for a in scope.airfields)
    label = scope.id if scope.airfields == (scope.id,) else f"{scope.id} ({members})"
    ax.set_title(f"Daily departures from {label}: {sum(totals)} in all, "
                 f"peak {max(totals, default=0)}", fontsize=10)
    handles: list[Patch | Line2D] = [Patch(fc=colors.get(k, "#777"), label=k)
                                     for k in dd.by_nation if k != POSITIONING]
    if POSITIONING in dd.by_nation:
        handles.append(Patch(fc=POSITIONING_COLOR, ec=GREY, hatch="////",
                             label="positioning (empty)"))
    if scope.cap is not None:
        handles.append(Line2D([], [], color=ALERT, ls="--", label="daily cap"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0),
              title="departures by nation", title_fontsize=8, alignment="left")


@house_style
def plot_departures(scenario: Scenario, plan: Plan, ax: Axes | None = None, *,
                    scope: str | None = None) -> Figure:
    """Departures per local day, stacked by nation carried, against the daily cap.

    Every cap scope (a cap group, or an airfield with its own cap; the theatre airfields when
    nothing is capped) gets a panel; with ``ax`` given, one scope is drawn on it (``scope``,
    default the first). Positioning departures count against the cap and are shown hatched.
    A day over its cap is outlined and numbered in red.

    Returns
    -------
    Figure
        The figure drawn on.
    """
    scopes = cap_scopes(scenario, plan)
    if scope is not None:
        scopes = [s for s in scopes if s.id == scope]
        if not scopes:
            raise ValueError(f"no cap group or capped airfield {scope!r}")
    if ax is not None:
        fig, ax = figure_and_axes(ax, 10, 3.6)
        _draw(ax, scenario, plan, scopes[0])
        return fig
    fig = new_figure(10.5, 0.4 + 3.3 * len(scopes))
    for i, sc in enumerate(scopes):
        a = fig.add_subplot(len(scopes), 1, i + 1)
        _draw(a, scenario, plan, sc)
    return fig


__all__ = ["plot_departures"]
