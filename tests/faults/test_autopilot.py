"""An AutoPilot run whose engineer cell's host is killed mid-run waits the host out and finishes its work."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import ray

from aura import NAMESPACE
from aura.auth import mint_token
from deployments.app import build_api

pytestmark = pytest.mark.usefixtures("ray_cluster")

FILES = [
    {"path": "basket.py", "content": "def put(item, basket=[]):\n    basket.append(item)\n    return basket\n"},
    {
        "path": "test_basket.py",
        "content": "from basket import put\n\n\ndef test_fresh_basket():\n"
        "    assert put(1) == [1]\n    assert put(2) == [2]\n",
    },
]


async def test_a_run_survives_its_engineer_hosts_death(settings) -> None:
    app = build_api()
    headers = {"Authorization": f"Bearer {mint_token('yan')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=120) as client:
        session_id = (await client.post("/v1/aura/sessions", headers=headers)).json()["session_id"]
        begun = await client.post(
            "/v1/aura/autopilot",
            headers=headers,
            json={"session_id": session_id, "goal": "Fix put", "files": FILES},
        )
        assert begun.status_code == 202, begun.text
        # While step 0 runs the tests, the engineer's host goes: step 1's first attempt finds it gone.
        ray.kill(ray.get_actor("aura:cell:engineer", namespace=NAMESPACE), no_restart=True)
        run_id = begun.json()["autopilot_id"]
        deadline = time.monotonic() + 120
        while (run := (await client.get(f"/v1/aura/autopilot/{run_id}", headers=headers)).json())[
            "status"
        ] == "running":
            assert time.monotonic() < deadline, run
            await asyncio.sleep(0.5)
    assert run["status"] == "passed", run
    assert [s["number"] for s in run["steps"]] == [0, 1] and run["steps"][1]["changed"] == ["basket.py"]
