"""Reports: pictures of a plan, a self-contained HTML report, and CSV/XLSX/GeoJSON exports.

The plot functions (one per module) take ``(scenario, plan, ax=None)`` and return the
matplotlib Figure. Names are imported lazily so that the command line starts without
matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "plot_map": "contingent.report.map",
    "plot_gantt": "contingent.report.gantt",
    "plot_departures": "contingent.report.departures",
    "plot_coverage": "contingent.report.coverage",
    "plot_timelines": "contingent.report.timelines",
    "plot_risk": "contingent.report.risk",
    "write_report": "contingent.report.html",
    "export": "contingent.report.export",
    "read_risk": "contingent.report.riskfile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'contingent.report' has no attribute {name!r}")


__all__ = sorted(_LAZY)
