"""Benchmark of the first chat on a fresh `aura up` (offline provider) against the chats after it.

Run from the repository root: `uv run python -m bench.first_chat` (add
`--runs N`). Each run starts an `aura up` in a scratch data directory, and
once it says it is up, mints a token, opens a session and times the first
`POST /v1/aura/chat` ("Build a REST API endpoint for user authentication"),
then five more chats in the same session: the baseline. Target: the first
chat in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.aura_up import running_up, token_for, up_env

TARGET_S = 2.0
PROMPT = "Build a REST API endpoint for user authentication"


def timed_chat(client: httpx.Client, session_id: str, prompt: str) -> float:
    began = time.perf_counter()
    answer = client.post("/v1/aura/chat", json={"session_id": session_id, "prompt": prompt})
    answer.raise_for_status()
    return time.perf_counter() - began


def one_run(scratch: Path) -> tuple[float, float]:
    """(first chat seconds, median of the next five) on a fresh `aura up`."""
    env = up_env(scratch / "data")
    with running_up(env) as api:
        token = token_for(env, "bench")
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            session_id = client.post("/v1/aura/sessions").json()["session_id"]
            first = timed_chat(client, session_id, PROMPT)
            later = [timed_chat(client, session_id, f"{PROMPT}, step {i}") for i in range(5)]
    return first, statistics.median(later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="aura-bench-") as scratch:
            runs.append(one_run(Path(scratch)))
    first = statistics.median(f for f, _ in runs)
    later = statistics.median(s for _, s in runs)
    print(f"First chat on a fresh `aura up` (offline provider), median of {args.runs} runs\n")
    print("| first chat (s) | later chats (s) | first / later | ≤ 2 s |")
    print("| ---: | ---: | ---: | :---: |")
    print(f"| {first:.2f} | {later:.3f} | {first / later:.1f}× | {'yes' if first <= TARGET_S else 'no'} |")


if __name__ == "__main__":
    main()
