"""An async client of the negotiation API that signs every request with the agent's Ed25519 key."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx

from aura import AuraError
from negotiation.identity import AgentKey
from negotiation.protocol import Deal, NegotiateRequest, NegotiateResponse, SearchRequest, SearchResponse

#: How far ahead of the clock a timestamp may be bumped; the server allows 60 s of skew.
_MAX_AHEAD_S = 30
#: Longest wait a 503's `Retry-After` may ask of a resend.
_MAX_RETRY_WAIT_S = 10.0


class ApiCallFailed(AuraError):
    """A non-2xx answer the API gave this client: its HTTP status, machine-readable `code`, detail and headers."""

    def __init__(self, status: int, code: str, detail: Any, headers: httpx.Headers) -> None:
        super().__init__(code, detail, dict(headers))
        self.status = status

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"


class NegotiationClient:
    """Signed calls to `/v1/search`, `/v1/negotiate` and `/v1/deals/{id}` as one agent.

    A bid answered 503 (its seller's host restarting, the database away) is sent again up to
    `resends` times, after the `Retry-After` the answer gives.
    """

    def __init__(
        self,
        base_url: str,
        key: AgentKey | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 30.0,
        resends: int = 3,
    ) -> None:
        self.key = key or AgentKey.generate()
        self.resends = resends
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout_s)
        self._signed: dict[tuple[str, str, bytes], int] = {}
        self._pruned_at = 0

    def _stamp(self, method: str, path: str, body: bytes) -> int:
        """Now, or a later second if this exact request was already signed for now.

        The server rejects a repeated signature as a replay, and two identical
        requests in one second would sign identically; the next second is
        well within the allowed clock skew.
        """
        now = int(time.time())
        if now != self._pruned_at:  # once a second, not per request: a busy agent signs thousands a minute
            self._signed = {k: t for k, t in self._signed.items() if t >= now - 120}
            self._pruned_at = now
        request = (method, path, body)
        stamp = max(now, self._signed.get(request, now - 1) + 1)
        self._signed[request] = stamp
        return stamp

    @property
    def did(self) -> str:
        """This agent's DID."""
        return self.key.did

    async def __aenter__(self) -> NegotiationClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def send(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One signed request (with any extra `headers`), answered as it came (no status check)."""
        body = b"" if payload is None else json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        if timestamp is None:
            timestamp = self._stamp(method, path, body)
            ahead = timestamp - time.time() - _MAX_AHEAD_S
            if ahead > 0:  # many identical requests: wait rather than sign beyond the server's clock window
                await asyncio.sleep(ahead)
        signed = {**(headers or {}), **self.key.sign_headers(method, path, body, timestamp)}
        if body:
            signed["Content-Type"] = "application/json"
        return await self._http.request(method, path, content=body, headers=signed)

    async def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None, *, resend: bool = False
    ) -> Any:
        """The answer's JSON, or `ApiCallFailed`; with `resend`, a 503 is sent again (signed anew, same
        `Idempotency-Key`, so a request the server did carry out is answered as it was, never done twice)."""
        extra = {"Idempotency-Key": uuid.uuid4().hex} if resend else None
        answer = await self.send(method, path, payload, headers=extra)
        for _ in range(self.resends if resend else 0):
            if answer.status_code != 503:
                break
            await asyncio.sleep(min(_MAX_RETRY_WAIT_S, float(answer.headers.get("Retry-After", "1"))))
            answer = await self.send(method, path, payload, headers=extra)
        if answer.status_code >= 400:
            try:
                error = answer.json()
            except ValueError:
                error = {"code": "http_error", "detail": answer.text}
            raise ApiCallFailed(
                answer.status_code, error.get("code", "http_error"), error.get("detail"), answer.headers
            )
        return answer.json()

    async def search(self, query: str, limit: int = 3, min_similarity: float = 0.0) -> SearchResponse:
        """Catalog items closest to `query`."""
        request = SearchRequest(query=query, limit=limit, min_similarity=min_similarity)
        return SearchResponse.model_validate(await self._call("POST", "/v1/search", request.model_dump()))

    async def negotiate(
        self,
        item_id: str,
        bid_amount: float,
        *,
        currency: str = "USD",
        session_token: str | None = None,
        confirmed: bool = False,
    ) -> NegotiateResponse:
        """Bid on `item_id` (continuing `session_token` if given)."""
        request = NegotiateRequest(
            item_id=item_id,
            bid_amount=bid_amount,
            currency=currency,
            agent_did=self.did,
            session_token=session_token,
            confirmed=confirmed,
        )
        payload = request.model_dump(exclude_none=True)
        return NegotiateResponse.model_validate(await self._call("POST", "/v1/negotiate", payload, resend=True))

    async def deal(self, deal_id: str) -> Deal:
        """One of this agent's deals."""
        return Deal.model_validate(await self._call("GET", f"/v1/deals/{deal_id}"))
