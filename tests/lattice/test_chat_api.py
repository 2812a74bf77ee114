"""The /v1/aura HTTP API end to end with the offline provider: workflows, revision loop, ownership, usage."""

from __future__ import annotations

import pytest

BUGGY = """Please review this code:
```python
import os
import json

def load(path, cache={}):
    try:
        return json.load(open(path))
    except:
        return cache
```
"""


async def test_review_workflow_revises_until_approved(client, auth, new_session) -> None:
    session_id = await new_session("alice")
    answer = await client.post(
        "/v1/aura/chat", headers=auth("alice"), json={"prompt": BUGGY, "session_id": session_id, "max_iterations": 5}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["workflow"] == "review"
    roles = [r["agent_type"] for r in body["agent_responses"]]
    # reviewer finds 3 fixable problems → engineer fixes them → reviewer approves → synthesizer closes.
    assert roles == ["reviewer", "engineer", "reviewer", "synthesizer"], roles
    verdicts = [r["metrics"]["verdict"]["verdict"] for r in body["agent_responses"] if r["agent_type"] == "reviewer"]
    assert verdicts == ["needs_changes", "approve"]
    assert body["total_iterations"] == 1
    assert "except Exception:" in body["final_response"]
    assert body["consciousness_metrics"] is None and body["quantum_backend_used"] is None
    assert all(r["metrics"]["provider"] == "offline" for r in body["agent_responses"])
    assert all("offline" in r["response"].splitlines()[0] for r in body["agent_responses"])


async def test_ownership_tokens_messages_lattice_traces_and_usage(client, auth, new_session) -> None:
    session_id = await new_session("bob")
    assert (await client.post("/v1/aura/sessions")).status_code == 401
    bad = await client.post("/v1/aura/sessions", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"
    for path in (
        f"/v1/aura/sessions/{session_id}/lattice",
        f"/v1/aura/sessions/{session_id}/messages",
        f"/v1/aura/sessions/{session_id}/traces",
    ):
        assert (await client.get(path, headers=auth("eve"))).status_code == 404
    foreign = await client.post("/v1/aura/chat", headers=auth("eve"), json={"prompt": "hi", "session_id": session_id})
    assert foreign.status_code == 404

    answer = await client.post(
        "/v1/aura/chat",
        headers={**auth("bob"), "Idempotency-Key": f"k-{session_id}"},
        json={"prompt": "How to parse JSON lines from a file?", "session_id": session_id, "include_traces": True},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["workflow"] == "research" and body["total_iterations"] == 1
    roles = [r["agent_type"] for r in body["agent_responses"]]
    assert sorted(roles[:2]) == ["architect", "research"] and roles[2] == "synthesizer"  # analysts ran in parallel
    research = next(r for r in body["agent_responses"] if r["agent_type"] == "research")
    assert "json." in research["response"]  # retrieved from the indexed docstrings of the json module
    assert {e["agent_type"] for e in body["traces"]} == {"architect", "research", "synthesizer"}

    messages = (await client.get(f"/v1/aura/sessions/{session_id}/messages?limit=1", headers=auth("bob"))).json()
    assert [m["role"] for m in messages["messages"]] == ["assistant"] and messages["has_more"]
    older = (
        await client.get(
            f"/v1/aura/sessions/{session_id}/messages?limit=5&before={messages['next_before']}", headers=auth("bob")
        )
    ).json()
    assert [m["role"] for m in older["messages"]] == ["user"] and not older["has_more"]

    lattice = (await client.get(f"/v1/aura/sessions/{session_id}/lattice", headers=auth("bob"))).json()
    nodes = {n["agent_type"]: n for n in lattice["nodes"]}
    assert len(nodes) == 6 and lattice["active_agents"] == 3 and lattice["total_interactions"] == 3
    assert nodes["engineer"]["status"] == "idle" and nodes["synthesizer"]["status"] == "done"
    assert set(nodes["synthesizer"]["connections"]) == {f"architect:{session_id}", f"research:{session_id}"}
    active_w2 = [n["vector"]["w2"] for n in lattice["nodes"] if n["steps"]]
    assert lattice["lattice_coherence"] == pytest.approx(1 - sum(active_w2) / len(active_w2), abs=1e-6)

    jsonl = await client.get(f"/v1/aura/sessions/{session_id}/traces?format=jsonl", headers=auth("bob"))
    assert jsonl.headers["content-type"].startswith("application/x-ndjson") and len(jsonl.text.splitlines()) >= 3

    usage = (await client.get("/v1/aura/usage", headers=auth("bob"))).json()
    lines = {line["event_type"]: line for line in usage["lines"]}
    assert lines["agent_call"]["events"] == 3 and lines["message"]["events"] == 1
    assert float(usage["total_amount"]) == pytest.approx(0.031)
    ended = await client.post(f"/v1/aura/sessions/{session_id}/end", headers=auth("bob"))
    assert ended.json()["status"] == "ended"
    late = await client.post("/v1/aura/chat", headers=auth("bob"), json={"prompt": "more", "session_id": session_id})
    assert late.status_code == 409


async def test_revision_loop_stops_at_max_iterations_when_findings_remain(client, auth, new_session) -> None:
    session_id = await new_session("carl")
    prompt = "There is a bug here:\n```python\nimport os\n\ndef run(cmd):\n    return eval(cmd)\n```"
    answer = await client.post(
        "/v1/aura/chat", headers=auth("carl"), json={"prompt": prompt, "session_id": session_id, "max_iterations": 3}
    )
    body = answer.json()
    assert body["workflow"] == "debug"
    roles = [r["agent_type"] for r in body["agent_responses"]]
    # The eval finding cannot be fixed offline, so the review stays needs_changes; the first revision
    # already removed the unused import, so each later revision changes nothing new but still runs.
    assert roles[:3] == ["debugger", "engineer", "reviewer"] and roles[-1] == "synthesizer"
    assert body["total_iterations"] == 3
    assert roles.count("reviewer") == 3 and roles.count("engineer") == 3
    reviews = [r["metrics"]["verdict"] for r in body["agent_responses"] if r["agent_type"] == "reviewer"]
    assert all(v["verdict"] == "needs_changes" for v in reviews)
    assert [f["rule"] for f in reviews[-1]["findings"]] == ["eval-call"]
    engineer = [r for r in body["agent_responses"] if r["agent_type"] == "engineer"]
    assert engineer[0]["confidence"] == 1.0  # its code block parses


async def test_health_reports_cells_provider_and_quantum(client) -> None:
    body = (await client.get("/v1/aura/health")).json()
    assert body["provider"] == "offline" and body["status"] == "ok"
    assert {c["host"] for c in body["cells"]} == {
        f"aura:cell:{r}" for r in ("architect", "engineer", "reviewer", "debugger", "research", "synthesizer")
    }
    assert body["quantum_available"] is True and body["billing"] == "ledger_only"
