"""A host's channel: batches on a token-guarded stream, replies matched by call id, failures per batch."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import ray

from actors import ActorFailed, HostGroup, HostSpec, HostUnreachable
from actors.channel import TOKEN_BYTES, ChannelListener, HostChannel


def _refuse_to_load() -> None:
    raise RuntimeError("cannot be rebuilt here")


class Unloadable:
    """Pickles fine and fails to unpickle, like an object whose class the other side cannot import."""

    def __reduce__(self) -> tuple:
        return _refuse_to_load, ()


async def _echo_after_sleeping(batch: list[tuple[str, Any]]) -> list[Any]:
    """Sleeps each message's seconds, then answers each actor id.

    `"boom"` raises, `"gen"` answers a generator (which cannot be pickled),
    `"unloadable"` answers an `Unloadable`.
    """
    replies: list[Any] = []
    for actor_id, message in batch:
        if message == "boom":
            raise LookupError("no such thing")
        if message in ("gen", "unloadable"):
            replies.append((x for x in range(3)) if message == "gen" else Unloadable())
            continue
        await asyncio.sleep(message)
        replies.append(actor_id)
    return replies


@pytest.fixture
async def listener():
    listening = ChannelListener(_echo_after_sleeping)
    yield listening
    listening.close()


async def test_replies_find_their_callers_whatever_order_they_come_back_in(listener: ChannelListener) -> None:
    channel = await HostChannel.open(await listener.start("127.0.0.1"))
    try:
        slow, fast = channel.call([("slow", 0.2)]), channel.call([("fast", 0.0), ("also-fast", 0.0)])
        done, _ = await asyncio.wait({slow, fast}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {fast}
        assert await fast == ["fast", "also-fast"]
        assert await slow == ["slow"]
        assert listener.batches == 2
    finally:
        channel.close()


async def test_a_failing_batch_raises_for_its_caller_and_the_channel_carries_on(listener: ChannelListener) -> None:
    channel = await HostChannel.open(await listener.start("127.0.0.1"))
    try:
        with pytest.raises(LookupError, match="no such thing"):
            await channel.call([("a", "boom")])
        with pytest.raises(TypeError, match="could not be sent"):
            await channel.call([("a", "gen")])
        with pytest.raises(TypeError, match="generator"):
            channel.call([("a", (x for x in range(3)))])
        with pytest.raises(TypeError, match="host could not read the batch"):
            await channel.call([("a", Unloadable())])
        with pytest.raises(TypeError, match="replies could not be read"):
            await channel.call([("a", "unloadable")])
        assert channel.usable
        assert await channel.call([("b", 0.0)]) == ["b"]
    finally:
        channel.close()


async def test_batches_in_flight_fail_with_host_unreachable_when_the_host_end_closes(listener: ChannelListener) -> None:
    channel = await HostChannel.open(await listener.start("127.0.0.1"))
    pending = channel.call([("late", 5.0)])
    await asyncio.sleep(0.1)
    listener.close()
    with pytest.raises(HostUnreachable):
        await asyncio.wait_for(pending, 5)
    assert not channel.usable
    with pytest.raises(HostUnreachable):
        await channel.call([("after", 0.0)])


async def test_callers_asking_for_the_address_at_once_share_one_server(listener: ChannelListener) -> None:
    first, second = await asyncio.gather(listener.start("127.0.0.1"), listener.start("127.0.0.1"))
    assert first == second


async def test_a_connection_without_the_token_is_closed_unanswered(listener: ChannelListener) -> None:
    address = await listener.start("127.0.0.1")
    reader, writer = await asyncio.open_connection(address.host, address.port)
    writer.write(bytes(TOKEN_BYTES))
    writer.write(b"\x00\x00\x00\x04" + bytes(8) + b"junk")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert listener.batches == 0


@pytest.mark.usefixtures("ray_cluster")
async def test_a_coalescing_group_reaches_its_host_over_the_channel_and_again_after_a_restart() -> None:
    group = HostGroup.sharded(
        HostSpec(
            group=f"channel-{uuid.uuid4().hex[:8]}",
            actor_class="tests.actors.counters:Counter",
            persistence="write_through",
        ),
        coalesce=True,
    )
    try:
        replies = await asyncio.gather(*(group.tell("kept", 1) for _ in range(50)))
        assert sorted(replies) == list(range(1, 51))
        with pytest.raises(ActorFailed, match="asked to fail"):
            await group.tell("kept", "fail")
        stats = await group.handle(0).stats.remote()
        assert stats.channel_batches == group.coalesced()[0]
        assert stats.messages == 51

        pid_before = await group.tell("kept", "whoami")
        ray.kill(group.handle(0), no_restart=False)
        pid_after = pid_before
        for _ in range(200):
            try:
                pid_after = await asyncio.wait_for(group.tell("kept", "whoami"), 5)
            except (TimeoutError, HostUnreachable, ray.exceptions.RayActorError):
                pass
            if pid_after != pid_before:
                break
            await asyncio.sleep(0.1)
        assert pid_after != pid_before
        # Write-through: the restarted host carries on from the saved count.
        assert await group.tell("kept", 1) == 51
    finally:
        group.kill()
