"""Chat with files: the cells run the tests in the sandbox, revise while they fail, and report what passes."""

from __future__ import annotations

import asyncio
import json

import websockets

from aura.auth import mint_token

TAGS = '''"""Tags of a post."""


def add_tag(tag, tags=[]):
    """The tags with `tag` added."""
    tags.append(tag)
    return tags
'''
TAG_TESTS = """from tags import add_tag


def test_a_new_list_per_call():
    assert add_tag("a") == ["a"]
    assert add_tag("b") == ["b"]


def test_adds_to_a_given_list():
    assert add_tag("b", ["a"]) == ["a", "b"]
"""
PRICE = '''def total(prices):
    """The sum of `prices`."""
    return sum(prices[1:])
'''
PRICE_TESTS = """from price import total


def test_total():
    assert total([1, 2, 3]) == 6
"""


def files(**named: str) -> list[dict[str, str]]:
    return [{"path": path.replace("__", "/") + ".py", "content": text} for path, text in named.items()]


async def chat(client, auth, **body: object) -> dict:
    """A chat of tess's; the answer must be a 200."""
    answer = await client.post("/v1/aura/chat", headers=auth("tess"), json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_mechanical_bug_is_fixed_and_the_tests_go_green(api_app, serve, client, auth, new_session) -> None:
    session_id = await new_session("tess")
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('tess')}"
        async with websockets.connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "connected"
            answer = await client.post(
                "/v1/aura/chat",
                headers=auth("tess"),
                json={
                    "prompt": "Fix add_tag: tags leak from one call into the next",
                    "session_id": session_id,
                    "files": files(tags=TAGS, test_tags=TAG_TESTS),
                },
            )
            events = []
            while not events or events[-1].get("agent_type") != "synthesizer" or events[-1]["status"] != "done":
                event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if event["type"] in ("agent_update", "sandbox_run"):
                    events.append({"status": None, **event})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["workflow"] == "debug"
    runs = [e for e in events if e["type"] == "sandbox_run"]
    # The debugger reproduces the failure, the reviewer sees it fixed.
    assert [(r["agent_type"], r["passed"], r["failed"]) for r in runs] == [("debugger", 1, 1), ("reviewer", 2, 0)]
    assert runs[0]["command"] == "python -m pytest -q" and runs[0]["exit_code"] == 1
    debugger = next(r for r in body["agent_responses"] if r["agent_type"] == "debugger")
    assert "test_a_new_list_per_call" in debugger["response"] and "tags.py" in debugger["response"]
    reviewer = [r for r in body["agent_responses"] if r["agent_type"] == "reviewer"][-1]
    verdict = reviewer["metrics"]["verdict"]
    assert verdict["verdict"] == "approve"
    assert verdict["run"]["tests"]["passed"] == 2 and verdict["run"]["tests"]["first_failure"] is None
    fixed = {f["path"]: f["content"] for f in body["files"]}
    assert "tags=None" in fixed["tags.py"] and fixed["test_tags.py"] == TAG_TESTS
    assert body["tests"]["ok"] and body["tests"]["tests"] == {
        "passed": 2,
        "failed": 0,
        "errors": 0,
        "total": 2,
        "first_failure": None,
    }


async def test_a_logic_bug_offline_is_reported_failing_not_papered_over(client, auth, new_session) -> None:
    body = await chat(
        client,
        auth,
        prompt="Fix total: it is one price short",
        session_id=await new_session("tess"),
        files=files(price=PRICE, test_price=PRICE_TESTS),
        max_iterations=4,
    )
    roles = [r["agent_type"] for r in body["agent_responses"]]
    # Nothing mechanical to fix: the engineer says so (again when it has the reviewer's red run), the loop stops.
    assert roles == ["debugger", "engineer", "reviewer", "engineer", "synthesizer"], roles
    for engineer in (body["agent_responses"][1], body["agent_responses"][3]):
        assert "No fix made" in engineer["response"]
    assert "assert 5 == 6" in body["agent_responses"][3]["response"]
    reviewer = body["agent_responses"][2]
    assert reviewer["metrics"]["verdict"]["verdict"] == "needs_changes"
    tests = body["tests"]["tests"]
    assert (tests["passed"], tests["failed"]) == (0, 1)
    assert "assert 5 == 6" in tests["first_failure"]["message"]
    assert {f["path"]: f["content"] for f in body["files"]}["price.py"] == PRICE


async def test_a_given_test_command_is_run(client, auth, new_session) -> None:
    body = await chat(
        client,
        auth,
        prompt="Review this",
        session_id=await new_session("tess"),
        files=files(price=PRICE.replace("[1:]", "")),
        test_command="python -c 'import price; assert price.total([2, 3]) == 5'",
    )
    reviewer = body["agent_responses"][0]
    run = reviewer["metrics"]["verdict"]["run"]
    assert run["exit_code"] == 0 and run["tests"] is None
    assert reviewer["metrics"]["verdict"]["verdict"] == "approve"


async def test_paths_outside_the_workspace_and_too_many_files_are_refused(client, auth, new_session) -> None:
    session_id = await new_session("tess")
    for path in ("../escape.py", "/etc/passwd", "a/../../b.py"):
        answer = await client.post(
            "/v1/aura/chat",
            headers=auth("tess"),
            json={"prompt": "Review", "session_id": session_id, "files": [{"path": path, "content": "x = 1\n"}]},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_workspace"
    many = [{"path": f"m{i}.py", "content": ""} for i in range(65)]
    answer = await client.post(
        "/v1/aura/chat", headers=auth("tess"), json={"prompt": "Review", "session_id": session_id, "files": many}
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_workspace"
    messages = await client.get(f"/v1/aura/sessions/{session_id}/messages", headers=auth("tess"))
    assert messages.json()["messages"] == []  # a refused request leaves nothing behind


async def test_health_says_whether_code_can_run(client) -> None:
    health = (await client.get("/v1/aura/health")).json()
    assert health["sandbox"] == "available" and health["sandbox_reason"] is None
