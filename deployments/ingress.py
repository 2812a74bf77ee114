"""The gateway replica's own HTTP server (Serve's direct ingress), made to take its port back at once.

Serve's replica binds its direct-ingress socket without `SO_REUSEADDR`
(Ray 2.60, `replica.py`), so after it stops, every connection it closed
first (each WebSocket, each idle keep-alive) keeps the port in TCP
TIME_WAIT for a minute, and an `aura up` started in that minute fails with
`NoAvailablePortError`. With the option set, Linux lets a new listener
bind over TIME_WAIT sockets that also had it, while a port another program
listens on still refuses the bind.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from ray.serve._private import replica as serve_replica


def reuse_address() -> None:
    """Have this process's Serve replica bind its direct-ingress port with `SO_REUSEADDR` (idempotent).

    Serve sets the option through its `SO_REUSEPORT` switch, which adds port
    sharing between listeners of the same user; `aura up` refuses to start
    when the port already has a listener, so no second server joins it.
    """
    start = serve_replica.start_asgi_http_server
    if getattr(start, "reuses_address", False):
        return
    serve_replica.start_asgi_http_server = _reusing(start)  # type: ignore[assignment]


def _reusing(start: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(start)
    async def start_reusing(*args: Any, **kwargs: Any) -> Any:
        kwargs["enable_so_reuseport"] = True
        return await start(*args, **kwargs)

    start_reusing.reuses_address = True  # type: ignore[attr-defined]
    return start_reusing
