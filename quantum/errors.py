"""The quantum package's errors: under `aura.errors.AuraError`, each with a machine-readable code."""

from __future__ import annotations

from aura import AuraError


class QuantumError(AuraError):
    """A quantum request or job that failed; `code` is machine-readable, `detail` says why."""

    default_code = "quantum_error"


class CircuitError(QuantumError, ValueError):
    """A circuit request that cannot be built or measured; `code` is machine-readable."""
