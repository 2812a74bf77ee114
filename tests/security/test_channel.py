"""A host's channel against callers without its token: they cannot pile up connections or keep others out."""

from __future__ import annotations

import asyncio
from typing import Any

from actors.channel import MAX_UNAUTHENTICATED, ChannelListener, HostChannel


async def _echo(batch: list[tuple[str, Any]]) -> list[Any]:
    return [actor_id for actor_id, _ in batch]


async def test_connections_without_a_token_are_bounded_and_the_token_holder_still_gets_in() -> None:
    listener = ChannelListener(_echo)
    address = await listener.start("127.0.0.1")
    silent = [await asyncio.open_connection(address.host, address.port) for _ in range(MAX_UNAUTHENTICATED + 8)]
    try:
        channel = await HostChannel.open(address)
        assert await asyncio.wait_for(channel.call([("a", None)]), 5) == ["a"]
        # The oldest silent connections were closed to make room: they read end of stream.
        closed = 0
        for reader, _ in silent[:9]:
            if await asyncio.wait_for(reader.read(1), 5) == b"":
                closed += 1
        assert closed == 9 and listener.refused >= 9
        # The rest are closed once the handshake time runs out.
        reader, _ = silent[-1]
        assert await asyncio.wait_for(reader.read(1), 10) == b""
        channel.close()
    finally:
        for _, writer in silent:
            writer.close()
        listener.close()
