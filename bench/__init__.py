"""Benchmarks, each run as `uv run python -m bench.<name>` from the repository root.

Importing `deployments` first makes the one process-wide setting every Aura
entry point makes before Ray loads (workers keep this interpreter).
"""

import deployments  # noqa: F401
