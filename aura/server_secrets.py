"""Server secrets: a configured value, or one generated once and kept in the data directory (mode 0600).

Generating them lets separate processes of one machine (`aura token`, the
gateway, the hosts) agree without anyone configuring a secret on a
development machine. A cluster of several machines configures them instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from aura.errors import AuraError


class SecretUnusable(AuraError):
    """A secret that exists but cannot be used (an empty value or file); the detail names where it is."""

    default_code = "secret_unusable"


def server_secret(data_dir: Path, name: str, configured: SecretStr | None) -> str:
    """The secret called `name`: `configured` when set, else `{data_dir}/{name}`, created on first use."""
    if configured is not None:
        value = configured.get_secret_value()
        if not value.strip():
            raise SecretUnusable(detail=f"the configured {name} is empty")
        return value
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a link never replaces an
        # existing file, so of two processes racing exactly one wins, and nobody reads a half-written one.
        draft = data_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    value = path.read_text().strip()
    if not value:
        raise SecretUnusable(detail=f"{path} is empty: delete it to have a new secret generated, or configure one")
    return value
