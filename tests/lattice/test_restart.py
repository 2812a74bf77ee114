"""A cell's host killed mid-session: restarted by Ray, or gone for good and made again, the next chat (sent again
while it answers 503) succeeds and the cell's memory and trace are back."""

from __future__ import annotations

import asyncio

import pytest
import ray

from aura.cluster import NAMESPACE


@pytest.mark.parametrize("for_good", [False, True], ids=["restarted", "killed-for-good"])
async def test_killed_cell_host_comes_back_with_its_memory(api_app, client, auth, new_session, for_good) -> None:
    session_id = await new_session("rita")
    first = await client.post(
        "/v1/aura/chat",
        headers=auth("rita"),
        json={"prompt": "Review:\n```python\ndef f(x=[]):\n    return x\n```", "session_id": session_id},
    )
    assert first.status_code == 200, first.text
    svc = api_app.state.replica.built("lattice")
    before = await svc.directory.snapshot("engineer", session_id)
    assert before["memory"]["notes"]["steps"] == 1
    first_step = next(r["metrics"]["step_id"] for r in first.json()["agent_responses"] if r["agent_type"] == "engineer")

    ray.kill(ray.get_actor("aura:cell:engineer", namespace=NAMESPACE), no_restart=for_good)

    # While the host comes back a chat is a prompt 503 with Retry-After; a client sends it again.
    for _ in range(60):
        second = await client.post(
            "/v1/aura/chat",
            headers=auth("rita"),
            json={"prompt": "Review again:\n```python\ndef g(y={}):\n    return y\n```", "session_id": session_id},
        )
        if second.status_code != 503:
            break
        await asyncio.sleep(float(second.headers["Retry-After"]))
    assert second.status_code == 200, second.text
    engineer = [r for r in second.json()["agent_responses"] if r["agent_type"] == "engineer"]
    assert engineer and engineer[0]["metrics"]["error"] is None
    after = await svc.directory.snapshot("engineer", session_id)
    assert after["memory"]["notes"]["steps"] == 2  # the step before the kill was restored, then one more
    remembered = [turn["content"] for turn in after["memory"]["recent"] if turn["role"] == "user"]
    assert remembered[0].startswith("Review:") and remembered[-1].startswith("Review again:")
    assert len(after["loop"]["window"]) >= 2
    traces = await client.get(f"/v1/aura/sessions/{session_id}/traces", headers=auth("rita"))
    engineer_steps = [
        e["inputs"]["step_id"]
        for e in traces.json()["events"]
        if e["agent_type"] == "engineer" and e["step"] == "CellTask"
    ]
    assert engineer_steps[0] == first_step and len(engineer_steps) == 2
