"""Settings of the retention sweep: how long ended things are kept, and how the deleting runs."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from aura.settings.section import Section


class RetentionSettings(Section):
    """How long ended lattice sessions are kept, and the pace of the sweep that deletes them."""

    env_prefix: ClassVar[str] = "RETENTION_"

    days: float = Field(
        default=30.0,
        gt=0,
        description="Days an ended lattice session (its messages, its cells' saved state) is kept after it ended.",
    )
    sweep_every_s: float = Field(default=3600.0, gt=0, description="Seconds between two sweeps.")
    batch_rows: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="Sessions one sweep transaction deletes at most, each with up to a few thousand saved rows.",
    )
    pause_s: float = Field(default=0.05, ge=0, description="Pause between two batches, so traffic goes first.")
