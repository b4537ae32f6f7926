"""The service's own RS256 tokens: what PyJWT signs it verifies, what it signs PyJWT verifies, and every forgery
and malformed token is refused."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from learninggraph.identity import jws

ISSUER = "https://login.example/contoso/v2.0"
REQUIRED = ("exp", "iss", "aud", "tid")
CLAIMS: dict[str, Any] = {
    "iss": ISSUER,
    "aud": "https://graph.microsoft.com",
    "exp": 2_000_000_000,
    "tid": "contoso",
    "n": "é",
}


@functools.cache
def _key(which: int = 0) -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _verified(token: str, key: RSAPrivateKey | None = None) -> dict[str, Any]:
    public = (key or _key()).public_key()
    return jws.verified_claims(jws.parse(token), public, issuer=ISSUER, required=REQUIRED)


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_token_it_signs_is_the_token_pyjwt_signs() -> None:
    ours = jws.sign(CLAIMS, _key(), "kid-1")

    assert ours == jwt.encode(CLAIMS, _key(), algorithm="RS256", headers={"kid": "kid-1", "typ": "JWT"})
    assert jwt.decode(ours, _key().public_key(), algorithms=["RS256"], audience=CLAIMS["aud"]) == CLAIMS


def test_a_token_pyjwt_signs_verifies_with_its_claims_and_header() -> None:
    token = jwt.encode(CLAIMS, _key(), algorithm="RS256", headers={"kid": "kid-1"})

    assert _verified(token) == CLAIMS
    assert jws.parse(token).header == {"alg": "RS256", "kid": "kid-1", "typ": "JWT"}


def test_a_token_signed_by_another_key_is_refused() -> None:
    with pytest.raises(jws.InvalidToken):
        _verified(jws.sign(CLAIMS, _key(1), "kid-1"))


def test_a_token_whose_claims_were_changed_after_signing_is_refused() -> None:
    header, _, signature = jws.sign(CLAIMS, _key(), "kid-1").split(".")
    changed = f"{header}.{_segment({**CLAIMS, 'tid': 'fabrikam'})}.{signature}"

    with pytest.raises(jws.InvalidToken):
        _verified(changed)


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_a_token_of_another_algorithm_is_refused(algorithm: str) -> None:
    token = jwt.encode(CLAIMS, "k" * 32 if algorithm == "HS256" else "", algorithm=algorithm)

    with pytest.raises(jws.InvalidToken):
        _verified(token)


def test_a_token_with_a_critical_header_extension_is_refused() -> None:
    token = jwt.encode(CLAIMS, _key(), algorithm="RS256", headers={"kid": "k", "crit": ["exp"], "exp": 1})

    with pytest.raises(jws.InvalidToken):
        _verified(token)


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_token_without_a_required_claim_is_refused(missing: str) -> None:
    claims = {name: value for name, value in CLAIMS.items() if name != missing}

    with pytest.raises(jws.InvalidToken):
        _verified(jws.sign(claims, _key(), "kid-1"))


def test_a_token_of_another_issuer_is_refused() -> None:
    with pytest.raises(jws.InvalidToken):
        _verified(jws.sign({**CLAIMS, "iss": ISSUER + "/"}, _key(), "kid-1"))


@pytest.mark.parametrize("claim", ["sub", "jti"])
def test_a_token_whose_sub_or_jti_is_no_string_is_refused(claim: str) -> None:
    with pytest.raises(jws.InvalidToken):
        _verified(jws.sign({**CLAIMS, claim: 7}, _key(), "kid-1"))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "abc.def",
        "e30.e30.",  # the signature is empty
        f"{_segment({'alg': 'RS256'})}.{_segment({})}.a+b/",  # not the URL-safe alphabet
        f"{_segment({'alg': 'RS256'})}.W10.AAAA",  # the claims are a list
        f"{_segment({'alg': 'RS256', 'kid': 7})}.e30.AAAA",  # the kid is no string
        "eyJhbGciOiJSUzI1NiJ9.e30.AAAA=",  # padding
        "ézé.e30.AAAA",
        "bm90IGpzb24.e30.AAAA",  # "not json"
    ],
)
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(jws.InvalidToken):
        _verified(token)
