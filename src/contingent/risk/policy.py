"""Dispatch policies: how the rest of a plan adapts when a disruption hits.

Both engines execute the same policy. A policy decides two things and nothing else:

* the **priority** in which sorties and road moves claim shared resources (departure slots
  under the daily caps, parking stands), and
* each one's **own earliest time** (``not_before``): may it leave before its planned time?

Everything else is fixed by the rules (``docs/rules.md``) and no policy can relax it: a sortie
departs at the earliest minute, not before its own earliest time, at which its aircraft has
landed and turned around and is serviceable, its units are released (facilities handed over),
the origin is open and the destination will be open on arrival (hours, closures, weather),
the origin's daily caps have a slot left, the parking stand it will use has been vacated, and
the order rules hold (``before``; a ``fly_within`` window's start). Items are re-timed one by one
in dispatch order: the topological order of the plan's own precedences (tail chains, stands,
``before`` rules) with ties broken by the policy's priority; a slot taken by an item ahead is
never given to an item behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class DispatchPolicy(Protocol):
    """What a dispatch policy provides (see the module docs)."""

    @property
    def name(self) -> str:
        """Short name, e.g. ``plan-order``."""
        ...

    def priority(self, planned: np.ndarray, ids: Sequence[str]) -> list[Any]:
        """A sort key per item (sorties first, then road moves): smaller goes first."""
        ...

    def not_before(self, planned: np.ndarray, low: np.ndarray) -> np.ndarray:
        """Each item's own earliest time (minutes), given its planned time and rule bound."""
        ...


@dataclass(frozen=True, slots=True)
class PlanOrder:
    """The default policy: keep the plan's order, never leave early, shift right.

    Items claim slots in the order of their planned times (ties by id); no sortie or convoy
    leaves before its planned time; a disrupted one takes the next free slot that keeps every
    rule, and whatever depends on it follows.
    """

    name: str = "plan-order"

    def priority(self, planned: np.ndarray, ids: Sequence[str]) -> list[Any]:
        """Planned time, then id."""
        return [(int(t), i) for t, i in zip(planned, ids, strict=True)]

    def not_before(self, planned: np.ndarray, low: np.ndarray) -> np.ndarray:
        """The planned time."""
        return np.maximum(planned, low)


@dataclass(frozen=True, slots=True)
class Asap:
    """Keep the plan's order but let items leave as early as the rules allow.

    Useful to see how much the plan's own timing (not the rules) holds a phase back; a plan
    from the planner is already as early as it can be, so this matters for hand-made plans.
    """

    name: str = "asap"

    def priority(self, planned: np.ndarray, ids: Sequence[str]) -> list[Any]:
        """Planned time, then id."""
        return [(int(t), i) for t, i in zip(planned, ids, strict=True)]

    def not_before(self, planned: np.ndarray, low: np.ndarray) -> np.ndarray:
        """Only the phase start and ``fly_within`` starts."""
        return np.asarray(low).copy()


POLICIES: dict[str, type] = {"plan-order": PlanOrder, "asap": Asap}


def get_policy(name: str | DispatchPolicy | None) -> DispatchPolicy:
    """A policy by name (``plan-order``, ``asap``), or the object itself."""
    if name is None:
        return PlanOrder()
    if isinstance(name, str):
        try:
            return POLICIES[name]()  # type: ignore[no-any-return]
        except KeyError:
            raise ValueError(f"unknown dispatch policy {name!r} "
                             f"(known: {', '.join(POLICIES)})") from None
    return name
