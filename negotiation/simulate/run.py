"""Running one scenario in the connected Ray cluster: the engine, its outputs, and the run's record.

What `aura simulate` and `ray job submit -- python -m deployments simulate` do once the scenario is
read and Ray is reached.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aura.settings import get_settings
from negotiation.simulate.scenario import Scenario
from negotiation.simulate.summary import Summary


async def _record(database_url: str, step: str, run_id: uuid.UUID, *args: Any) -> None:
    import asyncpg

    from aura.store import migrate
    from negotiation.simulate import record

    # One short connection per step: each step runs in its own event loop.
    if step == "started":
        await migrate(database_url)
    connection = await asyncpg.connect(database_url)
    try:
        await getattr(record, step)(connection, run_id, *args)
    finally:
        await connection.close()


def execute(
    scenario: Scenario,
    shards: int | None,
    *,
    progress: bool = True,
    database_url: str | None = None,
    engine_done: Callable[[], None] = lambda: None,
) -> Summary:
    """Run `scenario` in the connected Ray cluster, write its outputs and record it in `database_url` if given.

    `engine_done` is called once the shards' results are in, before the
    outputs are written: Ray is no longer needed from there on.
    """
    import ray
    from tqdm import tqdm

    from negotiation.simulate import engine

    run_id = uuid.uuid4()
    count = shards if shards is not None else max(1, int(ray.cluster_resources().get("CPU", 1)))
    directory = scenario.output_dir or get_settings().data_dir / "simulations" / str(run_id)
    if database_url is not None:
        asyncio.run(_record(database_url, "started", run_id, scenario, count, str(directory)))
    try:
        with tqdm(
            total=scenario.negotiations, unit="neg", unit_scale=True, disable=not progress, file=sys.stderr
        ) as bar:
            began = time.perf_counter()
            result = engine.run(scenario, count, progress=lambda epoch, size: bar.update(size))
            wall = time.perf_counter() - began
        engine_done()
        # Loaded only now (matplotlib takes a second), while Ray stops on another thread.
        from negotiation.simulate import outputs
        from negotiation.simulate.summary import summarise

        summary = summarise(result, str(run_id), count, wall, str(directory))
        outputs.write(result, summary, Path(directory))
    except BaseException:
        if database_url is not None:
            asyncio.run(_record(database_url, "failed", run_id, traceback.format_exc(limit=5)))
        raise
    if database_url is not None:
        asyncio.run(_record(database_url, "finished", run_id, summary.model_dump_json()))
    return summary
