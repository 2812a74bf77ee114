"""A host's channel: a TCP stream that carries a coalescing group's batches to the host without a Ray call each.

On a 2-core machine a batch of ten messages to a host and back takes about
1.7 ms of wall time and as much CPU as a Ray actor call, and about 0.15 ms
of each as a frame on a stream that stays open (`bench/channel.py`). For
hosts whose handlers take microseconds (sellers), the Ray call was most of
a batch's cost.
Ray still creates, names, places, restarts and reports the host; the
channel's address is handed out by a Ray call (`Host.channel`), and a
caller opens it again through Ray when the host it knew has gone.

Wire format, both ways: a frame is a 12-byte header (payload length as u32,
call id as u64, big-endian) and the payload, pickled. A request's payload
is the batch, a list of `(actor_id, message)`; its reply carries the same
call id and either `(True, replies)` or `(False, exception)`. Replies may
come back in any order. A connection starts with the host's 32-byte token,
which only a process that can call the host through Ray can learn, so the
channel is open to exactly those who could send the host a Ray call.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import pickle
import secrets
import socket
import struct
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ray import cloudpickle

from actors.metrics import CHANNEL_BATCHES
from aura import AuraError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!IQ")
TOKEN_BYTES = 32
#: A frame larger than this closes the connection: no batch of a coalescing group comes near it.
MAX_FRAME_BYTES = 64 * 1024 * 1024
#: How long a new connection may take to present its token, and a caller to connect.
_HANDSHAKE_S = 3.0
_CONNECT_S = 10.0
#: Connections that have not presented a token yet, at most: past it the oldest of them is closed, so
#: whoever can reach the port but holds no token cannot pile up connections on the host, and a caller
#: that holds it (and presents it the moment it connects) still gets in.
MAX_UNAUTHENTICATED = 32

Batch = list[tuple[str, Any]]
Handler = Callable[[Batch], Awaitable[list[Any]]]


class HostUnreachable(AuraError, ConnectionError):
    """The channel to a host closed (the host stopped, or its node is unreachable) before a batch was answered."""

    default_code = "host_unreachable"


@dataclass(frozen=True)
class ChannelAddress:
    """Where a host's channel listens and the token a connection must start with."""

    host: str
    port: int
    token: bytes = field(repr=False)


def _frame(call_id: int, payload: Any) -> bytes:
    # cloudpickle, as Ray uses, so whatever a Ray call could carry (classes defined in
    # `__main__` included) travels the channel too.
    data = cloudpickle.dumps(payload, protocol=5)
    return _HEADER.pack(len(data), call_id) + data


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next frame's call id and its payload, still pickled (a payload that cannot be read fails its call only)."""
    size, call_id = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"a frame of {size} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    return call_id, await reader.readexactly(size)


def _keep_alive(writer: asyncio.StreamWriter) -> None:
    """Probe an idle connection, so a peer whose node vanished without closing it is noticed in about 25 s."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


class ChannelListener:
    """The host's end: accepts connections that present the token and answers each batch through `handle`."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self._token = secrets.token_bytes(TOKEN_BYTES)
        self._server: asyncio.Server | None = None
        # Callers that ask for the address at once (replicas starting together) must share one server.
        self._starting = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._unauthenticated: OrderedDict[asyncio.StreamWriter, None] = OrderedDict()
        self.batches = 0
        self.refused = 0

    async def start(self, bind: str) -> ChannelAddress:
        """Listen on `bind` (an address of this node) at a free port; idempotent."""
        async with self._starting:
            if self._server is None:
                self._server = await asyncio.start_server(self._serve, bind, 0)
        port = self._server.sockets[0].getsockname()[1]
        return ChannelAddress(bind, port, self._token)

    def close(self) -> None:
        """Stop accepting and drop every connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if len(self._unauthenticated) >= MAX_UNAUTHENTICATED:
                oldest, _ = self._unauthenticated.popitem(last=False)
                self.refused += 1
                oldest.close()
            self._unauthenticated[writer] = None
            try:
                presented = await asyncio.wait_for(reader.readexactly(TOKEN_BYTES), _HANDSHAKE_S)
            finally:
                self._unauthenticated.pop(writer, None)
            if not hmac.compare_digest(presented, self._token):
                self.refused += 1
                log.warning(
                    "channel connection refused: wrong token", extra={"peer": writer.get_extra_info("peername")}
                )
                return
            _keep_alive(writer)
            while True:
                call_id, payload = await _read_frame(reader)
                self.batches += 1
                CHANNEL_BATCHES.inc()
                answer = asyncio.get_running_loop().create_task(self._answer(writer, call_id, payload))
                self._tasks.add(answer)
                answer.add_done_callback(self._tasks.discard)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            return  # the caller went away (or never said who it was)
        except ValueError:
            log.exception("channel connection dropped: a frame over the size limit")
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, call_id: int, payload: bytes) -> None:
        try:
            batch: Batch = pickle.loads(payload)
        except Exception as exc:  # e.g. a message class this host cannot import
            outcome: tuple[bool, Any] = (False, TypeError(f"the host could not read the batch: {exc!r}"))
        else:
            try:
                outcome = (True, await self._handle(batch))
            except Exception as exc:
                outcome = (False, exc)
        try:
            data = _frame(call_id, outcome)
        except Exception as exc:  # a reply that cannot be pickled fails its batch, not the connection
            data = _frame(call_id, (False, TypeError(f"the host's replies could not be sent: {exc}")))
        if not writer.is_closing():
            writer.write(data)


class HostChannel:
    """The caller's end: one connection to a host's channel, many batches in flight on it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._pending: dict[int, asyncio.Future[list[Any]]] = {}
        self._ids = itertools.count()
        self._closed: BaseException | None = None
        self.loop = asyncio.get_running_loop()
        self._reading = self.loop.create_task(self._read())

    @classmethod
    async def open(cls, address: ChannelAddress) -> HostChannel:
        """Connect to `address` and present its token."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address.host, address.port), _CONNECT_S)
        _keep_alive(writer)
        writer.write(address.token)
        return cls(reader, writer)

    @property
    def usable(self) -> bool:
        """Whether new batches can go out on this connection from the running event loop."""
        return self._closed is None and self.loop is asyncio.get_running_loop()

    def call(self, batch: Batch) -> asyncio.Future[list[Any]]:
        """Send `batch` now and return the future of its replies (`HostUnreachable` if the connection closes first)."""
        future: asyncio.Future[list[Any]] = self.loop.create_future()
        if self._closed is not None:
            future.set_exception(HostUnreachable(detail=f"the channel is closed: {self._closed}"))
            return future
        call_id = next(self._ids)
        data = _frame(call_id, batch)  # a batch that cannot be pickled raises here, before anything is sent
        self._pending[call_id] = future
        self._writer.write(data)
        return future

    def close(self) -> None:
        """Close the connection; batches still in flight fail with `HostUnreachable`."""
        self._writer.close()
        self._reading.cancel()
        self._fail(HostUnreachable(detail="the channel was closed by its caller"))

    async def _read(self) -> None:
        try:
            while True:
                call_id, payload = await _read_frame(self._reader)
                future = self._pending.pop(call_id, None)
                if future is None or future.done():
                    continue
                try:
                    ok, outcome = pickle.loads(payload)
                except Exception as exc:  # e.g. a reply class this process cannot import
                    ok, outcome = False, TypeError(f"the host's replies could not be read: {exc!r}")
                if ok:
                    future.set_result(outcome)
                else:
                    future.set_exception(outcome)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # EOF, reset, or a frame that makes no sense: the connection is done
            self._fail(HostUnreachable(detail=f"the host closed the channel ({type(exc).__name__})"))
            self._writer.close()

    def _fail(self, error: HostUnreachable) -> None:
        self._closed = error
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)
