"""``python -m contingent``: the same as the ``contingent`` command."""

from contingent.cli import app

app(prog_name="contingent")
