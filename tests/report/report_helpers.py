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
    """A tiny withdrawal plan: 2 positioning legs, 2 lifts, 1 road move.

    With ``gap`` the first lift takes 40 of U-RUS's 60 personnel before FAC-A's 10:00
    handover, leaving 20 of the 40 guards it needs. ``extra_day_departures`` adds lifts of
    U-BLR... on 14 Jan (to go over THA's cap of 4).
    """
    blk = timedelta(minutes=170)
    first_rus = 40 if gap else 20
    sorties = [
        Sortie("P1", "positioning", "JET", "F1-01", "RUS", "HOM", "THA", at(13, 0),
               at(13, 0) + blk),
        Sortie("P2", "positioning", "JET", "F1-02", "RUS", "HOM", "THA", at(13, 0),
               at(13, 0) + blk),
        Sortie("S1", "lift", "JET", "F1-01", "RUS", "THA", "HOM", at(13, 4), at(13, 4) + blk,
               (Load("U-BLR", 30), Load("U-RUS", first_rus)), ("BLR", "RUS")),
        Sortie("S2", "lift", "JET", "F1-02", "RUS", "THA", "HOM", at(13, 10, 30),
               at(13, 10, 30) + blk, (Load("U-RUS", 60 - first_rus, {"CAR": 2}, 1000),), ("RUS",)),
    ]
    for i in range(extra_day_departures):
        dep = at(14, 8 + i)
        sorties.append(Sortie(f"X{i + 1}", "positioning", "JET", "F1-01", "RUS", "THA", "HOM",
                              dep, dep + blk))
    road = (RoadMove("R1", "KGZ", ("U-KGZ",), "THA-TOWN", "BORDER", at(13, 8), at(13, 11)),)
    nations = {"BLR": at(13, 4) + blk, "RUS": at(13, 10, 30) + blk, "KGZ": at(13, 11)}
    return Plan(
        scenario="tiny", phase="withdrawal", status="given",
        completion=max(nations.values()), lower_bound=None,
        sorties=tuple(sorties), road_moves=road,
        facilities=(Handover("FAC-A", at(13, 10), ("U-RUS",)),),
        nations=nations,
    )
