"""Chat sessions and their messages in PostgreSQL; every read is scoped to the owning user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from aura import AuraError, excerpt


class SessionNotFound(AuraError):
    """No such session for this user (someone else's session is indistinguishable from a missing one)."""

    default_code = "session_not_found"

    def __init__(self, session_id: str) -> None:
        super().__init__(detail=f"no session {excerpt(session_id)}")


class SessionEnded(AuraError):
    """The session was ended and takes no more chats."""

    default_code = "session_ended"

    def __init__(self, session_id: str) -> None:
        super().__init__(detail=f"session {excerpt(session_id)} has ended")


class TooManySessions(AuraError):
    """The user holds as many active sessions as a user may."""

    default_code = "too_many_sessions"

    def __init__(self, limit: int) -> None:
        super().__init__(detail=f"{limit} sessions are active; end one first", headers={"Retry-After": "60"})
        self.limit = limit


@dataclass(frozen=True)
class Session:
    """A session as stored."""

    session_id: str
    user_id: str
    status: Literal["active", "ended"]
    created_at: datetime
    ended_at: datetime | None
    interactions: int


@dataclass(frozen=True)
class StoredMessage:
    """One message of a session."""

    message_id: int
    role: str
    agent_type: str | None
    content: str
    created_at: datetime


def _session(row: asyncpg.Record) -> Session:
    return Session(
        row["session_id"], row["user_id"], row["status"], row["created_at"], row["ended_at"], row["interactions"]
    )


class SessionStore:
    """Reads and writes `lattice_sessions` and `lattice_messages`."""

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db

    async def create(self, user_id: str, max_active: int) -> Session:
        """A new active session owned by `user_id`; `TooManySessions` when it already has `max_active`."""
        async with self._db.acquire() as connection, connection.transaction():
            # Per-user lock, so two concurrent creations cannot both pass the count.
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('lattice_sessions:' || $1))", user_id)
            active = await connection.fetchval(
                "SELECT count(*) FROM lattice_sessions WHERE user_id = $1 AND status = 'active'", user_id
            )
            if active >= max_active:
                raise TooManySessions(max_active)
            row = await connection.fetchrow(
                "INSERT INTO lattice_sessions (session_id, user_id) VALUES ($1, $2) RETURNING *",
                str(uuid.uuid4()),
                user_id,
            )
        return _session(row)

    async def get(self, session_id: str, user_id: str) -> Session:
        """The session if `user_id` owns it; raises `SessionNotFound` otherwise."""
        row = await self._db.fetchrow(
            "SELECT * FROM lattice_sessions WHERE session_id = $1 AND user_id = $2", session_id, user_id
        )
        if row is None:
            raise SessionNotFound(session_id)
        return _session(row)

    async def find(self, session_id: str) -> Session | None:
        """The session by id whoever owns it (for internal fan-out, never for answering a user)."""
        row = await self._db.fetchrow("SELECT * FROM lattice_sessions WHERE session_id = $1", session_id)
        return None if row is None else _session(row)

    async def active(self, session_id: str, user_id: str) -> Session:
        """The session if `user_id` owns it and it is active."""
        session = await self.get(session_id, user_id)
        if session.status != "active":
            raise SessionEnded(session_id)
        return session

    async def end(self, session_id: str, user_id: str) -> Session:
        """End the session (ending an ended session changes nothing)."""
        row = await self._db.fetchrow(
            """UPDATE lattice_sessions SET status = 'ended', ended_at = coalesce(ended_at, now())
               WHERE session_id = $1 AND user_id = $2 RETURNING *""",
            session_id,
            user_id,
        )
        if row is None:
            raise SessionNotFound(session_id)
        return _session(row)

    async def add_messages(
        self, session_id: str, messages: list[tuple[str, str | None, str]], interactions: int = 0
    ) -> None:
        """Append (role, agent type, content) messages and count `interactions` cell steps, in one transaction."""
        async with self._db.acquire() as connection, connection.transaction():
            await connection.executemany(
                "INSERT INTO lattice_messages (session_id, role, agent_type, content) VALUES ($1, $2, $3, $4)",
                [(session_id, role, agent, content) for role, agent, content in messages],
            )
            if interactions:
                await connection.execute(
                    "UPDATE lattice_sessions SET interactions = interactions + $2 WHERE session_id = $1",
                    session_id,
                    interactions,
                )

    async def messages(self, session_id: str, limit: int, before: int | None) -> list[StoredMessage]:
        """Up to `limit` messages older than message id `before` (newest first)."""
        rows = await self._db.fetch(
            """SELECT message_id, role, agent_type, content, created_at FROM lattice_messages
               WHERE session_id = $1 AND ($2::bigint IS NULL OR message_id < $2)
               ORDER BY message_id DESC LIMIT $3""",
            session_id,
            before,
            limit,
        )
        return [StoredMessage(r["message_id"], r["role"], r["agent_type"], r["content"], r["created_at"]) for r in rows]
