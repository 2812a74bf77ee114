"""Every error answer is `{"code", "detail"}`: a failure inside a route too, without its text."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from deployments.errors import install


def _failing_app() -> FastAPI:
    app = FastAPI()
    install(app)

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("floor price 800 for hotel_alpha")

    return app


async def test_an_unexpected_failure_is_a_coded_500_that_tells_nothing_of_itself() -> None:
    transport = httpx.ASGITransport(app=_failing_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://aura") as client:
        answer = await client.get("/boom")
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal_error"
    assert "800" not in answer.text and "hotel_alpha" not in answer.text
