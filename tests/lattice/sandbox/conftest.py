"""A sandbox with short limits, so that runs stopped by a limit end quickly."""

from __future__ import annotations

import pytest

from lattice.sandbox import Limits, Sandbox


@pytest.fixture
async def sandbox() -> Sandbox:
    """A sandbox on this machine; tests need one, so its absence fails them rather than skipping."""
    made = Sandbox(Limits(wall_s=4.0, cpu_s=2, memory_mb=512, processes=32, file_size_mb=2, output_bytes=4096))
    assert await made.check() is None
    return made
