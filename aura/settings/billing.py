"""Settings of billing: the Stripe sync of the usage ledger, and the price of each billable event."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from aura.settings.section import Section, conventional

EventType = Literal["agent_call", "quantum_exec", "message", "autopilot_step"]


class BillingSettings(Section):
    """How the ledger reaches Stripe: the key, meter event names, API base, pacing and retry backoff."""

    stripe_secret_key: SecretStr | None = Field(
        default=None,
        description="Stripe secret key; unset keeps usage in the ledger only.",
        json_schema_extra=conventional("STRIPE_SECRET_KEY"),
    )
    stripe_event_prefix: str = Field(default="aura_", description="Meter event name = prefix + event type.")
    stripe_api_base: str | None = Field(default=None, description="Another Stripe API base (a proxy, a test server).")
    stripe_sync_interval_s: float = Field(default=10.0, gt=0, description="Pause between sync passes when idle.")
    stripe_batch_size: int = Field(default=100, ge=1, le=1000, description="Ledger rows claimed per sync pass.")
    stripe_concurrency: int = Field(default=4, ge=1, le=32, description="Meter events in flight at once.")
    stripe_lease_s: float = Field(default=120.0, gt=0, description="How long a claimed row is reserved for one syncer.")
    stripe_backoff_base_s: float = Field(default=2.0, gt=0, description="First wait after a failed send; doubles.")
    stripe_backoff_max_s: float = Field(default=600.0, gt=0, description="Longest wait between two sends of a row.")


class PriceTable(Section):
    """Unit price in USD of each billable event type (`AURA_PRICE_AGENT_CALL`, ...)."""

    env_prefix: ClassVar[str] = "PRICE_"

    agent_call: Decimal = Field(default=Decimal("0.01"), ge=0, description="One cell step that answered.")
    quantum_exec: Decimal = Field(default=Decimal("0.05"), ge=0, description="One quantum metrics run of a chat.")
    message: Decimal = Field(default=Decimal("0.001"), ge=0, description="One chat turn.")
    autopilot_step: Decimal = Field(default=Decimal("0.02"), ge=0, description="One AutoPilot step.")

    def price(self, event_type: EventType) -> Decimal:
        """The unit price of `event_type`."""
        return getattr(self, event_type)
