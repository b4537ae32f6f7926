"""Compact JWS signed with RS256, the only form of token this service issues and accepts: signing, parsing,
and checking a signature and the claims every token must carry.

Tokens are laid out as PyJWT lays them out (sorted header ``{"alg","kid","typ"}``, compact JSON claims), and the
checks are PyJWT's for the options the verifier uses; the module exists so the server does not import PyJWT, and
with it cryptography's X.509 parsers and urllib's HTTP client, to sign and verify its own tokens.
"""

from __future__ import annotations

import binascii
import functools
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ALGORITHM = "RS256"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_URLSAFE_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class InvalidToken(ValueError):
    """Not a compact RS256 JWS, or one whose signature or required claims do not hold."""


class Parsed(NamedTuple):
    """A token taken apart; nothing in it is trusted until ``verified_claims`` has checked its signature."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _encode(raw: bytes) -> bytes:
    return binascii.b2a_base64(raw, newline=False).rstrip(b"=").translate(_TO_URLSAFE)


def _decode(segment: bytes) -> bytes:
    if segment.translate(None, _URLSAFE_ALPHABET):
        raise InvalidToken("a segment is not base64url")
    try:
        return binascii.a2b_base64(
            segment.translate(_TO_STANDARD) + b"=" * (-len(segment) % 4), strict_mode=True
        )
    except binascii.Error:
        raise InvalidToken("a segment is not base64url") from None


def _object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidToken("a segment is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken("a segment is not a JSON object")
    return value


def sign(claims: dict[str, Any], key: RSAPrivateKey, kid: str) -> str:
    return sign_payload(json.dumps(claims, separators=(",", ":")).encode(), key, kid)


def sign_payload(payload: bytes, key: RSAPrivateKey, kid: str) -> str:
    """The token of claims already laid out as ``sign`` lays them out (compact JSON, ASCII)."""
    signing_input = _header_segment(kid) + _encode(payload)
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _encode(signature)).decode("ascii")


@functools.lru_cache(maxsize=64)
def _header_segment(kid: str) -> bytes:
    """The encoded header and its dot: the same for every token one key signs (a few keys, ever)."""
    header = json.dumps({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode()
    return _encode(header) + b"."


def parse(token: str) -> Parsed:
    """The token's header and claims, unverified; ``InvalidToken`` unless it has three base64url segments, the
    first two JSON objects, and a string ``kid`` if it has one."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken("not ASCII") from None
    signing_input, _, signature = raw.rpartition(b".")
    header_segment, dot, payload_segment = signing_input.partition(b".")
    if not dot:
        raise InvalidToken("not enough segments")
    header = _object(_decode(header_segment))
    if "kid" in header and not isinstance(header["kid"], str):
        raise InvalidToken("the kid is not a string")
    return Parsed(header, _object(_decode(payload_segment)), signing_input, _decode(signature))


def verified_claims(
    parsed: Parsed, key: RSAPublicKey, *, issuer: str, required: Iterable[str]
) -> dict[str, Any]:
    """The claims of a token signed with RS256 by ``key``, issued by ``issuer`` and carrying every claim of
    ``required``; ``InvalidToken`` otherwise (also for critical header extensions, which none is understood)."""
    header, claims = parsed.header, parsed.claims
    if header.get("alg") != ALGORITHM or "crit" in header or header.get("b64", True) is not True:
        raise InvalidToken("not an RS256 token")
    try:
        key.verify(parsed.signature, parsed.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InvalidToken("the signature does not match") from None
    if any(claims.get(claim) is None for claim in required):
        raise InvalidToken("a required claim is missing")
    if claims.get("iss") != issuer:
        raise InvalidToken("another issuer")
    if any(name in claims and not isinstance(claims[name], str) for name in ("sub", "jti")):
        raise InvalidToken("sub or jti is not a string")
    return claims
