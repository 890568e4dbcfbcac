"""Turn backend numbers into a plain :class:`~contingent.planfile.Plan`."""

from __future__ import annotations

from contingent.plan.cpsat import Solution
from contingent.plan.problem import Problem
from contingent.planfile import Handover, Load, RoadMove, Sortie


def build_plan(p: Problem, sol: Solution) -> tuple[list[Sortie], list[RoadMove], list[Handover]]:
    """Sorties (ids in departure order), road moves and handovers of a solution."""
    s = p.scenario
    nation = {u.id: u.nation for u in s.units}
    raw = []
    for tail, legs in sol.legs.items():
        f = s.tail_fleet[tail]
        for leg in legs:
            loads = tuple(
                Load(unit=uid, pax=pax, vehicles=dict(sorted(veh.items())), cargo_kg=cargo)
                for uid, pax, veh, cargo in leg.loads
            )
            raw.append((leg.dep, tail, leg, f, loads))
    raw.sort(key=lambda r: (r[0], r[1]))
    width = max(3, len(str(len(raw))))
    sorties = [
        Sortie(
            id=f"S{i:0{width}d}", kind=leg.kind,  # type: ignore[arg-type]
            aircraft_type=f.type, tail=tail, operator=f.operator,
            origin=leg.origin, destination=leg.destination,
            departure=p.time(leg.dep), arrival=p.time(leg.arr), loads=loads,
            nations=tuple(sorted({nation[ld.unit] for ld in loads})),
        )
        for i, (_, tail, leg, f, loads) in enumerate(raw, start=1)
    ]
    roads = [
        RoadMove(id=f"R{i}", nation=r.nation, units=(r.unit,), from_=r.route_from, to=r.route_to,
                 start=r.start.astimezone(s.operation.tz), end=r.end.astimezone(s.operation.tz))
        for i, r in enumerate(p.roads, start=1)
    ]
    handovers = []
    if p.phase == "withdrawal":
        # A unit is released by the last of its facilities to be handed over (all of them,
        # if several are handed over at that moment).
        released: dict[str, list[str]] = {}
        for u, facs in s.unit_facilities.items():
            if not facs:
                continue
            last = max(s.facility[x].handover for x in facs)
            for x in facs:
                if s.facility[x].handover == last:
                    released.setdefault(x, []).append(u)
        for fac in sorted(s.facilities, key=lambda f: (f.handover, f.id)):
            handovers.append(Handover(fac.id, fac.handover.astimezone(s.operation.tz),
                                      tuple(released.get(fac.id, ()))))
    return sorties, roads, handovers
