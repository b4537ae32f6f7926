"""Trusted outside OpenID Connect issuers: which tenants each serves, and their signing keys, fetched in the background.

An issuer is configured as ``URL`` with ``{tenantid}`` in it (one issuer per tenant, as Entra's
``https://login.microsoftonline.com/{tenantid}/v2.0``) or as ``URL=TENANT[,TENANT]`` (one issuer bound to the
tenants named; a template may be restricted the same way). A token is trusted only when its ``iss`` is the
configured URL for its ``tid`` (a single trailing ``/`` aside) and its tenant is one the issuer serves.

Keys are never fetched on a request's path: a key that is not cached makes the request fail (401) and starts
one background refresh, within a budget: one refresh at a time per issuer, at most one per
``REFRESH_SECONDS`` per issuer whatever its outcome (so failures are cached too), a few in flight overall,
each HTTP call bounded by ``TIMEOUT_SECONDS``. Issuers bound to fixed tenants are fetched at start-up.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

log = logging.getLogger("learninggraph.identity")

TIMEOUT_SECONDS = 5.0
REFRESH_SECONDS = 60.0
MAX_REFRESHES_IN_FLIGHT = 4
MAX_DOCUMENT_BYTES = 1_048_576
TENANT_PLACEHOLDER = "{tenantid}"

KeyFetch = Callable[[str], dict[str, RSAPublicKey]]


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One configured issuer: its URL (perhaps a ``{tenantid}`` template) and the tenants it may serve."""

    url: str
    # None: every tenant of the directory (only for templates, where the URL itself names the tenant).
    tenants: frozenset[str] | None

    @classmethod
    def parse(cls, entry: str) -> TrustedIssuer:
        """``URL``, ``URL=TENANT[,TENANT]``; ``ValueError`` says what is wrong."""
        url, tenants = entry.strip(), ""
        if "=" in url:
            url, _, tenants = url.rpartition("=")
        url = url.strip().replace("{tenantId}", TENANT_PLACEHOLDER)
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"trusted issuer {entry!r}: the issuer must be an http(s) URL")
        named = frozenset(t.strip() for t in tenants.split(",") if t.strip())
        if tenants and not named:
            raise ValueError(f"trusted issuer {entry!r}: name at least one tenant after '='")
        if TENANT_PLACEHOLDER not in url and not named:
            raise ValueError(
                f"trusted issuer {entry!r}: an issuer URL without {TENANT_PLACEHOLDER} serves one tenant or a "
                "few; name them as URL=TENANT[,TENANT]"
            )
        return cls(url, named or None)

    def issuer_for(self, tenant_id: str) -> str | None:
        """The issuer this entry expects in tokens of ``tenant_id``, canonical; None if it does not serve it."""
        if self.tenants is not None and tenant_id not in self.tenants:
            return None
        return canonical(self.url.replace(TENANT_PLACEHOLDER, tenant_id))


def canonical(issuer: str) -> str:
    """The one spelling used for comparing and caching issuers: without a single trailing slash."""
    return issuer[:-1] if issuer.endswith("/") else issuer


def _fetch_json(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    import urllib.request  # only when an outside issuer's keys are fetched

    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        document = json.loads(response.read(MAX_DOCUMENT_BYTES))
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return document


def fetch_keys(issuer: str) -> dict[str, RSAPublicKey]:
    """The RSA signing keys an issuer publishes, by kid, read through its discovery document."""
    metadata = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    jwks_uri = metadata.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise ValueError(f"the metadata of {issuer} has no jwks_uri")
    import jwt  # PyJWT (with cryptography's X.509 parsers) only when an outside issuer is trusted

    keys: dict[str, RSAPublicKey] = {}
    for jwk in _fetch_json(jwks_uri).get("keys", []):
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
        except jwt.PyJWTError:
            continue
        if isinstance(key, RSAPublicKey) and isinstance(jwk.get("kid"), str):
            keys[jwk["kid"]] = key
    return keys


@dataclass(slots=True)
class _IssuerKeys:
    keys: dict[str, RSAPublicKey] = field(default_factory=dict)
    next_refresh_at: float = float("-inf")
    refreshing: bool = False


class ExternalIssuers:
    """Trusted outside OpenID Connect issuers and their signing keys, refreshed in the background."""

    def __init__(
        self,
        entries: Iterable[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        fetch: KeyFetch = fetch_keys,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._trusted = tuple(TrustedIssuer.parse(entry) for entry in entries)
        self._clock = clock
        self._fetch = fetch
        self._refresh_seconds = refresh_seconds
        self._issuers: dict[str, _IssuerKeys] = {}
        self._in_flight = 0
        self._lock = threading.Lock()
        for trusted in self._trusted:
            if trusted.tenants is not None and TENANT_PLACEHOLDER not in trusted.url:
                self._refresh_soon(canonical(trusted.url))

    def trusts(self, issuer: str, tenant_id: str) -> bool:
        """Whether ``issuer`` is the configured issuer of ``tenant_id`` and serves that tenant."""
        wanted = canonical(issuer)
        return any(trusted.issuer_for(tenant_id) == wanted for trusted in self._trusted)

    def public_key(self, issuer: str, kid: str) -> RSAPublicKey | None:
        """The cached key of a trusted issuer; on a miss, None now and a refresh in the background."""
        name = canonical(issuer)
        entry = self._issuers.get(name)
        key = None if entry is None else entry.keys.get(kid)
        if key is None:
            self._refresh_soon(name)
        return key

    def _refresh_soon(self, issuer: str) -> None:
        with self._lock:
            entry = self._issuers.setdefault(issuer, _IssuerKeys())
            now = self._clock()
            if entry.refreshing or now < entry.next_refresh_at or self._in_flight >= MAX_REFRESHES_IN_FLIGHT:
                return
            entry.refreshing = True
            entry.next_refresh_at = now + self._refresh_seconds
            self._in_flight += 1
        threading.Thread(
            target=self._refresh, args=(issuer, entry), name="learninggraph-issuer-keys", daemon=True
        ).start()

    def _refresh(self, issuer: str, entry: _IssuerKeys) -> None:
        try:
            keys = self._fetch(issuer)
        except (OSError, ValueError) as exc:
            log.warning("could not fetch the signing keys of trusted issuer %s: %s", issuer, exc)
        except Exception:
            log.exception("unexpected failure fetching the signing keys of trusted issuer %s", issuer)
        else:
            entry.keys = keys
        finally:
            with self._lock:
                entry.refreshing = False
                self._in_flight -= 1
