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

from fastapi import APIRouter, Depends, Request
from qiskit import QuantumCircuit

from aura import Principal
from aura.settings import Settings, get_settings
from deployments.errors import ErrorBody
from deployments.limits import limited_user
from deployments.replica import database, replica
from quantum import (
    CircuitBuilder,
    CircuitError,
    CircuitLimits,
    LatticeEdge,
    MetricsRequest,
    MetricsResponse,
    PoolConfig,
    build,
    ibm_access,
    run_metrics,
    validate_name,
)

router = APIRouter(prefix="/v1/quantum", tags=["quantum"])
#: Bearer callers, each run spending a token of its user's bucket and of its quantum bucket.
quantum_user = limited_user("quantum")


_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
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
        max_bytes=settings.quantum.max_circuit_bytes,
        max_qubits=settings.quantum.max_qubits,
        max_gate_definitions=settings.quantum.max_gate_definitions,
        max_gates=settings.quantum.max_gates,
        max_depth=settings.quantum.max_depth,
        max_lattice_edges=settings.quantum.max_lattice_edges,
    )


def _builder(threads: int) -> Callable[[], Awaitable[CircuitBuilder]]:
    async def build() -> CircuitBuilder:
        return CircuitBuilder(threads)

    return build


@router.post("/metrics", response_model=MetricsResponse, response_model_by_alias=True, responses=_RESPONSES)
async def quantum_metrics(
    request: MetricsRequest, http: Request, user: Principal = Depends(quantum_user)
) -> MetricsResponse:
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
    result = await run_metrics(
        circuit, request.shots, request.backend, request.fallback, PoolConfig(max_qubits=bounds.max_qubits)
    )
    # `lambda` is a keyword in Python: the model's field is `lambda_`, given here by its API name.
    return MetricsResponse.model_validate(
        {
            "phi": result.phi,
            "gamma": result.gamma,
            "lambda": result.lam,
            "w2": result.w2,
            "counts": result.counts,
            "backend_used": result.backend_used,
            "job_id": result.job_id,
            "execution_ms": result.execution_ms,
            "fallback_reason": result.fallback_reason,
        }
    )


def _circuit(request: MetricsRequest, bounds: CircuitLimits) -> QuantumCircuit:
    """The request's circuit, built within `bounds` (on a builder thread: even its edge list may be long)."""
    lattice = request.lattice
    edges = [] if lattice is None else [LatticeEdge(e.source, e.target, e.interactions) for e in lattice.edges]
    return build(
        request.circuit,
        qubits=request.qubits,
        scores=None if lattice is None else lattice.scores,
        edges=edges,
        limits=bounds,
    )
