"""A sandbox with small file and output limits; tests that hit a time limit ask for a short one per run."""

from __future__ import annotations

import pytest

from lattice.sandbox import Limits, Sandbox


@pytest.fixture
async def sandbox() -> Sandbox:
    """A sandbox on this machine; tests need one, so its absence fails them rather than skipping."""
    made = Sandbox(Limits(processes=32, file_size_mb=2, output_bytes=4096))
    assert await made.check() is None
    return made
