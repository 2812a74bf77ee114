"""Quantum circuits measured by defined statistics (Φ, Γ, Λ, W₂), run in batches by a Ray actor pool.

- `quantum.circuits`: Bell, GHZ(n), the lattice circuit, OpenQASM 2 parsing, within `quantum.limits`.
- `quantum.qasm_scan`: what an OpenQASM 2 program includes, declares and expands to, before it is parsed.
- `quantum.building`: circuit builds on threads of their own, within a time budget.
- `quantum.ibm_access`: who may run on IBM Quantum, and their daily quota.
- `quantum.metrics`: the metric definitions of docs/definitions.md.
- `quantum.backends`: ``aer``, ``aer:<fake device>``, ``ibm:<backend>``.
- `quantum.pool`: workers ``aura:quantum:<i>`` and `run_metrics`, the client call.

Nothing here imports FastAPI or Ray Serve; `deployments.quantum` serves it.
"""

from typing import TYPE_CHECKING

from aura import lazy_surface

if TYPE_CHECKING:
    from quantum import ibm_access, metrics
    from quantum.backends import BackendError, validate_name
    from quantum.building import BuilderBusy, CircuitBuilder
    from quantum.circuits import LatticeEdge, bell, build, from_qasm, ghz, lattice, measured
    from quantum.errors import CircuitError, QuantumError
    from quantum.limits import DEFAULT_LIMITS, CircuitLimits
    from quantum.pool import (
        MAX_SHOTS,
        MetricsResult,
        PoolBusy,
        PoolConfig,
        PoolStats,
        QuantumJobFailed,
        check_pool,
        pool_stats,
        run_metrics,
    )
    from quantum.protocol import MetricsRequest, MetricsResponse

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_SHOTS",
    "BackendError",
    "BuilderBusy",
    "CircuitBuilder",
    "CircuitError",
    "CircuitLimits",
    "LatticeEdge",
    "MetricsRequest",
    "MetricsResponse",
    "MetricsResult",
    "PoolBusy",
    "PoolConfig",
    "PoolStats",
    "QuantumError",
    "QuantumJobFailed",
    "bell",
    "build",
    "from_qasm",
    "ghz",
    "ibm_access",
    "lattice",
    "measured",
    "metrics",
    "pool_stats",
    "check_pool",
    "run_metrics",
    "validate_name",
]

__getattr__, __dir__ = lazy_surface(__name__)
