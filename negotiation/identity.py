"""Agent identity: Ed25519 `did:key` identifiers and the signed-request scheme of the agent API.

A request is signed over `METHOD + path + timestamp + sha256hex(canonical body)`,
where the canonical body is the JSON body re-serialised with sorted keys and
separators `,` and `:` (an empty body hashes as empty bytes). Two DID forms
name the same key: `did:key:<64 hex chars>` (the seed's form) and the W3C
form `did:key:z6Mk…`, multibase base58btc of the multicodec prefix 0xed 0x01
followed by the 32 raw key bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from aura import AuraError

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_ED25519_MULTICODEC = b"\xed\x01"
_HEX_DID = re.compile(r"^did:key:([0-9a-fA-F]{64})$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{128}$")


class IdentityError(AuraError, ValueError):
    """A DID or signature that cannot be read or does not verify (`bad_did`, `bad_signature`)."""

    default_code = "bad_signature"


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58: the number in base 58, one leading '1' per leading zero byte."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """The bytes `b58encode` made `text` from; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def did_from_key(public_key: bytes, *, multibase: bool = True) -> str:
    """The `did:key` of a raw 32-byte Ed25519 public key, W3C multibase form by default."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    if multibase:
        return "did:key:z" + b58encode(_ED25519_MULTICODEC + public_key)
    return "did:key:" + public_key.hex()


def key_from_did(did: str) -> bytes:
    """The raw Ed25519 public key a `did:key` names, in either form; IdentityError(`bad_did`) otherwise."""
    found = _HEX_DID.match(did)
    if found:
        return bytes.fromhex(found.group(1))
    if did.startswith("did:key:z") and len(did) < 120:
        try:
            decoded = b58decode(did[len("did:key:z") :])
        except ValueError:
            raise IdentityError("bad_did", "multibase did:key has a character outside base58") from None
        if decoded[:2] == _ED25519_MULTICODEC and len(decoded) == 34:
            return decoded[2:]
        raise IdentityError("bad_did", "multibase did:key is not an Ed25519 key (z6Mk…)")
    raise IdentityError("bad_did", "X-Agent-ID must be did:key:<64 hex> or did:key:z6Mk…")


@lru_cache(maxsize=65_536)
def canonical_did(did: str) -> str:
    """The one spelling of the key a `did:key` names (multibase), whichever of its forms `did` is.

    One key has several spellings (hex in either case, multibase), and
    everything keyed by an agent (its rate limit, its sessions, its deals) must
    see one agent, not three. IdentityError(`bad_did`) for a DID that names no key.
    """
    return did_from_key(key_from_did(did))


def canonical_body(body: bytes) -> bytes:
    """The bytes whose SHA-256 is signed: the JSON re-serialised with sorted keys, or empty for no body.

    A body that is not JSON is hashed as sent; the route rejects it later.
    """
    if not body.strip():
        return b""
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser follows
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def signing_payload(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    """`METHOD + path + timestamp + sha256hex(canonical body)`, the bytes an agent signs."""
    digest = hashlib.sha256(canonical_body(body)).hexdigest()
    return f"{method.upper()}{path}{timestamp}{digest}".encode()


def verify_signature(did: str, signature_hex: str, payload: bytes) -> None:
    """Check that the key named by `did` signed `payload`; IdentityError(`bad_did` or `bad_signature`) otherwise."""
    key = key_from_did(did)
    if not _SIGNATURE.match(signature_hex):
        raise IdentityError("bad_signature", "X-Signature must be 128 hex characters")
    try:
        VerifyKey(key).verify(payload, bytes.fromhex(signature_hex))
    except (BadSignatureError, ValueError):
        raise IdentityError("bad_signature", "signature does not verify for this agent") from None


@dataclass(frozen=True)
class AgentKey:
    """An agent's Ed25519 key pair and its DID; signs requests."""

    signing_key: SigningKey
    multibase: bool = True

    @classmethod
    def generate(cls, *, multibase: bool = True) -> AgentKey:
        """A fresh random key."""
        return cls(SigningKey.generate(), multibase)

    @classmethod
    def from_seed(cls, seed_hex: str, *, multibase: bool = True) -> AgentKey:
        """The key whose 32-byte seed is `seed_hex`."""
        return cls(SigningKey(bytes.fromhex(seed_hex)), multibase)

    @property
    def seed_hex(self) -> str:
        """The private seed, hex; keep it secret."""
        return bytes(self.signing_key).hex()

    @cached_property
    def did(self) -> str:
        """This key's `did:key` (computed once: every signed request carries it)."""
        return did_from_key(bytes(self.signing_key.verify_key), multibase=self.multibase)

    def sign_headers(self, method: str, path: str, body: bytes, timestamp: int) -> dict[str, str]:
        """The X-Agent-ID, X-Timestamp and X-Signature headers for one request."""
        stamp = str(timestamp)
        signature = self.signing_key.sign(signing_payload(method, path, stamp, body)).signature.hex()
        return {"X-Agent-ID": self.did, "X-Timestamp": stamp, "X-Signature": signature}
