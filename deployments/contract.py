"""The OpenAPI document as the contract: every route's error answers documented, in the body they all share.

Routers declare the answers that depend on what a route does (a bearer
token's 401 and 429, a missing session's 404, a running AutoPilot's 409).
What follows from a route's shape is added here for every route alike, so
no route can forget it: a body can be malformed (400) or too large (413), a
body or a parameter can be invalid (422, the `{code, detail}` of every
error, not FastAPI's own validation schema), a path can name nothing (404),
and any route can fail (500) or find the database out of reach (503).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from deployments.errors import ErrorBody

#: What each status means, wherever it is documented.
MEANINGS: dict[int, str] = {
    400: "`malformed_json` or `malformed_body`: the body is not the JSON it should be.",
    401: "No bearer token (`unauthenticated`), an invalid or expired one (`invalid_token`), or a bad agent "
    "signature (`missing_headers`, `bad_did`, `bad_signature`, `clock_skew`, `replayed`).",
    404: "Nothing by that id for this caller (someone else's is indistinguishable from a missing one).",
    409: "A conflict with the current state; `code` says which.",
    413: "`body_too_large`: over `AURA_MAX_BODY_BYTES`.",
    422: "`invalid_request` (with each invalid field in `detail`) or a code naming the rule broken.",
    429: "A rate limit or a cap (`rate_limited`, `too_many_sessions`, …); `Retry-After` says when to retry.",
    500: "`internal_error`: the failure is logged with the request id, not returned.",
    503: "A part is down or busy (`database_unavailable`, `host_unreachable`, …); retry after `Retry-After`.",
}

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for error answers with `ErrorBody`, each with its meaning."""
    return {status: {"model": ErrorBody, "description": MEANINGS[status]} for status in statuses}


#: A route for bearer callers: a token can be missing or invalid, and a user's requests are rate-limited.
BEARER = error_responses(401, 429)


def install(app: FastAPI) -> None:
    """Make the app's `/openapi.json` document every error answer its routes can give."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to shape the schema


def document_errors(schema: dict[str, Any]) -> None:
    """Add to each operation of `schema` the error answers its shape implies, all as `ErrorBody`."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            implied = [500, 503]
            if "requestBody" in operation:
                implied += [400, 413, 422]
            if parameters:
                implied.append(422)
            if any(p.get("in") == "path" for p in parameters):
                implied.append(404)
            for status in implied:
                responses.setdefault(str(status), _answer(status))
            if "422" in responses:  # a route's own words on what is invalid stay; the body is ErrorBody
                responses["422"]["content"] = _answer(422)["content"]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    # FastAPI's own validation schemas describe answers Aura never gives.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _answer(status: int) -> dict[str, Any]:
    return {"description": MEANINGS[status], "content": {"application/json": {"schema": _ERROR_REF}}}
