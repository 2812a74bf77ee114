"""Two Ray nodes on this machine (a head and a joined worker node): the shard hosts land on both.

The cluster (`tests.local_cluster`) is driven by `python -m deployments
simulate` in a subprocess with RAY_ADDRESS set, the way `ray job submit` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.local_cluster import LocalCluster

pytestmark = pytest.mark.slow


def test_shards_are_placed_on_both_nodes(tmp_path):
    cluster = LocalCluster().start()
    try:
        cluster.add_node()
        nodes = cluster.wait_nodes(2)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "deployments",
                "simulate",
                "--buyers",
                "20",
                "--sellers",
                "4",
                "--negotiations",
                "400",
                "--epochs",
                "2",
                "--shards",
                "2",
                "--no-record",
                "--no-progress",
                "--json",
                "--output-dir",
                str(tmp_path / "out"),
            ],
            env={**cluster.env, "RAY_ADDRESS": cluster.address},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        summary = json.loads(run.stdout)
        # One CPU per node and one per shard host: the two hosts must be on the two nodes.
        assert sorted(summary["shard_nodes"]) == sorted(nodes)
        assert summary["metrics"]["run"]["negotiations"] == 400
    finally:
        cluster.stop()
