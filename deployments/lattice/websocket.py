"""`/v1/aura/ws`: a session's live events (agent updates, chunks, lattice, quantum) over a WebSocket.

Browsers cannot set headers on a WebSocket, so the token travels either as
a subprotocol (offer `aura.v1` and `bearer.<token>`; the server accepts
`aura.v1`, and the token never appears in a URL or an access log) or in the
query (`token`). A bad token or a session of someone else closes with 1008.
A connection ends with a `closed` event when its session ends (1000) or its
token expires (1008). Events go through a bounded queue per connection: a
client that cannot keep up gets an `error` event and a 1013 close instead
of slowing the chat down. Lattice snapshots are given at most once per
`ws_lattice_interval_s` per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from aura import AuraError, AuthError, Principal, Rate
from aura.settings import get_settings
from deployments.auth import verifier
from deployments.lattice.service import lattice_service
from deployments.limits import spend
from lattice import (
    ClientMessage,
    Connected,
    ErrorEvent,
    LatticeService,
    LatticeUpdate,
    Pong,
    SessionClosed,
    SessionNotFound,
    Subscription,
)

router = APIRouter()

NORMAL = 1000
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
#: The subprotocol the server speaks, and the prefix of the one that carries the token.
SUBPROTOCOL = "aura.v1"
BEARER_PREFIX = "bearer."
#: How often a connection checks that its session is still active (another replica may have ended it).
_RECHECK_S = 30.0


def _credentials(websocket: WebSocket, query_token: str | None) -> tuple[str | None, str | None]:
    """The connection's token (from its subprotocols, else the query) and the subprotocol to accept."""
    offered: list[str] = list(websocket.scope.get("subprotocols") or [])
    carried = next((p[len(BEARER_PREFIX) :] for p in offered if p.startswith(BEARER_PREFIX)), None)
    return carried or query_token, SUBPROTOCOL if SUBPROTOCOL in offered else None


async def _send_events(websocket: WebSocket, subscription: Subscription) -> None:
    """Drain the connection's queue to the socket; cut the connection off once it overflowed or closed."""
    queue = subscription.queue
    while True:
        # Events already queued go out back to back; only an empty queue is waited on (two futures
        # and an asyncio.wait per event made the sender a noticeable share of a step's cost).
        while not queue.empty():
            await websocket.send_text(queue.get_nowait().model_dump_json())
        if subscription.closing is not None:
            closing = subscription.closing
            await websocket.send_text(closing.model_dump_json())
            code = NORMAL if closing.reason == "session_ended" else POLICY_VIOLATION
            await websocket.close(code=code, reason=closing.reason.replace("_", " "))
            return
        if subscription.overflowed:
            await websocket.send_text(
                ErrorEvent(
                    code="slow_consumer",
                    detail=f"the client fell {queue.maxsize} events behind; {subscription.dropped} dropped",
                ).model_dump_json()
            )
            await websocket.close(code=TRY_AGAIN_LATER, reason="slow consumer")
            return
        getter = asyncio.ensure_future(queue.get())
        woken = asyncio.ensure_future(subscription.wakeup.wait())
        try:
            await asyncio.wait({getter, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Whichever did not finish (both, if the connection is closing) must not outlive this turn.
            woken.cancel()
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            await websocket.send_text(getter.result().model_dump_json())
        else:
            subscription.wakeup.clear()


async def _watch(svc: LatticeService, subscription: Subscription, principal: Principal) -> None:
    """Close the connection when its token expires or its session is no longer active."""
    while True:
        left = principal.expires_at - time.time()
        if left <= 0:
            subscription.close(SessionClosed(session_id=subscription.session_id, reason="token_expired"))
            return
        await asyncio.sleep(min(left, _RECHECK_S))
        try:
            session = await svc.sessions.get(subscription.session_id, principal.user_id)
        except SessionNotFound:
            session = None
        if session is None or session.status != "active":
            subscription.close(SessionClosed(session_id=subscription.session_id, reason="session_ended"))
            return


@dataclass
class _Follower:
    """One connection's side of the conversation: answering what the client sends."""

    svc: LatticeService
    subscription: Subscription
    user_id: str
    last_lattice: float = float("-inf")

    async def answer(self, text: str) -> None:
        """Answer one client message with an event (a pong, a lattice snapshot, an error)."""
        try:
            message = ClientMessage.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError):
            detail = 'send {"type": "ping" | "subscribe_lattice" | "unsubscribe_lattice"}'
            self.subscription.offer(ErrorEvent(code="invalid_message", detail=detail))
            return
        if message.type == "ping":
            self.subscription.offer(Pong())
        elif message.type == "subscribe_lattice":
            self.subscription.lattice = True
            await self._snapshot()
        else:
            self.subscription.lattice = False

    async def _snapshot(self) -> None:
        interval = self.svc.settings.ws_lattice_interval_s
        if time.monotonic() - self.last_lattice < interval:
            detail = f"lattice snapshots are given at most every {interval} s; updates follow"
            self.subscription.offer(ErrorEvent(code="throttled", detail=detail))
            return
        session = await self.svc.sessions.get(self.subscription.session_id, self.user_id)
        view = await self.svc.lattice(session)
        self.subscription.offer(LatticeUpdate(session_id=session.session_id, lattice=view.model_dump(mode="json")))
        self.last_lattice = time.monotonic()  # from the end of a snapshot: a slow one spaces the next further


async def _admit(
    websocket: WebSocket, session_id: str | None, token: str | None
) -> tuple[LatticeService, Principal, str] | None:
    """Accept the connection and check its token, rate and session; None once it is closed with the reason."""
    given, protocol = _credentials(websocket, token)
    await websocket.accept(subprotocol=protocol)
    if not given or not session_id:
        await websocket.close(code=POLICY_VIOLATION, reason="session_id and a token are required")
        return None
    try:
        principal = await verifier(websocket).verify_async(given)
    except AuthError:
        await websocket.close(code=POLICY_VIOLATION, reason="invalid token")
        return None
    try:
        await spend(websocket, f"user:{principal.user_id}", Rate(get_settings().limits.user_per_minute))
    except AuraError:
        await websocket.close(code=TRY_AGAIN_LATER, reason="rate limited")
        return None
    svc = await lattice_service(websocket)
    try:
        session = await svc.sessions.get(session_id, principal.user_id)
    except SessionNotFound:
        await websocket.close(code=POLICY_VIOLATION, reason="no such session for this user")
        return None
    if session.status != "active":
        await websocket.close(code=NORMAL, reason="session ended")
        return None
    return svc, principal, session_id


@router.websocket("/ws")
async def session_events(websocket: WebSocket, session_id: str | None = None, token: str | None = None) -> None:
    """Follow a session: `connected`, then its events; answers `ping`, `subscribe_lattice`, `unsubscribe_lattice`."""
    admitted = await _admit(websocket, session_id, token)
    if admitted is None:
        return
    svc, principal, followed = admitted
    subscription = svc.bus.subscribe(followed, svc.settings.ws_queue_size)
    subscription.offer(Connected(session_id=followed, user_id=principal.user_id))
    follower = _Follower(svc, subscription, principal.user_id)
    sender = asyncio.create_task(_send_events(websocket, subscription))
    watchdog = asyncio.create_task(_watch(svc, subscription, principal))
    try:
        while not sender.done():
            receiver = asyncio.ensure_future(websocket.receive_text())
            await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
            if not receiver.done():
                receiver.cancel()
                break
            await follower.answer(receiver.result())
    except WebSocketDisconnect:
        pass
    finally:
        svc.bus.unsubscribe(subscription)
        watchdog.cancel()
        sender.cancel()
        # The sender ends with the socket's error when the client vanished; that is expected here.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
