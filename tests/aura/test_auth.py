"""Bearer tokens: minting, HS256 verification, expiry, audience, the persisted secret, JWKS keys."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from aura.auth import AuthError, TokenVerifier, jwt_secret, mint_token
from aura.server_secrets import SecretUnusable
from aura.settings import AuthSettings, Settings


@pytest.fixture
def local(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, auth=AuthSettings(jwt_secret=None))


def test_secret_is_generated_once_and_private(local: Settings) -> None:
    first = jwt_secret(local)
    assert jwt_secret(local) == first and len(first) >= 40
    mode = stat.S_IMODE(os.stat(local.data_dir / "jwt_secret").st_mode)
    assert mode == 0o600
    assert jwt_secret(Settings(data_dir=local.data_dir, auth=AuthSettings(jwt_secret="configured"))) == "configured"


def test_minted_token_verifies_and_tampering_fails(local: Settings) -> None:
    token = mint_token("alice", settings=local)
    verifier = TokenVerifier(local, AuthSettings())
    principal = verifier.verify(token)
    assert principal.user_id == "alice" and principal.expires_at > time.time()
    other = Settings(
        data_dir=local.data_dir, auth=AuthSettings(jwt_secret="another-secret-entirely-of-forty-characters")
    )
    with pytest.raises(AuthError, match="Signature"):
        TokenVerifier(other, AuthSettings()).verify(token)
    with pytest.raises(AuthError, match="malformed"):
        verifier.verify("not-a-jwt")


def test_expiry_audience_subject_and_algorithm_are_enforced(local: Settings) -> None:
    secret, now = jwt_secret(local), int(time.time())
    verifier = TokenVerifier(local, AuthSettings(jwt_leeway_s=0))

    def signed(**claims) -> str:
        return jwt.encode({"sub": "bob", "aud": "aura", "exp": now + 60, **claims}, secret, algorithm="HS256")

    assert verifier.verify(signed()).user_id == "bob"
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(signed(exp=now - 5))
    with pytest.raises(AuthError, match="(?i)audience"):
        verifier.verify(signed(aud="someone-else"))
    with pytest.raises(AuthError, match="subject"):
        verifier.verify(signed(sub=" "))
    with pytest.raises(AuthError, match="not accepted"):
        verifier.verify(jwt.encode({"sub": "bob", "aud": "aura", "exp": now + 60}, secret, algorithm="HS512"))


def test_asymmetric_tokens_verify_against_a_jwks_url(local: Settings) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        verifier = TokenVerifier(local, AuthSettings(jwks_url=url))
        token = jwt.encode(
            {"sub": "carol", "aud": "aura", "exp": int(time.time()) + 60}, key, algorithm="RS256", headers={"kid": "k1"}
        )
        assert verifier.verify(token).user_id == "carol"
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(
            {"sub": "carol", "aud": "aura", "exp": int(time.time()) + 60},
            stranger,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        with pytest.raises(AuthError):
            verifier.verify(forged)
    finally:
        server.shutdown()


def test_a_token_claiming_more_than_the_maximum_lifetime_is_refused(local: Settings) -> None:
    secret, now = jwt_secret(local), int(time.time())
    verifier = TokenVerifier(local, AuthSettings(jwt_max_lifetime_s=3600, token_ttl_s=600))

    def signed(**claims) -> str:
        return jwt.encode({"sub": "bob", "aud": "aura", **claims}, secret, algorithm="HS256")

    assert verifier.verify(signed(iat=now, exp=now + 3000)).user_id == "bob"
    with pytest.raises(AuthError, match="lifetime"):
        verifier.verify(signed(iat=now, exp=now + 7200))
    with pytest.raises(AuthError, match="lifetime"):  # no iat: counted from now
        verifier.verify(signed(exp=now + 7200))
    with pytest.raises(AuthError, match="lifetime|not yet valid"):  # an iat in the future does not stretch it
        verifier.verify(signed(iat=now + 7000, exp=now + 7200))
    with pytest.raises(ValueError, match="exceeds"):
        mint_token("bob", ttl_s=7200, settings=local, auth=AuthSettings(jwt_max_lifetime_s=3600, token_ttl_s=600))


def test_with_a_jwks_url_locally_signed_tokens_are_refused_unless_allowed(local: Settings) -> None:
    token = mint_token("mallory", settings=local)
    with pytest.raises(AuthError, match="not accepted"):
        TokenVerifier(local, AuthSettings(jwks_url="http://127.0.0.1:9/jwks.json")).verify(token)
    allowed = TokenVerifier(local, AuthSettings(jwks_url="http://127.0.0.1:9/jwks.json", jwt_allow_local=True))
    assert allowed.verify(token).user_id == "mallory"


def test_an_empty_secret_stops_the_verifier_from_being_built(local: Settings) -> None:
    (local.data_dir / "jwt_secret").write_text("\n")
    with pytest.raises(SecretUnusable, match="empty"):
        TokenVerifier(local, AuthSettings())
    with pytest.raises(SecretUnusable):
        TokenVerifier(Settings(data_dir=local.data_dir, auth=AuthSettings(jwt_secret=" ")), AuthSettings())
