"""The limits of one sandboxed run, and how a run that hit one is recognised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aura.settings import SandboxSettings

#: Which limit stopped a run; None when it ended on its own.
Limit = Literal["wall_time", "cpu_time", "memory", "processes", "file_size", "disk_space", "output"]

#: A run is killed once it has written this many times its kept output: beyond that it is only noise.
OUTPUT_CEILING = 128


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run; the defaults come from `AURA_SANDBOX_*`."""

    wall_s: float = 10.0
    cpu_s: int = 8
    memory_mb: int = 512
    processes: int = 64
    file_size_mb: int = 16
    output_bytes: int = 64 * 1024
    tmp_mb: int = 64

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> Limits:
        """The limits the settings give every run."""
        return cls(
            wall_s=settings.wall_s,
            cpu_s=settings.cpu_s,
            memory_mb=settings.memory_mb,
            processes=settings.processes,
            file_size_mb=settings.file_size_mb,
            output_bytes=settings.output_kb * 1024,
            tmp_mb=settings.tmp_mb,
        )

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """The kernel limits a run gets, by their `RLIMIT_*` names, as (soft, hard) values.

        The CPU limit's hard value is one second above the soft one, so the
        process first gets SIGXCPU (recognisable) rather than SIGKILL.
        """
        memory = self.memory_mb * 1024 * 1024
        size = self.file_size_mb * 1024 * 1024
        return {
            "RLIMIT_CPU": (self.cpu_s, self.cpu_s + 1),
            "RLIMIT_AS": (memory, memory),
            "RLIMIT_NPROC": (self.processes, self.processes),
            "RLIMIT_FSIZE": (size, size),
            "RLIMIT_CORE": (0, 0),
        }


_SIGXCPU_EXIT = 128 + 24

# What a process prints when a kernel limit refused it something (Python's own messages).
_EVIDENCE: tuple[tuple[Limit, tuple[str, ...]], ...] = (
    ("memory", ("MemoryError", "Cannot allocate memory")),
    ("processes", ("BlockingIOError: [Errno 11]", "Resource temporarily unavailable")),
    ("file_size", ("File too large", "[Errno 27]")),
    ("disk_space", ("No space left on device", "[Errno 28]")),
)


def limit_reached(exit_code: int, stderr: str, timed_out: bool, flooded: bool) -> Limit | None:
    """The limit that stopped a run, from how it ended and what it printed.

    A limit the kernel enforced is named even when the wall clock ended the
    run: a fork bomb is contained by the process limit and then timed out.
    """
    if exit_code == _SIGXCPU_EXIT:
        return "cpu_time"
    for limit, marks in _EVIDENCE:
        if any(mark in stderr for mark in marks):
            return limit
    if flooded:
        return "output"
    if timed_out:
        return "wall_time"
    return None
