"""A client's sign-in at the token endpoint: what one statement read of it, its checks, and Entra's errors."""

from __future__ import annotations

from dataclasses import dataclass

from learninggraph.identity.passwords import secret_matches
from learninggraph.identity.records import Application, application_of
from learninggraph.storage.database import Row


class TokenError(Exception):
    """An OAuth error of the token service, rendered by ``identity.endpoints`` in Entra's shape."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.status = status
        self.error = error
        self.code = code
        self.description = description


def unknown_tenant(tenant_id: str) -> TokenError:
    return TokenError(
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant_id}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _unknown_application(tenant_id: str, client_id: str) -> TokenError:
    return TokenError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. "
        "This can happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You may have sent your authentication "
        "request to the wrong tenant.",
    )


def _disabled_application(app: Application) -> TokenError:
    return TokenError(
        400, "unauthorized_client", 7000112, f"Application '{app.client_id}'({app.name}) is disabled."
    )


def _bad_secret(client_id: str) -> TokenError:
    return TokenError(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
        f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
    )


# Applications built from their sign-in columns, by those columns: a client signs in again and again with the
# same row, whose permissions are JSON to parse. Frozen, so shared; a changed row is another key.
_APPLICATIONS: dict[Row, Application] = {}
_MAX_APPLICATIONS = 1024


def _application(columns: Row) -> Application:
    app = _APPLICATIONS.get(columns)
    if app is None:
        if len(_APPLICATIONS) >= _MAX_APPLICATIONS:
            _APPLICATIONS.clear()
        app = _APPLICATIONS[columns] = application_of(columns)
    return app


def bad_user_credentials() -> TokenError:
    return TokenError(
        400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password."
    )


@dataclass(frozen=True, slots=True)
class ClientSignIn:
    """The rows of ``records.CLIENT_SIGN_IN_SQL`` for a tenant that exists: the application's columns are
    NULL when it is unknown, and there is a row per secret."""

    tenant_id: str
    client_id: str
    rows: list[Row]

    def authenticate(self, secret: str | None) -> Application:
        """The application, after checking its secret; ``None`` skips the check (public clients)."""
        rows = self.rows
        if rows[0][1] is None:
            raise _unknown_application(self.tenant_id, self.client_id)
        stored = [(row[-2], row[-1]) for row in rows if row[-2] is not None]
        if secret is not None and not secret_matches(secret, stored):
            raise _bad_secret(self.client_id)
        app = _application(rows[0][1:-2])
        if not app.account_enabled:
            raise _disabled_application(app)
        return app


class Locked(TokenError):
    """Too many failed sign-ins: 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            429,
            "temporarily_unavailable",
            50053,
            "Sign-in is locked because of too many attempts with incorrect credentials for this client, "
            f"user or address. Retry after {retry_after} {unit}.",
        )
        self.retry_after = retry_after


def missing(name: str) -> TokenError:
    return TokenError(
        400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
    )


def malformed() -> TokenError:
    return TokenError(400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")


def invalid_scope(scope: str) -> TokenError:
    return TokenError(
        400,
        "invalid_scope",
        70011,
        f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
    )


def not_consented(app: Application) -> TokenError:
    return TokenError(
        400,
        "invalid_grant",
        65001,
        f"The user or administrator has not consented to use the application with ID '{app.client_id}' "
        f"named '{app.name}'. Send an interactive authorization request for this user and resource.",
    )
