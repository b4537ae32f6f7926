"""Changes to existing directory accounts: roles, licences, consents, public-client flag, secrets, deletion.

Every change is one transaction. Removing an app, or the secrets its tokens were obtained with, moves
its ``tokens_valid_after`` to now, so the verifier refuses its earlier tokens at its next directory check.
"""

from __future__ import annotations

from collections.abc import Iterable

from learninggraph.identity.directory import checked_secret, insert_secret
from learninggraph.identity.passwords import new_client_secret
from learninggraph.identity.records import (
    USER_COLUMNS,
    Application,
    DirectoryError,
    User,
    as_json,
    canonical_delegated_permissions,
    canonical_roles,
    get_application,
    now_seconds,
    user_of,
)
from learninggraph.storage.database import Connection, Database


def _user(conn: Connection, tenant_id: str, id_or_principal_name: str) -> User:
    row = conn.fetch_one(
        f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? "
        "AND (id = ? OR lower(user_principal_name) = lower(?)) ORDER BY id = ? DESC LIMIT 1",
        (tenant_id, id_or_principal_name, id_or_principal_name, id_or_principal_name),
        lock=True,
    )
    if row is None:
        raise DirectoryError(f"No user {id_or_principal_name!r} in tenant {tenant_id!r}.")
    return user_of(row)


def _application(conn: Connection, client_id: str) -> Application:
    app = get_application(conn, client_id)
    if app is None:
        raise DirectoryError(f"No application with client id {client_id!r}.")
    return app


class DirectoryAdmin:
    """What an administrator changes in the directory (the CLI's users and apps commands)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    # Users

    def grant_roles(self, tenant_id: str, user: str, roles: Iterable[str]) -> User:
        return self._set_roles(tenant_id, user, canonical_roles(roles), add=True)

    def remove_roles(self, tenant_id: str, user: str, roles: Iterable[str]) -> User:
        return self._set_roles(tenant_id, user, canonical_roles(roles), add=False)

    def _set_roles(self, tenant_id: str, user: str, roles: frozenset[str], *, add: bool) -> User:
        with self._database.transaction() as conn:
            found = _user(conn, tenant_id, user)
            held = found.directory_roles | roles if add else found.directory_roles - roles
            conn.execute(
                "UPDATE users SET directory_roles = ? WHERE tenant_id = ? AND id = ?",
                (as_json(held), tenant_id, found.id),
            )
            changed = _user(conn, tenant_id, found.id)
        return changed

    def set_license(self, tenant_id: str, user: str, *, licensed: bool) -> User:
        """Grants or withdraws the user's Viva Learning licence."""
        return self._set_user_flag(tenant_id, user, "has_learning_license", licensed)

    def set_user_enabled(self, tenant_id: str, user: str, *, enabled: bool) -> User:
        """A disabled user cannot sign in, and their tokens are refused; their data stays."""
        return self._set_user_flag(tenant_id, user, "account_enabled", enabled)

    def _set_user_flag(self, tenant_id: str, user: str, column: str, value: bool) -> User:
        with self._database.transaction() as conn:
            found = _user(conn, tenant_id, user)
            conn.execute(
                f"UPDATE users SET {column} = ? WHERE tenant_id = ? AND id = ?",
                (int(value), tenant_id, found.id),
            )
            changed = _user(conn, tenant_id, found.id)
        return changed

    # Applications

    def grant_consent(self, client_id: str, permissions: Iterable[str]) -> Application:
        """Consents delegated permissions for the app (its users' tokens may then carry them)."""
        return self._set_consents(client_id, canonical_delegated_permissions(permissions), add=True)

    def revoke_consent(self, client_id: str, permissions: Iterable[str]) -> Application:
        return self._set_consents(client_id, canonical_delegated_permissions(permissions), add=False)

    def _set_consents(self, client_id: str, permissions: frozenset[str], *, add: bool) -> Application:
        with self._database.transaction() as conn:
            app = _application(conn, client_id)
            held = app.delegated_permissions
            consented = held | permissions if add else held - permissions
            conn.execute(
                "UPDATE applications SET delegated_permissions = ? WHERE client_id = ?",
                (as_json(consented), client_id),
            )
            return _application(conn, client_id)

    def set_public_client(self, client_id: str, *, public: bool) -> Application:
        return self._set_app_flag(client_id, "public_client", public)

    def set_application_enabled(self, client_id: str, *, enabled: bool) -> Application:
        """A disabled app cannot obtain tokens, and its tokens are refused; its registration stays."""
        return self._set_app_flag(client_id, "account_enabled", enabled)

    def _set_app_flag(self, client_id: str, column: str, value: bool) -> Application:
        with self._database.transaction() as conn:
            _application(conn, client_id)
            conn.execute(f"UPDATE applications SET {column} = ? WHERE client_id = ?", (int(value), client_id))
            return _application(conn, client_id)

    def rotate_secret(
        self, client_id: str, *, keep_existing: bool = False, secret: str | None = None
    ) -> tuple[Application, str]:
        """Adds a new secret, returned once; unless kept, removes the others and revokes earlier tokens."""
        new_secret = checked_secret(new_client_secret() if secret is None else secret)
        with self._database.transaction() as conn:
            _application(conn, client_id)
            if not keep_existing:
                conn.execute("DELETE FROM client_secrets WHERE client_id = ?", (client_id,))
                self._revoke_tokens(conn, client_id)
            insert_secret(conn, client_id, new_secret)
            return _application(conn, client_id), new_secret

    def delete_application(self, client_id: str) -> Application:
        """Removes the app and its secrets; its tokens are refused from the verifier's next check."""
        with self._database.transaction() as conn:
            app = _application(conn, client_id)
            conn.execute("DELETE FROM client_secrets WHERE client_id = ?", (client_id,))
            conn.execute("DELETE FROM applications WHERE client_id = ?", (client_id,))
        return app

    @staticmethod
    def _revoke_tokens(conn: Connection, client_id: str) -> None:
        # Tokens carry whole-second iat: those issued in an earlier second than now are refused.
        conn.execute(
            "UPDATE applications SET tokens_valid_after = ? WHERE client_id = ?", (now_seconds(), client_id)
        )


def describe_application(app: Application) -> dict[str, object]:
    """An app as the CLI prints it (``--json``)."""
    return {
        "tenantId": app.tenant_id,
        "clientId": app.client_id,
        "name": app.name,
        "permissions": sorted(app.permissions),
        "delegatedPermissions": sorted(app.delegated_permissions),
        "publicClient": app.public_client,
        "accountEnabled": app.account_enabled,
    }


def describe_user(user: User) -> dict[str, object]:
    return {
        "tenantId": user.tenant_id,
        "id": user.id,
        "userPrincipalName": user.user_principal_name,
        "licensed": user.has_learning_license,
        "directoryRoles": sorted(user.directory_roles),
        "accountEnabled": user.account_enabled,
    }


__all__ = ["DirectoryAdmin", "describe_application", "describe_user"]
