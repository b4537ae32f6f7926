"""Dashboard sessions: signed cookie values naming the tenant and user, with their CSRF token and expiry.

Nothing is stored on the server: the value is ``base64url(JSON).base64url(HMAC-SHA256)``. The key is derived
from the token service's active signing key, so every worker of a server accepts the same sessions and a key
rotation signs everyone out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

COOKIE = "learninggraph_dashboard"
# The CSRF token of the sign-in form, before a session exists (double-submit cookie).
SIGN_IN_COOKIE = "learninggraph_dashboard_sign_in"
LIFETIME_SECONDS = 8 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    user_id: str
    csrf: str
    expires: int


class _Payload(msgspec.Struct, forbid_unknown_fields=True):
    t: str
    u: str
    c: str
    e: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def session_key(private_key_material: bytes) -> bytes:
    """The HMAC key: a hash of the signing key's material under the dashboard's own label."""
    return hashlib.sha256(b"learninggraph dashboard session\x00" + private_key_material).digest()


class SessionCodec:
    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._clock = clock

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("utf-8", "replace"), hashlib.sha256).digest())

    def issue(self, tenant_id: str, user_id: str) -> tuple[str, Session]:
        session = Session(
            tenant_id, user_id, secrets.token_urlsafe(24), int(self._clock()) + LIFETIME_SECONDS
        )
        body = _b64(msgspec.json.encode(_Payload(t=tenant_id, u=user_id, c=session.csrf, e=session.expires)))
        return f"{body}.{self._mac(body)}", session

    def read(self, value: str | None) -> Session | None:
        """The session a cookie value carries; None when absent, forged, malformed or expired."""
        if not value or len(value) > 4096:
            return None
        body, dot, mac = value.partition(".")
        if not dot or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = msgspec.json.decode(_unb64(body), type=_Payload)
        except (binascii.Error, ValueError, msgspec.DecodeError):
            return None
        if payload.e <= self._clock():
            return None
        return Session(payload.t, payload.u, payload.c, payload.e)
