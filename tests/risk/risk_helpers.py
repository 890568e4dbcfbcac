"""Helpers for the risk tests: the tiny-risk scenario file and a hand-made withdrawal plan.

A module with its own name (not ``conftest``), so that tests import it unambiguously.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from contingent.planfile import Load, Plan, Sortie

FIXTURES = Path(__file__).parent.parent / "fixtures"
TINY_RISK = FIXTURES / "risk" / "tiny-risk.yaml"
TZ = ZoneInfo("Asia/Almaty")


def at(text: str) -> datetime:
    """``"13 10:00"`` as 2022-01-13T10:00 in theatre time."""
    day, clock = text.split()
    h, m = clock.split(":")
    return datetime(2022, 1, int(day), int(h), int(m), tzinfo=TZ)


def sortie(sid: str, kind: str, tail: str, o: str, d: str, dep: str, arr: str,
           *loads: Load) -> Sortie:
    return Sortie(id=sid, kind=kind, aircraft_type="JET", tail=tail, operator="RUS",  # type: ignore[arg-type]
                  origin=o, destination=d, departure=at(dep), arrival=at(arr), loads=loads,
                  nations=())


def tiny_plan() -> Plan:
    """Two tails position to THA (one stand) and lift U-A (after FAC-A's handover) and U-B."""
    sorties = (
        sortie("S1", "positioning", "F1-01", "HOM", "THA", "13 06:00", "13 08:00"),
        sortie("S2", "positioning", "F1-02", "HOM", "THA", "13 09:00", "13 11:00"),
        sortie("S3", "lift", "F1-01", "THA", "HOM", "13 10:00", "13 12:00", Load("U-A", pax=40)),
        sortie("S4", "lift", "F1-02", "THA", "HOM", "13 12:00", "13 14:00", Load("U-B", pax=30)),
    )
    return Plan(scenario="tiny-risk", phase="withdrawal", status="given",
                completion=at("13 14:00"), lower_bound=None, sorties=sorties,
                nations={"RUS": at("13 12:00"), "BLR": at("13 14:00")})
