"""The session bus: publishing never waits, and a connection that falls behind is marked, not waited for."""

from __future__ import annotations

from lattice.events import AgentUpdate, LatticeUpdate, Pong, SessionBus


def _update(i: int) -> AgentUpdate:
    return AgentUpdate(session_id="s", agent_type="engineer", status="working", iteration=i, step_id=f"s:{i}")


async def test_a_full_queue_marks_the_slow_connection_and_spares_the_others() -> None:
    bus = SessionBus()
    slow, fast = bus.subscribe("s", 8), bus.subscribe("s", 64)
    other_session = bus.subscribe("t", 8)
    for i in range(20):
        bus.publish("s", _update(i))  # returns at once whatever the readers do
        fast.queue.get_nowait()
    assert slow.overflowed and slow.dropped == 12 and slow.queue.qsize() == 8
    assert not fast.overflowed and fast.queue.empty()
    assert other_session.queue.empty()
    assert [slow.queue.get_nowait().iteration for _ in range(8)] == list(range(8))  # the oldest kept, in order


async def test_lattice_updates_go_only_to_connections_that_subscribed() -> None:
    bus = SessionBus()
    watching, plain = bus.subscribe("s", 8), bus.subscribe("s", 8)
    watching.lattice = True
    assert bus.watching_lattice("s") and not bus.watching_lattice("t")
    bus.publish("s", LatticeUpdate(session_id="s", lattice={}))
    bus.publish("s", Pong())
    assert watching.queue.qsize() == 2 and plain.queue.qsize() == 1
    bus.unsubscribe(watching)
    bus.unsubscribe(plain)
    assert bus.listeners("s") == 0
