"""Pieces the command-line modules share (kept apart so that they import no CLI module)."""

from __future__ import annotations

from enum import StrEnum


class PhaseName(StrEnum):
    """Phase choices on the command line."""

    deployment = "deployment"
    withdrawal = "withdrawal"
