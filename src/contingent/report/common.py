"""Shared drawing helpers: figures without pyplot, nation colours, theatre-time axes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # reports are files; never open a window

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from contingent.scenario.model import Scenario

# Red is kept for what is wrong (gaps, deadlines, caps broken); nations never get it.
_PALETTE = (
    "#1f5fa8",  # blue
    "#2e9e4f",  # green
    "#f08a24",  # orange
    "#7b4fb5",  # purple
    "#8c5a3c",  # brown
    "#17a5b8",  # teal
    "#d45fb0",  # pink
    "#a8a826",  # olive
    "#5c6b7a",  # slate
)
# Stable colours for the reference operation's nations, the rest in turn.
_FIXED = {"RUS": "#1f5fa8", "BLR": "#2e9e4f", "ARM": "#f08a24", "TJK": "#7b4fb5",
          "KGZ": "#8c5a3c", "KAZ": "#17a5b8"}
ALERT = "#d62728"
OK = "#3a9a4a"
GREY = "#9aa3ad"
POSITIONING_COLOR = "#d9dde2"
INK = "#1d2733"

RC: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.edgecolor": "#55606b",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#3a4550",
    "ytick.color": "#3a4550",
    "legend.fontsize": 8,
    "legend.frameon": False,
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 150,
}


P = ParamSpec("P")
R = TypeVar("R")


def house_style(func: Callable[P, R]) -> Callable[P, R]:
    """Run a plot function under the house style (rc parameters apply at artist creation)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(RC):  # type: ignore[arg-type]
            return func(*args, **kwargs)

    return wrapper


def nation_colors(scenario: Scenario) -> dict[str, str]:
    """One colour per nation, the same on every chart of a report."""
    out: dict[str, str] = {}
    free = [c for c in _PALETTE if c not in _FIXED.values()] + list(_PALETTE)
    for n in scenario.nations:
        if n in _FIXED:
            out[n] = _FIXED[n]
    for n in scenario.nations:
        if n not in out:
            out[n] = free.pop(0) if free else "#777777"
    return out


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, made with the object API (no pyplot state)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_and_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """The given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        assert isinstance(fig, Figure)
        return fig, ax
    fig = new_figure(width, height)
    return fig, fig.add_subplot()


def style(ax: Axes) -> None:
    """House style for an axes created outside :func:`figure_and_axes`."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.title.set_fontweight("bold")


def tz_label(tz: ZoneInfo, when: datetime) -> str:
    """``Asia/Almaty, UTC+06`` for axis labels."""
    off = when.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{tz.key}, UTC{sign}{h:02d}" + (f":{m:02d}" if m else "")


def fmt_time(t: datetime | None, tz: ZoneInfo) -> str:
    """``Fri 14 Jan 09:30`` in theatre time."""
    if t is None:
        return "-"
    return t.astimezone(tz).strftime("%a %d %b %H:%M")


def num(t: datetime) -> float:
    """Matplotlib's date number of an aware date-time."""
    return float(mdates.date2num(t))


def time_axis(ax: Axes, tz: ZoneInfo, start: datetime, end: datetime, *,
              day_lines: bool = True, label: bool = True) -> None:
    """Days of theatre time along x: midnight lines, day labels, six-hour minor ticks."""
    lo = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    hi = end.astimezone(tz)
    if hi > hi.replace(hour=0, minute=0, second=0, microsecond=0):
        hi = hi.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    ax.set_xlim(num(lo), num(hi))
    days = max(1, round((hi - lo).total_seconds() / 86400))
    step = 1 if days <= 10 else 2 if days <= 20 else 7
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=step, tz=tz))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b" if days <= 8 else "%d %b",
                                                      tz=tz))
    if days <= 10:
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=(6, 12, 18), tz=tz))
    for t in ax.get_xticklabels():
        t.set_horizontalalignment("left")
    if day_lines:
        d = lo
        while d <= hi:
            ax.axvline(num(d), color="#c3c9cf", lw=0.7, zorder=0.5)
            d = d + timedelta(days=1)  # same tzinfo: wall-clock arithmetic, midnight to midnight
    if label:
        ax.set_xlabel(f"theatre time ({tz_label(tz, start)}); lines at midnight")


__all__ = [
    "ALERT", "GREY", "INK", "OK", "POSITIONING_COLOR", "RC", "figure_and_axes", "fmt_time",
    "house_style",
    "nation_colors", "new_figure", "num", "style", "time_axis", "tz_label",
]
