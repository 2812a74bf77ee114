"""Hosts on a real local Ray cluster with real PostgreSQL persistence."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import pytest
import ray

from actors import ActorFailed, Failure, HostGroup, HostSpec, host_index
from actors.persistence import StateStore

pytestmark = pytest.mark.usefixtures("ray_cluster")


def unique_group(prefix: str) -> str:
    """Detached hosts outlive a test, so each test gets a group of its own."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def counters(ray_cluster) -> HostGroup:
    """Three counter hosts shared by the module (a Ray actor costs seconds to start); tests use distinct ids."""
    group = HostGroup.sharded(
        HostSpec(
            group=unique_group("counter"),
            actor_class="tests.actors.counters:Counter",
            size=3,
            persistence="write_through",
        )
    )
    yield group
    group.kill()


async def test_messages_reach_the_host_their_id_hashes_to(counters: HostGroup) -> None:
    ids = [f"routed-{i}" for i in range(30)]
    await asyncio.gather(*(counters.tell(actor_id, 1) for actor_id in ids))
    for index, handle in enumerate(counters.handles()):
        active = {i for i in await handle.active_ids.remote() if i.startswith("routed-")}
        assert active == {i for i in ids if host_index(i, 3) == index}


async def test_each_actor_keeps_its_own_state(counters: HostGroup) -> None:
    assert await counters.tell("a", 5) == 5
    assert await counters.tell("b", 1) == 1
    assert await counters.tell("a", 2) == 7


async def test_a_failing_handler_raises_for_tell_and_lowers_its_resistance(counters: HostGroup) -> None:
    with pytest.raises(ActorFailed, match="asked to fail"):
        await counters.tell("fragile", "fail")
    snapshot = await counters.host_for("fragile").snapshot.remote("fragile")
    assert snapshot["resistance"]["failures"] == 1
    assert snapshot["resistance"]["failure_rate"] > 0


async def test_tell_many_answers_in_order_with_failures_in_place(counters: HostGroup) -> None:
    messages = [(f"m{i % 7}", 1) for i in range(70)]
    messages.insert(10, ("m3", "fail"))
    replies = await counters.tell_many(messages)
    assert isinstance(replies[10], Failure) and replies[10].actor_id == "m3"
    seen: dict[str, int] = {}
    for (actor_id, message), reply in zip(messages, replies, strict=True):
        if message == "fail":
            continue
        seen[actor_id] = seen.get(actor_id, 0) + 1
        assert reply == seen[actor_id]


async def test_a_coalescing_group_sends_concurrent_tells_in_few_calls() -> None:
    group = HostGroup.sharded(
        HostSpec(
            group=unique_group("coalesced"), actor_class="tests.actors.counters:Counter", size=2, persistence="none"
        ),
        coalesce=True,
    )
    try:
        ids = [f"c{i % 10}" for i in range(200)]
        replies = await asyncio.gather(*(group.tell(actor_id, 1) for actor_id in ids), return_exceptions=True)
        failed = await asyncio.gather(group.tell("c0", "fail"), return_exceptions=True)
        # Each actor saw its messages one at a time, in the order they were told.
        seen: dict[str, int] = {}
        for actor_id, reply in zip(ids, replies, strict=True):
            seen[actor_id] = seen.get(actor_id, 0) + 1
            assert reply == seen[actor_id]
        assert isinstance(failed[0], ActorFailed) and failed[0].failure.actor_id == "c0"
        calls, messages = group.coalesced()
        assert messages == 201
        assert calls <= 10
    finally:
        group.kill()


async def test_an_intake_sees_every_batch_and_may_answer_for_the_actors() -> None:
    group = HostGroup.sharded(
        HostSpec(
            group=unique_group("intake"),
            actor_class="tests.actors.counters:Counter",
            persistence="none",
            intake="tests.actors.counters:Bouncer",
        ),
        coalesce=True,
    )
    try:
        assert await group.tell("i1", 5) == 10  # the counter says 5, the intake doubles it
        with pytest.raises(PermissionError, match="-3 is negative"):
            await group.tell("i1", -3)
        replies = await group.tell_many([("i1", 1), ("i2", -1), ("i2", 2), ("i1", "fail")])
        assert replies[0] == 12 and replies[2] == 4
        assert isinstance(replies[1], PermissionError)
        assert isinstance(replies[3], Failure) and replies[3].actor_id == "i1"
        # The turned-away messages never reached the counter.
        assert await group.tell("i2", 0) == 4
        # A host without a coalescing group in front raises the intake's answer from `tell` too.
        with pytest.raises(PermissionError):
            await group.host_for("i1").tell.remote("i1", -1)
    finally:
        group.kill()


def test_an_intake_is_named_by_module_and_class() -> None:
    with pytest.raises(ValueError, match="intake"):
        HostSpec(group="g", actor_class="tests.actors.counters:Counter", intake="Bouncer")


async def test_one_message_at_a_time_per_actor_many_actors_at_once() -> None:
    group = HostGroup.sharded(
        HostSpec(group=unique_group("sleeper"), actor_class="tests.actors.counters:Sleeper", persistence="none")
    )
    try:
        same = await asyncio.gather(*(group.tell("one", 0.2) for _ in range(3)))
        for (_, first_end), (second_start, _) in itertools.pairwise(sorted(same)):
            assert second_start >= first_end
        apart = await asyncio.gather(*(group.tell(f"other-{i}", 0.2) for i in range(3)))
        assert max(start for start, _ in apart) < min(end for _, end in apart)
    finally:
        group.kill()


async def test_idle_actors_are_saved_then_dropped_and_come_back(counters: HostGroup, db) -> None:
    await counters.tell("sleepy", 4)
    host = counters.host_for("sleepy")
    assert await host.deactivate_idle.remote(0) >= 1
    assert "sleepy" not in await host.active_ids.remote()
    saved = await StateStore(db, "test_counter").load_many(["sleepy"])
    assert saved["sleepy"]["own"] == {"total": 4}
    assert await counters.tell("sleepy", 1) == 5


async def test_idle_actors_expire_on_their_own_after_the_ttl() -> None:
    spec = HostSpec(
        group=unique_group("ttl"),
        actor_class="tests.actors.counters:Counter",
        persistence="write_behind",
        idle_ttl_s=0.3,
        flush_interval_s=0.1,
    )
    group = HostGroup.sharded(spec)
    try:
        await group.tell("brief", 2)
        host = group.host_for("brief")
        for _ in range(50):
            if not await host.active_ids.remote():
                break
            await asyncio.sleep(0.1)
        stats = await host.stats.remote()
        assert stats.active == 0 and stats.deactivations == 1
        assert await group.tell("brief", 3) == 5
    finally:
        group.kill()


async def test_a_killed_host_comes_back_with_its_actors_saved_state(counters: HostGroup) -> None:
    await counters.tell("survivor", 10)
    await counters.tell("survivor", 5)
    host = counters.host_for("survivor")
    pid_before = await counters.tell("survivor", "whoami")
    ray.kill(host, no_restart=False)
    # ray.kill returns before the process is gone: wait until a new process answers.
    pid_after = pid_before
    for _ in range(200):
        try:
            pid_after = await asyncio.wait_for(counters.tell("survivor", "whoami"), 5)
        except (TimeoutError, ray.exceptions.RayActorError):
            pid_after = pid_before
        if pid_after != pid_before:
            break
        await asyncio.sleep(0.1)
    assert pid_after != pid_before
    assert await counters.tell("survivor", 1) == 16


async def test_dedicated_placement_gives_one_named_ray_actor() -> None:
    spec = HostSpec(group=unique_group("cell"), actor_class="tests.actors.counters:Counter", persistence="none")
    group = HostGroup.dedicated(spec, "architect")
    try:
        await group.tell("session-1", 1)
        assert group.names == [f"aura:{spec.group}:architect"]
        assert ray.get_actor(group.names[0], namespace="aura") is not None
    finally:
        group.kill()
