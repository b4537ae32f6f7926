"""The token service's HTTP routes: OpenID Connect discovery, the JWKS, and the OAuth token endpoint."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote_plus, urlsplit

import msgspec

from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Request, Response
from learninggraph.http.routing import Operation, Param
from learninggraph.identity.directory import Directory, Tenant
from learninggraph.identity.forms import MalformedForm, read_form
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.sign_ins import (
    ClientSignIn,
    Locked,
    TokenError,
    invalid_scope,
    malformed,
    missing,
    not_consented,
    unknown_tenant,
)
from learninggraph.identity.tokens import OPENID_SCOPES, TokenIssuer, requested_scopes
from learninggraph.settings import Settings
from learninggraph.storage.budgets import WaitsAlongside

__all__ = ["TokenError", "routes"]

CONTENT_TYPE = "application/json; charset=utf-8"
GRANT_TYPES = ("client_credentials", "password")
CLAIMS_SUPPORTED = [
    "aud", "iss", "iat", "nbf", "exp", "tid", "oid", "sub", "upn", "name", "roles", "scp", "wids"
]  # fmt: skip
_encode = msgspec.json.Encoder().encode
# Wrong credentials, as opposed to malformed requests: unknown client, wrong secret, wrong password.
CREDENTIAL_FAILURES = frozenset({700016, 7000215, 50126})


class LoginGuard(Protocol):
    """Counts failed sign-ins per client id, source address and user (``http.throttling.LoginGuard``)."""

    def blocked_for(
        self, client_id: str, address: str, user: str | None = None, pending: Mapping[str, int] | None = None
    ) -> float: ...

    @property
    def reads_alongside(self) -> bool: ...

    def blocked_alongside(
        self, client_id: str, address: str, user: str | None = None, pending: Mapping[str, int] | None = None
    ) -> WaitsAlongside | None: ...

    def failed(self, client_id: str, address: str, user: str | None = None) -> None: ...

    def checking(
        self, client_id: str, address: str, user: str | None = None
    ) -> AbstractContextManager[dict[str, int]]: ...


def routes(
    *,
    directory: Directory,
    issuer: TokenIssuer,
    keys: SigningKeys,
    settings: Settings,
    guard: LoginGuard | None = None,
) -> list[Operation]:
    """The token service's declarations: public routes, taking no token (they are how one is obtained)."""
    service = _TokenService(directory, issuer, keys, settings, guard)
    tenant = Param("tenant")
    return [
        Operation(
            "identity.openidConfiguration",
            "GET",
            (tenant, "v2.0", ".well-known", "openid-configuration"),
            service.openid_configuration,
        ),
        Operation("identity.keys", "GET", (tenant, "discovery", "v2.0", "keys"), service.jwks),
        Operation("identity.token", "POST", (tenant, "oauth2", "v2.0", "token"), service.token),
    ]


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, _encode(body), CONTENT_TYPE, [("Pragma", "no-cache")])


def error_response(request: Request, error: TokenError) -> Response:
    """Entra's OAuth error body, trace and correlation ids included."""
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    trace_id, correlation_id = request.request_id, request.client_request_id
    description = (
        f"AADSTS{error.code}: {error.description}\r\nTrace ID: {trace_id}\r\n"
        f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}"
    )
    return _json(
        error.status,
        {
            "error": error.error,
            "error_description": description,
            "error_codes": [error.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={error.code}",
        },
    )


def _form(request: Request) -> dict[str, str]:
    try:
        return read_form(request.body)
    except MalformedForm:
        raise malformed() from None


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise missing(name)
    return value


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """The client id and secret, from the form or from HTTP Basic (RFC 6749 §2.3.1)."""
    client_id, secret = form.get("client_id") or None, form.get("client_secret") or None
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise malformed() from None
        basic_id, colon, basic_secret = decoded.partition(":")
        if not colon or (client_id is not None and client_id != unquote_plus(basic_id)):
            raise malformed()
        if secret is not None:
            raise malformed()
        client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret) or None
    if not client_id:
        raise missing("client_id")
    return client_id, secret


class _TokenService:
    def __init__(
        self,
        directory: Directory,
        issuer: TokenIssuer,
        keys: SigningKeys,
        settings: Settings,
        guard: LoginGuard | None,
    ) -> None:
        self._directory = directory
        self._issuer = issuer
        self._keys = keys
        self._settings = settings
        self._guard = guard

    def _tenant(self, tenant_id: str, error: str = "invalid_request") -> Tenant:
        tenant = self._directory.tenant(tenant_id)
        if tenant is None:
            unknown = unknown_tenant(tenant_id)
            raise TokenError(unknown.status, error, unknown.code, unknown.description)
        return tenant

    def openid_configuration(self, context: RequestContext) -> Response:
        request = context.request
        try:
            tenant = self._tenant(context.params["tenant"], "invalid_tenant")
        except TokenError as error:
            return error_response(request, error)
        base = f"{request.base_url}/{tenant.id}"
        return _json(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": sorted(OPENID_SCOPES),
                "issuer": self._issuer.issuer_for(tenant.id),
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "grant_types_supported": list(GRANT_TYPES),
                "claims_supported": CLAIMS_SUPPORTED,
                "tenant_region_scope": None,
                "cloud_instance_name": urlsplit(self._issuer.issuer_for(tenant.id)).hostname,
                "msgraph_host": urlsplit(request.base_url).netloc,
            },
        )

    def jwks(self, context: RequestContext) -> Response:
        try:
            self._tenant(context.params["tenant"], "invalid_tenant")
        except TokenError as error:
            return error_response(context.request, error)
        return _json(200, self._keys.jwks())

    def token(self, context: RequestContext) -> Response:
        try:
            return self._token(context.request, context.params["tenant"])
        except TokenError as error:
            response = error_response(context.request, error)
            if isinstance(error, Locked):
                response.headers.append(("Retry-After", str(error.retry_after)))
            return response

    def _token(self, request: Request, tenant_param: str) -> Response:
        form = _form(request)
        # The tenant, the client and its secrets are read in one statement, before the checks that come
        # after the tenant's in Entra's order (grant type, then the client's credentials).
        credentials: tuple[str, str | None] | None = None
        refusal: TokenError | None = None
        try:
            credentials = _client_credentials(request, form)
        except TokenError as error:
            refusal = error
        guard = self._guard
        if guard is None or credentials is None:
            issue = self._checked(request, tenant_param, form, credentials, refusal, None, {})
        else:
            # Counted as being checked from before the budgets' read until a failure is recorded, so concurrent
            # sign-ins of this client (or user) from the address each count the others as failures spent;
            # issuing the token comes after.
            user = _guarded_user(tenant_param, form)
            with guard.checking(credentials[0], request.client_address, user) as pending:
                issue = self._checked(request, tenant_param, form, credentials, refusal, guard, pending)
        return issue()

    def _checked(
        self,
        request: Request,
        tenant_param: str,
        form: dict[str, str],
        credentials: tuple[str, str | None] | None,
        refusal: TokenError | None,
        guard: LoginGuard | None,
        pending: dict[str, int],
    ) -> Callable[[], Response]:
        """The sign-in read and checked in Entra's order, and what issues its token; raises its error."""
        # The user whose budget the sign-in also spends (the password grant's): the path's tenant, which is
        # the one the sign-in reads (``ClientSignIn.tenant_id``).
        user = _guarded_user(tenant_param, form)
        budgets = None
        if guard is not None and credentials is not None and guard.reads_alongside:
            # The guard's budgets read by the sign-in's statement where the store can (PostgreSQL: one round
            # trip); the keys are those ``blocked_for`` reads below.
            budgets = guard.blocked_alongside(credentials[0], request.client_address, user, pending)
        sign_in = self._directory.client_sign_in(tenant_param, credentials and credentials[0], budgets)
        if sign_in is None:
            unknown = unknown_tenant(tenant_param)
            raise TokenError(unknown.status, "invalid_request", unknown.code, unknown.description)
        grant_type = _required(form, "grant_type")
        if grant_type not in GRANT_TYPES:
            raise TokenError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        if credentials is None:
            assert refusal is not None
            raise refusal
        client_id, secret = credentials
        if guard is None:
            return self._grant(grant_type, sign_in, secret, form)
        if budgets is not None and budgets.read:
            wait = budgets.wait
        else:
            wait = guard.blocked_for(client_id, request.client_address, user, pending)
        if wait > 0.0:
            raise Locked(max(1, math.ceil(wait)))
        try:
            return self._grant(grant_type, sign_in, secret, form)
        except TokenError as error:
            if error.code in CREDENTIAL_FAILURES:
                # A wrong secret never reached the user's password: it does not count against the user.
                guard.failed(client_id, request.client_address, user if error.code == 50126 else None)
            raise

    def _grant(
        self, grant_type: str, sign_in: ClientSignIn, secret: str | None, form: dict[str, str]
    ) -> Callable[[], Response]:
        if grant_type == "client_credentials":
            return self._client_credentials_grant(sign_in, secret, form)
        return self._password_grant(sign_in, secret, form)

    def _client_credentials_grant(
        self, sign_in: ClientSignIn, secret: str | None, form: dict[str, str]
    ) -> Callable[[], Response]:
        if secret is None:
            raise TokenError(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the "
                "'client_credentials' grant type.",
            )
        scope = _required(form, "scope")
        app = sign_in.authenticate(secret)
        scopes = [s for s in scope.split() if s.lower() not in OPENID_SCOPES]
        if len(scopes) != 1:
            raise invalid_scope(scope)
        if not scopes[0].endswith("/.default"):
            raise TokenError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scopes[0]} is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        return lambda: _token_answer(*self._issuer.application_token(app))

    def _password_grant(
        self, sign_in: ClientSignIn, secret: str | None, form: dict[str, str]
    ) -> Callable[[], Response]:
        username, password = _required(form, "username"), _required(form, "password")
        scope = _required(form, "scope")
        app = sign_in.authenticate(secret)
        if secret is None and not app.public_client:
            # Only an app registered as a public client may use the password grant without a secret.
            raise TokenError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        try:
            named, default = requested_scopes(scope.split())
        except ValueError as exc:
            raise invalid_scope(str(exc)) from None
        if not named and not default:
            raise invalid_scope(scope)
        user = self._directory.authenticate_user(sign_in.tenant_id, username, password)
        granted = named | app.delegated_permissions if default else named
        if not granted or not granted <= app.delegated_permissions:
            raise not_consented(app)

        def issue() -> Response:
            token, expires_in = self._issuer.delegated_token(app.client_id, user, granted)
            body = _token_body(token, expires_in)
            body["scope"] = " ".join(f"https://graph.microsoft.com/{name}" for name in sorted(granted))
            return _json(200, body)

        return issue


def _guarded_user(tenant_id: str, form: dict[str, str]) -> str | None:
    """The user whose budget a sign-in also spends: the password grant's (tenant and user name)."""
    if form.get("grant_type", "").strip() != "password":
        return None
    username = form.get("username", "").strip().lower()
    return f"{tenant_id}\x00{username}" if username else None


def _token_answer(token: str, expires_in: int) -> Response:
    """``_json(200, _token_body(token, expires_in))``'s bytes, laid out directly: a token of ``jws`` is base64url
    segments and dots, nothing JSON escapes, so it goes in as it is instead of being scanned for escapes."""
    if type(expires_in) is not int:
        return _json(200, _token_body(token, expires_in))
    body = b'{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":"%s"}' % (
        expires_in,
        expires_in,
        token.encode("ascii"),
    )
    return Response(200, body, CONTENT_TYPE, [("Pragma", "no-cache")])


def _token_body(token: str, expires_in: int) -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    }
