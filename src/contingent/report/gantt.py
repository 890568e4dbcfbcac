"""The sortie Gantt chart: every flight leg on a time line, per aircraft or per airfield."""

from __future__ import annotations

from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from contingent.planfile import Plan, Sortie
from contingent.report.common import (
    GREY,
    INK,
    POSITIONING_COLOR,
    figure_and_axes,
    house_style,
    nation_colors,
    num,
    time_axis,
)
from contingent.report.derive import nation_pax, phase_span
from contingent.scenario.model import Scenario


def _lanes(sorties: list[Sortie]) -> dict[str, int]:
    """Greedy lanes so that legs in one row never overlap: sortie id -> lane."""
    ends: list[float] = []
    out: dict[str, int] = {}
    for s in sorted(sorties, key=lambda s: (s.departure, s.id)):
        start = num(s.departure)
        for i, e in enumerate(ends):
            if e <= start:
                ends[i] = num(s.arrival)
                out[s.id] = i
                break
        else:
            ends.append(num(s.arrival))
            out[s.id] = len(ends) - 1
    return out


@house_style
def plot_gantt(scenario: Scenario, plan: Plan, ax: Axes | None = None, *,
               by: Literal["aircraft", "airfield"] = "aircraft") -> Figure:
    """Sortie Gantt chart in theatre time.

    One row per aircraft tail (``by="aircraft"``), or per departure airfield
    (``by="airfield"``, overlapping legs stacked in lanes). Lift legs are coloured by the
    nations carried (a leg carrying several nations is split in proportion to personnel);
    positioning legs are grey and hatched. Day boundaries are theatre midnights.

    Returns
    -------
    Figure
        The figure drawn on.
    """
    tz = scenario.operation.tz
    colors = nation_colors(scenario)
    rows: dict[str, list[Sortie]] = {}
    if by == "aircraft":
        for s in sorted(plan.sorties, key=lambda s: (s.tail, s.departure)):
            rows.setdefault(s.tail, []).append(s)
        ylabel = "aircraft (tail)"
    elif by == "airfield":
        for s in sorted(plan.sorties, key=lambda s: (s.origin, s.departure)):
            rows.setdefault(s.origin, []).append(s)
        ylabel = "departure airfield"
    else:
        raise ValueError(f"by must be 'aircraft' or 'airfield', got {by!r}")

    def row_key(name: str) -> tuple[object, ...]:
        first = min(s.departure for s in rows[name])
        return (first, name) if by == "airfield" else (name,)

    names = sorted(rows, key=row_key)
    lanes = {n: _lanes(rows[n]) for n in names} if by == "airfield" else {}
    height = max(2.8, 0.16 * len(names) + 1.8) if by == "aircraft" else max(
        2.8, sum(0.12 * (max(lanes[n].values()) + 1) for n in names) + 1.8)
    fig, ax = figure_and_axes(ax, 12.0, min(height, 30.0))

    y = 0.0
    ticks, ticklabels = [], []
    n_bars = 0
    for name in names:
        n_lanes = (max(lanes[name].values()) + 1) if by == "airfield" else 1
        row_h = 1.0 * n_lanes
        for s in rows[name]:
            lane = lanes[name][s.id] if by == "airfield" else 0
            x0, w = num(s.departure), num(s.arrival) - num(s.departure)
            y0, h = y + lane + 0.12, 0.76
            if s.kind == "positioning":
                ax.add_patch(Rectangle((x0, y0), w, h, facecolor=POSITIONING_COLOR,
                                       edgecolor=GREY, hatch="////", lw=0.5,
                                       gid=f"positioning:{s.id}"))
                n_bars += 1
                continue
            carried = nation_pax(scenario, s) or {s.operator: 0}
            total = sum(carried.values())
            yy = y0
            for nation, pax in sorted(carried.items()):
                part = h * (pax / total if total else 1 / len(carried))
                ax.add_patch(Rectangle((x0, yy), w, part, facecolor=colors.get(nation, "#777"),
                                       edgecolor="none", gid=f"lift:{s.id}:{nation}"))
                yy += part
            ax.add_patch(Rectangle((x0, y0), w, h, facecolor="none", edgecolor=INK, lw=0.4))
            n_bars += 1
        ticks.append(y + row_h / 2)
        label = name
        if by == "aircraft" and name in scenario.tail_fleet:
            label = f"{name} ({scenario.tail_fleet[name].type})"
        elif by == "airfield" and name in scenario.airfield:
            label = scenario.airfield[name].name.split(" (")[0]
        ticklabels.append(label)
        if y > 0:
            ax.axhline(y, color="#eceff2", lw=0.6, zorder=0)
        y += row_h

    start, end = phase_span(scenario, plan)
    time_axis(ax, tz, start, end)
    window = scenario.window(plan.phase)
    if window.deadline is not None:
        ax.axvline(num(window.deadline), color="#d62728", lw=1.2, ls="--", zorder=4)
        ax.text(num(window.deadline), 1.0, " deadline", color="#d62728", fontsize=8,
                transform=ax.get_xaxis_transform(), va="bottom", ha="center")
    ax.set_ylim(y, 0)
    ax.set_yticks(ticks, ticklabels, fontsize=6.5 if len(names) > 30 else 8)
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel(ylabel)
    lifts = sum(1 for s in plan.sorties if s.kind == "lift")
    what = "aircraft" if by == "aircraft" else "airfields"
    ax.set_title(f"Sortie Gantt by {by}: {lifts} lift and {len(plan.sorties) - lifts} "
                 f"positioning legs on {len(names)} {what}")
    handles = [Patch(fc=colors[n], label=n) for n in scenario.nations
               if any(n in nation_pax(scenario, s) for s in plan.lifts)]
    handles.append(Patch(fc=POSITIONING_COLOR, ec=GREY, hatch="////", label="positioning (empty)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8,
              title="nation carried", title_fontsize=8, alignment="left")
    ax.set_gid(f"gantt:{n_bars}")
    return fig


__all__ = ["plot_gantt"]
