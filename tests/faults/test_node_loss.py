"""A worker node lost while its host holds actors: the host is made again on the node that replaces it, under its
name, and its actors carry on from their saved state (two Ray nodes on this machine, `tests.local_cluster`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aura.settings import Settings
from tests.conftest import REPO_ROOT
from tests.local_cluster import LocalCluster

pytestmark = pytest.mark.slow

#: The driver: one counter on each of two hosts (one CPU each, so one host per node), then, once told which host
#: lost its node, that host's counter again, resent until it answers.
DRIVER = """
import asyncio, json, sys, time, uuid
import ray
from aura import RESTART_ERRORS
from actors import HostGroup, HostSpec, HostUnreachable, host_index

address, root, database_url, data_dir = sys.argv[1:5]
env = {"PYTHONPATH": root, "AURA_DATABASE_URL": database_url, "AURA_DATA_DIR": data_dir}
ray.init(address=address, logging_level="ERROR", runtime_env={"env_vars": env})
spec = HostSpec(
    group=f"node-loss-{uuid.uuid4().hex[:6]}", actor_class="tests.actors.counters:Counter", size=2,
    num_cpus=1, persistence="write_through", max_restarts=0,
)
group = HostGroup.sharded(spec)

async def main():
    counters, i = {}, 0
    while len(counters) < 2:
        counters.setdefault(host_index(f"counter-{i}", 2), f"counter-{i}")
        i += 1
    for counter in counters.values():
        for _ in range(3):
            await group.tell(counter, 1)
    nodes = {index: (await group.call(index, "stats")).node_id for index in counters}
    head = next(n["NodeID"] for n in ray.nodes() if "node:__internal_head__" in n["Resources"])
    print("RESULT", json.dumps({"nodes": nodes, "head": head}), flush=True)
    lost = int(sys.stdin.readline())
    refusals, deadline = [], time.monotonic() + 180
    while True:
        try:
            total = await asyncio.wait_for(group.tell(counters[lost], 1), 30)
            break
        except (TimeoutError, HostUnreachable, *RESTART_ERRORS) as error:
            refusals.append(type(error).__name__)
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    node = (await group.call(lost, "stats")).node_id
    kept = await group.tell(counters[1 - lost], 1)
    print("RESULT", json.dumps({"total": total, "node": node, "kept": kept, "refusals": refusals[:5]}), flush=True)
    group.kill()

asyncio.run(main())
"""


def result(driver: subprocess.Popen[str]) -> dict:
    """The driver's next result line; what it printed and logged otherwise, if it ended without one."""
    assert driver.stdout is not None
    printed = []
    for line in driver.stdout:
        if line.startswith("RESULT "):
            return dict(json.loads(line.removeprefix("RESULT ")))
        printed.append(line)
    errors = driver.stderr.read() if driver.stderr else ""
    raise AssertionError("the driver ended without a result:\n" + "".join(printed)[-2000:] + errors[-3000:])


def test_a_host_on_a_lost_node_is_made_again_on_its_replacement_with_its_actors_state(settings: Settings) -> None:
    cluster = LocalCluster().start()
    try:
        cluster.add_node()
        cluster.wait_nodes(2)
        driver = subprocess.Popen(
            [
                sys.executable,
                "-c",
                DRIVER,
                cluster.address,
                str(REPO_ROOT),
                settings.database_url.get_secret_value(),  # type: ignore[union-attr]
                str(settings.data_dir),
            ],
            env=cluster.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert driver.stdout is not None and driver.stdin is not None
            placed = result(driver)
            assert len(set(placed["nodes"].values())) == 2  # one host on each node
            lost = next(int(index) for index, node in placed["nodes"].items() if node != placed["head"])
            cluster.stop_node(1)  # the worker node, with one of the hosts
            cluster.add_node()
            driver.stdin.write(f"{lost}\n")
            driver.stdin.flush()
            after = result(driver)
            driver.wait(timeout=120)
        finally:
            if driver.poll() is None:
                driver.kill()
        assert after["total"] == 4  # three before the loss, restored from the database, and one more
        assert after["node"] not in placed["nodes"].values()  # made again on the node that replaced the lost one
        assert after["kept"] == 4  # the host on the head never stopped
    finally:
        cluster.stop()
