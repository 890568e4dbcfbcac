"""``contingent generate``: write a random valid scenario of a chosen size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command to the command-line app."""

    @app.command("generate")
    def generate_command(
        units: Annotated[int, typer.Option("--units", min=1, help="Units to move.")],
        airfields: Annotated[
            int, typer.Option("--airfields", min=2, help="Airfields, theatre and home.")
        ],
        aircraft: Annotated[int, typer.Option("--aircraft", min=1, help="Aircraft, all fleets.")],
        days: Annotated[int, typer.Option("--days", min=1, help="Days in each phase window.")],
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
        out: Annotated[
            Path | None, typer.Option("--out", help="Scenario file to write (default: stdout).")
        ] = None,
    ) -> None:
        """Generate a valid scenario; the same options give the same file, byte for byte.

        The demand is sized to the fleet and the days, every figure is marked
        ``assumed: generated``, and the file is validated before it is written.
        """
        from contingent.cli import scenario_summary
        from contingent.generate import generate
        from contingent.scenario import loads_scenario

        text = generate(units, airfields, aircraft, days, seed)
        # A generated scenario that does not load is a generator bug: let it show.
        s = loads_scenario(text, str(out) if out else "<generated>")
        if out is None:
            typer.echo(text, nl=False)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}: {scenario_summary(s)}")
