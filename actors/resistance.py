"""Γ-resistance: how reliably an actor's operations succeed, weighted toward recent ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class GammaResistance:
    """1 − the exponentially weighted rate of failed operations, in [0, 1].

    Each operation moves the failure rate toward 1 (failed) or 0 (succeeded)
    by `alpha`; an actor with no operations yet has resistance 1.
    """

    alpha: float = 0.1
    failure_rate: float = 0.0
    operations: int = 0
    failures: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1]")

    def record(self, failed: bool) -> float:
        """Count one operation and return the resistance after it."""
        self.failure_rate += self.alpha * ((1.0 if failed else 0.0) - self.failure_rate)
        self.operations += 1
        self.failures += int(failed)
        return self.value

    @property
    def value(self) -> float:
        """The current Γ-resistance."""
        return 1.0 - self.failure_rate

    def state(self) -> dict:
        """A JSON-ready snapshot."""
        return {
            "alpha": self.alpha,
            "failure_rate": self.failure_rate,
            "operations": self.operations,
            "failures": self.failures,
        }
