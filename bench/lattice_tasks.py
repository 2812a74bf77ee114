"""Benchmark of the lattice as a bug fixer: how many tasks of `bench/tasks/` it turns green, in how many steps.

Run from the repository root: `uv run python -m bench.lattice_tasks` (add
`--only <slug>` to run some tasks). It starts an `aura up` in a scratch data
directory with the provider of the environment (`AURA_LATTICE_PROVIDER`,
offline by default), then for each task posts its bug report with the
program and its tests as files, and counts the task solved when the chat's
last run of the tests is green. The baseline, measured in the same run, is
the tests on the program as shipped: every task must start red, or the
corpus is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.aura_up import running_up, token_for, up_env

TASKS = Path(__file__).parent / "tasks"
#: The variables that choose and configure the provider, passed on to the `aura up` under test.
PROVIDER_VARIABLES = ("AURA_LATTICE_", "AURA_ANTHROPIC_", "AURA_OPENAI_", "AURA_SANDBOX_")


@dataclass(frozen=True)
class Task:
    """One corpus task: its bug report, its files and what kind of bug it is."""

    slug: str
    goal: str
    kind: str
    mechanical: bool
    files: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """What the lattice made of one task."""

    task: Task
    red_before: bool
    solved: bool
    passed: int
    total: int
    steps: int
    iterations: int
    seconds: float


def load(only: list[str] | None) -> list[Task]:
    """The corpus, or the tasks named in `only`."""
    tasks = []
    for directory in sorted(p for p in TASKS.iterdir() if (p / "task.json").is_file()):
        if only and directory.name not in only:
            continue
        meta = json.loads((directory / "task.json").read_text())
        files = {p.name: p.read_text() for p in sorted(directory.glob("*.py"))}
        tasks.append(Task(directory.name, meta["goal"], meta["kind"], meta["mechanical"], files))
    return tasks


def red_as_shipped(client: httpx.Client, session_id: str, task: Task) -> bool:
    """Whether the task's tests fail on the program as shipped: the reviewer alone runs them, nothing edits."""
    answer = client.post(
        "/v1/aura/chat",
        json={
            "session_id": session_id,
            "prompt": "Run the tests",
            "files": _files(task),
            "agents_enabled": ["reviewer"],
        },
    )
    answer.raise_for_status()
    tests = answer.json()["tests"]
    return tests is not None and not tests["ok"]


def attempt(client: httpx.Client, session_id: str, task: Task, iterations: int) -> Outcome:
    """One chat on the task: its bug report with the files; solved when the last test run is green."""
    began = time.perf_counter()
    answer = client.post(
        "/v1/aura/chat",
        json={"session_id": session_id, "prompt": task.goal, "files": _files(task), "max_iterations": iterations},
    )
    answer.raise_for_status()
    seconds = time.perf_counter() - began
    body = answer.json()
    tests = (body["tests"] or {}).get("tests") or {"passed": 0, "total": 0}
    solved = body["tests"] is not None and body["tests"]["ok"]
    steps = len(body["agent_responses"])
    return Outcome(task, True, solved, tests["passed"], tests["total"], steps, body["total_iterations"], seconds)


def _files(task: Task) -> list[dict[str, str]]:
    return [{"path": path, "content": text} for path, text in task.files.items()]


def report(outcomes: list[Outcome], provider: str) -> None:
    solved = [o for o in outcomes if o.solved]
    print(f"Lattice on {len(outcomes)} bug-fix tasks, provider `{provider}`\n")
    print("| task | kind | mechanical | red as shipped | solved | tests passing | steps | iterations | s |")
    print("| --- | --- | :---: | :---: | :---: | ---: | ---: | ---: | ---: |")
    for o in outcomes:
        print(
            f"| {o.task.slug} | {o.task.kind} | {'yes' if o.task.mechanical else 'no'} | "
            f"{'yes' if o.red_before else '**no**'} | {'yes' if o.solved else 'no'} | {o.passed}/{o.total} | "
            f"{o.steps} | {o.iterations} | {o.seconds:.1f} |"
        )
    print(
        f"\nsolve rate: **{len(solved)}/{len(outcomes)}** ({len(solved) / len(outcomes):.0%}); baseline (as shipped): 0"
    )
    kinds = sorted({o.task.kind for o in outcomes})
    for kind in kinds:
        of_kind = [o for o in outcomes if o.task.kind == kind]
        print(f"- {kind}: {sum(o.solved for o in of_kind)}/{len(of_kind)}")
    print(
        f"\nmedian per task: {statistics.median(o.seconds for o in outcomes):.1f} s, "
        f"{statistics.median(o.steps for o in outcomes):.0f} steps"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="task slugs to run (default: all)")
    parser.add_argument("--iterations", type=int, default=3, help="most review/revise iterations per task")
    args = parser.parse_args()
    tasks = load(args.only)
    with tempfile.TemporaryDirectory(prefix="aura-bench-") as scratch:
        chosen = {k: v for k, v in os.environ.items() if k.startswith(PROVIDER_VARIABLES)}
        env = up_env(Path(scratch) / "data") | chosen
        with running_up(env) as api:
            token = token_for(env, "bench")
            with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
                provider = client.get("/v1/aura/health").json()["provider"]
                outcomes = []
                for task in tasks:
                    session_id = client.post("/v1/aura/sessions").json()["session_id"]
                    red = red_as_shipped(client, session_id, task)
                    outcome = replace(attempt(client, session_id, task, args.iterations), red_before=red)
                    outcomes.append(outcome)
                    client.post(f"/v1/aura/sessions/{session_id}/end")
                    print(f"{task.slug}: {'solved' if outcome.solved else 'not solved'}", file=sys.stderr)
    report(outcomes, provider)


if __name__ == "__main__":
    main()
