"""The engine on the session's Ray cluster: same seed, same results on 1 or 4 shards, and through a shard kill."""

import asyncio
import json
import uuid

import asyncpg
import numpy as np
import pyarrow.parquet as pq
import pytest
import ray
from typer.testing import CliRunner

from deployments.cli import app
from negotiation.simulate import engine, record
from negotiation.simulate.scenario import load
from negotiation.simulate.summary import metrics_of

SCENARIO = {
    "buyers": 40,
    "sellers": 8,
    "negotiations": 1200,
    "epochs": 3,
    "deadline": 30,
    "seed": 11,
    "buyer": {"strategies": {"boulware": 1, "linear": 1, "conceder": 1, "tit-for-tat": 1, "rule": 1, "adaptive": 2}},
    "seller": {"strategies": {"boulware": 1, "conceder": 1, "tit-for-tat": 1, "rule": 1, "adaptive": 2}},
}


@pytest.fixture(scope="module")
def scenario():
    return load(None, SCENARIO)


@pytest.fixture(scope="module")
def one_shard(ray_cluster, scenario):
    return engine.run(scenario, shards=1)


def assert_same_run(a: engine.RunResult, b: engine.RunResult) -> None:
    for name in ("agreed", "round", "price", "buyer_strategy", "seller_strategy"):
        np.testing.assert_array_equal(getattr(a.outcomes, name), getattr(b.outcomes, name), err_msg=name)
    np.testing.assert_array_equal(a.buyer, b.buyer)
    np.testing.assert_array_equal(a.seller, b.seller)
    np.testing.assert_array_equal(a.buyer_w2, b.buyer_w2)
    np.testing.assert_array_equal(a.seller_w2, b.seller_w2)
    np.testing.assert_array_equal(a.buyer_exponent_final, b.buyer_exponent_final)
    np.testing.assert_array_equal(a.seller_exponent_final, b.seller_exponent_final)
    assert metrics_of(a) == metrics_of(b)


def test_every_negotiation_once_and_loops_learned(one_shard, scenario):
    metrics = metrics_of(one_shard)
    assert metrics.run.negotiations == scenario.negotiations
    assert sum(p.negotiations for p in metrics.pairs) == scenario.negotiations
    assert [e.negotiations for e in metrics.epochs] == [400, 400, 400]
    assert 0 < metrics.run.agreements < scenario.negotiations
    # Adaptive parties had outcomes every epoch, so their exponents moved off the start of 1.
    adaptive = one_shard.buyers.strategy == 5
    assert np.any(one_shard.buyer_exponent_final[adaptive] != 1.0)
    # Linear, tit-for-tat and rule parties are pinned.
    pinned = np.isin(one_shard.buyers.strategy, [1, 3, 4])
    np.testing.assert_array_equal(one_shard.buyer_exponent_final[pinned], 1.0)
    assert np.isfinite(one_shard.buyer_w2).all()


def test_same_seed_same_results_on_one_or_four_shards(one_shard, scenario):
    four = engine.run(scenario, shards=4)
    assert len(four.shard_nodes) == 4
    assert_same_run(one_shard, four)


def test_different_seed_different_results(one_shard, scenario):
    other = engine.run(scenario.model_copy(update={"seed": 12}), shards=1)
    assert not np.array_equal(other.outcomes.price, one_shard.outcomes.price, equal_nan=True)


def test_shard_killed_mid_run_is_restored_and_the_results_are_unchanged(one_shard, scenario):
    def kill_second_shard(epoch: int, hosts: list) -> None:
        # The epoch's negotiate and learn calls are in flight: kill the host under them.
        if epoch == 1:
            ray.kill(hosts[1], no_restart=False)

    faulted = engine.run(scenario, shards=2, dispatched=kill_second_shard)
    assert faulted.restores >= 1
    assert_same_run(one_shard, faulted)


def test_cli_writes_outputs_and_records_the_run(ray_cluster, settings, database_url, tmp_path):
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(SCENARIO))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["simulate", str(scenario_file), "--shards", "2", "--output-dir", str(out), "--json", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["metrics"]["run"]["negotiations"] == 1200
    assert summary["shards"] == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "agreed_prices.png",
        "agreement_by_pair.png",
        "parties.parquet",
        "summary.json",
        "w2_by_epoch.png",
    ]
    parties = pq.read_table(out / "parties.parquet")
    assert parties.num_rows == 48
    assert sum(parties.column("negotiations").to_pylist()) == 2 * 1200

    async def fetch():
        connection = await asyncpg.connect(database_url)
        try:
            return await record.fetch(connection, uuid.UUID(summary["run_id"]))
        finally:
            await connection.close()

    row = asyncio.run(fetch())
    assert row["status"] == "finished"
    assert row["summary"]["metrics"] == summary["metrics"]
    assert row["scenario"]["seed"] == 11


def test_cli_rejects_a_bad_scenario_before_running():
    result = CliRunner().invoke(
        app, ["simulate", "--buyers", "-3", "--seller-strategies", "boulware=1,haggler=2", "--no-record"]
    )
    assert result.exit_code == 2
    assert "buyers: Input should be greater than or equal to 1" in result.stderr
    assert "seller.strategies: unknown strategy 'haggler'" in result.stderr
