"""The base of the quantum package's errors: a machine-readable code and a reason."""

from __future__ import annotations


class QuantumError(Exception):
    """A quantum request or job that failed; `code` is machine-readable, `reason` says why."""

    def __init__(self, code: str, reason: str) -> None:
        # Both in args, so the error pickles across Ray with its code and reason intact.
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"
