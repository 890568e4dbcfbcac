"""Clock times (``HH:MM``), shared by the scenario model and the disruption model."""

from __future__ import annotations

import re

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(value: object) -> int:
    """Parse ``HH:MM`` into minutes after midnight (``24:00`` allowed as end of day)."""
    m = _CLOCK.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not a clock time HH:MM")
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 24 or mi > 59 or (h == 24 and mi):
        raise ValueError(f"{value!r} is not a clock time HH:MM")
    return h * 60 + mi
