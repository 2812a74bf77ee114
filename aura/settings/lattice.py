"""Settings of the cognitive lattice: provider, model, timeouts, budgets, persistence, WebSocket and caps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from aura.settings.section import Section, conventional


class LatticeSettings(Section):
    """What the lattice reads; cell hosts and the gateway read the same variables."""

    lattice_provider: str = Field(
        default="auto",
        description="auto (anthropic when a key is set, else offline), offline, anthropic, "
        "openai (any chat completions server: Ollama, vLLM, llama.cpp, LM Studio), or 'module:Class'.",
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        description="Anthropic key for the cells' Messages API.",
        json_schema_extra=conventional("ANTHROPIC_API_KEY"),
    )
    anthropic_model: str = Field(default="claude-sonnet-4-5", description="Messages API model for the cells.")
    anthropic_base_url: str | None = Field(default=None, description="Another Messages API base (proxy, test server).")
    anthropic_timeout_s: float = Field(default=60.0, gt=0, description="One Messages API request's time limit.")
    anthropic_max_retries: int = Field(default=3, ge=0, le=10, description="Retries of a failed Messages API request.")
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="Key for the cells' chat completions server; local servers need none.",
        json_schema_extra=conventional("OPENAI_API_KEY"),
    )
    openai_model: str = Field(default="qwen2.5-coder:7b", description="Chat completions model for the cells.")
    openai_base_url: str = Field(
        default="http://127.0.0.1:11434/v1", description="Chat completions API base (the default is a local Ollama)."
    )
    openai_timeout_s: float = Field(default=60.0, gt=0, description="One chat completions request's time limit.")
    openai_max_retries: int = Field(default=3, ge=0, le=10, description="Retries of a failed chat completions request.")
    step_timeout_s: float = Field(default=120.0, gt=0, description="Longest one cell step may take.")
    quantum_backend: str = Field(
        default="aer", description="Quantum pool backend for lattice metrics (aer, aer:<fake device>, ibm:<name>)."
    )
    quantum_shots: int = Field(default=2048, ge=1, le=100_000, description="Shots of a lattice metrics run.")
    quantum_budget_s: float = Field(default=2.0, ge=0, description="How long a chat waits for its quantum metrics.")
    cell_persistence: Literal["write_through", "write_behind"] = Field(
        default="write_through",
        description="write_through saves a cell before each step's reply (a killed host loses nothing); "
        "write_behind saves every second (faster steps, the last second at risk).",
    )
    cell_idle_ttl_s: float = Field(
        default=900.0, gt=0, description="Idle sessions' cells are saved and dropped after this."
    )
    ws_queue_size: int = Field(default=256, ge=8, description="Events buffered per WebSocket before it is cut off.")
    ws_lattice_interval_s: float = Field(
        default=1.0, ge=0, description="Shortest time between two lattice snapshots one WebSocket may ask for."
    )
    max_sessions_per_user: int = Field(default=100, ge=1, description="Active sessions one user may hold.")
    autopilot_lease_s: float = Field(
        default=60.0,
        ge=5,
        description="How long an AutoPilot run stays with its replica unheard from before another takes it over.",
    )
