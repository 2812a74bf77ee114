"""`/v1/aura/ws`: a session's live events (agent updates, chunks, lattice, quantum) over a WebSocket.

Auth travels in the query (`token`), since browsers cannot set headers on a
WebSocket; a bad token or a session of someone else closes with 1008.
Events go through a bounded queue per connection: a client that cannot keep
up gets an `error` event and a 1013 close instead of slowing the chat down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from aura.auth import AuthError
from deployments.lattice_auth import verifier
from deployments.lattice_service import service
from lattice.events import Connected, ErrorEvent, LatticeUpdate, Pong, Subscription
from lattice.service import LatticeService
from lattice.sessions import SessionNotFound

router = APIRouter()

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


class ClientMessage(BaseModel):
    """What a client may send."""

    type: Literal["ping", "subscribe_lattice", "unsubscribe_lattice"]


async def _send_events(websocket: WebSocket, subscription: Subscription) -> None:
    """Drain the connection's queue to the socket; cut the connection off once it overflowed."""
    queue = subscription.queue
    while True:
        # Events already queued go out back to back; only an empty queue is waited on (two futures
        # and an asyncio.wait per event made the sender a noticeable share of a step's cost).
        while not queue.empty():
            await websocket.send_text(queue.get_nowait().model_dump_json())
        if subscription.overflowed:
            await websocket.send_text(ErrorEvent(
                code="slow_consumer",
                detail=f"the client fell {queue.maxsize} events behind; {subscription.dropped} dropped",
            ).model_dump_json())
            await websocket.close(code=TRY_AGAIN_LATER, reason="slow consumer")
            return
        getter = asyncio.ensure_future(queue.get())
        overflow = asyncio.ensure_future(subscription.wakeup.wait())
        try:
            await asyncio.wait({getter, overflow}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Whichever did not finish (both, if the connection is closing) must not outlive this turn.
            overflow.cancel()
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            await websocket.send_text(getter.result().model_dump_json())
        else:
            subscription.wakeup.clear()


async def _send_lattice(svc: LatticeService, subscription: Subscription, user_id: str) -> None:
    session = await svc.sessions.get(subscription.session_id, user_id)
    view = await svc.lattice(session)
    subscription.offer(LatticeUpdate(session_id=session.session_id, lattice=view.model_dump(mode="json")))


@router.websocket("/ws")
async def session_events(websocket: WebSocket, session_id: str | None = None, token: str | None = None) -> None:
    """Follow a session: `connected`, then its events; answers `ping`, `subscribe_lattice`, `unsubscribe_lattice`."""
    await websocket.accept()
    if not token or not session_id:
        await websocket.close(code=POLICY_VIOLATION, reason="session_id and token are required")
        return
    try:
        principal = await verifier().verify_async(token)
    except AuthError:
        await websocket.close(code=POLICY_VIOLATION, reason="invalid token")
        return
    svc = await service()
    try:
        await svc.sessions.get(session_id, principal.user_id)
    except SessionNotFound:
        await websocket.close(code=POLICY_VIOLATION, reason="no such session for this user")
        return
    subscription = svc.bus.subscribe(session_id, svc.settings.ws_queue_size)
    subscription.offer(Connected(session_id=session_id, user_id=principal.user_id))
    sender = asyncio.create_task(_send_events(websocket, subscription))
    try:
        while not sender.done():
            receiver = asyncio.ensure_future(websocket.receive_text())
            await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
            if not receiver.done():
                receiver.cancel()
                break
            try:
                message = ClientMessage.model_validate(json.loads(receiver.result()))
            except (json.JSONDecodeError, ValidationError):
                subscription.offer(ErrorEvent(code="invalid_message",
                                              detail="send {\"type\": \"ping\" | \"subscribe_lattice\" | \"unsubscribe_lattice\"}"))
                continue
            if message.type == "ping":
                subscription.offer(Pong())
            elif message.type == "subscribe_lattice":
                subscription.lattice = True
                await _send_lattice(svc, subscription, principal.user_id)
            else:
                subscription.lattice = False
    except WebSocketDisconnect:
        pass
    finally:
        svc.bus.unsubscribe(subscription)
        sender.cancel()
        # The sender ends with the socket's error when the client vanished; that is expected here.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
