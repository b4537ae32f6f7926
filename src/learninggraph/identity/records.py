"""The directory's records (tenants, users, applications), their rows, and the errors its rules raise."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from learninggraph.domain.errors import NotFound
from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.domain.roles import canonical_role
from learninggraph.storage.database import Connection, Row

_APPLICATION_NAMES = {name.lower(): name for name in APPLICATION_PERMISSIONS}
_DELEGATED_NAMES = {name.lower(): name for name in DELEGATED_PERMISSIONS}


class DirectoryError(ValueError):
    """A directory rule was broken (unknown tenant, bad permission, duplicate name); safe to show."""


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    has_learning_plan: bool


@dataclass(frozen=True, slots=True)
class User:
    tenant_id: str
    id: str
    display_name: str
    user_principal_name: str
    has_learning_license: bool
    # Directory role names (see ``domain.roles``).
    directory_roles: frozenset[str] = frozenset()
    account_enabled: bool = True


@dataclass(frozen=True, slots=True)
class Application:
    tenant_id: str
    client_id: str
    name: str
    # Application permissions (app roles), granted to the app itself.
    permissions: frozenset[str]
    # Delegated permissions consented for the app: the most a signed-in user's token of it may carry.
    delegated_permissions: frozenset[str] = frozenset()
    # A public client may use the password grant without a secret.
    public_client: bool = False
    account_enabled: bool = True
    # Tokens issued before this time (whole seconds since the epoch) are refused.
    tokens_valid_after: int = 0


TENANT_COLUMNS = "id, name, has_learning_plan"
USER_COLUMNS = (
    "tenant_id, id, display_name, user_principal_name, has_learning_license, directory_roles, account_enabled"
)
APP_COLUMNS = (
    "tenant_id, client_id, name, permissions, delegated_permissions, public_client, account_enabled, "
    "tokens_valid_after"
)


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


# The sign-in of a client: its tenant, its application (NULLs when there is none) and each of its secrets.
CLIENT_SIGN_IN_SQL = (
    "SELECT t.id, " + _prefixed("a", APP_COLUMNS) + ", s.salt, s.digest FROM tenants t"
    " LEFT JOIN applications a ON a.client_id = ? AND a.tenant_id = t.id"
    " LEFT JOIN client_secrets s ON s.client_id = a.client_id"
    " WHERE t.id = ?"
)


# A token's standing in the directory, in one statement: its tenant, the user it names and the application
# it names (NULL columns for a user or application passed as NULL or not found). No row: no such tenant.
STANDING_SQL = (
    f"SELECT {_prefixed('t', TENANT_COLUMNS)}, {_prefixed('u', USER_COLUMNS)}, {_prefixed('a', APP_COLUMNS)}"
    " FROM tenants t LEFT JOIN users u ON u.tenant_id = t.id AND u.id = ?"
    " LEFT JOIN applications a ON a.client_id = ? WHERE t.id = ?"
)
_USER_AT = 3
_APP_AT = _USER_AT + len(USER_COLUMNS.split(","))
_APP_END = _APP_AT + len(APP_COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class Standing:
    """A tenant, with the user and the application a token names where they exist."""

    tenant: Tenant
    user: User | None
    application: Application | None


def standing_of(row: Row) -> Standing:
    user = row[_USER_AT:_APP_AT]
    app = row[_APP_AT:_APP_END]
    return Standing(
        tenant_of(row[:_USER_AT]),
        None if user[1] is None else user_of(user),
        None if app[1] is None else application_of(app),
    )


def tenant_of(row: Row) -> Tenant:
    return Tenant(row[0], row[1], bool(row[2]))


def user_of(row: Row) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]), frozenset(json.loads(row[5])), bool(row[6]))


def application_of(row: Row) -> Application:
    return Application(
        row[0],
        row[1],
        row[2],
        frozenset(json.loads(row[3])),
        frozenset(json.loads(row[4])),
        bool(row[5]),
        bool(row[6]),
        int(row[7]),
    )


def get_tenant(conn: Connection, tenant_id: str) -> Tenant | None:
    row = conn.fetch_one(f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ?", (tenant_id,))
    return None if row is None else tenant_of(row)


def get_user(conn: Connection, tenant_id: str, user_id: str) -> User | None:
    row = conn.fetch_one(
        f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND id = ?", (tenant_id, user_id)
    )
    return None if row is None else user_of(row)


def user_not_found(user_id: str) -> NotFound:
    """What a path naming a user the tenant does not have answers (``/users/{id}/...``)."""
    return NotFound(f"The user '{user_id}' was not found.")


def licence_sql(tenant_column: str, user_column: str) -> str:
    """A scalar subquery: the learning licence of the user two column references name (NULL: no such user).

    For reading a learner's licence in another table's SELECT list, in the same statement as its row;
    in the select list, not in FROM, it reads the user without locking the user's row.
    """
    return (
        "SELECT u.has_learning_license FROM users u"
        f" WHERE u.tenant_id = {tenant_column} AND u.id = {user_column}"
    )


def get_application(conn: Connection, client_id: str) -> Application | None:
    row = conn.fetch_one(f"SELECT {APP_COLUMNS} FROM applications WHERE client_id = ?", (client_id,))
    return None if row is None else application_of(row)


def as_json(names: Iterable[str]) -> str:
    return json.dumps(sorted(set(names)))


def now_seconds() -> int:
    return int(time.time())


def _canonical(names: Iterable[str], catalogue: dict[str, str], kind: str) -> frozenset[str]:
    permissions: set[str] = set()
    unknown: list[str] = []
    for name in names:
        canonical = catalogue.get(name.strip().lower())
        if canonical is None:
            unknown.append(name)
        else:
            permissions.add(canonical)
    if unknown:
        raise DirectoryError(
            f"Unknown {kind} permission(s) {', '.join(unknown)}; "
            f"valid {kind} permissions are: {', '.join(sorted(catalogue.values()))}."
        )
    return frozenset(permissions)


def canonical_permissions(names: Iterable[str]) -> frozenset[str]:
    """Application permissions by their catalogue names (case-insensitive); DirectoryError lists bad ones."""
    return _canonical(names, _APPLICATION_NAMES, "application")


def canonical_delegated_permissions(names: Iterable[str]) -> frozenset[str]:
    return _canonical(names, _DELEGATED_NAMES, "delegated")


def canonical_roles(names: Iterable[str]) -> frozenset[str]:
    try:
        return frozenset(canonical_role(name) for name in names)
    except ValueError as exc:
        raise DirectoryError(str(exc)) from None
