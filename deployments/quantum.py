"""Quantum route: `POST /v1/quantum/metrics` runs a caller's circuit through the pool and returns Φ, Γ, Λ, W₂.

Everything about a request is bounded before it costs anything: the caller
is authenticated, the circuit's size is checked against the settings before
it is built, it is built on a builder thread within a time budget, and a
run that may reach IBM Quantum needs a listed user with quota left. Domain
errors carry a code; this module alone turns codes into HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from qiskit import QuantumCircuit

from aura.auth import Principal
from aura.settings import Settings, get_settings
from deployments.replica import database, replica
from deployments.errors import ErrorBody
from deployments.limits import limited_user
from quantum import ibm_access
from quantum.backends import validate_name
from quantum.building import CircuitBuilder
from quantum.circuits import LatticeEdge, build
from quantum.errors import CircuitError
from quantum.limits import CircuitLimits
from quantum.pool import MAX_SHOTS, PoolConfig, run_metrics

router = APIRouter(prefix="/v1/quantum", tags=["quantum"])
#: Bearer callers, each run spending a token of its user's bucket and of its quantum bucket.
quantum_user = limited_user("quantum")

_NAME_CHARS = 64  # backend names are short; a longer one is refused before anything looks at it


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
        min_length=1, description='"bell", "ghz", "lattice", or an OpenQASM 2 program (measurements optional; '
        'the only include allowed is "qelib1.inc").'
    )
    qubits: int | None = Field(default=None, ge=1, description="GHZ size (default 3); must match for other circuits.")
    shots: int = Field(ge=1, le=MAX_SHOTS)
    backend: str = Field(
        default="aer", max_length=_NAME_CHARS,
        description='"aer", "aer:<fake device>" (e.g. "aer:fake_fez"), "ibm:<backend>" or "ibm:least_busy" '
        "(ibm: for listed users only, within their daily quota).",
    )
    fallback: str | None = Field(
        default=None, max_length=_NAME_CHARS,
        description='Run here instead if the backend fails, e.g. "aer:fake_fez"; flagged in backend_used.',
    )
    lattice: LatticeIn | None = Field(default=None, description='The lattice state, for circuit "lattice".')


class MetricsResponse(BaseModel):
    """The defined statistics of one circuit run (DESIGN.md, "Quantum metrics"), and where it ran."""

    model_config = ConfigDict(populate_by_name=True)

    phi: float = Field(
        description="Φ: smallest mutual information over bipartitions of the measured distribution, bits, capped at 1."
    )
    gamma: float = Field(
        description="Γ: total-variation distance between measured and ideal distributions, in [0, 1]."
    )
    lambda_: float = Field(
        alias="lambda", description="Λ: 2.176435e-8 s⁻¹ × normalised l1-coherence of the ideal final state."
    )
    w2: float = Field(description="W₂: W2 between measured and ideal Hamming-weight distributions, divided by n.")
    counts: dict[str, int] = Field(description="Outcome counts; qubit 0 is the rightmost bit.")
    backend_used: str
    job_id: str
    execution_ms: float = Field(
        description="Duration of the backend job that carried this circuit (shared by its batch)."
    )
    fallback_reason: str | None = None


_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description} for status, description in {
        401: "No bearer token (`unauthenticated`) or an invalid one (`invalid_token`).",
        403: "`ibm_not_allowed`: an `ibm:` backend or fallback for a user not in `AURA_QUANTUM_IBM_USERS`.",
        413: "`circuit_text_too_large`: circuit text over `AURA_QUANTUM_MAX_CIRCUIT_BYTES`.",
        422: "A circuit that cannot run or is over a limit: `invalid_request`, `invalid_qasm`, `include_not_allowed`, "
             "`not_unitary`, `opaque_gate`, `too_many_qubits`, `too_many_clbits`, `too_many_gate_definitions`, "
             "`too_many_gates`, `too_deep`, `too_many_edges`, `too_many_shots`, `circuit_build_timeout`, "
             "`unknown_backend`, ….",
        429: "`ibm_quota_exhausted`: the user's IBM circuits for the UTC day are spent; `Retry-After` says when "
             "the quota renews.",
        502: "The backend job failed (`job_failed`, `aer_failed`, `ibm_job_failed`, `ibm_unavailable`, …); what "
             "failed is logged, not returned.",
        503: "`quantum_pool_busy`, `circuit_builder_busy` or `quantum_worker_unavailable`, with `Retry-After`.",
    }.items()
}


def limits(settings: Settings) -> CircuitLimits:
    """The circuit limits the settings set (`AURA_QUANTUM_MAX_*`)."""
    return CircuitLimits(
        max_bytes=settings.quantum.max_circuit_bytes, max_qubits=settings.quantum.max_qubits,
        max_gate_definitions=settings.quantum.max_gate_definitions, max_gates=settings.quantum.max_gates,
        max_depth=settings.quantum.max_depth, max_lattice_edges=settings.quantum.max_lattice_edges,
    )


def _builder(threads: int) -> Callable[[], Awaitable[CircuitBuilder]]:
    async def build() -> CircuitBuilder:
        return CircuitBuilder(threads)

    return build


@router.post("/metrics", response_model=MetricsResponse, response_model_by_alias=True, responses=_RESPONSES)
async def quantum_metrics(request: MetricsRequest, http: Request,
                          user: Principal = Depends(quantum_user)) -> MetricsResponse:
    """Run the circuit through the batching pool and return Φ, Γ, Λ, W₂ with the counts."""
    settings = get_settings()
    bounds = limits(settings)
    validate_name(request.backend)
    if request.fallback is not None:
        validate_name(request.fallback)
    ibm = ibm_access.reaches_ibm(request.backend, request.fallback)
    if ibm:
        ibm_access.check_allowed(user.user_id, settings.quantum.ibm_users)
    if request.shots > settings.quantum.max_shots:
        raise CircuitError("too_many_shots", f"{request.shots} shots exceed the limit of {settings.quantum.max_shots}")
    # The replica's circuit builder: `AURA_QUANTUM_BUILD_THREADS` threads of its own.
    threads = settings.quantum.build_threads
    builder = await replica(http).get(f"circuit_builder:{threads}", _builder(threads))
    circuit = await builder.build(partial(_circuit, request, bounds), settings.quantum.build_timeout_s)
    if ibm:
        # Spent only for a circuit that built: a refused one never reaches IBM.
        await ibm_access.spend(await database(), user.user_id, settings.quantum.ibm_daily_circuits)
    result = await run_metrics(circuit, request.shots, request.backend, request.fallback,
                               PoolConfig(max_qubits=bounds.max_qubits))
    return MetricsResponse(
        phi=result.phi, gamma=result.gamma, lambda_=result.lam, w2=result.w2, counts=result.counts,
        backend_used=result.backend_used, job_id=result.job_id, execution_ms=result.execution_ms,
        fallback_reason=result.fallback_reason,
    )


def _circuit(request: MetricsRequest, bounds: CircuitLimits) -> QuantumCircuit:
    """The request's circuit, built within `bounds` (on a builder thread: even its edge list may be long)."""
    lattice = request.lattice
    edges = [] if lattice is None else [LatticeEdge(e.source, e.target, e.interactions) for e in lattice.edges]
    return build(request.circuit, qubits=request.qubits, scores=None if lattice is None else lattice.scores,
                 edges=edges, limits=bounds)
