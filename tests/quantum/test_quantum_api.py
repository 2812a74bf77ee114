"""`POST /v1/quantum/metrics` through the app in process, with the pool on the session Ray cluster.

The route needs a bearer token; `tests/security/test_quantum.py` covers what it refuses and why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from aura.auth import mint_token
from deployments.app import build_api

BELL_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'


@pytest.fixture(scope="module")
async def client(ray_cluster: None, settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on the session's event loop, with a token for user `quantum-api`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_api()),
        base_url="http://quantum.test",
        headers={"Authorization": f"Bearer {mint_token('quantum-api')}"},
        timeout=120,
    ) as test_client:
        yield test_client


async def test_bell_metrics(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/quantum/metrics", json={"circuit": "bell", "shots": 2000, "backend": "aer"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"phi", "gamma", "lambda", "w2", "counts", "backend_used", "job_id", "execution_ms"}
    assert body["phi"] == pytest.approx(1.0, abs=0.02)
    assert body["lambda"] == pytest.approx(2.176435e-8 / 3)
    assert set(body["counts"]) == {"00", "11"} and sum(body["counts"].values()) == 2000
    assert body["backend_used"] == "aer"


async def test_qasm_and_lattice_circuits(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/quantum/metrics", json={"circuit": BELL_QASM, "shots": 100, "backend": "aer"})
    assert response.status_code == 200 and set(response.json()["counts"]) <= {"00", "11"}
    lattice = {"scores": [1.0, 0.0, 0.0], "edges": [{"source": 0, "target": 1, "interactions": 3}]}
    response = await client.post(
        "/v1/quantum/metrics", json={"circuit": "lattice", "lattice": lattice, "shots": 50, "backend": "aer"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"011": 50}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"circuit": "OPENQASM 2.0; qreg q[1]; bogus q[0];", "shots": 10, "backend": "aer"}, "invalid_qasm"),
        ({"circuit": "ghz", "qubits": 21, "shots": 10, "backend": "aer"}, "too_many_qubits"),
        ({"circuit": "bell", "shots": 10, "backend": "quantum_cloud"}, "unknown_backend"),
        ({"circuit": "bell", "shots": 10, "backend": "aer:fake_atlantis"}, "unknown_backend"),
        ({"circuit": "lattice", "shots": 10, "backend": "aer"}, "lattice_state_missing"),
        ({"circuit": "bell", "shots": 0, "backend": "aer"}, "invalid_request"),
        ({"circuit": "bell", "shots": 100_001, "backend": "aer"}, "invalid_request"),
    ],
)
async def test_unusable_requests_are_422_with_a_code(client: httpx.AsyncClient, payload: dict, code: str) -> None:
    response = await client.post("/v1/quantum/metrics", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]


async def test_openapi_describes_the_route(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/quantum/metrics"]["post"]
    for status in ("401", "403", "413", "422", "429", "502", "503"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }, status
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "lambda" in schema["components"]["schemas"]["MetricsResponse"]["properties"]
