"""Benchmark of `aura simulate` as a user runs it from the shell: the whole command against the simulation in it.

Run from the repository root: `uv run python -m bench.simulate_cli` (add
`--runs N`). Each run is `python -m deployments simulate --negotiations
1000000 --deadline 100 --json` in a fresh process, timed from its start to
its exit, recording on (the default): once with nothing running (the
command starts and stops a local Ray and the embedded PostgreSQL) and once
with an `aura up` running in the same data directory (the command joins
its cluster and database). The work is the summary's `wall_seconds`, the
engine's figure; start-up and teardown are the rest. Target: ≤ 8 s in all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.aura_up import running_up, up_env

TARGET_S = 8.0


def simulate_once(env: dict[str, str], output_dir: Path) -> tuple[float, float]:
    """One `aura simulate` from the shell: (whole command seconds, simulation seconds)."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deployments", "simulate", "--negotiations", "1000000", "--deadline", "100"]
        + ["--json", "--no-progress", "--output-dir", str(output_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    whole = time.perf_counter() - began
    return whole, float(json.loads(done.stdout)["wall_seconds"])


def row(case: str, runs: list[tuple[float, float]]) -> str:
    whole = statistics.median(w for w, _ in runs)
    work = statistics.median(s for _, s in runs)
    return (
        f"| {case} | {whole:.2f} | {work:.2f} | {whole - work:.2f} | {whole / work:.1f}× | "
        f"{'yes' if whole <= TARGET_S else 'no'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aura-bench-") as scratch:
        env = up_env(Path(scratch) / "data")
        simulate_once(env, Path(scratch) / "warm")  # the data directory's first database is made here
        alone = [simulate_once(env, Path(scratch) / f"alone-{i}") for i in range(args.runs)]
        with running_up(env):
            joined = [simulate_once(env, Path(scratch) / f"joined-{i}") for i in range(args.runs)]
    print(f"`aura simulate --negotiations 1000000 --deadline 100`, median of {args.runs}, {os.cpu_count()} CPUs\n")
    print("| case | whole command (s) | simulation (s) | start-up and teardown (s) | whole / simulation | ≤ 8 s |")
    print("| --- | ---: | ---: | ---: | ---: | :---: |")
    print(row("nothing running (starts Ray and PostgreSQL)", alone))
    print(row("with `aura up` running (joins both)", joined))


if __name__ == "__main__":
    main()
