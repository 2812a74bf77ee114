"""Benchmark of the lattice runtime with a provider that answers instantly.

Measures what Aura itself costs, not what a model costs:
- overhead per agent step: a step's `started` → `done` on the server (message to the cell's
  Ray actor, provider stream, write-through save, reply), p50 / p99;
- chunk latency: provider yields a chunk in the cell actor → the WebSocket client has it;
- 50 chat sessions at once: wall time, per-chat p50 / p99, steps per second.

Run: `uv run python -m bench.lattice [--chats 40] [--concurrent 50]` (starts its own Ray and embedded
PostgreSQL in a temporary data directory, removed at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from lattice.providers import Completion, Provider, ProviderRequest

_ROOT = Path(__file__).resolve().parent.parent

CHUNKS = 3


class InstantProvider(Provider):
    """Answers at once: a few chunks stamped with the wall clock at which each was yielded."""

    name = "instant"

    async def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """Yield CHUNKS stamped chunks; the reviewer's last one carries an approving verdict line."""
        completion.model = "instant"
        for index in range(CHUNKS):
            yield f"<t={time.time_ns()}> chunk {index} of the {request.role}\n"
        if request.role == "reviewer":
            yield 'VERDICT: {"verdict": "approve"}\n'
        completion.stop_reason = "end_turn"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(_percentile(values, 50), 2),
        "p99": round(_percentile(values, 99), 2),
        "mean": round(statistics.fmean(values), 2),
    }


@contextlib.asynccontextmanager
async def _serving(app) -> AsyncIterator[str]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def _bench(chats: int, concurrent: int) -> dict:
    import httpx
    import websockets

    from aura import mint_token
    from deployments.app import build_api

    app = build_api()
    token = mint_token("bench")
    headers = {"Authorization": f"Bearer {token}"}
    prompt = "Build a small key-value store with an HTTP API."
    results: dict = {}
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=300) as http,
        _serving(app) as base,
    ):
        session = (await http.post("/v1/aura/sessions", headers=headers)).json()["session_id"]
        # Warm-up: start the six cell hosts and the relay, open connections.
        await http.post("/v1/aura/chat", headers=headers, json={"prompt": prompt, "session_id": session})

        step_ms: list[float] = []
        chunk_ms: list[float] = []
        first_chunk_ms: list[float] = []
        in_cell_ms: list[float] = []
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session}&token={token}"
        async with websockets.connect(url, max_queue=None) as ws:
            await ws.recv()  # connected
            for _ in range(chats):
                posted = time.time_ns()
                chat = asyncio.create_task(
                    http.post("/v1/aura/chat", headers=headers, json={"prompt": prompt, "session_id": session})
                )
                started: dict[str, datetime] = {}
                first = True
                while True:
                    event = json.loads(await ws.recv())
                    received = time.time_ns()
                    if event["type"] == "response_chunk":
                        stamp = (
                            int(event["content"].split(">", 1)[0].removeprefix("<t="))
                            if event["content"].startswith("<t=")
                            else None
                        )
                        if stamp is not None:
                            chunk_ms.append((received - stamp) / 1e6)
                        if first:
                            first_chunk_ms.append((received - posted) / 1e6)
                            first = False
                    elif event["type"] == "agent_update" and event["status"] == "started":
                        started[event["step_id"]] = datetime.fromisoformat(event["timestamp"])
                    elif event["type"] == "agent_update" and event["status"] == "done":
                        done = datetime.fromisoformat(event["timestamp"])
                        step_ms.append((done - started[event["step_id"]]).total_seconds() * 1000)
                        if event["agent_type"] == "synthesizer":
                            break
                answer = await chat
                assert answer.status_code == 200, answer.text
                in_cell_ms.extend(r["metrics"]["latency_ms"] for r in answer.json()["agent_responses"])
        results["step_overhead_ms"] = _summary(step_ms)
        # Of which inside the cell's receive (provider stream + chunk publishing), the rest is Ray and saving.
        results["step_inside_cell_ms"] = _summary(in_cell_ms)
        results["chunk_to_websocket_ms"] = _summary(chunk_ms)
        results["request_to_first_chunk_ms"] = _summary(first_chunk_ms)

        sessions = [
            (await http.post("/v1/aura/sessions", headers=headers)).json()["session_id"] for _ in range(concurrent)
        ]

        async def one(session_id: str) -> tuple[float, int]:
            began = time.perf_counter()
            answer = await http.post(
                "/v1/aura/chat", headers=headers, json={"prompt": prompt, "session_id": session_id}
            )
            assert answer.status_code == 200, answer.text
            return (time.perf_counter() - began) * 1000, len(answer.json()["agent_responses"])

        began = time.perf_counter()
        outcomes = await asyncio.gather(*(one(s) for s in sessions))
        wall = time.perf_counter() - began
        results["concurrent_chats"] = {
            "sessions": concurrent,
            "wall_s": round(wall, 2),
            "chat_ms": _summary([o[0] for o in outcomes]),
            "steps": sum(o[1] for o in outcomes),
            "steps_per_s": round(sum(o[1] for o in outcomes) / wall, 1),
        }
    return results


def main() -> None:
    """Start Ray and the database in a scratch directory, point the cells at the instant provider, measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40, help="sequential chats for the step and chunk figures")
    parser.add_argument("--concurrent", type=int, default=50, help="chat sessions run at once")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="aura-bench-"))
    os.environ["AURA_DATA_DIR"] = str(data_dir)
    os.environ["AURA_LATTICE_PROVIDER"] = "bench.lattice:InstantProvider"

    import ray

    from aura.settings import get_settings
    from aura.store import embedded, migrate

    url = embedded.start(data_dir / "pg")
    asyncio.run(migrate(url))
    os.environ["AURA_DATABASE_URL"] = url
    get_settings.cache_clear()
    # Cell hosts import the provider by name, so they need the repository root on their path.
    env = {"AURA_DATA_DIR": str(data_dir), "AURA_DATABASE_URL": url, "PYTHONPATH": str(_ROOT)}
    try:
        # On a loaded machine Ray's raylet can time out waiting for its agents; a fresh try usually succeeds.
        for attempt in range(3):
            try:
                ray.init(
                    num_cpus=2,
                    include_dashboard=False,
                    namespace="aura-bench",
                    logging_level=logging.WARNING,
                    runtime_env={"env_vars": env},
                )
                break
            except Exception:
                ray.shutdown()
                if attempt == 2:
                    raise
        results = asyncio.run(_bench(args.chats, args.concurrent))
    finally:
        ray.shutdown()
        embedded.stop(data_dir / "pg")
        shutil.rmtree(data_dir, ignore_errors=True)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
