"""One error type for bad input, with one phrasing style across the code.

Every message reads ``FILE:LINE: FIELD: what is wrong``, so a user can jump to the spot.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input that the user must fix: a scenario, a plan file or an events file.

    Parameters
    ----------
    message
        What is wrong, in one line, lower case, no trailing full stop.
    file
        The file the input came from (``<string>`` when it came from memory).
    line
        1-based line in that file, or ``None`` when unknown.
    field
        Dotted path of the offending field, e.g. ``units[RUS-1].personnel``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file or "<string>"
        self.line = line
        self.field = field or "(document)"
        self.more: list[InputError] = []
        super().__init__(str(self))

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{loc}: {self.field}: {self.message}"

    def all(self) -> list[InputError]:
        """This error and every further one found in the same pass."""
        return [self, *self.more]
