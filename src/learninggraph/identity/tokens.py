"""Access tokens: verifying bearer tokens into Principals, and the scopes a token may carry (minting them is
``identity.issuing``'s)."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from learninggraph.domain.errors import Explanation, Unauthorized
from learninggraph.domain.permissions import DELEGATED_PERMISSIONS
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.identity import jws
from learninggraph.identity.directory import Directory
from learninggraph.identity.external import ExternalIssuers
from learninggraph.identity.issuing import GRAPH_RESOURCE
from learninggraph.identity.issuing import TokenIssuer as TokenIssuer  # importers name it here too
from learninggraph.identity.keys import SigningKeys
from learninggraph.settings import Settings

log = logging.getLogger("learninggraph.identity")

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_AUDIENCES = frozenset({GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID})
OPENID_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
MAX_TOKEN_CHARS = 16 * 1024
CACHE_ENTRIES = 10_000
# Verified tokens are cached by their last characters: the end of an RS256 signature (342 characters), as
# unique to its token as the token itself, and a short string to hash; the whole token is compared on a hit.
CACHE_KEY_CHARS = 32
# A cached token's tenant and user are looked up again after this long, so deletions are seen.
DIRECTORY_RECHECK_SECONDS = 60.0
# Whitespace anywhere in a token (``str.isspace``'s characters: ``\s`` matches the same set): a tenth of the cost of
# testing a 1.5 KB token's characters one by one in Python, which every token's first verification paid.
_WHITESPACE = re.compile(r"\s")
_PERMISSION_NAMES = {name.lower(): name for name in DELEGATED_PERMISSIONS}

CHALLENGE = 'Bearer realm="learninggraph"'
INVALID_CHALLENGE = 'Bearer realm="learninggraph", error="invalid_token"'
EMPTY = "Access token is empty."
INVALID = "Access token validation failure."
EXPIRED = "Access token has expired or is not yet valid."
BAD_AUDIENCE = "Access token validation failure. Invalid audience."


def requested_scopes(requested: Iterable[str]) -> tuple[frozenset[str], bool]:
    """The delegated permissions an OAuth scope list names, and whether it asks for ``.default``.

    Accepts bare names, names prefixed with the Graph resource, and ``<resource>/.default``; OpenID
    Connect scopes are dropped. ``ValueError`` names the first scope that is no delegated permission.
    """
    named: set[str] = set()
    default = False
    for scope in requested:
        if scope.lower() in OPENID_SCOPES:
            continue
        if scope.endswith("/.default") or scope == ".default":
            default = True
            continue
        name = scope
        for prefix in (GRAPH_RESOURCE + "/", GRAPH_APP_ID + "/"):
            if scope.lower().startswith(prefix):
                name = scope[len(prefix) :]
        canonical = _PERMISSION_NAMES.get(name.lower())
        if canonical is None:
            raise ValueError(scope)
        named.add(canonical)
    return frozenset(named), default


def delegated_scopes(
    requested: Iterable[str], consented: frozenset[str] = DELEGATED_PERMISSIONS
) -> frozenset[str]:
    """The scopes a token for ``requested`` carries: those named, plus every consented one for ``.default``."""
    named, default = requested_scopes(requested)
    return named | consented if default else named


@dataclass(slots=True)
class _Verified:
    token: str
    principal: Principal
    expires_at: float
    recheck_at: float
    # When the token was issued, if this service issued it (None: a trusted outside issuer did).
    issued_here_at: float | None


def _unauthorized(
    rule: str = "token.invalid", hint: str | None = None, message: str = INVALID, **facts: object
) -> Unauthorized:
    """The 401 of a refused token and, for the journal only, why (``rule``) and what to change (``hint``)."""
    return Unauthorized(
        message,
        headers={"WWW-Authenticate": INVALID_CHALLENGE},
        explanation=Explanation(rule, hint or _TOKEN_HINTS.get(rule), facts),
    )


# What to change, by rule; the journal shows it beside the 401 (the response says only Graph's words).
_TOKEN_HINTS = {
    "token.missing": "Send 'Authorization: Bearer <access token>'; get one from /{tenant}/oauth2/v2.0/token.",
    "token.malformed": "The Authorization header must be 'Bearer ' and a JWT of three dot-separated parts.",
    "token.invalid": "The token could not be read as a JWT with the claims Graph's tokens carry.",
    "token.expired": "The token is past its exp (or before its nbf): get a new token.",
    "token.wrongAudience": "Ask for the token with scope https://graph.microsoft.com/.default "
    "(or a Graph scope), so its aud is Graph.",
    "token.badSignature": "The signature does not match the issuer's key: was the token minted by another "
    "server, or for another base URL? Get it from this server's token endpoint.",
    "token.untrustedIssuer": "The token's issuer is neither this server (its --public-url) nor a trusted "
    "issuer (--trust-issuer).",
    "token.unknownTenant": "The token's tenant (tid) does not exist on this server.",
    "token.userDisabled": "The signed-in user no longer exists or is disabled.",
    "token.appDisabled": "The application was deleted or disabled, or its secrets were replaced after the "
    "token was issued: get a new token.",
}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class TokenVerifier:
    """Bearer tokens → Principals; satisfies ``http.pipeline.Authenticator``."""

    def __init__(
        self,
        *,
        keys: SigningKeys,
        directory: Directory,
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._directory = directory
        self._settings = settings
        self._clock = clock
        self._audiences = GRAPH_AUDIENCES | frozenset(settings.extra_audiences)
        self._external = ExternalIssuers(settings.trusted_issuers)
        self._cache: dict[str, _Verified] = {}  # by CACHE_KEY_CHARS
        # Handlers may run in threads: every change to the cache holds this lock (lookups need not).
        self._cache_lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal:
        if authorization is not None:
            # A verified token passed the shape checks below: its entry is found by the header's last
            # characters (the signature's: the 1.5 KB header neither split nor hashed), and its token must be
            # all of the header after the scheme Bearer (no other scheme reaches the cache).
            hit = self._cache.get(authorization[-CACHE_KEY_CHARS:])
            if hit is not None and _bears(authorization, hit.token):
                now = self._clock()  # ``_cached``'s checks, inline while neither expired nor due a re-read
                if now < hit.recheck_at and now <= hit.expires_at + self._settings.clock_skew_seconds:
                    return hit.principal
                return self._cached(hit)
        if authorization is None or not authorization.strip():
            raise Unauthorized(
                EMPTY,
                headers={"WWW-Authenticate": CHALLENGE},
                explanation=Explanation("token.missing", _TOKEN_HINTS["token.missing"]),
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise _unauthorized("token.malformed")
        # Checked only before a first verification: a cached token already passed it.
        if _WHITESPACE.search(token) is not None:
            raise _unauthorized("token.malformed")
        now = self._clock()
        skew = self._settings.clock_skew_seconds
        principal, expires_at, issued_here_at = self._verify(token, now, skew)
        recheck_at = now + DIRECTORY_RECHECK_SECONDS
        self._remember(_Verified(token, principal, expires_at, recheck_at, issued_here_at), now)
        return principal

    def _cached(self, hit: _Verified) -> Principal:
        """A verified token's caller unless expired since; its directory entry re-read once a minute."""
        now = self._clock()
        token = hit.token
        if now > hit.expires_at + self._settings.clock_skew_seconds:
            self._forget(token)
            raise _unauthorized("token.expired", message=EXPIRED, expiredAt=hit.expires_at)
        if now >= hit.recheck_at:
            try:
                hit.principal = self._check_directory(hit.principal, hit.issued_here_at)
            except Unauthorized:
                self._forget(token)
                raise
            hit.recheck_at = now + DIRECTORY_RECHECK_SECONDS
        return hit.principal

    def _verify(self, token: str, now: float, skew: int) -> tuple[Principal, float, float | None]:
        try:
            parsed = jws.parse(token)
        except jws.InvalidToken:
            raise _unauthorized() from None
        header, unverified = parsed.header, parsed.claims
        kid, issuer, tenant_id = header.get("kid"), unverified.get("iss"), unverified.get("tid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise _unauthorized()
        if not isinstance(issuer, str) or not isinstance(tenant_id, str) or not tenant_id:
            raise _unauthorized()
        key: RSAPublicKey | None = None
        issued_here = issuer == TokenIssuer.issuer_of(self._settings, tenant_id)
        if issued_here:
            key = self._keys.public_key(kid)
        elif self._external.trusts(issuer, tenant_id) and self._directory.tenant(tenant_id) is not None:
            key = self._external.public_key(issuer, kid)
        if key is None:
            if issued_here or self._external.trusts(issuer, tenant_id):
                raise _unauthorized("token.badSignature", f"No signing key '{kid}' is known for its issuer.")
            raise _unauthorized("token.untrustedIssuer", issuer=issuer)
        try:
            claims = jws.verified_claims(parsed, key, issuer=issuer, required=("exp", "iss", "aud", "tid"))
        except jws.InvalidToken:
            raise _unauthorized("token.badSignature", issuer=issuer) from None
        expires_at, not_before = _number(claims.get("exp")), _number(claims.get("nbf", 0))
        if expires_at is None or not_before is None:
            raise _unauthorized()
        if now > expires_at + skew or now + skew < not_before:
            raise _unauthorized("token.expired", message=EXPIRED, exp=expires_at, nbf=not_before, now=now)
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or not any(a in self._audiences for a in audiences):
            raise _unauthorized(
                "token.wrongAudience",
                message=BAD_AUDIENCE,
                audience=audiences if isinstance(audiences, list) else None,
                accepted=sorted(self._audiences),
            )
        principal = self._principal(claims, tenant_id)
        issued_here_at = (_number(claims.get("iat")) or 0.0) if issued_here else None
        return self._check_directory(principal, issued_here_at), expires_at, issued_here_at

    @staticmethod
    def _principal(claims: dict[str, Any], tenant_id: str) -> Principal:
        app_id = claims.get("appid") or claims.get("azp")
        if not isinstance(app_id, str):
            raise _unauthorized()
        scopes = claims.get("scp")
        if scopes is not None:
            user_id = claims.get("oid")
            if not isinstance(scopes, str) or not isinstance(user_id, str):
                raise _unauthorized()
            wids = claims.get("wids", [])
            if not isinstance(wids, list) or not all(isinstance(wid, str) for wid in wids):
                raise _unauthorized()
            return Principal(
                tenant_id,
                app_id,
                CallerKind.DELEGATED,
                frozenset(scopes.split()),
                user_id,
                directory_roles=frozenset(wids),
            )
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise _unauthorized()
        return Principal(tenant_id, app_id, CallerKind.APPLICATION, frozenset(roles))

    def _check_directory(self, principal: Principal, issued_here_at: float | None) -> Principal:
        """The principal as the directory sees it now: 401 if its tenant, user or app is gone or disabled.

        A token this service issued is refused too once its app is deleted or disabled, or was issued
        before the app's ``tokens_valid_after`` (its secrets were replaced).
        """
        standing = self._directory.standing(
            principal.tenant_id, principal.user_id, None if issued_here_at is None else principal.app_id
        )
        if standing is None:
            raise _unauthorized("token.unknownTenant", tenant=principal.tenant_id)
        tenant = standing.tenant
        if principal.user_id is not None:
            user = standing.user
            if user is None or not user.account_enabled:
                raise _unauthorized("token.userDisabled", user=principal.user_id)
        if issued_here_at is not None:
            app = standing.application
            if (
                app is None
                or app.tenant_id != principal.tenant_id
                or not app.account_enabled
                or issued_here_at < app.tokens_valid_after
            ):
                raise _unauthorized("token.appDisabled", app=principal.app_id)
        if principal.has_learning_plan != tenant.has_learning_plan:
            return dataclasses.replace(principal, has_learning_plan=tenant.has_learning_plan)
        return principal

    def _remember(self, verified: _Verified, now: float) -> None:
        """Caches ``verified`` by its token's last characters; one there under the same ones gives way."""
        with self._cache_lock:
            if len(self._cache) >= CACHE_ENTRIES:
                skew = self._settings.clock_skew_seconds
                for stale in [k for k, v in self._cache.items() if now > v.expires_at + skew]:
                    del self._cache[stale]
                while len(self._cache) >= CACHE_ENTRIES:
                    del self._cache[next(iter(self._cache))]
            self._cache[verified.token[-CACHE_KEY_CHARS:]] = verified

    def _forget(self, token: str) -> None:
        key = token[-CACHE_KEY_CHARS:]
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is not None and entry.token == token:
                del self._cache[key]


def _bears(authorization: str, token: str) -> bool:
    """Whether ``authorization`` is ``Bearer`` (in any case), one space and ``token``, without copying it."""
    return (
        len(authorization) == len(token) + 7
        and authorization.endswith(token)
        and authorization[6] == " "
        and authorization[:6].lower() == "bearer"
    )
