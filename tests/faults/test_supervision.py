"""Hosts gone for good (restarts used up, killed with `no_restart`) are made again under their name.

Ray re-creates neither a dead named actor nor one whose restarts are used
up; a host group looks its host up again on the next call and creates it if
it is gone, and the logical actors activate from their saved state.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import ray

from actors import HostGroup, HostSpec
from actors.channel import HostUnreachable

pytestmark = pytest.mark.usefixtures("ray_cluster")


def counters(coalesce: bool) -> HostGroup:
    return HostGroup.sharded(
        HostSpec(
            group=f"supervised-{uuid.uuid4().hex[:8]}",
            actor_class="tests.actors.counters:Counter",
            persistence="write_through",
        ),
        coalesce=coalesce,
    )


async def new_host_pid(group: HostGroup, actor_id: str, killed: object) -> object:
    """The pid a host other than `killed` answers with, asking as a caller would, again after each failure.

    `ray.kill` returns before the process is gone, so the first answers may still come from it.
    """
    for _ in range(300):
        try:
            pid = await asyncio.wait_for(group.tell(actor_id, "whoami"), 10)
            if pid != killed:
                return pid
        except (TimeoutError, HostUnreachable, ray.exceptions.RayActorError):
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("no new host answered")


@pytest.mark.parametrize("coalesce", [True, False], ids=["over-the-channel", "ray-calls"])
async def test_a_host_killed_for_good_is_made_again_with_its_actors_state(coalesce: bool) -> None:
    group, counter = counters(coalesce), f"kept-{uuid.uuid4().hex[:8]}"
    try:
        assert [await group.tell(counter, 1) for _ in range(3)] == [1, 2, 3]
        pid_before = await group.tell(counter, "whoami")
        ray.kill(group.handle(0), no_restart=True)
        await new_host_pid(group, counter, pid_before)
        assert await group.tell(counter, 1) == 4  # write-through: the new host carries on from the saved count
    finally:
        group.kill()


async def test_calls_through_the_group_find_a_host_killed_for_good() -> None:
    group, counter = counters(coalesce=False), f"kept-{uuid.uuid4().hex[:8]}"
    try:
        await group.tell(counter, 1)
        ray.kill(group.handle(0), no_restart=True)
        snapshot = await asyncio.wait_for(group.call(0, "snapshot", counter), 60)
        assert snapshot["own"] == {"total": 1}  # the saved count, activated on the new host
    finally:
        group.kill()
