"""`python -m deployments` runs the `aura` command line (what `ray job submit -- python -m deployments …` runs)."""

from deployments.cli import app

app(prog_name="aura")
