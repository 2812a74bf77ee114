"""When Aura records metrics: with `AURA_METRICS` on, in a process connected to Ray, and nowhere else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aura.metrics import recording


@pytest.mark.usefixtures("ray_cluster")
def test_a_connected_process_records_until_metrics_are_turned_off(core_env) -> None:
    assert recording()
    core_env(metrics="false")
    assert not recording()


def test_a_process_not_connected_to_ray_records_nothing() -> None:
    # Its own process: this one may already be connected to the session's cluster.
    script = "\n".join(
        [
            "import ray",  # imported, not initialised: a CLI command's or a unit test's state
            "from aura.metrics import counter, recording",
            "counter('aura_probe_total', 'Recorded nowhere.').inc()",
            "print(recording())",
        ]
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert answer.stdout.strip() == "False"
