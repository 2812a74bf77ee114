"""Chaos: open-loop bids against `aura up` while its hosts are killed for good and its database once.

    uv run python -m bench.chaos [--rate 200] [--seconds 60] [--kill-every 10]

An `aura up` of its own (scratch data directory, free ports, a local Stripe
that deduplicates by `Idempotency-Key` as Stripe does) takes signed bids at a
fixed rate (open loop: each bid leaves at its time whatever the answers
before it did) and a chat every few seconds. Every `--kill-every` seconds an
Aura host is killed with `ray.kill(..., no_restart=True)`, each kind in turn
(a seller host, a cell host, a quantum worker, the chunk relay, the Stripe
sync) and a random one within its kind, and once the embedded PostgreSQL
with `kill -9`. It reports the answers by code
before, during and after the faults (the first 5 s of load apart, as
warm-up), p99 latency in each phase against the one before any fault, how long
each fault took to recover, and an audit: deals and offers acknowledged
against stored, usage events in the ledger against meter events Stripe got.

Targets (issue 23): no answer other than 200 or 503, nothing lost or doubled,
a host back within 5 s and the database within 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import random
import signal
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from actors import host_index
from bench.aura_up import free_port, running_up, up_env

#: Three of the demo catalog's items (`negotiation/data/demo_catalog.json`), with their list prices.
ITEMS = {"hotel_alpha": 1000.0, "hostel_beta": 50.0, "hotel_paris_boutique": 255.0}
#: Each kind of host the faults pick from, and the method that answers once it is up. The Stripe sync's
#: answers whether its loop runs, without starting it: only the gateway's supervisor may bring it back.
PROBES = {"seller": "ping", "cell": "ping", "quantum": "stats", "lattice": "ping", "billing": "running"}
REQUEST_TIMEOUT_S = 30.0


class LocalStripe:
    """`/v1/billing/meter_events`, idempotent by `Idempotency-Key`; counts each identifier it accepts."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.replies: dict[str, dict] = {}

    async def meter_events(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        key = request.headers.get("idempotency-key", form["identifier"])
        if key not in self.replies:
            self.accepted[form["identifier"]] += 1
            self.replies[key] = {"object": "billing.meter_event", "identifier": form["identifier"], "livemode": False}
        return JSONResponse(self.replies[key])

    def serve(self, port: int) -> uvicorn.Server:
        app = Starlette(routes=[Route("/v1/billing/meter_events", self.meter_events, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, daemon=True).start()
        return server


@dataclass
class Answer:
    """One request as the client saw it."""

    kind: str  # "bid" or "chat"
    sent_s: float  # since the start of the run
    latency_ms: float
    status: int  # 0 when no answer came (a timeout, a refused connection)
    code: str = ""
    session: str | None = None
    deal_id: str | None = None
    item: str | None = None


@dataclass
class Fault:
    """One fault: what was killed and when, and when it had recovered."""

    target: str
    at_s: float
    back_s: float | None = None  # when the killed part answered again
    served_s: float | None = None  # when the requests it broke were answered again

    @property
    def recovery_s(self) -> float | None:
        if self.back_s is None:
            return None
        return max(self.back_s, self.served_s or self.at_s) - self.at_s


@dataclass
class Run:
    """Everything the load and the faults recorded."""

    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    answers: list[Answer] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started


async def bid_load(api: str, run: Run, rate: float, seconds: float, agents: int) -> None:
    """Open-loop bids: half open a session at half the list price, half close one at the list price (a deal)."""
    from negotiation.client import NegotiationClient

    clients = [NegotiationClient(api, timeout_s=REQUEST_TIMEOUT_S, resends=0) for _ in range(agents)]
    open_sessions: deque[tuple[int, str, str]] = deque()
    rng = random.Random(7)

    async def one(index: int, due: float) -> None:
        if index % 2 and open_sessions:
            agent, item, token = open_sessions.popleft()
            body = {"item_id": item, "bid_amount": ITEMS[item], "session_token": token}
        else:
            agent, item = index % agents, rng.choice(list(ITEMS))
            # Cents apart, so no two bids of an agent sign alike (the client would wait out a second).
            body = {"item_id": item, "bid_amount": round(ITEMS[item] * 0.5 + (index % 997) / 100, 2)}
        try:
            answer = await clients[agent].send("POST", "/v1/negotiate", body)
        except httpx.HTTPError as error:
            run.answers.append(Answer("bid", due, (run.now() - due) * 1000, 0, type(error).__name__, item=item))
            return
        data = answer.json()
        if answer.status_code != 200:
            code = data.get("code", "")
            run.answers.append(Answer("bid", due, (run.now() - due) * 1000, answer.status_code, code, item=item))
            return
        deal = data.get("data") or {}
        run.answers.append(
            Answer(
                "bid", due, (run.now() - due) * 1000, 200, data["status"], data["session_token"], deal.get("deal_id")
            )
        )
        if data["status"] == "countered":
            open_sessions.append((agent, item, data["session_token"]))

    tasks = set()
    for index in range(int(rate * seconds)):
        due = index / rate
        await asyncio.sleep(max(0.0, due - run.now()))
        task = asyncio.create_task(one(index, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    for client in clients:
        await client.aclose()


async def chat_load(api: str, run: Run, token: str, seconds: float, every_s: float) -> None:
    """A chat every `every_s` seconds (open loop too), so cells, the relay and usage billing are under load."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api, timeout=120, headers=headers) as http:
        session = (await http.post("/v1/aura/sessions")).json()["session_id"]

        async def one(due: float) -> None:
            body = {"prompt": "Review:\n```python\ndef f(x=[]):\n    return x\n```", "session_id": session}
            try:
                answer = await http.post("/v1/aura/chat", json=body)
            except httpx.HTTPError as error:
                run.answers.append(Answer("chat", due, (run.now() - due) * 1000, 0, type(error).__name__))
                return
            code = "" if answer.status_code == 200 else answer.json().get("code", "")
            run.answers.append(Answer("chat", due, (run.now() - due) * 1000, answer.status_code, code))

        tasks = []
        due = 0.0
        while due < seconds:
            await asyncio.sleep(max(0.0, due - run.now()))
            tasks.append(asyncio.create_task(one(due)))
            due += every_s
        await asyncio.gather(*tasks)


def _hosts(ray: Any) -> list[str]:
    """The names of the running Aura hosts the faults pick from."""
    named = ray.util.list_named_actors(all_namespaces=True)
    return sorted(a["name"] for a in named if a["namespace"] == "aura" and a["name"].split(":")[1] in PROBES)


def killer(conn: Connection, ray_address: str, seed: int) -> None:
    """Kill an Aura host for good on each request and report when a host of its name answers again.

    The kinds of host take turns in a shuffled order, so a run of five faults meets each kind once;
    the host within a kind is drawn at random. It runs in a process of its own, so Ray's driver
    threads take nothing from the load's event loop.
    """
    import ray

    from aura import NAMESPACE

    ray.init(address=ray_address, logging_level=logging.ERROR)
    # Listed once, before the clock starts: asking the GCS for every named actor during the run
    # held bids up for a second. A host made again keeps its name, so the list stays true.
    hosts = _hosts(ray)
    conn.send(len(hosts))
    rng = random.Random(seed)
    kinds = list(PROBES)
    rng.shuffle(kinds)
    turn = 0
    while conn.recv():
        while not (of_kind := [h for h in hosts if h.split(":")[1] == kinds[turn % len(kinds)]]):
            turn += 1
        turn += 1
        name = rng.choice(of_kind)
        killed = ray.get_actor(name, namespace=NAMESPACE)
        at = time.time()  # the fault starts when the kill is sent: it may take a while to return
        ray.kill(killed, no_restart=True)
        conn.send((name, at))
        deadline, back = time.time() + 120, None
        while back is None and time.time() < deadline:
            time.sleep(0.05)
            try:
                found = ray.get_actor(name, namespace=NAMESPACE)
                answer = ray.get(getattr(found, PROBES[name.split(":")[1]]).remote(), timeout=1.0)
                if found._actor_id != killed._actor_id and answer is not False:
                    back = time.time()
            except (ValueError, ray.exceptions.RayError):
                continue
        conn.send(back)
    ray.shutdown()


async def kill_host(run: Run, conn: Connection) -> None:
    """Have the killer kill a random host for good, and record when it answered again."""
    conn.send(True)
    name, at = await asyncio.to_thread(conn.recv)
    fault = Fault(name, at - run.started_wall)
    run.faults.append(fault)
    back = await asyncio.to_thread(conn.recv)
    fault.back_s = None if back is None else back - run.started_wall


async def kill_database(run: Run, pgdata: Path, url: str) -> None:
    """`kill -9` the embedded PostgreSQL's postmaster and wait until it takes queries again."""
    pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    fault = Fault("postgresql", run.now())
    run.faults.append(fault)
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.5)
    while run.now() - fault.at_s < 120:
        try:
            connection = await asyncpg.connect(url, timeout=1)
            await connection.fetchval("SELECT 1")
            await connection.close()
            fault.back_s = run.now()
            return
        except (OSError, asyncpg.PostgresError, TimeoutError):
            await asyncio.sleep(0.1)


async def faults(run: Run, seconds: float, every_s: float, pgdata: Path, url: str, conn: Connection) -> None:
    """A host killed for good every `every_s` seconds, and the database once, half-way between two of them."""
    kills = [every_s * k for k in range(1, int(seconds / every_s))]
    database_at = kills[len(kills) // 2] + every_s / 2 if len(kills) > 1 else None
    pending = []
    for at in sorted([*kills, *([database_at] if database_at else [])]):
        await asyncio.sleep(max(0.0, at - run.now()))
        pending.append(
            asyncio.create_task(kill_database(run, pgdata, url) if at == database_at else kill_host(run, conn))
        )
    await asyncio.gather(*pending)


def _affected(fault: Fault, answer: Answer, seller_hosts: int) -> bool:
    """Whether `answer` is to a request that needs what `fault` killed."""
    if fault.target == "postgresql":
        return True
    _, kind, key = fault.target.split(":")
    if kind == "seller":
        return answer.item is not None and host_index(answer.item, seller_hosts) == int(key)
    return answer.kind == "chat" and kind in ("cell", "lattice", "quantum")


def settle_recoveries(run: Run, seller_hosts: int) -> None:
    """When each fault's requests were answered again: the first 200 after the last refusal it caused.

    A fault's refusals are looked for until the next fault, so one fault's are not taken for another's.
    """
    ends = [f.at_s for f in run.faults[1:]] + [float("inf")]
    for fault, end in zip(run.faults, ends, strict=True):
        window = [
            a
            for a in run.answers
            if fault.at_s <= a.sent_s < min(end, fault.at_s + 60) and _affected(fault, a, seller_hosts)
        ]
        refused = [a.sent_s for a in window if a.status != 200]
        if refused:
            served = [a.sent_s for a in window if a.status == 200 and a.sent_s > max(refused)]
            fault.served_s = min(served) if served else None


#: The first seconds of load (clients opening their connections) are reported apart from the baseline.
WARM_UP_S = 5.0


def phase(run: Run, answer: Answer) -> str:
    """The phase of a request: `during` when it was in flight at any time between a fault and its recovery."""
    if answer.sent_s < WARM_UP_S:
        return "warm-up"
    answered_s = answer.sent_s + answer.latency_ms / 1000
    for fault in run.faults:
        recovery = fault.recovery_s
        if answer.sent_s <= fault.at_s + (recovery if recovery is not None else 60) and answered_s >= fault.at_s:
            return "during"
    return "before" if not run.faults or answer.sent_s < run.faults[0].at_s else "after"


def p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1)


async def audit(run: Run, url: str, stripe: LocalStripe, user: str) -> dict:
    """Deals and offers acknowledged against stored; usage in the ledger against what Stripe got."""
    db = await asyncpg.connect(url)
    try:
        acknowledged = [a for a in run.answers if a.kind == "bid" and a.status == 200]
        deal_ids = [a.deal_id for a in acknowledged if a.deal_id]
        stored_deals = await db.fetch("SELECT deal_id FROM deals WHERE deal_id = ANY($1::text[])", deal_ids)
        per_session = Counter(a.session for a in acknowledged)
        stored_offers = {
            r["session_token"]: r["n"]
            for r in await db.fetch(
                "SELECT session_token, count(*) AS n FROM offers WHERE session_token = ANY($1::text[]) GROUP BY 1",
                list(per_session),
            )
        }
        doubled_offers = await db.fetchval(
            """SELECT count(*) FROM (SELECT session_token, round FROM offers WHERE session_token = ANY($1::text[])
               GROUP BY 1, 2 HAVING count(*) > 1) d""",
            list(per_session),
        )
        deadline = time.monotonic() + 90  # the Stripe sync sends the last chats' events after the run
        while True:
            ledger = [
                r["idempotency_key"]
                for r in await db.fetch("SELECT idempotency_key FROM usage_events WHERE user_id = $1", user)
            ]
            if set(ledger) <= set(stripe.accepted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    finally:
        await db.close()
    return {
        "deals_acknowledged": len(deal_ids),
        "deals_stored": len(stored_deals),
        "deals_lost": len(set(deal_ids) - {r["deal_id"] for r in stored_deals}),
        "offers_acknowledged": sum(per_session.values()),
        "offers_lost": sum(max(0, n - stored_offers.get(s, 0)) for s, n in per_session.items()),
        "offers_doubled": doubled_offers,
        "usage_events": len(ledger),
        "meter_events_sent": sum(stripe.accepted[k] for k in ledger),
        "usage_missing_at_stripe": len(set(ledger) - set(stripe.accepted)),
        "usage_doubled_at_stripe": sum(1 for k in ledger if stripe.accepted[k] > 1),
    }


def report(run: Run, checks: dict) -> dict:
    phases: dict[str, dict] = {}
    for name in ("warm-up", "before", "during", "after"):
        mine = [a for a in run.answers if phase(run, a) == name]
        phases[name] = {
            "answers": dict(Counter(f"{a.status} {a.code}".strip() if a.status != 200 else "200" for a in mine)),
            "bid_p99_ms": p99([a.latency_ms for a in mine if a.kind == "bid"]),
            "bids": sum(a.kind == "bid" for a in mine),
            "chats": sum(a.kind == "chat" for a in mine),
        }
    others = [a for a in run.answers if a.status not in (200, 503)]
    buckets: dict[int, list[float]] = {}
    for a in run.answers:
        if a.kind == "bid":
            buckets.setdefault(int(a.sent_s // 5) * 5, []).append(a.latency_ms)
    slowest = sorted(run.answers, key=lambda a: a.latency_ms, reverse=True)[:5]
    return {
        "phases": phases,
        "faults": [
            {
                "target": f.target,
                "at_s": round(f.at_s, 1),
                "recovery_s": None if f.recovery_s is None else round(f.recovery_s, 2),
            }
            for f in run.faults
        ],
        "answers_other_than_200_503": len(others),
        "others": dict(Counter(f"{a.kind} {a.status} {a.code}" for a in others)),
        "audit": checks,
        "bid_p99_ms_by_5s": {start: p99(values) for start, values in sorted(buckets.items())},
        "slowest": [f"{a.kind} sent at {a.sent_s:.1f} s: {a.latency_ms:.0f} ms, {a.status} {a.code}" for a in slowest],
    }


def print_report(figures: dict) -> None:
    baseline = figures["phases"]["before"]["bid_p99_ms"]
    print("| phase | bids | chats | bid p99 (ms) | p99 / before | answers |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, row in figures["phases"].items():
        answers = ", ".join(f"{code}: {n}" for code, n in sorted(row["answers"].items()))
        ratio = f"{row['bid_p99_ms'] / baseline:.2f}" if baseline and row["bid_p99_ms"] is not None else "-"
        print(f"| {name} | {row['bids']} | {row['chats']} | {row['bid_p99_ms']} | {ratio} | {answers} |")
    print()
    print("| fault | at (s) | recovered in (s) |")
    print("| --- | ---: | ---: |")
    for fault in figures["faults"]:
        print(f"| {fault['target']} | {fault['at_s']} | {fault['recovery_s']} |")
    print()
    print(f"answers other than 200/503: {figures['answers_other_than_200_503']} {figures['others'] or ''}")
    print("audit: " + ", ".join(f"{k} {v}" for k, v in figures["audit"].items()))
    print("bid p99 (ms) every 5 s: " + ", ".join(f"{s}: {v}" for s, v in figures["bid_p99_ms_by_5s"].items()))
    print("slowest: " + "; ".join(figures["slowest"]))


async def _run(api: str, args: argparse.Namespace, data_dir: Path, url: str, stripe: LocalStripe) -> dict:
    from aura.auth import mint_token
    from aura.billing import set_customer
    from aura.settings import get_settings
    from deployments.endpoints import Endpoints

    endpoints = Endpoints.load(data_dir)
    assert endpoints is not None
    get_settings.cache_clear()
    user = "chaos"
    token = mint_token(user)  # signed with the data directory's secret, like `aura token`
    db = await asyncpg.connect(url)
    try:
        await set_customer(db, user, "cus_chaos")
    finally:
        await db.close()
    from negotiation.client import NegotiationClient

    # Before the clock starts: every seller active, the lattice service built (and the Stripe sync with it).
    async with NegotiationClient(api) as warm:
        for item, price in ITEMS.items():
            await warm.send("POST", "/v1/negotiate", {"item_id": item, "bid_amount": price})
    async with httpx.AsyncClient(base_url=api, timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        session = (await http.post("/v1/aura/sessions")).json()["session_id"]
        await http.post("/v1/aura/chat", json={"prompt": "warm up", "session_id": session, "quantum_enhanced": True})
        # Every host up (the quantum workers load Qiskit for seconds) before the clock starts.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            hosts = (await http.get("/v1/health")).json()["hosts"]
            if all(group["state"] in ("alive", "idle") for group in hosts.values()):
                break
            await asyncio.sleep(0.5)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    kills = multiprocessing.get_context("spawn").Process(target=killer, args=(child, endpoints.ray_address, 11))
    kills.start()
    await asyncio.to_thread(parent.recv)  # the killer is connected and knows the hosts
    run = Run()
    await asyncio.gather(
        bid_load(api, run, args.rate, args.seconds, args.agents),
        chat_load(api, run, token, args.seconds, args.chat_every),
        faults(run, args.seconds, args.kill_every, data_dir / "pg", url, parent),
    )
    parent.send(False)
    kills.join(timeout=60)
    settle_recoveries(run, args.seller_hosts)
    checks = await audit(run, url, stripe, user)
    return report(run, checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="Bids per second, sent on schedule.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--chat-every", type=float, default=3.0)
    parser.add_argument("--agents", type=int, default=16, help="Signing agents the bids come from.")
    parser.add_argument("--seller-hosts", type=int, default=2)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="aura-bench-chaos-"))
    stripe, stripe_port = LocalStripe(), free_port()
    server = stripe.serve(stripe_port)
    env = up_env(data_dir) | {
        "AURA_RATE_LIMIT_PER_MINUTE": "100000000",
        "AURA_CHAT_PER_MINUTE": "100000",
        "AURA_SELLER_HOSTS": str(args.seller_hosts),
        # Sessions a bid left open when its closing bid was refused stay open: no agent should hit its cap.
        "AURA_MAX_BUYER_SESSIONS": "100000",
        "AURA_MAX_OPEN_SESSIONS": "1000000",
        "AURA_STRIPE_SECRET_KEY": "sk_test_chaos",
        "AURA_STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "AURA_STRIPE_SYNC_INTERVAL_S": "1",
        "AURA_STRIPE_BACKOFF_BASE_S": "0.5",
        "AURA_STRIPE_BACKOFF_MAX_S": "2",
    }
    os.environ["AURA_DATA_DIR"] = str(data_dir)
    try:
        with running_up(env) as api:
            from aura.settings import get_settings
            from aura.store import connect_url

            url = connect_url(get_settings())  # the running server's URL (it is found, not started)
            figures = asyncio.run(_run(api, args, data_dir, url, stripe))
    finally:
        server.should_exit = True
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
