"""The lattice's metrics: cell steps by role and outcome with their latency, provider errors, tokens."""

from __future__ import annotations

from aura import counter, histogram

CELL_STEPS = counter("aura_cell_steps_total", "Cell steps, by role and outcome (done, error).", ("role", "status"))
CELL_STEP_SECONDS = histogram("aura_cell_step_seconds", "Time a cell step's provider call took.", ("role",))
PROVIDER_ERRORS = counter("aura_provider_errors_total", "Provider calls that failed, by provider.", ("provider",))
CELL_TOKENS = counter("aura_cell_tokens_total", "Tokens cell steps used, by role and direction.", ("role", "direction"))
