"""Quantum route: `POST /v1/quantum/metrics` runs a circuit through the pool and returns Φ, Γ, Λ, W₂."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from aura.settings import get_settings
from deployments.errors import ApiError, ErrorBody
from quantum.backends import BackendError
from quantum.circuits import CircuitError, LatticeEdge, build
from quantum.limits import CircuitLimits
from quantum.pool import MAX_SHOTS, PoolBusy, PoolConfig, QuantumJobFailed, run_metrics

router = APIRouter(prefix="/v1/quantum", tags=["quantum"])


class LatticeEdgeIn(BaseModel):
    """An edge of the lattice between two cells (by qubit index) and its interaction count."""

    source: int = Field(ge=0)
    target: int = Field(ge=0)
    interactions: int = Field(ge=0)


class LatticeIn(BaseModel):
    """The lattice state the lattice circuit encodes: one score per cell, and its edges."""

    scores: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1)
    edges: list[LatticeEdgeIn] = Field(default_factory=list)


class MetricsRequest(BaseModel):
    """A circuit to run and measure: a named circuit or OpenQASM 2 text."""

    circuit: str = Field(
        min_length=1, description='"bell", "ghz", "lattice", or an OpenQASM 2 program (measurements optional).'
    )
    qubits: int | None = Field(default=None, ge=1, description="GHZ size (default 3); must match for other circuits.")
    shots: int = Field(ge=1, le=MAX_SHOTS)
    backend: str = Field(
        default="aer", description='"aer", "aer:<fake device>" (e.g. "aer:fake_fez"), "ibm:<backend>" or "ibm:least_busy".'
    )
    fallback: str | None = Field(
        default=None, description='Run here instead if the backend fails, e.g. "aer:fake_fez"; flagged in backend_used.'
    )
    lattice: LatticeIn | None = Field(default=None, description='The lattice state, for circuit "lattice".')


class MetricsResponse(BaseModel):
    """The defined statistics of one circuit run (DESIGN.md, "Quantum metrics"), and where it ran."""

    model_config = ConfigDict(populate_by_name=True)

    phi: float = Field(description="Φ: smallest mutual information over bipartitions of the measured distribution, bits, capped at 1.")
    gamma: float = Field(description="Γ: total-variation distance between measured and ideal distributions, in [0, 1].")
    lambda_: float = Field(
        alias="lambda", description="Λ: 2.176435e-8 s⁻¹ × normalised l1-coherence of the ideal final state."
    )
    w2: float = Field(description="W₂: W2 between measured and ideal Hamming-weight distributions, divided by n.")
    counts: dict[str, int] = Field(description="Outcome counts; qubit 0 is the rightmost bit.")
    backend_used: str
    job_id: str
    execution_ms: float = Field(description="Duration of the backend job that carried this circuit (shared by its batch).")
    fallback_reason: str | None = None


def max_qubits() -> int:
    """The largest circuit whose ideal reference is computed (`AURA_QUANTUM_MAX_QUBITS`, default 20)."""
    return get_settings().quantum_max_qubits


@router.post(
    "/metrics",
    response_model=MetricsResponse,
    response_model_by_alias=True,
    responses={422: {"model": ErrorBody}, 502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def quantum_metrics(request: MetricsRequest) -> MetricsResponse:
    """Run the circuit through the batching pool and return Φ, Γ, Λ, W₂ with the counts."""
    limit = max_qubits()
    try:
        circuit = build(
            request.circuit,
            qubits=request.qubits,
            scores=None if request.lattice is None else request.lattice.scores,
            edges=[] if request.lattice is None else [
                LatticeEdge(edge.source, edge.target, edge.interactions) for edge in request.lattice.edges
            ],
            limits=CircuitLimits(max_qubits=limit),
        )
        result = await run_metrics(circuit, request.shots, request.backend, request.fallback,
                                   PoolConfig(max_qubits=limit))
    except (CircuitError, BackendError) as error:
        # Raised before anything runs: the request itself names something impossible.
        raise ApiError(422, error.code, error.reason) from error
    except PoolBusy as error:
        raise ApiError(503, "quantum_pool_busy", str(error), headers={"Retry-After": "1"}) from error
    except QuantumJobFailed as error:
        raise ApiError(502, error.code, error.reason) from error
    return MetricsResponse(
        phi=result.phi, gamma=result.gamma, lambda_=result.lam, w2=result.w2, counts=result.counts,
        backend_used=result.backend_used, job_id=result.job_id, execution_ms=result.execution_ms,
        fallback_reason=result.fallback_reason,
    )
