"""What the web console draws for a plan, as JSON-ready data: map, sortie timeline, daily
departures against caps and the facility board. Derivations come from
:mod:`contingent.report.derive`, so the console and the HTML report agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contingent.planfile import Plan
from contingent.report.derive import (
    cap_scopes,
    coverage,
    daily_departures,
    nation_pax,
    primary_nation,
    routes,
)
from contingent.scenario.model import Scenario


def _t(x: datetime | None, tz: Any) -> str | None:
    return None if x is None else x.astimezone(tz).isoformat()


def plan_views(scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """Everything the plan view of the console shows."""
    tz = scenario.operation.tz
    used = {s.origin for s in plan.sorties} | {s.destination for s in plan.sorties}
    airfields = [
        {"id": a.id, "name": a.name, "lat": a.lat, "lon": a.lon,
         "theatre": a.id in scenario.operation.theatre_airfields,
         "cap": a.departure_cap_per_day, "max_on_ground": a.max_on_ground, "used": a.id in used}
        for a in scenario.airfields
    ]
    lanes = [
        {"origin": o, "destination": d, "lifts": sum(c.values()), "nations": dict(c)}
        for (o, d), c in sorted(routes(scenario, plan).items())
        if o in scenario.airfield and d in scenario.airfield
    ]
    sorties = [
        {"id": s.id, "kind": s.kind, "tail": s.tail, "type": s.aircraft_type,
         "origin": s.origin, "destination": s.destination,
         "departure": _t(s.departure, tz), "arrival": _t(s.arrival, tz),
         "nation": primary_nation(scenario, s), "nations": nation_pax(scenario, s),
         "pax": s.pax, "vehicles": s.vehicles, "cargo_kg": s.cargo_kg,
         "units": [ld.unit for ld in s.loads]}
        for s in sorted(plan.sorties, key=lambda s: (s.tail, s.departure))
    ]
    departures = []
    for scope in cap_scopes(scenario, plan):
        d = daily_departures(scenario, plan, scope)
        departures.append({
            "scope": scope.id, "airfields": list(scope.airfields), "cap": scope.cap,
            "days": [{"day": day.isoformat(), "departures": n,
                      "over": scope.cap is not None and n > scope.cap}
                     for day, n in zip(d.days, d.totals, strict=True)],
        })
    handed = {h.id: h.handover for h in plan.facilities}
    board = []
    for c in coverage(scenario, plan):
        f = scenario.facility[c.id]
        board.append({
            "id": c.id, "name": c.name, "kind": f.kind, "lat": f.lat, "lon": f.lon,
            "required": c.required, "handover": _t(c.handover, tz),
            "scenario_handover": _t(f.handover, tz),
            "handover_moved": c.id in handed and handed[c.id] != f.handover,
            "min_guard": c.min_guards, "guards": [{"unit": g.unit, "personnel": g.personnel}
                                                  for g in f.guards],
            "steps": [{"from": _t(t, tz), "guard": n} for t, n in zip(c.times, c.guards,
                                                                      strict=False)],
            "gaps": [{"from": _t(a, tz), "to": _t(b, tz), "guard": n} for a, b, n in c.gaps],
            "state": "gap" if c.gaps else "covered",
        })
    roads = [{"id": r.id, "nation": r.nation, "units": list(r.units), "from": r.from_,
              "to": r.to, "start": _t(r.start, tz), "end": _t(r.end, tz)}
             for r in plan.road_moves]
    units = [{"id": u.id, "nation": u.nation, "name": u.name, "mode": u.mode,
              "personnel": u.personnel} for u in scenario.units]
    return {
        "scenario": scenario.scenario, "title": scenario.title,
        "time_zone": scenario.operation.time_zone, "phase": plan.phase, "status": plan.status,
        "completion": _t(plan.completion, tz),
        "nations": {n: _t(t, tz) for n, t in sorted(plan.nations.items())},
        "airfields": airfields, "routes": lanes, "sorties": sorties, "road_moves": roads,
        "departures": departures, "facilities": board,
        "tails": sorted({s.tail for s in plan.sorties}), "units": units,
        "all_tails": sorted(scenario.tail_fleet),
    }


__all__ = ["plan_views"]
