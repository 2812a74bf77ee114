"""Aura's ground floor: settings, errors, storage, auth, usage, billing, telemetry and request-body types.

Every other package builds on these names and imports them from here (or
from the `aura.settings` and `aura.store` subpackages); nothing in `aura`
imports a package above it.
"""

from typing import TYPE_CHECKING

from aura.surface import lazy_surface

if TYPE_CHECKING:
    from aura.auth import AuthError, Principal, TokenVerifier, jwt_secret, mint_token
    from aura.billing import MeterSync, billing_sync, ensure_billing_sync
    from aura.boundary import JSON_NUMBER, Boolean, Integer, Number
    from aura.cluster import NAMESPACE
    from aura.coalesce import Coalescer, settle
    from aura.errors import AuraError, excerpt
    from aura.hashing import feature_vector
    from aura.idempotency import IdempotencyStore, Refused, Stored, fingerprint, settled
    from aura.loading import load
    from aura.metrics import counter, gauge, histogram
    from aura.ratelimit import Rate, RateLimiter
    from aura.server_secrets import SecretUnusable, server_secret
    from aura.supervision import RESTART_ERRORS, HostHealth, HostState, NamedActor
    from aura.telemetry import (
        configure_logging,
        configure_tracing,
        current_trace_id,
        records_spans,
        request_id,
        request_span,
        stage,
        stage_timings,
    )
    from aura.usage import UsageEvent, UsageLedger, UsageSummary, ledger_key
    from aura.version import __version__

__all__ = [
    "JSON_NUMBER",
    "Boolean",
    "Integer",
    "Number",
    "NAMESPACE",
    "RESTART_ERRORS",
    "HostHealth",
    "HostState",
    "NamedActor",
    "AuraError",
    "AuthError",
    "Coalescer",
    "IdempotencyStore",
    "MeterSync",
    "Principal",
    "Rate",
    "RateLimiter",
    "Refused",
    "SecretUnusable",
    "Stored",
    "TokenVerifier",
    "UsageEvent",
    "UsageLedger",
    "UsageSummary",
    "__version__",
    "configure_logging",
    "counter",
    "configure_tracing",
    "current_trace_id",
    "billing_sync",
    "ensure_billing_sync",
    "excerpt",
    "feature_vector",
    "fingerprint",
    "gauge",
    "histogram",
    "jwt_secret",
    "lazy_surface",
    "ledger_key",
    "load",
    "mint_token",
    "records_spans",
    "request_id",
    "request_span",
    "server_secret",
    "settle",
    "settled",
    "stage",
    "stage_timings",
]

__getattr__, __dir__ = lazy_surface(__name__)
