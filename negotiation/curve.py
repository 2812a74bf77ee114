"""A session's private concession curve: the public formula, with parameters only the server can derive.

The seller concedes along `reservation + (base − reservation)·(1 − t^(1/e))`.
With `reservation` the floor price and `e` the style's exponent, every counter
is a known function of the floor: two counters of one session, at their
public round times and the public list price, give the floor to the cent.

So each session draws two parameters of its own from HMAC-SHA256(server
secret, session token), which nobody without the secret can compute:

- a margin `m` in [`MIN_MARGIN`, `MAX_MARGIN`]: the curve ends at
  `floor + m·(base − floor)` instead of the floor, so the best fit of the
  public curve to all of a session's counters lands at least
  `MIN_MARGIN·(base − floor)` above the floor (up to the cent rounding of
  the counters);
- a factor `f` in [e^−`LOG_FACTOR_SPREAD`, e^+`LOG_FACTOR_SPREAD`] on the
  exponent, so the style's known exponent does not pin the curve's shape.

The seller never goes below the curve's end in that session, which lies
above the floor: acceptance stays sound. Being derived, not stored, the
parameters survive a host restart with the session itself.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from aura import server_secret
from aura.settings import get_settings

MIN_MARGIN = 0.05
MAX_MARGIN = 0.15
LOG_FACTOR_SPREAD = 0.3


@dataclass(frozen=True, slots=True)
class SessionCurve:
    """One session's private curve parameters: the margin above the floor and the factor on the exponent."""

    margin: float
    exponent_factor: float

    def reservation(self, floor_price: float, base_price: float) -> float:
        """Where this session's curve ends: `floor + margin·(base − floor)`."""
        return floor_price + self.margin * (base_price - floor_price)


def _unit(digest: bytes) -> float:
    """Eight bytes of a digest as a number in [0, 1)."""
    return int.from_bytes(digest, "big") / 2.0**64


def session_curve(secret: str, session_token: str) -> SessionCurve:
    """The curve parameters of the session `session_token` under `secret`."""
    digest = hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).digest()
    margin = MIN_MARGIN + (MAX_MARGIN - MIN_MARGIN) * _unit(digest[:8])
    factor = math.exp(LOG_FACTOR_SPREAD * (2.0 * _unit(digest[8:16]) - 1.0))
    return SessionCurve(margin, factor)


def curve_secret() -> str:
    """This process's curve secret (`AURA_CURVE_SECRET`, or `{data_dir}/curve_secret`)."""
    settings = get_settings()
    return _secret(settings.data_dir, settings.negotiation.curve_secret)


@lru_cache(maxsize=4)
def _secret(data_dir: Path, configured: SecretStr | None) -> str:
    # Read once per place it lives: a bid must not cost a file read.
    return server_secret(data_dir, "curve_secret", configured)
