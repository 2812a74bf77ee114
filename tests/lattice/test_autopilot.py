"""AutoPilot over the API (offline provider): it steps until the tests pass or a limit, bills each step once,
streams its progress, stops when cancelled, belongs to its owner, and a run left without a driver goes on."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from aura.auth import mint_token
from lattice.autopilot import AutopilotStore, Order
from lattice.sandbox import Workspace

SHIPPING = '''def add_item(item, cart=[]):
    """The cart with `item` added."""
    cart.append(item)
    return cart
'''
SHIPPING_TESTS = """from shipping import add_item


def test_each_cart_starts_empty():
    assert add_item("a") == ["a"]
    assert add_item("b") == ["b"]
"""
OFF_BY_ONE = "def total(prices):\n    return sum(prices[1:])\n"
OFF_BY_ONE_TESTS = "from price import total\n\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n"


def mechanical() -> list[dict[str, str]]:
    return [{"path": "shipping.py", "content": SHIPPING}, {"path": "test_shipping.py", "content": SHIPPING_TESTS}]


def logic() -> list[dict[str, str]]:
    return [{"path": "price.py", "content": OFF_BY_ONE}, {"path": "test_price.py", "content": OFF_BY_ONE_TESTS}]


async def start(client, auth, user: str, session_id: str, **body: object) -> dict:
    answer = await client.post(
        "/v1/aura/autopilot", headers=auth(user), json={"session_id": session_id, "goal": "Make the tests pass", **body}
    )
    assert answer.status_code == 202, answer.text
    return answer.json()


async def stopped(client, auth, user: str, run_id: str, within_s: float = 120) -> dict:
    """The run once it is no longer running."""
    deadline = time.monotonic() + within_s
    while True:
        run = (await client.get(f"/v1/aura/autopilot/{run_id}", headers=auth(user))).json()
        if run["status"] != "running":
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.2)


async def autopilot_steps_billed(client, auth, user: str) -> int:
    usage = (await client.get("/v1/aura/usage", headers=auth(user))).json()
    return next((line["events"] for line in usage["lines"] if line["event_type"] == "autopilot_step"), 0)


async def test_it_steps_until_the_tests_pass_and_streams_its_progress(
    api_app, serve, client, auth, new_session
) -> None:
    session_id = await new_session("pia")
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('pia')}"
        async with websockets.connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "connected"
            begun = await start(client, auth, "pia", session_id, files=mechanical())
            assert begun["status"] == "running" and begun["steps"] == []
            events = []
            while not events or events[-1]["status"] == "running":
                event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if event["type"] == "autopilot":
                    events.append(event)
    run = await stopped(client, auth, "pia", begun["autopilot_id"])
    assert run["status"] == "passed", run
    assert [(s["number"], s["passed"], s["failed"]) for s in run["steps"]] == [(0, 0, 1), (1, 1, 0)]
    assert run["steps"][1]["changed"] == ["shipping.py"]
    assert "cart=None" in {f["path"]: f["content"] for f in run["files"]}["shipping.py"]
    assert [(e["status"], e["step"]) for e in events] == [("running", 0), ("passed", 1)]
    assert float(run["spent_usd"]) == 0.02
    assert await autopilot_steps_billed(client, auth, "pia") == 1


async def test_a_bug_it_cannot_fix_stops_for_no_progress_and_each_step_is_billed_once(
    client, auth, new_session
) -> None:
    run = await start(client, auth, "quin", await new_session("quin"), files=logic(), max_steps=10)
    run = await stopped(client, auth, "quin", run["autopilot_id"])
    assert run["status"] == "no_progress" and "changed no file" in run["reason"]
    assert [s["number"] for s in run["steps"]] == [0, 1, 2]
    assert all(s["failed"] == 1 and s["changed"] == [] for s in run["steps"])
    assert "assert 5 == 6" in run["steps"][-1]["first_failure"]
    assert await autopilot_steps_billed(client, auth, "quin") == 2


async def test_the_step_limit_and_the_budget_stop_a_run(client, auth, new_session) -> None:
    limited = await start(client, auth, "rae", await new_session("rae"), files=logic(), max_steps=1)
    limited = await stopped(client, auth, "rae", limited["autopilot_id"])
    assert limited["status"] == "step_limit" and len(limited["steps"]) == 2
    poor = await start(client, auth, "rae", await new_session("rae"), files=logic(), budget_usd=0.01)
    poor = await stopped(client, auth, "rae", poor["autopilot_id"])
    assert poor["status"] == "budget_reached" and [s["number"] for s in poor["steps"]] == [0]
    assert float(poor["spent_usd"]) == 0


async def test_cancel_stops_it_and_only_the_owner_sees_it(client, auth, new_session) -> None:
    session_id = await new_session("sol")
    run = await start(client, auth, "sol", session_id, files=logic(), max_steps=50)
    second = await client.post(
        "/v1/aura/autopilot", headers=auth("sol"), json={"session_id": session_id, "goal": "x", "files": logic()}
    )
    assert second.status_code == 409 and second.json()["code"] == "autopilot_running"
    for path in (f"/v1/aura/autopilot/{run['autopilot_id']}", f"/v1/aura/autopilot/{run['autopilot_id']}/cancel"):
        other = await (client.get if path.endswith(run["autopilot_id"]) else client.post)(path, headers=auth("tom"))
        assert other.status_code == 404 and other.json()["code"] == "autopilot_not_found"
    cancelled = await client.post(f"/v1/aura/autopilot/{run['autopilot_id']}/cancel", headers=auth("sol"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(1.0)  # a driver that kept going would store its step by now
    after = await stopped(client, auth, "sol", run["autopilot_id"])
    assert after["status"] == "cancelled" and after["steps"] == cancelled.json()["steps"]


async def test_ending_the_session_cancels_its_run(client, auth, new_session) -> None:
    session_id = await new_session("sol")
    run = await start(client, auth, "sol", session_id, files=logic(), max_steps=50)
    ended = await client.post(f"/v1/aura/sessions/{session_id}/end", headers=auth("sol"))
    assert ended.status_code == 200
    after = await stopped(client, auth, "sol", run["autopilot_id"])
    assert (after["status"], after["reason"]) == ("cancelled", "the session ended")


async def test_bad_requests_are_refused_with_their_codes(client, auth, new_session) -> None:
    session_id = await new_session("uma")
    cases = [
        ({"files": [{"path": "price.py", "content": OFF_BY_ONE}]}, "autopilot_needs_tests"),
        ({"files": [{"path": "../x.py", "content": ""}], "test_command": "true"}, "invalid_workspace"),
        ({"files": logic(), "max_steps": 0}, "invalid_request"),
        ({"files": logic(), "max_steps": 51}, "invalid_request"),
        ({"files": logic(), "budget_usd": -1}, "invalid_request"),
        ({"files": logic(), "budget_usd": "0.5"}, "invalid_request"),  # a number, not text
    ]
    for extra, code in cases:
        answer = await client.post(
            "/v1/aura/autopilot", headers=auth("uma"), json={"session_id": session_id, "goal": "go", **extra}
        )
        assert answer.status_code == 422 and answer.json()["code"] == code, (extra, answer.text)
    foreign = await client.post(
        "/v1/aura/autopilot", headers=auth("vic"), json={"session_id": session_id, "goal": "go", "files": logic()}
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "session_not_found"


async def test_a_run_whose_driver_is_gone_is_taken_over_and_finishes(client, auth, new_session, db) -> None:
    session_id = await new_session("wes")
    # A run as a replica that died left it: stored, running, its lease run out, nobody driving it.
    files = {"shipping.py": SHIPPING, "test_shipping.py": SHIPPING_TESTS}
    orphan = await AutopilotStore(db, lease_s=0).create(Order(session_id, "wes", "Fix it", Workspace(files), None, 5))
    run = await stopped(client, auth, "wes", orphan.run_id)
    assert run["status"] == "passed" and run["steps"][-1]["failed"] == 0
