"""The OpenAPI document is the contract: schemathesis, as a user would run it, finds no answer outside it.

Every generated request (signed routes signed by `contract_hooks`, a fresh did:key each) goes to the
app served on a loopback port, and every check schemathesis has runs on the answers: no 5xx, every
status documented with its body, schema-valid requests accepted and schema-violating ones refused.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from aura.auth import mint_token
from tests.lattice.conftest import api_app, serve

__all__ = ["api_app", "serve"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_schemathesis_finds_nothing_outside_the_openapi_document(api_app, serve) -> None:
    async with serve(api_app) as base:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(ROOT / "tests" / "deployments" / "schemathesis.toml"),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {mint_token('contract')}",
            "--checks",
            "all",
            "--max-examples",
            "25",
            "--seed",
            "7",
        ]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.deployments.contract_hooks", "PYTHONPATH": str(ROOT)}
        run = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await run.communicate()
        lattice = api_app.state.replica.built("lattice")
        if lattice is not None:  # AutoPilot runs it started finish before the app goes
            await lattice.autopilot.wait()
    report = output.decode(errors="replace")
    assert run.returncode == 0, report[-20_000:]
    assert "generated" in report and " passed" in report
