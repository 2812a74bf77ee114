"""One error shape for the whole API, `{"code": ..., "detail": ...}`, and the one table from codes to statuses.

Errors below this floor carry a machine-readable code and know nothing of
HTTP (`aura.errors.AuraError`); here each code gets its status. A code
missing from the table answers 500 and is logged, and a test reads the
source for every code and checks the table has it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from aura import AuraError
from aura.store import DATABASE_DOWN, expire_pools
from deployments.metrics import UNAVAILABLE

log = logging.getLogger(__name__)


def _codes(status: int, names: str) -> dict[str, int]:
    return dict.fromkeys(names.split(), status)


#: The status of every code an answer can carry.
STATUS: dict[str, int] = {
    **_codes(400, "malformed_json malformed_body negotiation_refused"),
    **_codes(
        401, "unauthenticated invalid_token missing_headers clock_skew bad_did bad_signature replayed access_denied"
    ),
    **_codes(403, "agent_mismatch ibm_not_allowed"),
    **_codes(404, "not_found session_not_found deal_not_found unknown_item autopilot_not_found"),
    **_codes(405, "method_not_allowed"),
    **_codes(409, "session_ended idempotency_key_reused request_in_progress session_conflict autopilot_running"),
    **_codes(410, "session_expired"),
    **_codes(413, "body_too_large circuit_text_too_large"),
    **_codes(
        422,
        "invalid_request invalid_period invalid_scenario unknown_currency currency_mismatch invalid_qasm "
        "include_not_allowed not_unitary opaque_gate invalid_angle invalid_lattice lattice_state_missing "
        "qubits_mismatch too_few_qubits too_many_qubits too_many_clbits too_many_edges "
        "too_many_gate_definitions too_many_gates too_deep too_many_shots invalid_shots "
        "circuit_build_timeout unknown_backend unknown_device unsupported_circuit circuit_too_large invalid_workspace "
        "autopilot_needs_tests",
    ),
    **_codes(429, "rate_limited too_many_sessions ibm_quota_exhausted"),
    **_codes(
        500,
        "internal_error secret_unusable actor_failed step_failed output_rejected provider_error "
        "quantum_error llm_failure",
    ),
    **_codes(
        502, "job_failed aer_failed ibm_job_failed ibm_submit_failed ibm_timeout ibm_unavailable ibm_not_configured"
    ),
    **_codes(
        503,
        "seller_unavailable decisions_unavailable quantum_pool_busy quantum_worker_unavailable "
        "circuit_builder_busy host_unreachable database_unavailable sandbox_unavailable",
    ),
}

#: What a 503 without a `Retry-After` of its own tells the caller: the parts that answer 503 come back in seconds.
_RETRY_AFTER_S = 1
#: A restarted database takes a few seconds of recovery before it takes connections again.
_DATABASE_RETRY_AFTER_S = 2

#: Codes of the answers Starlette gives itself (no such route, wrong method, a body it cannot read).
_STARLETTE_CODES = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


class ErrorBody(BaseModel):
    """What every non-2xx answer carries."""

    code: str
    detail: Any = None


def status_of(code: str) -> int:
    """The HTTP status of an answer carrying `code` (500 for a code the table lacks)."""
    return STATUS.get(code, 500)


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing "input" could repeat a secret the caller sent; location and message suffice.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into `ErrorBody` answers."""

    @app.exception_handler(AuraError)
    async def _aura(_: Request, exc: AuraError) -> JSONResponse:
        status = status_of(exc.code)
        if exc.code not in STATUS:
            log.error("an error code has no status", extra={"code": exc.code})
        if status >= 500:
            # What failed in detail is in this log line (with the request id), not in the answer.
            log.warning("request failed", extra={"code": exc.code, "error": type(exc).__name__})
        body = ErrorBody(code=exc.code, detail=exc.detail if exc.code in STATUS else None)
        headers = dict(exc.headers or {})
        if status == 503:
            headers.setdefault("Retry-After", str(_RETRY_AFTER_S))
            UNAVAILABLE.inc(code=exc.code)
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # A query that failed this way committed nothing of its own: sending the request again is safe.
        log.warning("the database is out of reach", extra={"error": type(exc).__name__})
        await expire_pools()
        down = AuraError(
            "database_unavailable",
            "the database is out of reach; send the request again",
            {"Retry-After": str(_DATABASE_RETRY_AFTER_S)},
        )
        return await _aura(request, down)

    for down in DATABASE_DOWN:
        app.add_exception_handler(down, _database_down)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _STARLETTE_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(
            ErrorBody(code=code, detail=exc.detail).model_dump(), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = _validation_detail(exc)
        if any(item["type"] == "json_invalid" for item in detail):
            return JSONResponse(ErrorBody(code="malformed_json", detail=detail).model_dump(), status_code=400)
        return JSONResponse(ErrorBody(code="invalid_request", detail=detail).model_dump(), status_code=422)

    @app.exception_handler(Exception)
    async def _failed(_: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the exception after this answer; its text may hold anything (a seller's
        # terms, a database error), so the caller gets a code and nothing of it.
        body = ErrorBody(code="internal_error", detail="the server could not answer this request; it is logged")
        return JSONResponse(body.model_dump(), status_code=500)
