"""Loading a scenario: YAML with line numbers, provenance, schema and cross-references.

Every problem is reported as an :class:`InputError` naming file, line and field. All the
cross-reference problems found are attached to the first one (``InputError.more``), so a user
fixes them in one pass.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from contingent.errors import InputError
from contingent.scenario.disruptions import cross_check_disruptions
from contingent.scenario.model import Scenario
from contingent.scenario.provenance import strip_provenance
from contingent.scenario.yamlio import (
    PathKey,
    format_path,
    line_of,
    paused_gc,
    read_text,
    read_yaml,
)

_COLLECTIONS = (
    "airfields", "aircraft_types", "fleets", "units", "facilities",
    "vehicle_classes", "cap_groups", "road_routes", "places",
)


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped with Contingent, by name."""
    root = resources.files("contingent") / "data" / "scenarios"
    return {
        p.name.removesuffix(".yaml"): Path(str(p))
        for p in root.iterdir()
        if p.name.endswith(".yaml")
    }


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A bundled scenario name or a file path, as a path."""
    text = str(name_or_path)
    bundled = bundled_scenarios()
    if text in bundled:
        return bundled[text]
    path = Path(text)
    if not path.exists():
        known = ", ".join(sorted(bundled)) or "none"
        raise InputError(f"no such file or bundled scenario (bundled: {known})", file=text)
    return path


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario from a bundled name or a YAML file.

    Raises
    ------
    InputError
        For anything wrong with the file, located by file, line and field.
    """
    path = resolve_scenario_path(name_or_path)
    return loads_scenario(read_text(path), file=str(path))


def loads_scenario(text: str, file: str = "<string>") -> Scenario:
    """Load and validate a scenario from YAML text."""
    with paused_gc():
        return _loads_scenario(text, file)


def _loads_scenario(text: str, file: str) -> Scenario:
    data, lines = read_yaml(text, file)
    if not isinstance(data, dict):
        raise InputError("a scenario must be a YAML mapping", file=file, line=1)
    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        raise InputError("'sources' must map ids to descriptions", file=file,
                         line=line_of(lines, ("sources",)), field="sources")
    clean, figures = strip_provenance(data, lines, file, set(map(str, sources)))
    # pydantic's lax mode would take `count: true` as 1; no scenario field is a boolean.
    booleans = list(_booleans(clean, data, lines, file)) if _has_boolean(clean) else []
    if booleans:
        booleans[0].more = booleans[1:]
        raise booleans[0]
    try:
        scenario = Scenario.model_validate({**clean, "figures": (), "file": file})
    except ValidationError as exc:
        raise _from_pydantic(exc, data, lines, file) from None
    errors = list(_cross_check(scenario, data, lines, file))
    if errors:
        first = errors[0]
        first.more = errors[1:]
        raise first
    return scenario.model_copy(update={"figures": tuple(figures)})


def _from_pydantic(
    exc: ValidationError, data: Any, lines: dict[PathKey, int], file: str
) -> InputError:
    errors = []
    raw = exc.errors()
    for err in raw:
        # A sequence whose items failed is also reported as too short (its failed items are
        # dropped before the length check); the item errors say what is really wrong.
        if err["type"] == "too_short" and any(
            len(o["loc"]) > len(err["loc"]) and o["loc"][: len(err["loc"])] == err["loc"]
            for o in raw
        ):
            continue
        loc: PathKey = tuple(k for k in err["loc"] if isinstance(k, str | int))
        # pydantic reports a failed union member or a model-level check by appending type
        # names; keep only the part that exists in the document.
        while loc and not _exists(data, loc):
            loc = loc[:-1]
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        msg = msg.removeprefix("Value error, ")
        # One phrasing across the code: lower case, and say what was written.
        if msg.startswith("Input should") and "got" not in msg and not isinstance(
            err.get("input"), dict | list | tuple
        ):
            msg += f", got {err['input']!r}"
        if msg[:1].isupper() and msg[1:2].islower():
            msg = msg[0].lower() + msg[1:]
        errors.append(
            InputError(msg, file=file, line=line_of(lines, loc), field=format_path(loc, data))
            if err["type"] != "missing"
            else InputError(
                f"required field {err['loc'][-1]!r} is missing",
                file=file,
                line=line_of(lines, loc),
                field=format_path((*loc, err["loc"][-1]), data)
                if loc != tuple(err["loc"])
                else format_path(loc, data),
            )
        )
    first = errors[0]
    first.more = errors[1:]
    return first


def _booleans(node: Any, data: Any, lines: dict[PathKey, int], file: str,
              path: PathKey = ()):
    """Yield an InputError for every boolean value (``disruptions`` is free-form, skipped)."""
    if isinstance(node, bool):
        yield InputError(
            f"{str(node).lower()} is not a valid value here (YAML reads true/false, yes/no "
            "and on/off as booleans; quote it if it is text)",
            file=file, line=line_of(lines, path), field=format_path(path, data),
        )
    elif isinstance(node, dict):
        for k, v in node.items():
            if not (path == () and k == "disruptions"):
                yield from _booleans(v, data, lines, file, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _booleans(v, data, lines, file, (*path, i))


def _has_boolean(data: Any) -> bool:
    """Whether :func:`_booleans` would find anything: a quick scan without paths."""
    stack = [v for k, v in data.items() if k != "disruptions"] if isinstance(data, dict) else [data]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif isinstance(node, bool):
            return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _exists(data: Any, loc: PathKey) -> bool:
    cur = data
    for k in loc:
        in_dict = isinstance(cur, dict) and isinstance(k, str) and k in cur
        in_list = isinstance(cur, list) and isinstance(k, int) and 0 <= k < len(cur)
        if not (in_dict or in_list):
            return False
        cur = cur[k]
    return True


def _cross_check(s: Scenario, data: Any, lines: dict[PathKey, int], file: str):
    """Yield an InputError for every broken cross-reference or impossible figure."""

    def err(path: PathKey, msg: str) -> InputError:
        return InputError(msg, file=file, line=line_of(lines, path), field=format_path(path, data))

    for coll in _COLLECTIONS:
        # Point at the repeat, not the original: the repeat is usually the new line.
        first: dict[str, int] = {}
        for i, item in enumerate(getattr(s, coll)):
            if item.id in first:
                yield err((coll, i, "id"), f"duplicate id {item.id!r} in {coll} (first on line "
                          f"{line_of(lines, (coll, first[item.id]))})")
            else:
                first[item.id] = i
    airfields = s.airfield
    types = s.aircraft_type
    for i, a in enumerate(s.operation.theatre_airfields):
        if a not in airfields:
            yield err(("operation", "theatre_airfields", i), f"unknown airfield {a!r}")
    for gi, g in enumerate(s.cap_groups):
        for i, a in enumerate(g.airfields):
            if a not in airfields:
                yield err(("cap_groups", gi, "airfields", i), f"unknown airfield {a!r}")
    for vi, v in enumerate(s.vehicle_classes):
        for t in v.space_m:
            if t not in types:
                yield err(("vehicle_classes", vi, "space_m", t), f"unknown aircraft type {t!r}")
    for fi, f in enumerate(s.fleets):
        if f.type not in types:
            yield err(("fleets", fi, "type"), f"unknown aircraft type {f.type!r}")
        if f.base not in airfields:
            yield err(("fleets", fi, "base"), f"unknown airfield {f.base!r}")
    places = {r.from_ for r in s.road_routes} | {r.to for r in s.road_routes}
    for pi, pl in enumerate(s.places):
        if pl.id in airfields:
            yield err(("places", pi, "id"), f"{pl.id!r} is an airfield already")
    for ri, r in enumerate(s.road_routes):
        if r.from_ == r.to:
            yield err(("road_routes", ri, "to"), "a road route must join two different places")
    # Whether a unit fits some aircraft depends only on its nation, whether it has personnel
    # and which vehicle classes it brings.
    fitting: dict[tuple[str, bool, frozenset[str]], bool] = {}

    def fits(u: Any) -> bool:
        key = (u.nation, bool(u.personnel), frozenset(u.vehicles))
        ok = fitting.get(key)
        if ok is None:
            ok = fitting[key] = _fits_some_aircraft(s, u)
        return ok

    guard_total: Counter[str] = Counter()
    for fi, fac in enumerate(s.facilities):
        for gi, guard in enumerate(fac.guards):
            if guard.unit not in s.unit:
                yield err(("facilities", fi, "guards", gi, "unit"),
                          f"unknown unit {guard.unit!r}")
            guard_total[guard.unit] += guard.personnel
        offered = sum(guard.personnel for guard in fac.guards)
        if offered < fac.guard_required:
            yield err(
                ("facilities", fi, "guard_required"),
                f"facility cannot be guarded: requires {fac.guard_required} personnel, "
                f"its guards give {offered}",
            )
    for ui, u in enumerate(s.units):
        for c in u.vehicles:
            if c not in s.vehicle_class:
                yield err(("units", ui, "vehicles", c), f"unknown vehicle class {c!r}")
        if guard_total[u.id] > u.personnel:
            yield err(
                ("units", ui, "personnel"),
                f"unit has {u.personnel} personnel but {guard_total[u.id]} are on guard duty",
            )
        if u.facilities and set(u.facilities) != set(s.unit_facilities.get(u.id, ())):
            yield err(
                ("units", ui, "facilities"),
                f"lists facilities {sorted(u.facilities)} but the facilities' guard lists "
                f"give {sorted(s.unit_facilities.get(u.id, ()))}",
            )
        if u.mode == "road":
            for key, place in (("theatre", u.theatre), ("home", u.home)):
                if place not in places and place not in airfields:
                    yield err(("units", ui, key), f"unknown place {place!r}")
            if (u.theatre, u.home) not in s.route and (u.home, u.theatre) not in s.route:
                yield err(("units", ui, "home"),
                          f"no road route between {u.theatre!r} and {u.home!r}")
            continue
        bad = False
        for key, place in (("theatre", u.theatre), ("home", u.home)):
            if place not in airfields:
                yield err(("units", ui, key), f"unknown airfield {place!r}")
                bad = True
        if not bad and u.theatre not in s.operation.theatre_airfields:
            yield err(("units", ui, "theatre"),
                      f"{u.theatre!r} is not one of the operation's theatre airfields")
        if not bad and not fits(u):
            yield err(("units", ui, "id"),
                      f"unit fits no aircraft: no fleet that carries {u.nation} can take its "
                      "personnel and every vehicle class")
    yield from cross_check_disruptions(s, data, lines, file)
    force = s.operation.force
    if force is not None:
        pers = sum(u.personnel for u in s.units)
        vehs = sum(sum(u.vehicles.values()) for u in s.units)
        if force.personnel is not None and pers != force.personnel:
            yield err(("operation", "force", "personnel"),
                      f"units add up to {pers} personnel, the force total says {force.personnel}")
        if force.vehicles is not None and vehs != force.vehicles:
            yield err(("operation", "force", "vehicles"),
                      f"units add up to {vehs} vehicles, the force total says {force.vehicles}")
    unit_nations = set(s.nations)
    for ri, rule in enumerate(s.rules):
        for key in ("nations", "first", "then"):
            for ni, n in enumerate(getattr(rule, key)):
                if n not in unit_nations:
                    yield err(("rules", ri, key, ni), f"no unit of nation {n!r}")
        if rule.phase is not None and rule.phase not in s.operation.phases:
            yield err(("rules", ri, "phase"), f"the operation has no {rule.phase} phase")
        if rule.kind == "road":
            for u in s.units:
                if u.nation in rule.nations and u.mode != "road":
                    ui = s.units.index(u)
                    yield err(("units", ui, "mode"),
                              f"rule {ri} says {u.nation} moves by road but the unit's mode is air")


def _fits_some_aircraft(s: Scenario, u: Any) -> bool:
    for f in s.fleets:
        if u.nation not in f.carries or f.type not in s.aircraft_type:
            continue
        t = s.aircraft_type[f.type]
        if u.personnel and not t.seats:
            continue
        if u.personnel and s.operation.personnel_mass_kg > t.payload_kg:
            continue
        ok = True
        for c in u.vehicles:
            vc = s.vehicle_class.get(c)
            if vc is None:
                continue
            space = vc.space_m.get(t.id)
            if space is None or space > t.vehicle_space_m or vc.mass_kg > t.payload_kg:
                ok = False
                break
        if ok:
            return True
    return False
