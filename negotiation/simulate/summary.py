"""The summary of a run: the scenario, every metric, and how the run went (shards, restores, speed)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from negotiation.simulate.engine import RunResult
from negotiation.simulate.metrics import EpochMetrics, Metrics, pair_metrics, run_metrics, w2_stats
from negotiation.simulate.population import epoch_sizes
from negotiation.simulate.scenario import Scenario


class Summary(BaseModel):
    """What `summary.json` holds and `--json` prints; `metrics` depends only on the scenario."""

    run_id: str
    scenario: Scenario
    metrics: Metrics
    shards: int
    shard_nodes: list[str]
    shard_restores: int
    wall_seconds: float
    negotiations_per_second: float
    output_dir: str


def metrics_of(result: RunResult) -> Metrics:
    """Per-run, per-pair and per-epoch metrics of a finished run."""
    epochs = []
    for epoch, size in enumerate(epoch_sizes(result.scenario)):
        agreed = result.outcomes.agreed[result.epoch == epoch]
        epochs.append(
            EpochMetrics(
                epoch=epoch,
                negotiations=size,
                agreement_rate=float(agreed.mean()) if size else None,
                w2=w2_stats(np.concatenate([result.buyer_w2[epoch], result.seller_w2[epoch]])),
                buyer_w2=w2_stats(result.buyer_w2[epoch]),
                seller_w2=w2_stats(result.seller_w2[epoch]),
            )
        )
    return Metrics(run=run_metrics(result.outcomes), pairs=pair_metrics(result.outcomes), epochs=epochs)


def summarise(result: RunResult, run_id: str, shards: int, wall_seconds: float, output_dir: str) -> Summary:
    """The run's summary."""
    return Summary(
        run_id=run_id,
        scenario=result.scenario,
        metrics=metrics_of(result),
        shards=shards,
        shard_nodes=result.shard_nodes,
        shard_restores=result.restores,
        wall_seconds=wall_seconds,
        negotiations_per_second=result.scenario.negotiations / wall_seconds if wall_seconds > 0 else 0.0,
        output_dir=output_dir,
    )
