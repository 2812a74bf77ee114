"""Settings of the quantum pool's circuits and backends, and of access to IBM Quantum."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from aura.settings.section import Section, conventional


class QuantumSettings(Section):
    """Limits on the circuits a request may name, and who may run them on IBM's devices (`AURA_QUANTUM_*`)."""

    env_prefix: ClassVar[str] = "QUANTUM_"

    ibm_token: SecretStr | None = Field(
        default=None,
        description="IBM Quantum Platform API token for `ibm:*` backends.",
        json_schema_extra=conventional("AURA_IBM_QUANTUM_TOKEN", "IBM_QUANTUM_TOKEN"),
    )
    max_qubits: int = Field(default=20, ge=1, le=30, description="Largest circuit whose ideal reference is computed.")
    ibm_timeout_s: float = Field(default=600.0, gt=0, description="How long an IBM Runtime job may take.")
    max_circuit_bytes: int = Field(
        default=65_536, ge=1, description="Longest circuit text accepted, in UTF-8 bytes; longer is a 413."
    )
    max_gate_definitions: int = Field(
        default=100, ge=0, description="Most gates (gate and opaque declarations) an OpenQASM program may define."
    )
    max_gates: int = Field(
        default=10_000, ge=1, description="Most gates a circuit may have, counted with its gate definitions expanded."
    )
    max_depth: int = Field(default=2_000, ge=1, description="Deepest circuit accepted, in layers of gates.")
    max_shots: int = Field(default=100_000, ge=1, le=100_000, description="Most shots one run may ask for.")
    max_lattice_edges: int = Field(default=256, ge=0, description="Most edges a lattice circuit request may list.")
    build_timeout_s: float = Field(
        default=2.0, gt=0, description="How long parsing and building one circuit may take before it is refused."
    )
    build_threads: int = Field(
        default=2,
        ge=1,
        description="Threads per gateway replica that build circuits; a request finding all busy is a 503.",
    )
    ibm_users: tuple[str, ...] = Field(
        default=(),
        description="Users (token `sub`) who may run circuits on ibm:* backends, comma-separated; empty: nobody.",
    )
    ibm_daily_circuits: int = Field(
        default=100, ge=0, description="IBM Quantum circuits each listed user may run per UTC day."
    )

    @field_validator("ibm_users", mode="before")
    @classmethod
    def _user_list(cls, value: Any) -> Any:
        return tuple(user.strip() for user in value.split(",") if user.strip()) if isinstance(value, str) else value
