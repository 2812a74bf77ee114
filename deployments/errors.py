"""One error shape for the whole API: `{"code": ..., "detail": ...}` with a machine-readable code."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

#: Codes of the answers Starlette gives itself (no such route, wrong method, a body it cannot read).
_HTTP_CODES = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


class ErrorBody(BaseModel):
    """What every non-2xx answer carries."""

    code: str
    detail: Any = None


class ApiError(Exception):
    """Raise from a route to answer `status` with a machine-readable `code`."""

    def __init__(self, status: int, code: str, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def excerpt(text: str, limit: int = 40) -> str:
    """A caller's input as it may appear in an error detail: printable ASCII only, at most `limit` characters."""
    shown = "".join(c if " " <= c <= "~" else "?" for c in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing "input" could repeat a secret the caller sent; location and message suffice.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into `ErrorBody` answers."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(code=exc.code, detail=exc.detail).model_dump()
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(ErrorBody(code=code, detail=exc.detail).model_dump(), status_code=exc.status_code,
                            headers=exc.headers)

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
