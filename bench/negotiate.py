"""Signed `POST /v1/negotiate` through Ray Serve, beside a bare FastAPI + uvicorn app running the same seller code.

    uv run python -m bench.negotiate [--levels 1 8 32] [--seconds 6] [--rounds 1]

Starts its own embedded PostgreSQL (in a temporary directory), Ray and Serve
through `aura.runtime`, seeds the demo catalog, and starts the bare app in a
child process. Both answer the same request sequence: each client opens a
session with a low bid (countered) and closes it with a bid at the list
price (accepted). On the Serve path the gateway sends the signed bid to its
seller's Ray host, whose desk verifies the Ed25519 signature, checks replay
and rate limit in PostgreSQL, lets the seller actor decide, and stores
offer, negotiation and deal before answering. The bare app
parses the same request model and calls the same `Seller.receive` (strategy
maths and guard rails) in process, with no auth, no database and no Ray.
Everything is stopped at the end.

With `--rounds N` each level is measured N times, the two apps taking turns,
and the table gives each figure's median over the rounds: on a shared 2-core
machine one measurement of the same code moves by ±10 %.

Beside throughput and latency, each round reports the CPU it cost per
request: the clients' process, and the server side (for Serve, every other
process on the machine: gateway, seller hosts, PostgreSQL and Ray's own; for
the bare app, its one process), with how busy the clients' process and the
whole machine were. They say which part bounds a figure: a client process
busy near 100 % of one core bounds the rate of whatever it measures.

Targets (issue 3): at 32 concurrent clients, Serve throughput ≥ 50 % of the
bare app's and Serve p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import psutil
from fastapi import FastAPI

from aura.settings import Settings
from aura.store import connect_url
from deployments import runtime
from negotiation import (
    DEMO_CATALOG,
    Bid,
    CatalogItem,
    ItemTerms,
    NegotiateRequest,
    NegotiateResponse,
    NegotiationClient,
    Seller,
    answer_of,
    read_catalog_file,
    session_token,
)

ROOT = Path(__file__).resolve().parent.parent

#: Items whose list price needs no high-value confirmation (default threshold 2000).
ITEMS = [i for i in read_catalog_file(DEMO_CATALOG) if i.base_price <= 2000 and i.active]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bare_app() -> FastAPI:
    """The baseline: the same request/response models and `Seller.receive`, in process, without auth, DB or Ray."""
    app = FastAPI()
    sellers: dict[str, Seller] = {}
    terms = {
        i.id: ItemTerms(
            i.id,
            i.name,
            i.description,
            i.base_price,
            i.floor_price,
            i.currency,
            i.strategy,
            i.concession,
            i.confirm_threshold or 2000.0,
        )
        for i in ITEMS
    }

    @app.post("/v1/negotiate", response_model=NegotiateResponse, response_model_exclude_none=True)
    async def negotiate(body: NegotiateRequest) -> NegotiateResponse:
        item = terms[body.item_id]
        seller = sellers.setdefault(item.item_id, Seller(item.item_id))
        token = body.session_token or session_token()
        bid = Bid(
            token,
            body.session_token is None,
            "did:key:bare",
            item,
            body.bid_amount,
            body.confirmed,
            time.time(),
            900.0,
            8,
            0.5,
        )
        return answer_of(await seller.decide(bid), item, bid, item.currency)

    return app


def _serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _client_loop(
    client: NegotiationClient, deadline: float, latencies: list[float], errors: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < deadline:
        item: CatalogItem = rng.choice(ITEMS)
        token = None
        for bid in (round(item.base_price * 0.5, 2), item.base_price):
            payload = {"item_id": item.id, "bid_amount": bid, **({"session_token": token} if token else {})}
            started = time.perf_counter()
            answer = await client.send("POST", "/v1/negotiate", payload)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                errors.append(answer.status_code)
                break
            token = answer.json()["session_token"]


async def warm_up(api: str) -> None:
    """One negotiation per item, so every seller (and its Ray host) is active before anything is timed."""
    async with NegotiationClient(api, timeout_s=120) as client:
        for item in ITEMS:
            opened = await client.send("POST", "/v1/negotiate", {"item_id": item.id, "bid_amount": item.base_price})
            if opened.status_code != 200:
                raise RuntimeError(f"warm-up bid on {item.id} answered {opened.status_code}: {opened.text}")


def busy_cpu_s() -> float:
    """CPU seconds the machine's cores have spent busy since boot (idle, I/O wait and steal excluded)."""
    spent = psutil.cpu_times()
    return sum(getattr(spent, part, 0.0) for part in ("user", "nice", "system", "irq", "softirq"))


def process_cpu_s(pid: int) -> float:
    """CPU seconds process `pid` has used, user and system."""
    spent = psutil.Process(pid).cpu_times()
    return spent.user + spent.system


async def run_level(api: str, clients: int, seconds: float, server_pid: int | None = None) -> dict:
    """`clients` concurrent signing clients for `seconds`, after a 1 s warm-up: throughput, latency and CPU.

    Each client keeps one connection, opened during the warm-up: the figures
    are the steady state, not 32 connections being set up at once. The
    server's CPU is process `server_pid`'s, or without one the whole machine's
    but this process's.
    """
    async with contextlib.AsyncExitStack() as stack:
        agents = [await stack.enter_async_context(NegotiationClient(api, timeout_s=30)) for _ in range(clients)]
        warm: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(_client_loop(a, started + 1.0, warm, [], 1000 + c) for c, a in enumerate(agents)))
        latencies: list[float] = []
        errors: list[int] = []
        machine, own = busy_cpu_s(), time.process_time()
        server = process_cpu_s(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        await asyncio.gather(*(_client_loop(a, started + seconds, latencies, errors, c) for c, a in enumerate(agents)))
        elapsed = time.perf_counter() - started
        machine, own = busy_cpu_s() - machine, time.process_time() - own
        server = process_cpu_s(server_pid) - server if server_pid else machine - own
    ordered = sorted(latencies)
    per_request_ms = 1000 / max(1, len(latencies))
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "client_cpu_ms": round(own * per_request_ms, 3),
        "server_cpu_ms": round(server * per_request_ms, 3),
        "client_busy": round(own / elapsed, 3),
        "machine_busy": round(machine / (elapsed * (psutil.cpu_count() or 1)), 3),
    }


def measure(api: str, clients: int, seconds: float, server_pid: int | None = None) -> dict:
    """`run_level` in a process of its own (see `main`)."""
    # The clients' own pauses are not the server's latency: with everything imported so far kept out
    # of the collector, a full collection here takes ~8 ms instead of ~100 ms.
    gc.freeze()
    return asyncio.run(run_level(api, clients, seconds, server_pid))


async def _seed(url: str) -> int:
    import asyncpg
    from pgvector.asyncpg import register_vector

    from negotiation import seed_demo_catalog

    db = await asyncpg.create_pool(url, min_size=1, max_size=2, init=register_vector)
    try:
        return await seed_demo_catalog(db)
    finally:
        await db.close()


async def _wait_ready(api: str, path: str = "/v1/health", timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            try:
                answer = await http.get(f"{api}{path}")
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{api} did not answer in {timeout_s} s")
            await asyncio.sleep(0.5)


#: The figures of a round that `median_row` summarises.
FIGURES = ("throughput_rps", "p50_ms", "p99_ms", "client_cpu_ms", "server_cpu_ms", "client_busy", "machine_busy")


def median_row(rounds: list[dict]) -> dict:
    """Each figure's median over the rounds of one level."""
    return {
        "clients": rounds[0]["clients"],
        **{key: round(statistics.median(r[key] for r in rounds), 3) for key in FIGURES},
    }


def main() -> None:
    """Bring everything up, measure each level on both apps, print a table and JSON, bring everything down."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument(
        "--rounds", type=int, default=1, help="Measurements per level and app; the table shows medians."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument(
        "--ingress",
        choices=["direct", "proxy"],
        default="direct",
        help="How HTTP reaches the gateway replica (AURA_SERVE_INGRESS).",
    )
    args = parser.parse_args()

    # The benchmark's clients must not be throttled by the per-DID limit (inherited by Ray's workers).
    os.environ["AURA_RATE_LIMIT_PER_MINUTE"] = "100000000"
    workdir = Path(tempfile.mkdtemp(prefix="aura-bench-negotiate-"))
    settings = Settings(
        data_dir=workdir,
        database_url=None,
        serve_port=_free_port(),
        dashboard_port=_free_port(),
        serve_ingress=args.ingress,
    )
    bare_port = _free_port()
    bare = multiprocessing.get_context("spawn").Process(target=_serve_bare, args=(bare_port,), daemon=True)
    results: dict[str, list[list[dict]]] = {"serve": [], "bare": []}
    try:
        endpoints = runtime.up(settings)
        asyncio.run(_seed(connect_url(settings)))
        bare.start()
        bare_api = f"http://127.0.0.1:{bare_port}"
        asyncio.run(_wait_ready(endpoints.api))
        asyncio.run(_wait_ready(bare_api, path="/openapi.json"))
        asyncio.run(warm_up(endpoints.api))
        asyncio.run(warm_up(bare_api))
        # The clients run in a process without Ray: this one is Ray's driver, whose threads would
        # take the interpreter from the clients' event loop now and then.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as clients:
            for level in args.levels:
                for rows in results.values():
                    rows.append([])
                for _ in range(args.rounds):
                    for name, api, pid in (("serve", endpoints.api, None), ("bare", bare_api, bare.pid)):
                        results[name][-1].append(clients.submit(measure, api, level, args.seconds, pid).result())
    finally:
        if bare.is_alive():
            bare.terminate()
            bare.join(10)
        runtime.down(settings)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        "| clients | serve req/s | serve p50 ms | serve p99 ms | bare req/s | bare p50 ms | bare p99 ms | serve/bare |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for serve_rounds, bare_rounds in zip(results["serve"], results["bare"], strict=True):
        served, base = median_row(serve_rounds), median_row(bare_rounds)
        ratio = served["throughput_rps"] / base["throughput_rps"] if base["throughput_rps"] else 0.0
        print(
            f"| {served['clients']} | {served['throughput_rps']:.1f} | {served['p50_ms']:.2f} | "
            f"{served['p99_ms']:.2f} | {base['throughput_rps']:.1f} | {base['p50_ms']:.2f} | "
            f"{base['p99_ms']:.2f} | {ratio:.0%} |"
        )
    print()
    print("CPU per request (ms) and how busy the clients' process (of one core) and the machine (of all) were:")
    print("| clients | app | client ms | server ms | client busy | machine busy |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for name, levels in results.items():
        for rounds in levels:
            row = median_row(rounds)
            print(
                f"| {row['clients']} | {name} | {row['client_cpu_ms']:.2f} | {row['server_cpu_ms']:.2f} | "
                f"{row['client_busy']:.0%} | {row['machine_busy']:.0%} |"
            )
    if args.rounds > 1:
        for serve_rounds, bare_rounds in zip(results["serve"], results["bare"], strict=True):
            ratios = [s["throughput_rps"] / b["throughput_rps"] for s, b in zip(serve_rounds, bare_rounds, strict=True)]
            print(
                f"{serve_rounds[0]['clients']} clients, serve/bare per round: " + ", ".join(f"{r:.0%}" for r in ratios)
            )
    if any(r["errors"] for levels in results.values() for rounds in levels for r in rounds):
        print("errors:", {k: [[r["errors"] for r in rounds] for rounds in levels] for k, levels in results.items()})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
