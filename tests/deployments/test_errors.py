"""Every error answer is `{"code", "detail"}`: a failure inside a route too, without its text."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from deployments.errors import STATUS, install
from lattice.sessions import SessionNotFound
from tests.codes import exception_classes, raised_codes


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


def test_every_code_the_source_raises_has_a_status() -> None:
    codes = raised_codes()
    assert len(codes) > 40  # the scan finds the codes at all
    missing = {code: places for code, places in codes.items() if code not in STATUS}
    assert not missing


def test_at_least_nine_in_ten_exception_classes_share_the_root() -> None:
    classes = exception_classes()
    rooted = [name for name, rooted in classes.items() if rooted]
    assert len(rooted) >= 0.9 * len(classes), sorted(set(classes) - set(rooted))


async def test_a_domain_error_answers_with_its_tables_status_its_code_detail_and_headers() -> None:
    app = FastAPI()
    install(app)

    @app.get("/busy")
    async def busy() -> dict:
        raise SessionNotFound("x" * 500)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://aura") as client:
        answer = await client.get("/busy")
    assert (answer.status_code, answer.json()["code"]) == (404, "session_not_found")
    assert len(answer.json()["detail"]) < 80


def test_errors_pickle_whole_across_processes() -> None:
    import pickle

    from negotiation.access import AccessDenied
    from quantum.ibm_access import IbmQuotaExhausted

    for error in (
        AccessDenied("rate_limited", "slow down", {"Retry-After": "3"}),
        IbmQuotaExhausted("spent", retry_after_s=7),
        SessionNotFound("s1"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert (type(back), back.code, back.detail, back.headers) == (
            type(error),
            error.code,
            error.detail,
            error.headers,
        )
    assert pickle.loads(pickle.dumps(IbmQuotaExhausted("spent", retry_after_s=7))).retry_after_s == 7
