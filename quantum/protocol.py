"""The quantum API's request and response models: what `POST /v1/quantum/metrics` takes and gives."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from quantum.pool import MAX_SHOTS

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
        min_length=1,
        description='"bell", "ghz", "lattice", or an OpenQASM 2 program (measurements optional; '
        'the only include allowed is "qelib1.inc").',
    )
    qubits: int | None = Field(default=None, ge=1, description="GHZ size (default 3); must match for other circuits.")
    shots: int = Field(ge=1, le=MAX_SHOTS)
    backend: str = Field(
        default="aer",
        max_length=_NAME_CHARS,
        description='"aer", "aer:<fake device>" (e.g. "aer:fake_fez"), "ibm:<backend>" or "ibm:least_busy" '
        "(ibm: for listed users only, within their daily quota).",
    )
    fallback: str | None = Field(
        default=None,
        max_length=_NAME_CHARS,
        description='Run here instead if the backend fails, e.g. "aer:fake_fez"; flagged in backend_used.',
    )
    lattice: LatticeIn | None = Field(default=None, description='The lattice state, for circuit "lattice".')


class MetricsResponse(BaseModel):
    """The defined statistics of one circuit run (docs/definitions.md, "The quantum metrics"), and where it ran."""

    model_config = ConfigDict(populate_by_name=True)

    phi: float = Field(
        description="Φ: smallest mutual information over bipartitions of the measured distribution, bits, capped at 1."
    )
    gamma: float = Field(description="Γ: total-variation distance between measured and ideal distributions, in [0, 1].")
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
