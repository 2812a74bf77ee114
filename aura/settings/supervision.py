"""Settings of supervision: how long a request waits for a part that is down, and how often parts are checked."""

from __future__ import annotations

from pydantic import Field

from aura.settings.section import Section


class SupervisionSettings(Section):
    """Bounded waits for hosts and the database, and the pace of the checks that bring them back."""

    host_wait_s: float = Field(
        default=2.0,
        gt=0,
        description=(
            "How long a request waits for a host that is restarting or being made again before it answers "
            "503 with Retry-After."
        ),
    )
    host_call_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest a bid's call into its seller's host may take before it answers 503."
    )
    supervise_every_s: float = Field(
        default=1.0, gt=0, description="Seconds between two checks of every host (those gone for good are made again)."
    )
    database_timeout_s: float = Field(
        default=2.0, gt=0, description="How long opening a database connection may take before the request fails."
    )
    database_check_s: float = Field(
        default=1.0,
        gt=0,
        description="How often `aura up` checks that its embedded PostgreSQL runs, restarting it when it died.",
    )
