"""The quantum API's request and response models: what `POST /v1/quantum/metrics` takes and gives."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from aura import JSON_NUMBER, Integer, Number
from quantum.pool import MAX_SHOTS

_NAME_CHARS = 64  # backend names are short; a longer one is refused before anything looks at it


def _backend_names(schema: dict[str, Any]) -> None:
    """The names a backend field takes, as the schema says them: aer, each fake device, or an IBM backend.

    Listed when the schema is generated (the device list comes from qiskit-ibm-runtime, loaded then).
    """
    from quantum.devices import device_names

    names = {"enum": ["aer", *(f"aer:{device}" for device in sorted(device_names()))]}
    ibm = {"type": "string", "pattern": r"^ibm:[A-Za-z0-9_\-]+$", "maxLength": _NAME_CHARS}
    nullable = any(option.get("type") == "null" for option in schema.get("anyOf", []))
    schema.pop("type", None)
    schema.pop("maxLength", None)
    schema["anyOf"] = [names, ibm, *([{"type": "null"}] if nullable else [])]


class LatticeEdgeIn(BaseModel):
    """An edge of the lattice between two cells (by qubit index) and its interaction count."""

    source: Integer = Field(ge=0)
    target: Integer = Field(ge=0)
    interactions: Integer = Field(ge=0)


class LatticeIn(BaseModel):
    """The lattice state the lattice circuit encodes: one score per cell, and its edges."""

    scores: list[Annotated[Number, Field(ge=0.0, le=1.0)]] = Field(min_length=1)
    edges: list[LatticeEdgeIn] = Field(default_factory=list)


class MetricsRequest(BaseModel):
    """A circuit to run and measure: a named circuit or OpenQASM 2 text."""

    circuit: str = Field(
        min_length=1,
        description='"bell", "ghz", "lattice", or an OpenQASM 2 program (measurements optional; '
        'the only include allowed is "qelib1.inc").',
    )
    qubits: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(
        default=None, description="GHZ size (default 3); must match for other circuits."
    )
    shots: Integer = Field(ge=1, le=MAX_SHOTS)
    backend: str = Field(
        default="aer",
        max_length=_NAME_CHARS,
        description='"aer", "aer:<fake device>" (e.g. "aer:fake_fez"), "ibm:<backend>" or "ibm:least_busy" '
        "(ibm: for listed users only, within their daily quota).",
        json_schema_extra=_backend_names,
    )
    fallback: str | None = Field(
        default=None,
        max_length=_NAME_CHARS,
        description='Run here instead if the backend fails, e.g. "aer:fake_fez"; flagged in backend_used.',
        json_schema_extra=_backend_names,
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
