"""Schemathesis hooks for the contract test: every generated request to a signed route is signed.

Loaded by the schemathesis CLI through `SCHEMATHESIS_HOOKS=tests.deployments.contract_hooks`.
Each signed request gets a fresh did:key (so replay protection and per-agent rate limits never
refuse a generated case for being the hundredth from one agent) and a current timestamp; the
body is signed as the server verifies it, by its canonical JSON.
"""

from __future__ import annotations

import json
import time
from typing import Any

import schemathesis
from schemathesis.core import NOT_SET

from negotiation import AgentKey

#: The routes that take a signed agent (the others take the bearer token the CLI sends).
SIGNED = ("/v1/search", "/v1/negotiate", "/v1/deals")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Sign `case` with a fresh agent key when its route takes a signed agent."""
    path = case.formatted_path
    if not path.startswith(SIGNED):
        return
    if case.body is NOT_SET or case.body is None:
        body = b""
    elif isinstance(case.body, bytes):  # sent as it is: invalid JSON is signed byte for byte
        body = case.body
    else:
        body = json.dumps(case.body).encode()
    signed = AgentKey.generate().sign_headers(case.method, path, body, int(time.time()))
    case.headers = {**(case.headers or {}), **signed}
