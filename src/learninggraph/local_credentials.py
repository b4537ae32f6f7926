"""Tokens from a learninggraph token endpoint over plain http: azure-core credentials for loopback servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_REFRESH_MARGIN_SECONDS = 300


class TokenRequestError(Exception):
    """The token endpoint refused a request; ``description`` is its ``error_description``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


def request_token(token_url: str, form: Mapping[str, str], *, timeout: float = 30) -> tuple[str, int]:
    """POSTs an OAuth form to ``token_url``; returns the access token and its lifetime in seconds."""
    import urllib.error
    import urllib.parse
    import urllib.request

    if not token_url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) token URL: {token_url!r}")
    request = urllib.request.Request(
        token_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        # Never through a proxy: the token service is on loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            body: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as failure:
        try:
            refusal = json.loads(failure.read())
        except ValueError:
            refusal = {}
        raise TokenRequestError(
            failure.code,
            str(refusal.get("error", "http_error")),
            str(refusal.get("error_description", failure.reason)),
        ) from None
    return str(body["access_token"]), int(body["expires_in"])


class _LocalCredential:
    """An azure-core ``TokenCredential`` over one OAuth grant; tokens are cached per scope set."""

    def __init__(self, token_url: str, client_id: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._cache: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def _grant(self) -> dict[str, str]:
        raise NotImplementedError

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A token for ``scopes`` (``claims``, ``tenant_id`` and ``enable_cae`` are accepted and ignored)."""
        from azure.core.credentials import AccessToken

        scope = " ".join(scopes) or GRAPH_SCOPE
        with self._lock:
            cached = self._cache.get(scope)
            if cached is not None and cached.expires_on - _REFRESH_MARGIN_SECONDS > time.time():
                return cached
            token, lifetime = request_token(
                self.token_url, {**self._grant(), "client_id": self.client_id, "scope": scope}
            )
            fresh = AccessToken(token, int(time.time()) + lifetime)
            self._cache[scope] = fresh
            return fresh

    def close(self) -> None:
        """Forgets the cached tokens."""
        with self._lock:
            self._cache.clear()


class LocalClientSecretCredential(_LocalCredential):
    """Client credentials from a token endpoint over plain http, for loopback servers.

    A drop-in for azure-identity's ``ClientSecretCredential``, which refuses http authorities:
    ``GraphServiceClient(credentials=LocalClientSecretCredential(token_url, client_id, secret))``.
    """

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        super().__init__(token_url, client_id)
        self._client_secret = client_secret

    def _grant(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_secret": self._client_secret}


class LocalUsernamePasswordCredential(_LocalCredential):
    """Delegated tokens (the password grant) from a token endpoint over plain http, for loopback servers."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        username: str,
        password: str,
        client_secret: str | None = None,
    ) -> None:
        super().__init__(token_url, client_id)
        self._username = username
        self._password = password
        self._client_secret = client_secret

    def _grant(self) -> dict[str, str]:
        grant = {"grant_type": "password", "username": self._username, "password": self._password}
        if self._client_secret is not None:
            grant["client_secret"] = self._client_secret
        return grant
