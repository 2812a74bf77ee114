"""The base of the quantum package's errors: a machine-readable code and a reason."""

from __future__ import annotations

import re
from typing import Final

EXCERPT_CHARS: Final[int] = 40
"""Most characters of a caller's input an error reason may quote."""

_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class QuantumError(Exception):
    """A quantum request or job that failed; `code` is machine-readable, `reason` says why."""

    def __init__(self, code: str, reason: str) -> None:
        # Both in args, so the error pickles across Ray with its code and reason intact.
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` made fit to quote in a reason: printable ASCII only (others become '?'), at most `limit` chars."""
    cleaned = _UNPRINTABLE.sub("?", text[: limit + 1])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


class CircuitError(QuantumError, ValueError):
    """A circuit request that cannot be built or measured; `code` is machine-readable."""
