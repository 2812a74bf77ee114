"""Building circuits off the event loop: on a few threads of their own, each build within a time budget.

Parsing and expanding a program is CPU work that would otherwise hold the
event loop of whoever serves the request, and with it every other request.
The builder's threads are its own, so builds never queue behind, or hold up,
anything else that runs in the loop's default executor. It takes no more
builds than it has threads: one beyond that is refused at once, rather than
queued to wait out its budget. A build that exceeds its budget is answered
at once; its thread finishes the (bounded) work and then serves the next.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from qiskit import QuantumCircuit

from quantum.errors import CircuitError, QuantumError


class BuilderBusy(QuantumError):
    """Every build thread is taken; the caller should retry shortly."""

    default_code = "circuit_builder_busy"

    def __init__(self) -> None:
        super().__init__(detail="every circuit builder is busy; retry shortly", headers={"Retry-After": "1"})


class CircuitBuilder:
    """Runs circuit builds on `threads` threads of its own, refusing a build when all of them are taken."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="aura-circuit-build")
        self._free = threading.BoundedSemaphore(threads)

    async def build(self, make: Callable[[], QuantumCircuit], budget_s: float) -> QuantumCircuit:
        """The circuit `make` returns, built on a builder thread.

        Raises:
            BuilderBusy: every thread is building already.
            CircuitError: code ``circuit_build_timeout`` when the build takes
                longer than `budget_s`; whatever `make` raises otherwise.
        """
        if not self._free.acquire(blocking=False):
            raise BuilderBusy()
        try:
            running = self._executor.submit(make)
        except BaseException:
            self._free.release()
            raise
        # The thread is free again only when its build ends, not when the caller stops waiting for it.
        running.add_done_callback(lambda _: self._free.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(running), budget_s)
        except TimeoutError:
            raise CircuitError(
                "circuit_build_timeout", f"building the circuit took longer than {budget_s:g} s"
            ) from None
