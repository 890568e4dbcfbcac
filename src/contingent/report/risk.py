"""Risk charts: the completion distribution against the deadline, and what drives it."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from contingent.report.common import (
    ALERT,
    INK,
    fmt_time,
    house_style,
    new_figure,
    num,
    time_axis,
)
from contingent.report.riskfile import RiskSummary

_BLUE = "#1f5fa8"


def _cdf(ax: Axes, risk: RiskSummary, tz: ZoneInfo) -> None:
    q = risk.quantiles
    if risk.samples:
        xs = np.array([num(t) for t in risk.samples])
        ys = np.arange(1, len(xs) + 1) / len(xs)
        ax.step(xs, ys, where="post", color=_BLUE, lw=1.8, gid="cdf:samples",
                label=f"completion, {len(xs):,} runs")
        # show the bulk; a long tail is named rather than stretching the axis
        lo = risk.samples[0]
        hi = risk.samples[min(len(xs) - 1, int(0.995 * len(xs)))]
        if hi < risk.samples[-1]:
            ax.text(0.98, 0.26, f"longest run: {fmt_time(risk.samples[-1], tz)} (off scale)",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5,
                    color="#55606b")
    else:
        pts = sorted((num(t), float(k[1:]) / 100) for k, t in q.items()
                     if k[1:].replace(".", "").isdigit())
        if not pts:
            raise ValueError("the risk result has neither samples nor quantiles")
        xs = np.array([p[0] for p in pts])
        ys = np.array([p[1] for p in pts])
        ax.plot(xs, ys, color=_BLUE, lw=1.8, ls="-", marker="o", ms=4, gid="cdf:quantiles",
                label="completion (through the quantiles; no samples in the result)")
        lo, hi = min(q.values()), max(q.values())
    for k in ("p10", "p50", "p90"):
        if k in q:
            ax.plot([num(q[k])], [float(k[1:]) / 100], marker="o", color=INK, ms=4, zorder=5)
            ax.annotate(f"{k.upper()} {fmt_time(q[k], tz)}", (num(q[k]), float(k[1:]) / 100),
                        xytext=(-6, 6), textcoords="offset points", ha="right", fontsize=7.5,
                        color=INK)
    if risk.planned is not None:
        ax.axvline(num(risk.planned), color="#55606b", lw=1.0, ls=":", gid="planned")
        ax.text(num(risk.planned), 0.5, " plan", rotation=90, fontsize=7.5, color="#55606b",
                va="center", ha="right")
        lo = min(lo, risk.planned)
    start, end = lo, hi
    if risk.deadline is not None:
        start, end = min(lo, risk.deadline), max(hi, risk.deadline)
        pad = (end - start) * 0.05
        start, end = start - pad, end + pad
        d = num(risk.deadline)
        ax.axvline(d, color=ALERT, lw=1.6, ls="--", gid="deadline")
        ax.axhline(risk.p_by_deadline, color=ALERT, lw=0.8, ls=":")
        ci = (f" [{risk.p_ci[0]:.1%} \u2013 {risk.p_ci[1]:.1%}]" if risk.p_ci else "")
        ax.text(0.98, 0.06, f"P(done by deadline) = {risk.p_by_deadline:.1%}{ci}\n"
                f"deadline {fmt_time(risk.deadline, tz)}", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=9.5, color=ALERT, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": ALERT, "lw": 0.8},
                gid="p-by-deadline")
    time_axis(ax, tz, start, end)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of runs complete")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(axis="y", color="#e6e9ec", lw=0.6)
    ax.legend(loc="upper left", fontsize=8)
    seed = f", seed {risk.seed}" if risk.seed is not None else ""
    ax.set_title(f"Completion time over {risk.runs:,} simulated runs{seed}")


def _drivers(ax: Axes, risk: RiskSummary) -> None:
    drivers = sorted(risk.drivers, key=lambda d: abs(d.effect))
    if not drivers:
        ax.text(0.5, 0.5, "no drivers in the risk result", ha="center", va="center",
                transform=ax.transAxes, color="#6a737c")
        ax.set_axis_off()
        return
    vals = np.array([d.effect * 100 for d in drivers])
    colors = [ALERT if abs(v) >= 1.0 else "#e8877f" for v in vals]
    y = np.arange(len(drivers))
    ax.barh(y, vals, color=colors, height=0.6, gid="drivers")
    ax.set_yticks(y, [d.source for d in drivers])
    ax.axvline(0, color=INK, lw=0.8)
    span = max(float(np.abs(vals).max()), 0.5)
    for yi, v in zip(y, vals, strict=True):
        ax.text(v + (span * 0.03 if v >= 0 else -span * 0.03), float(yi), f"{v:+.1f} pp",
                va="center", ha="left" if v >= 0 else "right", fontsize=8)
    ax.set_xlim(min(0.0, float(vals.min())) - span * 0.35,
                max(0.0, float(vals.max())) + span * 0.35)
    if all(d.p_without is not None for d in drivers):
        ax.set_xlabel("P(done by deadline) each source costs, pp\n"
                      "(P without it minus P with all sources)")
    else:
        ax.set_xlabel("effect on P(done by deadline), percentage points")
    for yi, d in zip(y, drivers, strict=True):
        if d.p50_shift_minutes:
            ax.text(0.99, float(yi) - 0.38, f"median later by {d.p50_shift_minutes / 60:.1f} h",
                    transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=7,
                    color="#55606b")
    ax.grid(axis="x", color="#e6e9ec", lw=0.6)
    ax.set_title("What drives it")


@house_style
def plot_risk(risk: RiskSummary, tz: ZoneInfo, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Completion CDF with the deadline and P(done by deadline), and the drivers as bars.

    Parameters
    ----------
    risk
        A risk result read with :func:`contingent.report.riskfile.read_risk`.
    tz
        Theatre time zone for the time axis.
    ax
        None for a new figure with both panels; one Axes for the CDF only; a pair of Axes
        for the CDF and the drivers.

    Returns
    -------
    Figure
        The figure drawn on.
    """
    if ax is None:
        fig = new_figure(12.0, 3.9)
        gs = fig.add_gridspec(1, 2, width_ratios=(1.7, 1.0))
        cdf_ax, drv_ax = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    elif isinstance(ax, Axes):
        cdf_ax, drv_ax = ax, None
        fig = ax.get_figure()  # type: ignore[assignment]
    else:
        cdf_ax, drv_ax = ax[0], ax[1]
        fig = cdf_ax.get_figure()  # type: ignore[assignment]
    _cdf(cdf_ax, risk, tz)
    if drv_ax is not None:
        _drivers(drv_ax, risk)
    assert isinstance(fig, Figure)
    return fig


__all__ = ["plot_risk"]
