"""The usage ledger: prices from the table, idempotency keys, period sums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from aura.settings import Settings
from aura.usage import UsageEvent, UsageLedger


async def test_events_are_priced_once_per_key_and_summed_by_type(db) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    ledger = UsageLedger(db)
    events = [
        UsageEvent(user, "agent_call", f"{user}:a1"),
        UsageEvent(user, "agent_call", f"{user}:a2"),
        UsageEvent(user, "message", f"{user}:m1"),
        UsageEvent(user, "quantum_exec", f"{user}:q1", quantity=3),
    ]
    assert await ledger.record(events) == 4
    assert await ledger.record(events[:2]) == 0  # the same keys again: a retried request bills nothing twice
    summary = await ledger.summary(user)
    lines = {line.event_type: line for line in summary.lines}
    assert lines["agent_call"].events == 2 and lines["agent_call"].amount == Decimal("0.02")
    assert lines["quantum_exec"].quantity == 3 and lines["quantum_exec"].amount == Decimal("0.15")
    assert summary.total_amount == Decimal("0.171")
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await ledger.summary(user, start=later)).lines == []


async def test_price_table_is_configurable_and_types_are_checked(db, monkeypatch) -> None:
    monkeypatch.setenv("AURA_PRICE_AUTOPILOT_STEP", "0.5")
    user = f"user-{uuid.uuid4().hex[:8]}"
    ledger = UsageLedger(db, Settings().prices)
    await ledger.record([UsageEvent(user, "autopilot_step", f"{user}:s1", quantity=2)])
    assert (await ledger.summary(user)).total_amount == Decimal("1.0")
    with pytest.raises(ValueError, match="unknown billable"):
        await ledger.record([UsageEvent(user, "free_lunch", f"{user}:x")])  # type: ignore[arg-type]
