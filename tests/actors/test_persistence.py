"""Saved actor state in real PostgreSQL: a head row per actor and its bounded logs as appended rows."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from actors import LogicalActor
from actors.persistence import StateStore


class Notebook(LogicalActor):
    """Remembers and traces every message; small bounds, so a few messages overflow them."""

    kind = "test_notebook"
    memory_window = 4
    trace_limit = 6

    def receive(self, message: Any) -> int:
        self.memory.remember({"said": message})
        self.trace.record(self.actor_id, "note", inputs=message)
        return self.memory.appended


def fresh_id() -> str:
    """The database outlives a test, so each test's actors get ids of their own."""
    return f"nb-{uuid.uuid4().hex[:8]}"


def as_saved(actor: LogicalActor) -> dict:
    """The actor's snapshot as it reads back from JSON."""
    return json.loads(json.dumps(actor.snapshot()))


async def rows(db: asyncpg.Pool, actor_id: str) -> dict[str, list[int]]:
    """The item numbers stored for each log of an actor."""
    found: dict[str, list[int]] = {}
    for row in await db.fetch(
        "SELECT log, seq FROM actor_log WHERE kind = $1 AND actor_id = $2 ORDER BY log, seq", Notebook.kind, actor_id
    ):
        found.setdefault(row["log"], []).append(row["seq"])
    return found


async def test_saving_after_every_message_restores_the_same_actor_and_keeps_only_the_bounds(db) -> None:
    store, actor_id = StateStore(db, Notebook.kind), fresh_id()
    actor = Notebook(actor_id)
    for message in range(20):
        actor.receive(message)
        await store.save_many({actor_id: actor.snapshot()})

    loaded = (await StateStore(db, Notebook.kind).load_many([actor_id]))[actor_id]
    assert loaded == as_saved(actor)
    assert as_saved(Notebook.restore(actor_id, loaded)) == as_saved(actor)
    assert await rows(db, actor_id) == {"memory": [17, 18, 19, 20], "trace": list(range(15, 21))}


async def test_a_save_writes_the_new_items_and_leaves_saved_ones_alone(db) -> None:
    store, actor_id = StateStore(db, Notebook.kind), fresh_id()
    actor = Notebook(actor_id)
    actor.receive("first")
    await store.save_many({actor_id: actor.snapshot()})
    first_write = await db.fetchval(
        "SELECT xmin::text FROM actor_log WHERE kind = $1 AND actor_id = $2 AND seq = 1", Notebook.kind, actor_id
    )
    for message in range(3):
        actor.receive(message)
        await store.save_many({actor_id: actor.snapshot()})
    # An updated row gets a new xmin; the first item was never written again.
    assert (
        await db.fetchval(
            "SELECT xmin::text FROM actor_log WHERE kind = $1 AND actor_id = $2 AND seq = 1", Notebook.kind, actor_id
        )
        == first_write
    )


async def test_a_store_without_a_record_of_an_actor_writes_its_items_again_and_stays_consistent(db) -> None:
    forgetful, a, b = StateStore(db, Notebook.kind, remembered=1), Notebook(fresh_id()), Notebook(fresh_id())
    for message in range(5):
        a.receive(message)
    await forgetful.save_many({a.actor_id: a.snapshot()})
    b.receive("push a out of the store's records")
    await forgetful.save_many({b.actor_id: b.snapshot()})
    for message in range(5, 9):
        a.receive(message)
    await forgetful.save_many({a.actor_id: a.snapshot()})

    # As after a host restart: a new store loads the actor, which carries on and is saved again.
    restarted = StateStore(db, Notebook.kind)
    again = Notebook.restore(a.actor_id, (await restarted.load_many([a.actor_id]))[a.actor_id])
    assert as_saved(again) == as_saved(a)
    again.receive("after the restart")
    await restarted.save_many({a.actor_id: again.snapshot()})
    assert (await StateStore(db, Notebook.kind).load_many([a.actor_id]))[a.actor_id] == as_saved(again)
    assert await rows(db, a.actor_id) == {"memory": [7, 8, 9, 10], "trace": list(range(5, 11))}


async def test_a_head_saved_whole_before_logs_had_rows_loads_and_moves_into_rows(db) -> None:
    store, actor_id = StateStore(db, Notebook.kind), fresh_id()
    old = as_saved(Notebook(actor_id))
    old["memory"] = {"window": 4, "recent": [{"said": 1}, {"said": 2}], "notes": {"kept": True}}
    old["trace"] = {
        "limit": 6,
        "events": [
            {
                "ts": 1.0,
                "actor_id": actor_id,
                "step": "note",
                "inputs": 1,
                "outputs": None,
                "duration_ms": 0.0,
                "error": None,
            }
        ],
    }
    await db.execute(
        "INSERT INTO actor_state (kind, actor_id, state) VALUES ($1, $2, $3::jsonb)",
        Notebook.kind,
        actor_id,
        json.dumps(old),
    )

    loaded = (await store.load_many([actor_id]))[actor_id]
    assert loaded == old
    actor = Notebook.restore(actor_id, loaded)
    actor.receive(3)
    await store.save_many({actor_id: actor.snapshot()})
    back = (await StateStore(db, Notebook.kind).load_many([actor_id]))[actor_id]
    assert back["memory"]["recent"] == [{"said": 1}, {"said": 2}, {"said": 3}]
    assert back == as_saved(actor)


async def test_saves_at_once_all_commit_and_an_actors_newest_snapshot_wins(db) -> None:
    store = StateStore(db, Notebook.kind)
    actors = [Notebook(fresh_id()) for _ in range(30)]
    for index, actor in enumerate(actors):
        for message in range(index % 9):
            actor.receive(message)
    one = actors[0]
    one.receive("older")
    older = one.snapshot()
    one.receive("newer")
    await asyncio.gather(
        store.save_many({one.actor_id: older}),
        *(store.save_many({actor.actor_id: actor.snapshot()}) for actor in actors),
    )

    loaded = await StateStore(db, Notebook.kind).load_many([actor.actor_id for actor in actors])
    assert loaded == {actor.actor_id: as_saved(actor) for actor in actors}


async def test_a_snapshot_that_cannot_be_saved_fails_its_caller_and_not_the_next_save(db) -> None:
    store, actor_id = StateStore(db, Notebook.kind), fresh_id()
    actor = Notebook(actor_id)
    actor.receive("fine")
    actor.memory.notes["handle"] = object()
    with pytest.raises(TypeError):
        await store.save_many({actor_id: actor.snapshot()})
    del actor.memory.notes["handle"]
    await store.save_many({actor_id: actor.snapshot()})
    assert (await store.load_many([actor_id]))[actor_id] == as_saved(actor)


async def test_saves_sent_together_fail_only_where_a_snapshot_cannot_be_saved(db) -> None:
    store = StateStore(db, Notebook.kind)
    good, bad, also_good = Notebook(fresh_id()), Notebook(fresh_id()), Notebook(fresh_id())
    for actor in (good, bad, also_good):
        actor.receive("hello")
    bad.memory.notes["handle"] = object()
    # The first save goes out alone; the other two queue behind it and share the next statement.
    outcomes = await asyncio.gather(
        *(store.save_many({a.actor_id: a.snapshot()}) for a in (good, bad, also_good)), return_exceptions=True
    )
    assert outcomes[0] is None and isinstance(outcomes[1], TypeError) and outcomes[2] is None
    loaded = await store.load_many([good.actor_id, bad.actor_id, also_good.actor_id])
    assert loaded == {good.actor_id: as_saved(good), also_good.actor_id: as_saved(also_good)}


async def test_a_save_overtaken_by_a_snapshot_that_cannot_be_saved_fails_with_it(db) -> None:
    store, actor = StateStore(db, Notebook.kind), Notebook(fresh_id())
    actor.receive("first")
    first = actor.snapshot()
    actor.memory.notes["handle"] = object()
    # The first save goes out alone; the next two queue together and the newer snapshot would replace the older.
    outcomes = await asyncio.gather(
        store.save_many({fresh_id(): Notebook(fresh_id()).snapshot()}),
        store.save_many({actor.actor_id: first}),
        store.save_many({actor.actor_id: actor.snapshot()}),
        return_exceptions=True,
    )
    # The older snapshot was not written either, so its caller must not hear that it was.
    assert outcomes[0] is None
    assert isinstance(outcomes[1], TypeError) and isinstance(outcomes[2], TypeError)
    assert await store.load_many([actor.actor_id]) == {}
