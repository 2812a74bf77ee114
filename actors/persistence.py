"""Saved logical-actor state in PostgreSQL, read and written in batches.

A snapshot's two growing parts, the memory window's items and the trace's
events, are bounded append-only logs. Rewriting them whole on every save made
a save's cost grow with the actor's history, so each item is a row of
`actor_log`, written once and numbered from the actor's first item. The rest
of the snapshot (notes, W2 loop, Γ, the subclass's own fields, and how many
items each log has had) is the actor's head row in `actor_state`. One
statement writes the head, the new items and drops the items that fell out of
their bound, so a saved head and its rows always agree.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

import asyncpg

from aura import Coalescer


@dataclass(frozen=True)
class _Log:
    """Where a bounded log sits in a snapshot: its section, the key of its items and of its bound."""

    section: str
    items: str
    bound: str


#: The logs of `LogicalActor.snapshot()`; each section also carries `appended`, its count of items ever.
LOGS = (_Log("memory", "recent", "window"), _Log("trace", "events", "limit"))

#: Actors encoded per turn of the event loop: a save of a whole host of busy actors (their new
#: memory items and trace events, their notes) is milliseconds of JSON the host's messages need not wait on.
_ENCODED_PER_TURN = 16

_LOAD_HEADS = "SELECT actor_id, state FROM actor_state WHERE kind = $1 AND actor_id = ANY($2::text[])"
_LOAD_ITEMS = """
SELECT actor_id, log, seq, item FROM actor_log WHERE kind = $1 AND actor_id = ANY($2::text[])
ORDER BY actor_id, log, seq
"""

# Data-modifying CTEs run in one statement, so head, items and trimming commit together or not at all.
_SAVE = """
WITH heads AS (
    INSERT INTO actor_state (kind, actor_id, state, saved_at)
    SELECT $1, id, state::jsonb, now() FROM unnest($2::text[], $3::text[]) AS t(id, state)
    ON CONFLICT (kind, actor_id) DO UPDATE SET state = EXCLUDED.state, saved_at = EXCLUDED.saved_at
), items AS (
    INSERT INTO actor_log (kind, actor_id, log, seq, item)
    SELECT $1, id, log, seq, item::jsonb FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[])
        AS t(id, log, seq, item)
    ON CONFLICT (kind, actor_id, log, seq) DO UPDATE SET item = EXCLUDED.item
)
DELETE FROM actor_log l USING unnest($8::text[], $9::text[], $10::bigint[]) AS t(id, log, below)
WHERE l.kind = $1 AND l.actor_id = t.id AND l.log = t.log AND l.seq <= t.below
"""


@dataclass
class _Row:
    """One actor's part of a save statement."""

    head: str
    items: list[tuple[str, int, str]]  # (log, seq, item as JSON)
    trims: list[tuple[str, int]]  # (log, drop items numbered up to this)
    counts: tuple[int, ...]


def _columns(rows: dict[str, _Row]) -> tuple[list, ...]:
    """The save statement's arrays: heads, then items, then trims, each a column per field."""
    items = [(actor_id, *item) for actor_id, row in rows.items() for item in row.items]
    trims = [(actor_id, *trim) for actor_id, row in rows.items() for trim in row.trims]
    return (
        list(rows),
        [row.head for row in rows.values()],
        [i[0] for i in items],
        [i[1] for i in items],
        [i[2] for i in items],
        [i[3] for i in items],
        [t[0] for t in trims],
        [t[1] for t in trims],
        [t[2] for t in trims],
    )


class StateStore:
    """Loads and saves snapshots of one kind of logical actor.

    The store remembers, per actor, how many items of each log it has saved
    or loaded, and writes only the items after those. An actor whose record
    it dropped (it keeps the `remembered` most recent) gets all the items it
    holds written again: correct, only slower.

    Saves are coalesced, one statement in flight at a time: the snapshots
    that arrive while one runs are merged into the next (an actor's newest
    snapshot wins), so a busy host commits once per round trip rather than
    once per actor, and one actor's saves never commit out of order.
    """

    def __init__(self, db: asyncpg.Pool, kind: str, remembered: int = 100_000) -> None:
        self._db = db
        self.kind = kind
        self._remembered = remembered
        self._saved: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._writer: Coalescer[dict[str, dict], None] = Coalescer(self._write)

    def _mark(self, actor_id: str, counts: tuple[int, ...]) -> None:
        self._saved[actor_id] = counts
        self._saved.move_to_end(actor_id)
        if len(self._saved) > self._remembered:
            self._saved.popitem(last=False)

    async def load_many(self, actor_ids: list[str]) -> dict[str, dict]:
        """The saved snapshots of those of `actor_ids` that have one."""
        if not actor_ids:
            return {}
        # One snapshot of the database for heads and items, so a save in between cannot split them.
        async with self._db.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
            states = {
                row["actor_id"]: json.loads(row["state"])
                for row in await connection.fetch(_LOAD_HEADS, self.kind, actor_ids)
            }
            # Only actors whose heads count items have rows: many actors (counters, tallies) have none,
            # and a head saved before logs had rows holds its items itself (and counts none).
            counts = {i: c for i, c in ((i, _counts(state)) for i, state in states.items()) if any(c)}
            rows = await connection.fetch(_LOAD_ITEMS, self.kind, list(counts)) if counts else []
        items: dict[tuple[str, str], list[tuple[int, object]]] = defaultdict(list)
        for row in rows:
            items[row["actor_id"], row["log"]].append((row["seq"], json.loads(row["item"])))
        for actor_id, saved in counts.items():
            state = states[actor_id]
            for part, appended in zip(LOGS, saved, strict=True):
                section = state.get(part.section)
                if section is not None:
                    oldest = appended - section[part.bound]
                    section[part.items] = [
                        item for seq, item in items[actor_id, part.section] if oldest < seq <= appended
                    ]
            self._mark(actor_id, saved)
        return states

    async def save_many(self, snapshots: dict[str, dict]) -> None:
        """Insert or replace the snapshots, writing only log items not saved yet; returns once committed."""
        if snapshots:
            await self._writer.submit(snapshots)

    async def _write(self, calls: list[dict[str, dict]]) -> list[BaseException | None]:
        """Commit the snapshots of the `save_many` calls that queued up together, as one statement.

        An actor's newest snapshot is the one written. A call with a snapshot that is
        not JSON fails alone; the others still commit.
        """
        newest: dict[str, dict] = {}
        callers: dict[str, list[int]] = defaultdict(list)
        for index, call in enumerate(calls):
            for actor_id, snapshot in call.items():
                newest[actor_id] = snapshot
                callers[actor_id].append(index)
        outcomes: list[BaseException | None] = [None] * len(calls)
        rows: dict[str, _Row] = {}
        for count, (actor_id, snapshot) in enumerate(newest.items(), start=1):
            try:
                rows[actor_id] = self._encode(actor_id, snapshot)
            except (TypeError, ValueError) as exc:
                # Every call that asked for this actor fails: the older snapshots it sent are not written either.
                for index in callers[actor_id]:
                    outcomes[index] = exc
            if count % _ENCODED_PER_TURN == 0:
                await asyncio.sleep(0)  # the host's messages go on meanwhile
        rows = {i: row for i, row in rows.items() if all(outcomes[c] is None for c in callers[i])}
        if rows:
            await self._db.execute(_SAVE, self.kind, *_columns(rows))
        for actor_id, row in rows.items():
            if any(row.counts):  # an actor without items needs no record: it has nothing to skip
                self._mark(actor_id, row.counts)
        return outcomes

    def _encode(self, actor_id: str, snapshot: dict) -> _Row:
        """One actor's row: its head, the items of its logs after the counts saved so far, what to trim."""
        saved = self._saved.get(actor_id, (0,) * len(LOGS))
        head = dict(snapshot)
        items: list[tuple[str, int, str]] = []
        trims: list[tuple[str, int]] = []
        for part, done in zip(LOGS, saved, strict=True):
            section = snapshot.get(part.section)
            if section is None:
                continue
            logged, appended, bound = section[part.items], section["appended"], section[part.bound]
            new = min(len(logged), appended - done)
            first = appended - len(logged) + 1  # the number of logged[0]
            items.extend(
                (part.section, first + index, json.dumps(logged[index]))
                for index in range(len(logged) - new, len(logged))
            )
            if new > 0 and appended > bound:
                trims.append((part.section, appended - bound))
            head[part.section] = {**section, part.items: []}
        return _Row(json.dumps(head), items, trims, _counts(snapshot))

    async def delete(self, actor_id: str) -> None:
        """Forget one actor's saved state."""
        async with self._db.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM actor_log WHERE kind = $1 AND actor_id = $2", self.kind, actor_id)
            await connection.execute("DELETE FROM actor_state WHERE kind = $1 AND actor_id = $2", self.kind, actor_id)
        self._saved.pop(actor_id, None)


def _counts(snapshot: dict) -> tuple[int, ...]:
    """How many items each log of a snapshot has had (0 for a log it lacks or a head saved before logs had rows)."""
    return tuple((snapshot.get(part.section) or {}).get("appended", 0) for part in LOGS)
