"""What `POST /v1/quantum/metrics` refuses an outsider, and that refusing costs the API nothing.

Each test replays a reproduced hole against the whole app (real Ray, real
PostgreSQL, real Aer): server files read through QASM `include`, programs
that stall the gateway, the route without auth, IBM Quantum for anyone.
"""

from __future__ import annotations

import asyncio
import math
import os
import string
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from aura.auth import jwt_secret, mint_token
from aura.settings import Settings, get_settings
from deployments.app import build_api
from quantum.pool import PoolConfig, QuantumJobFailed, run_metrics

QUANTUM = "/v1/quantum/metrics"
HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
# Generous bounds for "answered at once" and "did not stall": the stall reproduced took 12.4 s.
PROMPT_S = 2.0
RESPONSIVE_S = 1.0


@pytest.fixture(scope="module")
async def client(settings: Settings, ray_cluster: None) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app in-process, on the session's Ray and database."""
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://aura.test", timeout=120) as http:
        yield http


@pytest.fixture
def token() -> Callable[[str | None], dict[str, str]]:
    """Authorization headers for a user (a fresh one by default, so quotas never carry over)."""
    return lambda user=None: {"Authorization": f"Bearer {mint_token(user or f'user-{uuid.uuid4().hex[:8]}')}"}


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Change settings (as `AURA_*` variables) for one test; they are restored after it."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AURA_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe: opening it to read blocks until a writer comes, so a build that opened it would hang."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    yield path
    try:  # if the test failed because something opened the pipe, let that reader go
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


async def metrics(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> tuple[httpx.Response, float]:
    """The answer to one metrics request, and how long it took."""
    started = time.perf_counter()
    answer = await client.post(QUANTUM, json={"shots": 10, **body}, headers=headers)
    return answer, time.perf_counter() - started


def nested_gates(levels: int) -> str:
    """The reproduced stall: gate gₖ applies gₖ₋₁ twice, so one g_levels is 2^levels gates."""
    lines = [HEADER + "qreg q[1];", "gate g0 a { h a; }"]
    lines += [f"gate g{k} a {{ g{k - 1} a; g{k - 1} a; }}" for k in range(1, levels + 1)]
    return "\n".join([*lines, f"g{levels} q[0];"])


def many_gates(count: int) -> str:
    """A flat program of `count` Hadamards spread over 20 qubits (within every default limit up to 10 000)."""
    return HEADER + "qreg q[20];\n" + "".join(f"h q[{k % 20}];\n" for k in range(count))


# Ways to spell an include. Qiskit reads 'single quotes' too; a comment, however it ends, hides nothing.
INCLUDES = {
    "plain": 'include "{path}";',
    "single_quotes": "include '{path}';",
    "comment_between": 'include // look away\n"{path}";',
    "whitespace": 'include\t\r\n  "{path}"\n;',
    "comment_ended_by_cr": '// harmless\rinclude "{path}";',
    "after_qelib1": 'include "qelib1.inc";\ninclude "{path}";',
    "inside_qelib1": 'include "qelib1.inc/../{path}";',
    "block_comment": '/* include "qelib1.inc"; */ include "{path}";',
}


def targets(settings: Settings, fifo: Path) -> dict[str, str]:
    """Files an outsider would name: absolute, relative to the working directory, climbing with ../."""
    secret = settings.data_dir / "jwt_secret"
    return {
        "jwt_secret": str(secret),
        "jwt_secret_relative": os.path.relpath(secret),
        "hostname": "/etc/hostname",
        "hostname_relative": "etc/hostname",
        "climbing": "../" * 12 + "etc/hostname",
        "pipe": str(fifo),
    }


async def test_no_include_but_qelib1_is_followed_and_the_answer_tells_nothing_of_any_file(
    client: httpx.AsyncClient,
    token,
    settings: Settings,
    fifo: Path,
) -> None:
    headers = token()
    secret = jwt_secret(settings)
    assert (settings.data_dir / "jwt_secret").exists() and len(secret) >= 32
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    program = "OPENQASM 2.0;\n{include}\nqreg q[1];"
    missing = str(settings.data_dir / f"missing-{uuid.uuid4().hex}")
    baseline, _ = await metrics(client, headers, circuit=program.format(include=f'include "{missing}";'))
    assert baseline.status_code == 422 and baseline.json()["code"] == "include_not_allowed"
    # Four characters of the secret that the fixed answer happens to contain prove nothing either way.
    coincidental = {secret[i : i + 4] for i in range(len(secret) - 3) if secret[i : i + 4] in baseline.text}
    for spelling, include in INCLUDES.items():
        for target, path in targets(settings, fifo).items():
            answer, took = await metrics(client, headers, circuit=program.format(include=include.format(path=path)))
            case = f"{spelling} {target}"
            assert answer.status_code == 422, case
            # The same answer as for a file that does not exist: nothing in it depends on any file.
            assert answer.json() == baseline.json(), case
            leaked = {secret[i : i + 4] for i in range(len(secret) - 3) if secret[i : i + 4] in answer.text}
            assert leaked <= coincidental, case
            assert hostname not in answer.text or hostname in baseline.text, case
            assert took < PROMPT_S, case  # a build that opened the pipe would still be waiting for a writer


async def test_qelib1_is_still_included_in_either_quotes(client: httpx.AsyncClient, token) -> None:
    bell = "qreg q[2];\nh q[0];\ncx q[0],q[1];"
    for include in ('include "qelib1.inc";', "include 'qelib1.inc';"):
        answer, _ = await metrics(client, token(), circuit=f"OPENQASM 2.0;\n{include}\n{bell}", shots=100)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["counts"]) <= {"00", "11"}


async def test_the_route_needs_a_valid_bearer_token_before_it_reads_a_circuit(client: httpx.AsyncClient) -> None:
    reading = 'OPENQASM 2.0;\ninclude "/etc/hostname";\nqreg q[1];'
    for headers, code in (
        ({}, "unauthenticated"),
        ({"Authorization": "Bearer not-a-jwt"}, "invalid_token"),
        ({"Authorization": f"Basic {mint_token('someone')}"}, "unauthenticated"),
    ):
        for circuit in ("bell", reading):
            answer, _ = await metrics(client, headers, circuit=circuit, backend="ibm:least_busy")
            assert answer.status_code == 401, answer.text
            assert answer.json()["code"] == code
            assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_the_reproduced_nested_gates_answer_at_once_while_the_api_keeps_answering(
    client: httpx.AsyncClient,
    token,
) -> None:
    program = nested_gates(12)
    assert len(program.encode()) < 400  # the reproduction was a 395-byte program
    assert (await client.get("/v1/health")).status_code == 200  # its database pool exists before timing it

    async def health() -> float:
        started = time.perf_counter()
        answer = await client.get("/v1/health")
        assert answer.status_code == 200
        return time.perf_counter() - started

    (answer, took), health_s = await asyncio.gather(metrics(client, token(), circuit=program), health())
    assert answer.status_code == 422 and answer.json()["code"] == "too_deep"
    assert took < PROMPT_S and health_s < RESPONSIVE_S


async def test_gates_nested_past_the_limit_are_refused_from_their_definitions_alone(
    client: httpx.AsyncClient,
    token,
) -> None:
    # 2⁴⁰ gates: expanding them, however fast, would never answer.
    answer, took = await metrics(client, token(), circuit=nested_gates(40))
    assert answer.status_code == 422 and answer.json()["code"] == "too_many_gates"
    assert took < PROMPT_S


async def test_a_build_over_its_budget_is_answered_at_once_and_holds_up_nothing(
    client: httpx.AsyncClient,
    token,
    configure,
) -> None:
    configure(quantum_build_timeout_s=0.001)

    async def health() -> float:
        started = time.perf_counter()
        assert (await client.get("/v1/health")).status_code == 200
        return time.perf_counter() - started

    (answer, took), health_s = await asyncio.gather(metrics(client, token(), circuit=many_gates(7_000)), health())
    assert answer.status_code == 422 and answer.json()["code"] == "circuit_build_timeout"
    assert took < PROMPT_S and health_s < RESPONSIVE_S


async def test_builds_beyond_the_builder_threads_are_turned_away_not_queued(
    client: httpx.AsyncClient,
    token,
    configure,
) -> None:
    configure(quantum_build_threads=1, quantum_build_timeout_s=0.001)
    program = many_gates(7_000)
    answers = await asyncio.gather(*(metrics(client, token(), circuit=program) for _ in range(4)))
    codes = [answer.json()["code"] for answer, _ in answers]
    assert set(codes) <= {"circuit_build_timeout", "circuit_builder_busy"} and "circuit_builder_busy" in codes
    for answer, took in answers:
        assert answer.status_code == (503 if answer.json()["code"] == "circuit_builder_busy" else 422)
        assert took < PROMPT_S
    busy = next(answer for answer, _ in answers if answer.status_code == 503)
    assert busy.headers["Retry-After"] == "1"


def _definitions(count: int) -> str:
    return HEADER + "qreg q[1];\n" + "".join(f"gate d{k} a {{ h a; }}\n" for k in range(count)) + "d0 q[0];"


def _lattice(cells: int, edges: int = 0) -> dict:
    return {"scores": [0.5] * cells, "edges": [{"source": 0, "target": 1, "interactions": 1}] * edges}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"circuit": HEADER + "qreg q[100000000];\nh q;"}, 422, "too_many_qubits"),
        ({"circuit": HEADER + "qreg q[2];\ncreg c[99999999999999999999];"}, 422, "too_many_clbits"),
        ({"circuit": HEADER + "qreg q[15];\nqreg r[6];\nh q[0];"}, 422, "too_many_qubits"),
        # Qiskit's lexer panicked on this index (a BaseException no handler caught).
        ({"circuit": HEADER + "qreg q[2];\nh q[18446744073709551616];"}, 422, "invalid_qasm"),
        ({"circuit": _definitions(101)}, 422, "too_many_gate_definitions"),
        ({"circuit": HEADER + "qreg q[20];\n" + "h q;\n" * 501}, 422, "too_many_gates"),
        ({"circuit": HEADER + "qreg q[1];\n" + "h q[0];\n" * 2_001}, 422, "too_deep"),
        ({"circuit": HEADER + "qreg q[1];\n// " + "x" * 65_536 + "\nh q[0];"}, 413, "circuit_text_too_large"),
        # Expanding this opaque gate looped forever.
        ({"circuit": HEADER + "qreg q[1];\nopaque g a;\ng q[0];"}, 422, "opaque_gate"),
        ({"circuit": HEADER + "qreg q[1];\nrx(1e308*10-1e308*10) q[0];"}, 422, "invalid_angle"),
        ({"circuit": "ghz", "qubits": 1_000_000_000}, 422, "too_many_qubits"),
        ({"circuit": "lattice", "lattice": _lattice(21)}, 422, "too_many_qubits"),
        ({"circuit": "lattice", "lattice": _lattice(100_000)}, 422, "too_many_qubits"),
        ({"circuit": "lattice", "lattice": _lattice(3, edges=257)}, 422, "too_many_edges"),
    ],
    ids=[
        "huge_qreg",
        "huge_creg",
        "registers_summed",
        "index_past_64_bits",
        "gate_definitions",
        "broadcast_gates",
        "deep",
        "long_text",
        "opaque_gate",
        "nan_angle",
        "huge_ghz",
        "lattice_cells",
        "lattice_cells_huge",
        "lattice_edges",
    ],
)
async def test_requests_over_a_limit_are_refused_at_once_with_a_code(
    client: httpx.AsyncClient,
    token,
    body: dict,
    status: int,
    code: str,
) -> None:
    answer, took = await metrics(client, token(), **body)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert took < PROMPT_S


async def test_limits_follow_the_settings(client: httpx.AsyncClient, token, configure) -> None:
    configure(quantum_max_shots=100, quantum_max_gates=50, quantum_max_circuit_bytes=400)
    answer, _ = await metrics(client, token(), circuit="bell", shots=101)
    assert answer.status_code == 422 and answer.json()["code"] == "too_many_shots"
    answer, _ = await metrics(client, token(), circuit="bell", shots=100)
    assert answer.status_code == 200, answer.text
    answer, _ = await metrics(client, token(), circuit=many_gates(51))
    assert answer.status_code == 413 and answer.json()["code"] == "circuit_text_too_large"
    answer, _ = await metrics(client, token(), circuit=nested_gates(6))
    assert answer.status_code == 422 and answer.json()["code"] == "too_many_gates"


async def test_errors_quote_the_input_only_as_a_short_printable_excerpt(client: httpx.AsyncClient, token) -> None:
    printable = set(string.printable) - set("\t\n\r\x0b\x0c")
    for body in (
        {"circuit": HEADER + "qreg q[1];\n" + "x" * 500 + " q[0];"},
        {"circuit": HEADER + "qreg q[1];\n\u00e9\u00e8\x07 q[0];"},
        {"circuit": "bell", "backend": "aer:" + "\u00e9" * 50 + "\x1b[31m"},
    ):
        answer, _ = await metrics(client, token(), **body)
        assert answer.status_code == 422, answer.text
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and set(detail) <= printable, detail
        assert "x" * 50 not in detail and len(detail) < 120, detail


async def test_ibm_backends_are_refused_to_users_the_operator_did_not_list(
    client: httpx.AsyncClient,
    token,
    configure,
) -> None:
    for backend, fallback in (("ibm:least_busy", None), ("ibm:fake_manila", "aer"), ("aer", "ibm:least_busy")):
        answer, _ = await metrics(client, token("alice"), circuit="bell", backend=backend, fallback=fallback)
        assert answer.status_code == 403 and answer.json()["code"] == "ibm_not_allowed", (backend, fallback)
    configure(quantum_ibm_users="bob, carol")
    answer, _ = await metrics(client, token("alice"), circuit="bell", backend="ibm:least_busy")
    assert answer.status_code == 403 and answer.json()["code"] == "ibm_not_allowed"
    answer, _ = await metrics(client, token("alice"), circuit="bell", backend="aer")
    assert answer.status_code == 200  # Aer stays open to every authenticated user


def seconds_to_utc_midnight() -> float:
    now = datetime.now(UTC)
    return (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC) - now).total_seconds()


async def test_a_listed_user_runs_on_ibm_until_the_daily_quota_held_in_postgres_is_spent(
    client: httpx.AsyncClient,
    token,
    configure,
    db: asyncpg.Pool,
) -> None:
    user = f"ibm-{uuid.uuid4().hex[:8]}"
    configure(quantum_ibm_users=user, quantum_ibm_daily_circuits=1)
    used = "SELECT sum(circuits) FROM quantum_ibm_usage WHERE user_id = $1"
    refused, _ = await metrics(
        client, token(user), circuit="OPENQASM 2.0; qreg q[1]; nope q[0];", backend="ibm:fake_manila"
    )
    assert refused.status_code == 422  # a circuit that never runs spends nothing
    assert await db.fetchval(used, user) is None
    ran, _ = await metrics(client, token(user), circuit="bell", backend="ibm:fake_manila", shots=100)
    assert ran.status_code == 200, ran.text
    assert ran.json()["backend_used"] == "ibm:fake_manila"
    assert await db.fetchval(used, user) == 1
    before = seconds_to_utc_midnight()
    spent, _ = await metrics(client, token(user), circuit="bell", backend="ibm:fake_manila", shots=100)
    after = seconds_to_utc_midnight()
    assert spent.status_code == 429 and spent.json()["code"] == "ibm_quota_exhausted"
    # The quota renews at the next UTC midnight: Retry-After is the time left until then, in whole seconds.
    assert math.floor(after) <= int(spent.headers["Retry-After"]) <= math.ceil(before)
    assert await db.fetchval(used, user) == 1
    aer, _ = await metrics(client, token(user), circuit="bell", backend="aer")
    assert aer.status_code == 200  # the quota is of IBM circuits only


async def test_a_circuit_larger_than_its_device_is_a_422(client: httpx.AsyncClient, token) -> None:
    # fake_manila has 5 qubits: the job fails in the worker, after the request was accepted; the request named
    # something impossible, so it is the caller's 4xx, not a backend's 5xx.
    answer, _ = await metrics(client, token(), circuit="ghz", qubits=6, backend="aer:fake_manila")
    assert answer.status_code == 422 and answer.json()["code"] == "circuit_too_large"


async def test_an_exception_inside_a_job_reaches_the_caller_as_a_code_and_a_fixed_reason(ray_cluster: None) -> None:
    from qiskit import QuantumCircuit

    # A NaN angle (the route refuses one; the pool does not look) makes Aer's binding raise "Binding to NaN."
    circuit = QuantumCircuit(1)
    circuit.rx(float("nan"), 0)
    with pytest.raises(QuantumJobFailed) as raised:
        await run_metrics(circuit, 10, "aer", config=PoolConfig(prefix="test:quantum-security", size=1))
    assert raised.value.code == "job_failed"
    assert "nan" not in raised.value.detail.lower() and "Error" not in raised.value.detail
