"""Code that tries to get out of the sandbox, or to take the machine with it, is contained; the run says how."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from lattice.sandbox import Limits, Run, Sandbox, Workspace


async def run(sandbox: Sandbox, code: str, limits: Limits | None = None) -> tuple[str, str, Run]:
    result = await sandbox.run(Workspace({"escape.py": code}), "python escape.py", limits, keep_files=True)
    return result.stdout, result.stderr, result


@pytest.fixture
def data_dir_secret() -> Iterator[tuple[Path, str]]:
    """A data directory outside /tmp and the home directory, holding a JWT secret, as `~/.aura` would."""
    directory = Path(tempfile.mkdtemp(prefix="aura-escape-", dir="/var/tmp"))
    secret = secrets.token_hex(16)
    (directory / "jwt_secret").write_text(secret)
    yield directory, secret
    shutil.rmtree(directory)


async def test_the_data_directory_and_home_cannot_be_read(data_dir_secret: tuple[Path, str]) -> None:
    directory, secret = data_dir_secret
    home_file = Path.home() / f".aura-escape-{secrets.token_hex(4)}"
    home_file.write_text(secret)
    try:
        sandbox = Sandbox(Limits(wall_s=5), data_dir=directory)
        code = (
            "import pathlib\n"
            f"for path in ({str(directory / 'jwt_secret')!r}, {str(home_file)!r}):\n"
            "    try:\n"
            "        print(pathlib.Path(path).read_text())\n"
            "    except OSError as error:\n"
            "        print(type(error).__name__)\n"
        )
        stdout, stderr, _ = await run(sandbox, code)
    finally:
        home_file.unlink()
    assert secret not in stdout + stderr
    assert stdout.split() == ["FileNotFoundError", "FileNotFoundError"]


async def test_the_api_port_cannot_be_reached(sandbox: Sandbox) -> None:
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('connected')"
        stdout, stderr, _ = await run(sandbox, code)
    finally:
        server.close()
    assert "connected" not in stdout
    assert "ConnectionRefusedError" in stderr


async def test_postgresql_cannot_be_reached(sandbox: Sandbox, database_url: str) -> None:
    socket_dir = parse_qs(urlparse(database_url).query)["host"][0]
    sockets = [str(path) for path in Path(socket_dir).glob(".s.PGSQL.*") if not path.name.endswith(".lock")]
    assert sockets, "the embedded PostgreSQL listens on a unix socket"
    code = (
        "import socket\n"
        f"for address in {sockets!r}:\n"
        "    try:\n"
        "        socket.socket(socket.AF_UNIX).connect(address)\n"
        "        print('connected')\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 5432), timeout=2)\n"
        "    print('connected')\n"
        "except OSError as error:\n"
        "    print(type(error).__name__)\n"
    )
    stdout, _, _ = await run(sandbox, code)
    assert "connected" not in stdout
    assert stdout.split()[-1] == "ConnectionRefusedError"


async def test_the_parents_environment_is_not_passed(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-ant-" + secrets.token_hex(12)
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    stdout, stderr, _ = await run(
        sandbox, "import os\nprint(os.environ.get('ANTHROPIC_API_KEY'))\nprint(dict(os.environ))"
    )
    assert key not in stdout + stderr
    assert stdout.splitlines()[0] == "None"


async def test_nothing_outside_the_workspace_can_be_written(sandbox: Sandbox, tmp_path: Path) -> None:
    targets = [Path.home() / f"aura-escape-{secrets.token_hex(4)}", Path.cwd() / "escaped", Path("/etc/escaped")]
    code = (
        "import pathlib\n"
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        pathlib.Path(path).write_text('out')\n"
        "        print('wrote')\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)\n"
        "pathlib.Path('inside.txt').write_text('in')\n"
    )
    stdout, _, result = await run(sandbox, code)
    assert "wrote" not in stdout
    assert not any(target.exists() for target in targets)
    assert result.workspace is not None and result.workspace.files["inside.txt"] == "in"


async def test_a_fork_bomb_is_stopped_by_the_process_limit(sandbox: Sandbox) -> None:
    _, _, result = await run(sandbox, "import os\nwhile True:\n    os.fork()\n")
    assert result.limit == "processes"
    assert not result.ok


async def test_allocating_10_gb_is_stopped_by_the_memory_limit(sandbox: Sandbox) -> None:
    _, stderr, result = await run(sandbox, "block = bytearray(10 * 1024**3)\n")
    assert result.limit == "memory"
    assert "MemoryError" in stderr


async def test_an_endless_loop_is_stopped_by_the_cpu_limit(sandbox: Sandbox) -> None:
    _, _, result = await run(sandbox, "while True:\n    pass\n", replace(sandbox.limits, cpu_s=1))
    assert result.limit == "cpu_time"
    assert result.exit_code == 128 + 24  # SIGXCPU


async def test_a_sleeping_run_is_stopped_by_the_wall_clock(sandbox: Sandbox) -> None:
    _, _, result = await run(sandbox, "import time\ntime.sleep(60)\n", replace(sandbox.limits, wall_s=1.0))
    assert result.limit == "wall_time"
    assert result.duration_ms < 60_000


async def test_printing_1_gb_is_cut_off_and_stopped(sandbox: Sandbox) -> None:
    code = "import sys\nline = 'x' * 2**20\nfor _ in range(1024):\n    sys.stdout.write(line)\n"
    _, _, result = await run(sandbox, code)
    assert result.limit == "output"
    assert result.stdout_truncated
    assert len(result.stdout) == sandbox.limits.output_bytes


async def test_a_huge_file_is_stopped_by_the_file_size_limit(sandbox: Sandbox) -> None:
    code = "with open('big.bin', 'wb') as file:\n    file.write(b'0' * 64 * 1024**2)\n"
    _, _, result = await run(sandbox, code)
    assert result.limit == "file_size"


async def test_filling_tmp_is_stopped_by_its_size_and_tmp_is_the_runs_own(sandbox: Sandbox) -> None:
    code = (
        "import tempfile\n"
        "with tempfile.NamedTemporaryFile(dir='/tmp', delete=False) as scratch:\n"
        "    print(scratch.name)\n"
        "for n in range(100):\n"
        "    with open(f'/tmp/fill{n}', 'wb') as file:\n"
        "        file.write(b'0' * 2**20)\n"
    )
    stdout, _, result = await run(sandbox, code, replace(sandbox.limits, tmp_mb=4, file_size_mb=2))
    assert result.limit == "disk_space"
    assert not Path(stdout.split()[0]).exists()  # the run's /tmp was its own, and is gone
    assert result.workspace is not None and result.workspace.files == {"escape.py": code}


async def test_a_report_linked_to_a_host_file_is_not_read(sandbox: Sandbox, data_dir_secret) -> None:
    directory, _ = data_dir_secret
    planted = directory / "report.xml"
    planted.write_text('<testsuite><testcase name="planted"/></testsuite>')
    code = f"import os\nos.symlink({str(planted)!r}, '.aura/junit.xml')\n"
    _, _, result = await run(sandbox, code)
    assert result.ok and result.tests is None


async def test_no_process_outlives_its_run(sandbox: Sandbox) -> None:
    seconds = str(1000 + secrets.randbelow(9000))  # a sleep no other process on the machine has
    code = f"import subprocess, time\nsubprocess.Popen(['sleep', '{seconds}'])\ntime.sleep(60)\n"
    await run(sandbox, code, replace(sandbox.limits, wall_s=1.0))
    await asyncio.sleep(0.2)
    leftovers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid) == f"sleep\x00{seconds}\x00"]
    assert leftovers == []


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""
