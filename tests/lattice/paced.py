"""A test provider that pauses between chunks, as a model streaming over the network does (cell hosts load it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from lattice.providers.base import Completion, Provider, ProviderRequest

PAUSE_S = 0.5


class PacedProvider(Provider):
    """Yields two chunks with a pause between them."""

    name = "paced"

    async def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """`<role> starts`, a pause, then `and ends`."""
        completion.model = "paced"
        yield f"{request.role} starts "
        await asyncio.sleep(PAUSE_S)
        yield "and ends"
        completion.stop_reason = "end_turn"
