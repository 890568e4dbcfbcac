"""The movement map: countries, airfields, great-circle routes, road moves, facilities."""

from __future__ import annotations

import logging
import math
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from contingent.planfile import Plan
from contingent.report.common import (
    ALERT,
    INK,
    figure_and_axes,
    house_style,
    nation_colors,
    new_figure,
)
from contingent.report.derive import airfield_sorties, local_day, routes
from contingent.report.world import ISO_NUMERIC, Lambert, countries, great_circle
from contingent.scenario.model import Scenario

log = logging.getLogger(__name__)

_LAND = "#eef0ec"
_HOST = "#fbf3d9"
_MEMBER = "#e6ecf4"
_BORDER = "#aab1b8"
_SEA = "#f7fafd"
_DAY_COLORS = ("#08306b", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")


def _places(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """(lon, lat) of every airfield, facility and named place."""
    return {k: (lon, lat) for k, (lat, lon) in scenario.positions.items()}


def _draw_countries(ax: Axes, proj: Lambert, box: tuple[float, float, float, float],
                    highlight: dict[str, str]) -> int:
    """Fill and outline the countries meeting the lon/lat ``box``; returns how many."""
    lon_min, lon_max, lat_min, lat_max = box
    polys, faces = [], []
    drawn = 0
    for c in countries():
        face = highlight.get(c.id, _LAND)
        hit = False
        for ring in c.rings:
            if len(ring) < 3:
                continue
            lo, la = ring[:, 0], ring[:, 1]
            if lo.max() < lon_min or lo.min() > lon_max or la.max() < lat_min or la.min() > lat_max:
                continue
            x, y = proj(lo, la)
            polys.append(np.column_stack([x, y]))
            faces.append(face)
            hit = True
        drawn += hit
    ax.add_collection(PolyCollection(polys, facecolors=faces, edgecolors=_BORDER,
                                     linewidths=0.5, zorder=1))
    return drawn


def _label_countries(ax: Axes, proj: Lambert, names: dict[str, str],
                     xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    for c in countries():
        if c.id not in names:
            continue
        ring = max(c.rings, key=len)
        x, y = proj(ring[:, 0], ring[:, 1])
        inside = (x > xlim[0]) & (x < xlim[1]) & (y > ylim[0]) & (y < ylim[1])
        if inside.sum() < 5:
            continue
        cx, cy = float(np.median(x[inside])), float(np.median(y[inside]))
        ax.text(cx, cy, names[c.id].upper(), fontsize=8, color="#8a8f95", ha="center",
                va="center", zorder=2, fontweight="bold", alpha=0.8)


def _scale_bar(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    width = xlim[1] - xlim[0]
    nice = [50, 100, 200, 250, 500, 1000, 2000]
    km = max(k for k in nice if k <= width / 5) if width / 5 >= 50 else 25
    x0 = xlim[0] + 0.04 * width
    y0 = ylim[0] + 0.05 * (ylim[1] - ylim[0])
    ax.plot([x0, x0 + km], [y0, y0], color=INK, lw=2.5, solid_capstyle="butt", zorder=6)
    ax.text(x0 + km / 2, y0 + 0.012 * (ylim[1] - ylim[0]), f"{km} km", ha="center",
            va="bottom", fontsize=7, color=INK, zorder=6)


@house_style
def plot_map(scenario: Scenario, plan: Plan, ax: Axes | None = None, *,
             inset: bool = True) -> Figure:
    """Map of the phase: who flies where, how often, and when facilities are handed over.

    Airfields are sized by lift sorties (departures plus arrivals), routes are great-circle
    lines weighted by sorties and coloured by the nation mostly carried, road moves are
    dashed, and an inset around the theatre shows facilities coloured by handover day.

    Parameters
    ----------
    scenario, plan
        The operation and a plan for one of its phases.
    ax
        Axes to draw on; a new figure when None.
    inset
        Draw the theatre inset with the facilities (when the scenario has any).

    Returns
    -------
    Figure
        The figure drawn on.
    """
    side: Axes | None = None
    legend_ax: Axes | None = None
    if ax is None and inset and scenario.facilities:
        fig = new_figure(13.0, 7.4)
        gs = fig.add_gridspec(2, 2, width_ratios=(3.0, 1.0), height_ratios=(1.15, 1.0))
        ax = fig.add_subplot(gs[:, 0])
        side = fig.add_subplot(gs[0, 1])
        legend_ax = fig.add_subplot(gs[1, 1])
        legend_ax.set_axis_off()
    else:
        fig, ax = figure_and_axes(ax, 11.0, 7.2)
    tz = scenario.operation.tz
    colors = nation_colors(scenario)
    places = _places(scenario)
    used = airfield_sorties(plan)
    legs = routes(scenario, plan)

    # Extent: every airfield the plan uses, else every airfield of the scenario.
    shown = [a for a in scenario.airfields if used.get(a.id)] or list(scenario.airfields)
    lons = np.array([a.lon for a in shown] + [f.lon for f in scenario.facilities])
    lats = np.array([a.lat for a in shown] + [f.lat for f in scenario.facilities])
    proj = Lambert.for_extent(lons, lats)
    xs, ys = proj(lons, lats)
    # Pad around the points and keep a landscape aspect.
    w, h = float(np.ptp(xs)), float(np.ptp(ys))
    pad = max(0.12 * max(w, h), 250.0)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2
    half_w, half_h = w / 2 + pad, h / 2 + pad
    aspect = 1.5
    if half_w / half_h < aspect:
        half_w = half_h * aspect
    else:
        half_h = half_w / aspect
    xlim = (float(cx - half_w), float(cx + half_w))
    ylim = (float(cy - half_h), float(cy + half_h))
    deg = math.degrees(max(half_w, half_h) / 6371.0) * 1.8 + 10
    box = (float(lons.min() - deg), float(lons.max() + deg),
           max(-85.0, float(lats.min() - deg)), min(85.0, float(lats.max() + deg)))

    host = ISO_NUMERIC.get(scenario.operation.host)
    highlight = {ISO_NUMERIC[n]: _MEMBER for n in scenario.nations if n in ISO_NUMERIC}
    if host:
        highlight[host] = _HOST
    ax.set_facecolor(_SEA)
    n_countries = _draw_countries(ax, proj, box, highlight)
    log.debug("map: %d countries drawn", n_countries)
    names = {c.id: c.name for c in countries() if c.id in highlight}
    _label_countries(ax, proj, names, xlim, ylim)

    # Graticule, faint.
    for lon in range(-180, 181, 10):
        gl = np.full(90, float(lon))
        gx, gy = proj(gl, np.linspace(-10, 85, 90))
        ax.plot(gx, gy, color="#d8dde3", lw=0.4, zorder=1.5)
    for lat in range(0, 90, 10):
        gx, gy = proj(np.linspace(-180, 180, 361), np.full(361, float(lat)))
        ax.plot(gx, gy, color="#d8dde3", lw=0.4, zorder=1.5)

    # Routes: great circles, width by sorties, colour by the main nation carried.
    max_legs = max((sum(c.values()) for c in legs.values()), default=1)
    for (o, d), by_nation in sorted(legs.items(), key=lambda kv: sum(kv[1].values())):
        if o not in places or d not in places:
            continue
        n = sum(by_nation.values())
        nation = by_nation.most_common(1)[0][0]
        glon, glat = great_circle(*places[o], *places[d])
        gx, gy = proj(glon, glat)
        lw = 1.0 + 5.0 * n / max_legs
        ax.plot(gx, gy, color=colors.get(nation, "#777"), lw=lw, alpha=0.75, zorder=3,
                solid_capstyle="round", gid=f"route:{o}>{d}")
        mid = len(gx) // 2
        ax.annotate("", xy=(gx[mid + 1], gy[mid + 1]), xytext=(gx[mid - 1], gy[mid - 1]),
                    arrowprops={"arrowstyle": "-|>", "color": colors.get(nation, "#777"),
                                "lw": 0, "mutation_scale": 8 + lw * 2}, zorder=3)
        ax.text(gx[mid], gy[mid], f" {n}", fontsize=7, color=INK, zorder=5, va="bottom",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})

    # Road moves: dashed where both ends have a position, else listed in a note.
    road_notes = []
    for r in plan.road_moves:
        if r.from_ in places and r.to in places:
            rx, ry = proj(*np.array([places[r.from_], places[r.to]]).T)
            ax.plot(rx, ry, ls="--", lw=2.2, color=colors.get(r.nation, "#777"), zorder=3,
                    gid=f"road:{r.id}")
        route = scenario.route.get((r.from_, r.to))
        km = f", {route.distance_km:.0f} km" if route else ""
        road_notes.append(f"{r.nation} by road: {r.from_} \u2192 {r.to}{km}, "
                          f"{r.start.astimezone(tz):%d %b %H:%M} \u2013 "
                          f"{r.end.astimezone(tz):%d %b %H:%M}")

    # Airfields: area by sorties; unused ones small and hollow.
    theatre = set(scenario.operation.theatre_airfields)
    max_used = max(used.values(), default=1)
    labels: list[tuple[float, float, str]] = []
    for a in sorted(scenario.airfields, key=lambda a: -used.get(a.id, 0)):
        x, y = proj(a.lon, a.lat)
        n = used.get(a.id, 0)
        if n == 0 and a not in shown:
            continue
        size = 30 + 400 * math.sqrt(n / max_used) if n else 18
        face = INK if a.id in theatre else "white"
        ax.scatter([x], [y], s=size, c=[face] if n else ["none"], edgecolors=INK,
                   linewidths=1.2, zorder=6, gid=f"airfield:{a.id}")
        if a.id in theatre and inset and scenario.facilities:
            continue  # named in the inset
        label = a.name.split(" (")[0]
        labels.append((float(x), float(y), f"{label}\n{n} sorties" if n else label))

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    _place_labels(ax, labels)
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color("#8a939c")
    _scale_bar(ax, xlim, ylim)
    title = scenario.title or scenario.scenario
    ax.set_title(f"{plan.phase.capitalize()}: lift routes and airfields \u2014 {title}")

    handles: list[Line2D | Patch] = []
    for nation in scenario.nations:
        if any(nation in c for c in legs.values()) or any(r.nation == nation
                                                           for r in plan.road_moves):
            handles.append(Line2D([], [], color=colors[nation], lw=3, label=nation))
    handles.append(Line2D([], [], ls="", marker="o", ms=9, mfc=INK, mec=INK,
                          label="theatre airfield"))
    handles.append(Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec=INK,
                          label="home / base airfield"))
    if plan.road_moves:
        handles.append(Line2D([], [], ls="--", lw=2, color="#555", label="road move"))
    if host:
        handles.append(Patch(fc=_HOST, ec=_BORDER,
                             label=f"host nation ({scenario.operation.host})"))
    legend_title = "route colour: nation carried\nline width, circle area: lift sorties"
    if legend_ax is not None:
        leg = legend_ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False,
                               title=legend_title, title_fontsize=8, alignment="left")
        legend_ax.add_artist(leg)  # keep it when the handover legend is added beside it
    else:
        leg = ax.legend(handles=handles, loc="upper left", fontsize=7.5, frameon=True,
                        framealpha=0.9, title=legend_title, title_fontsize=7.5)
    leg.set_zorder(8)
    if road_notes:
        ax.text(0.99, 0.01, "\n".join(road_notes), transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7.5, color=INK, zorder=8,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#aab1b8"})

    if inset and scenario.facilities:
        target = side if side is not None else ax.inset_axes((0.66, 0.46, 0.335, 0.52))
        _theatre_inset(ax, target, scenario, plan, proj, used, legend_ax)
    return fig


def _place_labels(ax: Axes, labels: list[tuple[float, float, str]]) -> None:
    """Label points, each on the first side where it overlaps no label placed before."""
    fig = ax.get_figure()
    renderer = fig.canvas.get_renderer()  # type: ignore[union-attr, attr-defined]
    placed: list[Bbox] = []
    offsets = ((7, 4, "left", "bottom"), (7, -4, "left", "top"), (-7, 4, "right", "bottom"),
               (-7, -4, "right", "top"))
    for x, y, text in labels:
        best = None
        for dx, dy, ha, va in offsets:
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                            fontsize=7.5, color=INK, zorder=7, ha=ha, va=va,
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                                  "alpha": 0.8})
            box = t.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed):
                best = (t, box)
                break
            t.remove()
        if best is None:
            dx, dy, ha, va = offsets[0]
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                            fontsize=7.5, color=INK, zorder=7, ha=ha, va=va,
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                                  "alpha": 0.8})
            best = (t, t.get_window_extent(renderer))
        placed.append(best[1])


def _theatre_inset(ax: Axes, ins: Axes, scenario: Scenario, plan: Plan, proj: Lambert,
                   used: dict[str, int], legend_ax: Axes | None) -> None:
    """Zoom on the theatre: theatre airfields and facilities coloured by handover day."""
    tz = scenario.operation.tz
    handover = {f.id: f.handover for f in scenario.facilities}
    handover.update({h.id: h.handover for h in plan.facilities if h.id in handover})
    theatre = [scenario.airfield[a] for a in scenario.operation.theatre_airfields
               if a in scenario.airfield]
    lons = np.array([f.lon for f in scenario.facilities] + [a.lon for a in theatre])
    lats = np.array([f.lat for f in scenario.facilities] + [a.lat for a in theatre])
    xs, ys = proj(lons, lats)
    span = max(float(np.ptp(xs)), float(np.ptp(ys)), 20.0)
    pad = 0.25 * span + 5
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2
    half = span / 2 + pad
    ins.set_facecolor(_SEA)
    deg = math.degrees(half / 6371.0) * 3 + 1
    box = (float(lons.min() - deg), float(lons.max() + deg), float(lats.min() - deg),
           float(lats.max() + deg))
    host = ISO_NUMERIC.get(scenario.operation.host)
    highlight = {ISO_NUMERIC[n]: _MEMBER for n in scenario.nations if n in ISO_NUMERIC}
    if host:
        highlight[host] = _HOST
    _draw_countries(ins, proj, box, highlight)

    days: list[date] = sorted({local_day(t, tz) for t in handover.values()})
    day_color = {d: _DAY_COLORS[min(i, len(_DAY_COLORS) - 1)] for i, d in enumerate(days)}
    for f in scenario.facilities:
        x, y = proj(f.lon, f.lat)
        marker = "s" if f.kind.startswith("energy") else "^"
        ins.scatter([x], [y], s=46, marker=marker, c=[day_color[local_day(handover[f.id], tz)]],
                    edgecolors="white", linewidths=0.6, zorder=5, gid=f"facility:{f.id}")
        short = f.id.rsplit("-", 1)[-1]
        ins.annotate(short, (float(x), float(y)), xytext=(4, -3), textcoords="offset points",
                     fontsize=5.5, color="#3a4550", zorder=5)
    for a in theatre:
        x, y = proj(a.lon, a.lat)
        ins.scatter([x], [y], s=90, marker="o", c=[INK], edgecolors="white", zorder=6)
        ins.annotate(f"{a.name.split(' (')[0]}\n{used.get(a.id, 0)} sorties",
                     (float(x), float(y)), xytext=(6, 3), textcoords="offset points",
                     fontsize=6.5, color=INK, zorder=7,
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                           "alpha": 0.8})
    ins.set_xlim(float(cx - half), float(cx + half))
    ins.set_ylim(float(cy - half), float(cy + half))
    ins.set_aspect("equal")
    ins.set_xticks([])
    ins.set_yticks([])
    for s in ins.spines.values():
        s.set_visible(True)
        s.set_color(INK)
    ins.set_title("Theatre: facilities coloured by handover day", fontsize=9, loc="left")
    handles: list[Line2D | Patch] = [
        Patch(fc=day_color[d], ec="none", label=d.strftime("%a %d %b")) for d in days
    ]
    kinds = sorted({f.kind for f in scenario.facilities})
    for k in kinds:
        handles.append(Line2D([], [], ls="", marker="s" if k.startswith("energy") else "^",
                              mfc="#777", mec="white", ms=6, label=k))
    if legend_ax is not None:
        leg = legend_ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False,
                               title="inset: facility handover day", title_fontsize=8,
                               alignment="left", ncols=2)
    else:
        leg = ins.legend(handles=handles, loc="lower left", fontsize=6, frameon=True,
                         framealpha=0.85, ncols=2, handlelength=1.0, columnspacing=0.8)
    leg.set_zorder(8)
    # frame the inset's area on the main map
    ax.indicate_inset((float(cx - half), float(cy - half), 2 * half, 2 * half),
                      edgecolor=ALERT, alpha=0.9, lw=0.8)
    ins.set_gid("theatre-inset")


__all__ = ["plot_map"]
