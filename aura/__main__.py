"""`python -m aura` runs the `aura` command line."""

from aura.cli import app

app()
