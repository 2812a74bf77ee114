"""What `aura simulate` runs around a simulation: Ray and the database, joined when something already provides them.

From a shell with an `aura up` running, a run joins that cluster and that
database and starts nothing. Without one, it starts a local Ray with only
what a simulation uses (no dashboard) and, when it records, the embedded
PostgreSQL, both at once; it stops both before the command returns (on an
error and on Ctrl-C too), Ray as soon as the shards' results are in, while
the outputs are written. Under `ray job submit`, Ray is connected already
and stays so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from aura.settings import Settings
from aura.store import hold_database, release_database


@dataclass
class SimulationRuntime:
    """Ray connected, the database (when recording) and the seconds it took to get them."""

    connected_here: bool  # this command connected Ray (started a local one, or joined a cluster)
    joined: str | None  # the API of the `aura up` whose cluster was joined, if one was
    database_url: str | None = None
    startup_s: float = 0.0
    _stopping: list[threading.Thread] = field(default_factory=list)

    def engine_done(self) -> None:
        """Leave Ray in the background once the shards are done: a local Ray started here stops, a joined one stays."""
        if self.connected_here and not self._stopping:
            import ray

            stopping = threading.Thread(target=ray.shutdown, name="ray-shutdown")
            stopping.start()
            self._stopping.append(stopping)

    def stop(self) -> None:
        """Leave Ray (if `engine_done` has not yet) and wait until that is done."""
        self.engine_done()
        for thread in self._stopping:
            thread.join()


@contextmanager
def simulation_runtime(settings: Settings, *, record: bool) -> Iterator[SimulationRuntime]:
    """Ray connected and the database held (when `record`) for one run; what this started stops on leaving."""
    began = time.perf_counter()
    held: list[bool] = []
    with ExitStack() as stack:
        stack.callback(_release, settings, held)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulate-start") as pool:
            database = pool.submit(_hold, settings, held) if record else None
            address, joined = _cluster(settings)
            runtime = SimulationRuntime(connected_here=_connect(address), joined=joined)
            stack.callback(runtime.stop)
            runtime.database_url = database.result() if database else None
        runtime.startup_s = time.perf_counter() - began
        yield runtime


def _hold(settings: Settings, held: list[bool]) -> str:
    url = hold_database(settings)
    held.append(True)
    return url


def _release(settings: Settings, held: list[bool]) -> None:
    if held:
        release_database(settings)


def _cluster(settings: Settings) -> tuple[str | None, str | None]:
    """The Ray address to join (the configured one, or a running `aura up`'s) and the `aura up` it belongs to."""
    from deployments.endpoints import Endpoints

    if settings.ray_address is not None:
        return settings.ray_address, None
    running = Endpoints.running(settings.data_dir)
    if running is None:
        return None, None
    return running.ray_address, running.api


def _connect(address: str | None) -> bool:
    """Connect this process to Ray (joining `address`, or starting a local one); whether this call connected it."""
    import ray

    if ray.is_initialized():  # under `ray job submit` or in a test session
        return False
    from deployments.runtime import init_ray

    try:
        # With RAY_ADDRESS set (as `ray job submit` does) Ray joins that cluster whatever `address` says.
        init_ray(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    except BaseException:
        _stop_half_started_ray()
        raise
    return True


def _stop_half_started_ray() -> None:
    """Stop the Ray processes an interrupted or failed `ray.init` had started.

    Stopped half-way (Ctrl-C, SIGTERM, a timeout), `ray.init` no longer knows
    the processes it started, and `ray.shutdown` leaves them running; they are
    this process's descendants that run Ray's programs. They are frozen
    first, since a raylet still starting would start its agents meanwhile,
    and a raylet killed first would leave them orphaned.
    """
    import ray

    ray.shutdown()
    home = str(Path(ray.__file__).parent)
    frozen: dict[int, psutil.Process] = {}
    while fresh := [p for p in _ray_descendants(home) if p.pid not in frozen]:
        for process in fresh:
            with suppress(psutil.Error):
                process.suspend()
            frozen[process.pid] = process
    for process in frozen.values():
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(list(frozen.values()), timeout=5)


def _ray_descendants(home: str) -> list[psutil.Process]:
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            command = process.cmdline()
        except psutil.Error:
            continue
        # Ray's Python processes retitle themselves (`ray::DashboardAgent`); its binaries live in its package.
        if command and (command[0].startswith("ray::") or any(home in part for part in command)):
            found.append(process)
    return found
