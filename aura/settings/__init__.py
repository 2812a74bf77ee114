"""The one settings tree of an Aura process: core fields at the root, one section per part of the product.

Every field is read from its own environment variable (or a `.env` file in
the working directory): `AURA_` + the section's prefix + the field's name
(`aura.settings.sources`). `aura config` prints the whole tree, secrets
masked, with where each value came from.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from aura.settings.auth import AuthSettings
from aura.settings.billing import BillingSettings, PriceTable
from aura.settings.lattice import LatticeSettings
from aura.settings.limits import LimitSettings
from aura.settings.negotiation import NegotiationSettings
from aura.settings.quantum import QuantumSettings
from aura.settings.retention import RetentionSettings
from aura.settings.sandbox import SandboxSettings
from aura.settings.section import Section, conventional
from aura.settings.sources import FlatVariables, Origin, dotenv, lookup, variables
from aura.settings.supervision import SupervisionSettings

__all__ = [
    "AuthSettings",
    "BillingSettings",
    "LatticeSettings",
    "LimitSettings",
    "NegotiationSettings",
    "PriceTable",
    "QuantumSettings",
    "RetentionSettings",
    "SandboxSettings",
    "Section",
    "Setting",
    "Settings",
    "SupervisionSettings",
    "describe",
    "get_settings",
    "reference",
]


class Settings(BaseSettings):
    """Every setting an Aura process reads; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(extra="ignore")

    data_dir: Path = Field(
        default=Path("~/.aura"), description="Where the embedded database, secrets and run outputs live."
    )
    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL with pgvector; unset starts the embedded server in {data_dir}/pg."
    )
    ray_address: str | None = Field(
        default=None,
        description="Join this Ray cluster instead of starting one.",
        json_schema_extra=conventional("RAY_ADDRESS"),
    )
    serve_host: str = Field(default="127.0.0.1", description="Address the API answers on.")
    serve_port: int = Field(default=8000, ge=1, le=65535, description="Port the API answers on.")
    serve_ingress: Literal["direct", "proxy"] = Field(
        default="direct",
        description="`direct`: the gateway replica answers on serve_port itself (Ray Serve's direct ingress); "
        "`proxy`: Serve's HTTP proxy answers there and forwards each request to the replica over Ray.",
    )
    dashboard_port: int = Field(default=8265, ge=1, le=65535, description="Port of the Ray dashboard `aura up` starts.")
    metrics: bool = Field(
        default=True, description="Record application metrics (Ray's metrics API, exported for Prometheus)."
    )
    log_level: str = Field(
        default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$", description="Least severe log level written."
    )

    auth: AuthSettings = Field(default_factory=AuthSettings, description="Bearer tokens.")
    limits: LimitSettings = Field(default_factory=LimitSettings, description="Rate limits and size caps.")
    billing: BillingSettings = Field(default_factory=BillingSettings, description="The Stripe sync.")
    prices: PriceTable = Field(default_factory=PriceTable, description="Unit prices of billable events, in USD.")
    quantum: QuantumSettings = Field(default_factory=QuantumSettings, description="Circuits, backends, IBM access.")
    negotiation: NegotiationSettings = Field(
        default_factory=NegotiationSettings, description="The negotiation service."
    )
    lattice: LatticeSettings = Field(default_factory=LatticeSettings, description="The cognitive lattice.")
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings, description="How long ended sessions are kept."
    )
    sandbox: SandboxSettings = Field(
        default_factory=SandboxSettings, description="Limits of the sandbox the lattice runs code in."
    )
    supervision: SupervisionSettings = Field(
        default_factory=SupervisionSettings, description="Bounded waits for parts that are down, and their checks."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values given to the constructor first, then each field's variables (`aura.settings.sources`)."""
        return init_settings, FlatVariables(settings_cls)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Setting(BaseModel):
    """One line of `aura config`: a field, its variable, its value (secrets masked) and where it came from."""

    name: str
    variable: str
    value: Any
    origin: Origin


def _shown(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def describe(settings: Settings) -> list[Setting]:
    """Every field of `settings`, in tree order, with its variable and where its value came from."""
    import os

    environment, file = dict(os.environ), dotenv()
    lines = []
    for variable in variables(Settings):
        holder = settings if variable.section is None else getattr(settings, variable.section)
        _, origin = lookup(variable, environment, file)
        name = variable.name if variable.section is None else f"{variable.section}.{variable.name}"
        lines.append(
            Setting(name=name, variable=variable.names[0], value=_shown(getattr(holder, variable.name)), origin=origin)
        )
    return lines


def reference() -> str:
    """The settings reference as a Markdown table: each field, its variables, its default and what it does.

    `docs/settings.md` is this table (`aura config --reference` prints it), so the
    documentation cannot drift from the tree.
    """
    rows = ["| setting | variables | default | what it does |", "| --- | --- | --- | --- |"]
    for variable in variables(Settings):
        name = variable.name if variable.section is None else f"{variable.section}.{variable.name}"
        default = _shown(variable.field.default)
        shown = "unset" if default is None else f"`{json.dumps(default, default=str)}`"
        names = ", ".join(f"`{n}`" for n in variable.names)
        rows.append(f"| `{name}` | {names} | {shown} | {variable.field.description} |")
    return "\n".join(rows) + "\n"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
