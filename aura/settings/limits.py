"""Settings of rate limits and size caps shared by the bearer and unsigned routes."""

from __future__ import annotations

from pydantic import Field

from aura.settings.section import Section


class LimitSettings(Section):
    """How much one caller may ask for, and how large a request may be."""

    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body any route reads (413 past it)."
    )
    search_per_minute: int = Field(default=120, ge=1, description="Unsigned searches a minute from one client address.")
    user_per_minute: int = Field(default=300, ge=1, description="Requests a minute one user makes to bearer routes.")
    chat_per_minute: int = Field(default=20, ge=1, description="Chats a minute one user may start.")
    quantum_per_minute: int = Field(default=60, ge=1, description="Quantum metric runs a minute one user may ask for.")
