"""Minting access tokens: RS256 JWTs shaped like Entra's, for applications and for signed-in users."""

from __future__ import annotations

import binascii
import functools
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from learninggraph.domain.roles import template_ids
from learninggraph.identity import jws
from learninggraph.identity.directory import Application, User
from learninggraph.identity.keys import SigningKeys
from learninggraph.settings import Settings

GRAPH_RESOURCE = "https://graph.microsoft.com"
_SERVICE_PRINCIPAL_NAMESPACE = uuid.UUID("6f1c1d59-2b8e-4f43-9d55-3e3f0f7f9a51")
_COMPACT = (",", ":")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# Applications whose fixed claims are kept (a client signs in again and again); more clears them.
_MAX_APPLICATIONS = 4096


@functools.lru_cache(maxsize=4096)
def service_principal_id(client_id: str) -> str:
    """The stable object id of an application's service principal."""
    return str(uuid.uuid5(_SERVICE_PRINCIPAL_NAMESPACE, client_id))


class _FixedClaims(NamedTuple):
    """An application token's JSON around its times and ``uti``, the same for every token of the app: the
    claims up to ``"iat":``, and those from ``"idp"`` up to the opening quote of ``uti``'s value."""

    app: Application
    issuer: str
    head: bytes
    middle: bytes


class TokenIssuer:
    def __init__(
        self, *, keys: SigningKeys, settings: Settings, clock: Callable[[], float] = time.time
    ) -> None:
        self._keys = keys
        self._settings = settings
        self._clock = clock
        self._fixed: dict[str, _FixedClaims] = {}  # by client id

    @staticmethod
    def issuer_of(settings: Settings, tenant_id: str) -> str:
        """``iss`` of this server's tokens: on its public origin, where MSAL Node requires it to be."""
        return f"{settings.public_url or settings.issuer_base}/{tenant_id}/v2.0"

    def issuer_for(self, tenant_id: str) -> str:
        return self.issuer_of(self._settings, tenant_id)

    def application_token(self, app: Application) -> tuple[str, int]:
        """The claims of ``_sign``, in its order and bytes: the JSON that does not change between the app's tokens
        is made once, and each token fills in its times and ``uti``."""
        lifetime = self._settings.token_lifetime_seconds
        if type(lifetime) is not int:
            return self._sign(app.tenant_id, _application_claims(app))
        issuer = self.issuer_for(app.tenant_id)
        fixed = self._fixed.get(app.client_id)
        if fixed is None or fixed.issuer != issuer or (fixed.app is not app and fixed.app != app):
            fixed = self._fix(app, issuer)
        now = int(self._clock())
        payload = b'%s%d,"nbf":%d,"exp":%d,%s%s","ver":"1.0"}' % (
            fixed.head,
            now,
            now,
            now + lifetime,
            fixed.middle,
            _uti(),
        )
        kid, key = self._keys.signing_key()
        return jws.sign_payload(payload, key, kid), lifetime

    def _fix(self, app: Application, issuer: str) -> _FixedClaims:
        head = json.dumps({"aud": GRAPH_RESOURCE, "iss": issuer}, separators=_COMPACT)[:-1] + ',"iat":'
        rest = {"idp": issuer, "tid": app.tenant_id, **_application_claims(app), "uti": ""}
        middle = json.dumps(rest, separators=_COMPACT)[1:-2]  # without "{" and the '"}' after uti's quote
        fixed = _FixedClaims(app, issuer, head.encode(), middle.encode())
        if len(self._fixed) >= _MAX_APPLICATIONS:
            self._fixed.clear()
        self._fixed[app.client_id] = fixed
        return fixed

    def delegated_token(self, app_id: str, user: User, scopes: Iterable[str]) -> tuple[str, int]:
        return self._sign(
            user.tenant_id,
            {
                "oid": user.id,
                "sub": service_principal_id(f"{app_id}:{user.id}"),
                "upn": user.user_principal_name,
                "unique_name": user.user_principal_name,
                "name": user.display_name,
                "appid": app_id,
                "azp": app_id,
                "appidacr": "1",
                "azpacr": "1",
                "idtyp": "user",
                "scp": " ".join(sorted(set(scopes))),
                "wids": template_ids(user.directory_roles),
                "amr": ["pwd"],
            },
        )

    def _sign(self, tenant_id: str, claims: dict[str, Any]) -> tuple[str, int]:
        now = int(self._clock())
        lifetime = self._settings.token_lifetime_seconds
        issuer = self.issuer_for(tenant_id)
        payload = {
            "aud": GRAPH_RESOURCE,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "idp": issuer,
            "tid": tenant_id,
            **claims,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        kid, key = self._keys.signing_key()
        token = jws.sign(payload, key, kid)
        return token, lifetime


def _uti() -> bytes:
    """``secrets.token_urlsafe(16)``'s characters, as bytes: 16 random bytes in unpadded base64url."""
    return binascii.b2a_base64(os.urandom(16), newline=False)[:22].translate(_TO_URLSAFE)


def _application_claims(app: Application) -> dict[str, Any]:
    oid = service_principal_id(app.client_id)
    return {
        "oid": oid,
        "sub": oid,
        "appid": app.client_id,
        "azp": app.client_id,
        "appidacr": "1",
        "azpacr": "1",
        "app_displayname": app.name,
        "idtyp": "app",
        "roles": sorted(app.permissions),
    }
