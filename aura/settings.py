"""Effective configuration of an Aura process, from `AURA_*` variables and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    """Accept both `AURA_<NAME>` and the provider's conventional unprefixed name."""
    return AliasChoices(f"AURA_{name}", name)


class Settings(BaseSettings):
    """Every setting an Aura process reads; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="AURA_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default=Path("~/.aura"), description="Where the embedded database and run outputs live.")
    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL with pgvector; unset starts the embedded server in {data_dir}/pg."
    )
    ray_address: str | None = Field(
        default=None, validation_alias=_env("RAY_ADDRESS"), description="Join this Ray cluster instead of starting one."
    )
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8000, ge=1, le=65535)
    serve_ingress: Literal["direct", "proxy"] = Field(
        default="direct",
        description="`direct`: the gateway replica answers on serve_port itself (Ray Serve's direct ingress); "
        "`proxy`: Serve's HTTP proxy answers there and forwards each request to the replica over Ray.",
    )
    dashboard_port: int = Field(default=8265, ge=1, le=65535)
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 secret for bearer tokens.")
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias=_env("ANTHROPIC_API_KEY"))
    mistral_api_key: SecretStr | None = Field(default=None, validation_alias=_env("MISTRAL_API_KEY"))
    stripe_secret_key: SecretStr | None = Field(default=None, validation_alias=_env("STRIPE_SECRET_KEY"))
    ibm_quantum_token: SecretStr | None = Field(default=None, validation_alias=_env("IBM_QUANTUM_TOKEN"))
    quantum_max_qubits: int = Field(
        default=20, ge=1, le=30, description="Largest circuit whose ideal reference is computed."
    )
    quantum_ibm_timeout_s: float = Field(default=600.0, gt=0, description="How long an IBM Runtime job may take.")
    quantum_max_circuit_bytes: int = Field(
        default=65_536, ge=1, description="Longest circuit text accepted, in UTF-8 bytes; longer is a 413."
    )
    quantum_max_gate_definitions: int = Field(
        default=100, ge=0, description="Most gates (gate and opaque declarations) an OpenQASM program may define."
    )
    quantum_max_gates: int = Field(
        default=10_000, ge=1, description="Most gates a circuit may have, counted with its gate definitions expanded."
    )
    quantum_max_depth: int = Field(default=2_000, ge=1, description="Deepest circuit accepted, in layers of gates.")
    quantum_max_shots: int = Field(default=100_000, ge=1, le=100_000, description="Most shots one run may ask for.")
    quantum_max_lattice_edges: int = Field(
        default=256, ge=0, description="Most edges a lattice circuit request may list."
    )
    quantum_build_timeout_s: float = Field(
        default=2.0, gt=0, description="How long parsing and building one circuit may take before it is refused."
    )
    quantum_build_threads: int = Field(
        default=2, ge=1, description="Threads per gateway replica that build circuits; a request finding all busy "
        "is a 503."
    )
    quantum_ibm_users: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Users (token `sub`) who may run circuits on ibm:* backends, comma-separated; "
        "empty: nobody."
    )
    quantum_ibm_daily_circuits: int = Field(
        default=100, ge=0, description="IBM Quantum circuits each listed user may run per UTC day."
    )
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest request body any route reads (413 past it).")
    search_per_minute: int = Field(default=120, ge=1, description="Unsigned searches a minute from one client address.")
    user_per_minute: int = Field(default=300, ge=1, description="Requests a minute one user makes to bearer routes.")
    chat_per_minute: int = Field(default=20, ge=1, description="Chats a minute one user may start.")
    quantum_per_minute: int = Field(default=60, ge=1, description="Quantum metric runs a minute one user may ask for.")

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("quantum_ibm_users", mode="before")
    @classmethod
    def _user_list(cls, value: Any) -> Any:
        return tuple(user.strip() for user in value.split(",") if user.strip()) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain values, each secret shown only as set or unset."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
