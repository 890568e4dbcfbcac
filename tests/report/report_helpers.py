"""Helpers for the report tests: hand-made plans for the tiny scenario."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contingent.planfile import Handover, Load, Plan, RoadMove, Sortie

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TZ = ZoneInfo("Asia/Almaty")


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """A theatre time in January 2022."""
    return datetime(2022, 1, day, hh, mm, tzinfo=TZ)


def make_plan(*, gap: bool = False, extra_day_departures: int = 0) -> Plan:
    """A tiny withdrawal plan: 2 positioning legs, 2 lifts, 1 road move; the checker accepts it.

    With ``gap`` the first lift leaves at 04:00 with 40 of U-RUS's 60 personnel, before
    FAC-A's 10:00 handover, leaving 20 of the 40 guards it needs (and breaking the release
    rule). ``extra_day_departures`` adds positioning departures from THA on 14 Jan (to go over
    THA's cap of 4).
    """
    blk = timedelta(minutes=172)
    if gap:
        s1_dep, s1 = at(13, 4), (Load("U-BLR", 10), Load("U-RUS", 40))
        s2 = (Load("U-BLR", 20), Load("U-RUS", 20, {"CAR": 2}, 1000))
    else:
        s1_dep, s1 = at(13, 10, 15), (Load("U-BLR", 30), Load("U-RUS", 20))
        s2 = (Load("U-RUS", 40, {"CAR": 2}, 1000),)
    sorties = [
        Sortie("P1", "positioning", "JET", "F1-01", "RUS", "HOM", "THA", at(13, 0),
               at(13, 0) + blk),
        Sortie("P2", "positioning", "JET", "F1-02", "RUS", "HOM", "THA", at(13, 0),
               at(13, 0) + blk),
        Sortie("S1", "lift", "JET", "F1-01", "RUS", "THA", "HOM", s1_dep, s1_dep + blk, s1,
               ("BLR", "RUS")),
        Sortie("S2", "lift", "JET", "F1-02", "RUS", "THA", "HOM", at(13, 10, 30),
               at(13, 10, 30) + blk, s2, tuple(sorted({ld.unit[2:] for ld in s2}))),
    ]
    for i in range(extra_day_departures):
        dep = at(14, 8 + i)
        sorties.append(Sortie(f"X{i + 1}", "positioning", "JET", "F1-01", "RUS", "THA", "HOM",
                              dep, dep + blk))
    road = (RoadMove("R1", "KGZ", ("U-KGZ",), "THA-TOWN", "BORDER", at(13, 8), at(13, 11)),)
    blr_done = (at(13, 10, 30) if gap else s1_dep) + blk
    nations = {"BLR": blr_done, "RUS": at(13, 10, 30) + blk, "KGZ": at(13, 11)}
    return Plan(
        scenario="tiny", phase="withdrawal", status="given",
        completion=max(nations.values()), lower_bound=None,
        sorties=tuple(sorties), road_moves=road,
        facilities=(Handover("FAC-A", at(13, 10), ("U-RUS",)),),
        nations=nations,
    )
