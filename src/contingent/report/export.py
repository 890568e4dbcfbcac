"""Exports of a plan: CSV and XLSX (one row per sortie with its manifest), and GeoJSON.

Times are written in theatre time as ISO 8601 with the UTC offset. Files are written
atomically: a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from contingent.planfile import Plan, Sortie
from contingent.report.derive import (
    airfield_sorties,
    local_day,
    nation_of_unit,
    nation_pax,
    primary_nation,
)
from contingent.report.html import atomic_write
from contingent.report.world import great_circle
from contingent.scenario.model import Scenario

log = logging.getLogger(__name__)

ExportFormat = Literal["csv", "xlsx", "geojson"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx", "geojson")

COLUMNS: tuple[str, ...] = (
    "sortie", "kind", "day", "departure", "arrival", "block_min", "origin", "destination",
    "aircraft_type", "tail", "operator", "nations", "pax", "vehicles", "vehicle_count",
    "cargo_kg", "units", "manifest",
)
_WIDTHS = {
    "sortie": 9, "kind": 11, "day": 11, "departure": 26, "arrival": 26, "block_min": 10,
    "origin": 16, "destination": 16, "aircraft_type": 13, "tail": 15, "operator": 9,
    "nations": 12, "pax": 6, "vehicles": 22, "vehicle_count": 13, "cargo_kg": 9, "units": 26,
    "manifest": 70,
}
_INT_COLUMNS = {"block_min", "pax", "vehicle_count", "cargo_kg"}


def _counts(v: dict[str, int]) -> str:
    return ", ".join(f"{k} x{n}" for k, n in sorted(v.items()) if n)


def _manifest(scenario: Scenario, s: Sortie) -> str:
    parts = []
    for ld in s.loads:
        bits = [f"{ld.pax} pers."] if ld.pax else []
        if ld.vehicles:
            bits.append(_counts(dict(ld.vehicles)))
        if ld.cargo_kg:
            bits.append(f"{ld.cargo_kg} kg cargo")
        parts.append(f"{ld.unit} ({nation_of_unit(scenario, ld.unit)}): "
                     + (", ".join(bits) or "nothing"))
    return "; ".join(parts) if parts else "empty (positioning)"


def sortie_rows(scenario: Scenario, plan: Plan) -> list[dict[str, Any]]:
    """One row per sortie in departure order, its manifest included; times in theatre time."""
    tz = scenario.operation.tz
    rows = []
    for s in sorted(plan.sorties, key=lambda s: (s.departure, s.id)):
        nations = list(s.nations) or sorted(nation_pax(scenario, s))
        vehicles = s.vehicles
        rows.append({
            "sortie": s.id,
            "kind": s.kind,
            "day": local_day(s.departure, tz).isoformat(),
            "departure": s.departure.astimezone(tz).isoformat(),
            "arrival": s.arrival.astimezone(tz).isoformat(),
            "block_min": int((s.arrival - s.departure).total_seconds() // 60),
            "origin": s.origin,
            "destination": s.destination,
            "aircraft_type": s.aircraft_type,
            "tail": s.tail,
            "operator": s.operator,
            "nations": ";".join(nations),
            "pax": s.pax,
            "vehicles": _counts(vehicles),
            "vehicle_count": sum(vehicles.values()),
            "cargo_kg": s.cargo_kg,
            "units": ";".join(s.units),
            "manifest": _manifest(scenario, s),
        })
    return rows


def to_csv(scenario: Scenario, plan: Plan) -> str:
    """The sorties as CSV text (header row first)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(sortie_rows(scenario, plan))
    return buf.getvalue()


def to_xlsx(scenario: Scenario, plan: Plan) -> bytes:
    """The sorties as an XLSX workbook: all sorties, then one sheet per theatre day.

    Every sheet has a bold frozen header, an auto-filter and set column widths; a last sheet
    lists the road moves.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    tz = scenario.operation.tz
    rows = sortie_rows(scenario, plan)
    wb = Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1D2733")

    def sheet(ws: Any, columns: tuple[str, ...], data: list[dict[str, Any]],
              widths: dict[str, int]) -> None:
        ws.append(list(columns))
        for r in data:
            ws.append([r[c] for c in columns])
        for i, c in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center")
            ws.column_dimensions[get_column_letter(i)].width = widths.get(c, 14)
        ws.freeze_panes = "A2"
        if data:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(data) + 1}"

    ws = wb.active
    ws.title = "All sorties"
    sheet(ws, COLUMNS, rows, _WIDTHS)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_day[r["day"]].append(r)
    for day in sorted(by_day):
        sheet(wb.create_sheet(day), COLUMNS, by_day[day], _WIDTHS)
    road_cols = ("move", "nation", "units", "from", "to", "start", "end")
    road = [{"move": r.id, "nation": r.nation, "units": ";".join(r.units), "from": r.from_,
             "to": r.to, "start": r.start.astimezone(tz).isoformat(),
             "end": r.end.astimezone(tz).isoformat()} for r in plan.road_moves]
    sheet(wb.create_sheet("Road moves"), road_cols, road,
          {"move": 8, "nation": 8, "units": 26, "from": 16, "to": 16, "start": 26, "end": 26})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


def to_geojson(scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """Airfields, facilities, routes (great circles) and road moves as a FeatureCollection.

    Road moves are included only when both ends are known places (airfields or facilities);
    a GeoJSON feature cannot go without a geometry.
    """
    tz = scenario.operation.tz
    used = airfield_sorties(plan)
    theatre = set(scenario.operation.theatre_airfields)
    bases = {f.base for f in scenario.fleets}
    deps: dict[str, int] = defaultdict(int)
    arrs: dict[str, int] = defaultdict(int)
    for s in plan.sorties:
        deps[s.origin] += 1
        arrs[s.destination] += 1
    features: list[dict[str, Any]] = []
    for a in scenario.airfields:
        role = "theatre" if a.id in theatre else "base" if a.id in bases else "home"
        features.append({"type": "Feature", "id": f"airfield:{a.id}",
                         "geometry": _point(a.lon, a.lat), "properties": {
                             "kind": "airfield", "id": a.id, "name": a.name, "role": role,
                             "lift_sorties": used.get(a.id, 0), "departures": deps[a.id],
                             "arrivals": arrs[a.id],
                             "departure_cap_per_day": a.departure_cap_per_day,
                             "cap_groups": [g.id for g in scenario.cap_groups_of(a.id)],
                             "time_zone": str(scenario.tz(a.id).key)}})
    handover = {h.id: h.handover for h in plan.facilities}
    for f in scenario.facilities:
        t = handover.get(f.id, f.handover)
        features.append({"type": "Feature", "id": f"facility:{f.id}",
                         "geometry": _point(f.lon, f.lat), "properties": {
                             "kind": "facility", "id": f.id, "name": f.name,
                             "facility_kind": f.kind, "guard_required": f.guard_required,
                             "handover": t.astimezone(tz).isoformat(),
                             "handover_day": local_day(t, tz).isoformat(),
                             "guards": {g.unit: g.personnel for g in f.guards}}})
    legs: dict[tuple[str, str], list[Sortie]] = defaultdict(list)
    for s in plan.lifts:
        legs[(s.origin, s.destination)].append(s)
    for (o, d), ss in sorted(legs.items()):
        if o not in scenario.airfield or d not in scenario.airfield:
            log.warning("route %s -> %s left out of the GeoJSON: unknown airfield", o, d)
            continue
        a, b = scenario.airfield[o], scenario.airfield[d]
        lon, lat = great_circle(a.lon, a.lat, b.lon, b.lat, n=48)
        by_nation: dict[str, int] = defaultdict(int)
        for s in ss:
            by_nation[primary_nation(scenario, s) or "?"] += 1
        features.append({"type": "Feature", "id": f"route:{o}>{d}",
                         "geometry": {"type": "LineString", "coordinates": [
                             [round(float(x), 5), round(float(y), 5)]
                             for x, y in zip(lon, lat, strict=True)]},
                         "properties": {
                             "kind": "route", "origin": o, "destination": d,
                             "sorties": len(ss), "by_nation": dict(sorted(by_nation.items())),
                             "pax": sum(s.pax for s in ss),
                             "vehicles": sum(sum(s.vehicles.values()) for s in ss),
                             "cargo_kg": sum(s.cargo_kg for s in ss),
                             "first_departure": min(s.departure for s in ss)
                             .astimezone(tz).isoformat(),
                             "last_departure": max(s.departure for s in ss)
                             .astimezone(tz).isoformat()}})
    places = {k: (lon, lat) for k, (lat, lon) in scenario.positions.items()}
    for r in plan.road_moves:
        if r.from_ not in places or r.to not in places:
            log.info("road move %s left out of the GeoJSON: %s or %s has no position",
                     r.id, r.from_, r.to)
            continue
        features.append({"type": "Feature", "id": f"road:{r.id}",
                         "geometry": {"type": "LineString", "coordinates": [
                             [round(places[r.from_][0], 5), round(places[r.from_][1], 5)],
                             [round(places[r.to][0], 5), round(places[r.to][1], 5)]]},
                         "properties": {"kind": "road_move", "id": r.id, "nation": r.nation,
                                        "units": list(r.units), "from": r.from_, "to": r.to,
                                        "start": r.start.astimezone(tz).isoformat(),
                                        "end": r.end.astimezone(tz).isoformat()}})
    return {"type": "FeatureCollection",
            "properties": {"scenario": scenario.scenario, "phase": plan.phase,
                           "status": plan.status, "time_zone": scenario.operation.time_zone},
            "features": features}


def export(scenario: Scenario, plan: Plan, fmt: ExportFormat, path: Path) -> Path:
    """Write the plan in ``fmt`` to ``path`` atomically; returns the path."""
    path = Path(path)
    if fmt == "csv":
        data = to_csv(scenario, plan).encode("utf-8")
    elif fmt == "xlsx":
        data = to_xlsx(scenario, plan)
    elif fmt == "geojson":
        data = (json.dumps(to_geojson(scenario, plan), indent=1, ensure_ascii=False)
                + "\n").encode("utf-8")
    else:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    atomic_write(path, data)
    log.info("exported %s plan to %s", fmt, path)
    return path


__all__ = ["COLUMNS", "FORMATS", "ExportFormat", "export", "sortie_rows", "to_csv",
           "to_geojson", "to_xlsx"]
