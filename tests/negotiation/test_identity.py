"""DIDs, base58 and the signing payload, against independent references."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from negotiation.identity import (
    AgentKey,
    IdentityError,
    b58decode,
    b58encode,
    canonical_body,
    did_from_key,
    key_from_did,
    signing_payload,
    verify_signature,
)


def test_base58_matches_known_vectors() -> None:
    # Vectors from the base58 draft (draft-msporny-base58).
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b58encode(b"\x00\x00\x28\x7f\xb4\xcd") == "11233QC4"
    assert b58decode("2NEpo7TZRRrLZSi2U") == b"Hello World!"
    assert b58decode("11233QC4") == b"\x00\x00\x28\x7f\xb4\xcd"


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=40))
def test_base58_round_trips(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


def test_multibase_did_has_the_w3c_shape_and_both_forms_name_the_same_key() -> None:
    # The did:key spec's example Ed25519 key.
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    key = key_from_did(did)
    assert did_from_key(key) == did
    assert key_from_did(did_from_key(key, multibase=False)) == key
    generated = AgentKey.generate()
    assert generated.did.startswith("did:key:z6Mk")


@pytest.mark.parametrize(
    "did",
    [
        "did:key:abc",
        "did:web:example.com",
        "did:key:z6Mk0OIl",
        "did:key:" + "g" * 64,
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
    ],
)
def test_unreadable_dids_are_bad_did(did: str) -> None:
    with pytest.raises(IdentityError) as error:
        key_from_did(did)
    assert error.value.code == "bad_did"


def test_payload_hashes_the_canonical_body() -> None:
    body = b'{"b": 1, "a": [1, 2]}'
    digest = hashlib.sha256(b'{"a":[1,2],"b":1}').hexdigest()
    assert (
        signing_payload("post", "/v1/negotiate", "1700000000", body) == f"POST/v1/negotiate1700000000{digest}".encode()
    )
    assert canonical_body(b"") == b""
    assert signing_payload("GET", "/x", "1", b"").endswith(hashlib.sha256(b"").hexdigest().encode())


def test_a_signature_verifies_only_for_its_payload_and_key() -> None:
    key = SigningKey.generate()
    agent = AgentKey(key, multibase=False)
    headers = agent.sign_headers("POST", "/v1/negotiate", b'{"a":1}', 1700000000)
    payload = signing_payload("POST", "/v1/negotiate", "1700000000", b'{"a":1}')
    verify_signature(headers["X-Agent-ID"], headers["X-Signature"], payload)
    with pytest.raises(IdentityError) as tampered:
        verify_signature(headers["X-Agent-ID"], headers["X-Signature"], payload + b"x")
    assert tampered.value.code == "bad_signature"
    with pytest.raises(IdentityError) as other:
        verify_signature(AgentKey.generate().did, headers["X-Signature"], payload)
    assert other.value.code == "bad_signature"
