"""Benchmark of the sandbox's cost: `python -c pass` in bubblewrap against a bare subprocess, alone and 20 at once.

Run from the repository root: `uv run python -m bench.sandbox` (add `--runs N`).
Both sides start the same interpreter the same way (an asyncio subprocess);
the sandboxed side also makes the run's directory, the namespaces, the
rlimits and the user switch, and reads pytest's report. Target: ≤ 30 ms p50
added per run. Then 20 runs started together, on 2 cores, against 20 bare
subprocesses started together.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from lattice.sandbox import Limits, Sandbox, Workspace

TARGET_ADDED_MS = 30.0
CONCURRENT = 20


async def bare(code: str) -> float:
    """Milliseconds for a plain subprocess of this interpreter running `code`."""
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the bare run failed with {process.returncode}")
    return (time.perf_counter() - began) * 1000


async def sandboxed(sandbox: Sandbox, code: str) -> float:
    """Milliseconds for the same command through the sandbox, as the lattice runs it."""
    began = time.perf_counter()
    run = await sandbox.run(Workspace({"main.py": code}), "python main.py")
    if not run.ok:
        raise RuntimeError(f"the sandboxed run failed: {run.exit_code} {run.limit} {run.stderr[-300:]}")
    return (time.perf_counter() - began) * 1000


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(runs: int) -> None:
    sandbox = Sandbox(Limits())
    problem = await sandbox.check()
    if problem is not None:
        raise SystemExit(f"no sandbox here: {problem}")
    for _ in range(3):  # warm the page cache for both sides
        await bare("pass")
        await sandboxed(sandbox, "pass")
    plain, boxed = [], []
    for _ in range(runs):  # interleaved, so drift in the machine's load hits both sides alike
        plain.append(await bare("pass"))
        boxed.append(await sandboxed(sandbox, "pass"))
    added = statistics.median(boxed) - statistics.median(plain)
    print(f"`python -c pass`, {runs} runs each, interleaved\n")
    print("| | p50 (ms) | p95 (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| bare subprocess | {statistics.median(plain):.1f} | {p(plain, 0.95):.1f} |")
    print(f"| sandboxed | {statistics.median(boxed):.1f} | {p(boxed, 0.95):.1f} |")
    verdict = "yes" if added <= TARGET_ADDED_MS else "no"
    print(f"\nadded p50: **{added:.1f} ms** (target ≤ {TARGET_ADDED_MS:.0f} ms: {verdict})\n")

    work = "sum(range(2_000_000))"
    began = time.perf_counter()
    plain_each = await asyncio.gather(*(bare(work) for _ in range(CONCURRENT)))
    plain_wall = time.perf_counter() - began
    began = time.perf_counter()
    boxed_each = await asyncio.gather(*(sandboxed(sandbox, work) for _ in range(CONCURRENT)))
    boxed_wall = time.perf_counter() - began
    print(f"{CONCURRENT} runs of `{work}` started together\n")
    print("| | wall (s) | runs/s | p50 per run (ms) | max per run (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, wall, each in (("bare", plain_wall, plain_each), ("sandboxed", boxed_wall, boxed_each)):
        print(f"| {name} | {wall:.2f} | {CONCURRENT / wall:.1f} | {statistics.median(each):.0f} | {max(each):.0f} |")
    print(f"\nsandboxed / bare wall: {boxed_wall / plain_wall:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(measure(args.runs))


if __name__ == "__main__":
    main()
