"""The directory: tenants, applications with hashed client secrets, and users with scrypt passwords.

Records and their rows live in ``identity.records``; changes to existing accounts (roles, consents,
licences, secrets, deletion) in ``identity.administration``.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from learninggraph.identity.passwords import (
    dummy_hash,
    hash_password,
    new_client_secret,
    secret_digest,
    verify_password,
)
from learninggraph.identity.records import (
    APP_COLUMNS,
    CLIENT_SIGN_IN_SQL,
    STANDING_SQL,
    USER_COLUMNS,
    Application,
    DirectoryError,
    Standing,
    Tenant,
    User,
    application_of,
    as_json,
    canonical_delegated_permissions,
    canonical_permissions,
    canonical_roles,
    get_application,
    get_tenant,
    get_user,
    licence_sql,
    standing_of,
    user_not_found,
    user_of,
)
from learninggraph.identity.sign_ins import ClientSignIn, TokenError, bad_user_credentials, unknown_tenant
from learninggraph.storage.budgets import WaitsAlongside
from learninggraph.storage.connection import storable
from learninggraph.storage.database import Connection, Database, UniqueViolation

__all__ = [
    "Application",
    "Directory",
    "DirectoryError",
    "Tenant",
    "TokenError",
    "User",
    "canonical_permissions",
    "get_tenant",
    "get_user",
    "licence_sql",
    "new_client_secret",
    "slug",
    "unknown_tenant",
    "user_not_found",
]

_ID_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def checked_id(value: str | None, what: str) -> str:
    if value is None:
        return str(uuid.uuid4())
    if not _ID_PATTERN.fullmatch(value):
        raise DirectoryError(f"Invalid {what} {value!r}: use 1-128 letters, digits, '.', '_', '~' or '-'.")
    return value


def _required_text(value: str, what: str) -> str:
    text = value.strip()
    if not text or len(text) > 256:
        raise DirectoryError(f"The {what} must be 1-256 characters long.")
    return text


def slug(text: str, separator: str = ".") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def checked_secret(secret: str) -> str:
    if len(secret) < 8 or len(secret) > 256:
        raise DirectoryError("A client secret must be 8-256 characters long.")
    return secret


def insert_secret(conn: Connection, client_id: str, secret: str) -> None:
    salt = secrets.token_hex(16)
    conn.execute(
        "INSERT INTO client_secrets (id, client_id, salt, digest, hint, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), client_id, salt, secret_digest(salt, secret), secret[:3], _now()),
    )


class Directory:
    """Directory use cases; each public call runs in its own transaction unless bound by ``atomic``."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._bound: Connection | None = None

    @property
    def database(self) -> Database:
        return self._database

    @contextmanager
    def atomic(self) -> Iterator[Directory]:
        """A directory whose calls all share one write transaction, one such transaction at a time."""
        with self._database.transaction() as conn:
            conn.exclusive("directory")
            bound = type(self)(self._database)
            bound._bound = conn
            yield bound

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
        else:
            with self._database.transaction() as conn:
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
        else:
            with self._database.snapshot() as conn:
                yield conn

    def create_tenant(
        self, *, name: str, tenant_id: str | None = None, has_learning_plan: bool = True
    ) -> Tenant:
        tenant = Tenant(
            checked_id(tenant_id, "tenant id"), _required_text(name, "tenant name"), has_learning_plan
        )
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO tenants (id, name, has_learning_plan, created_at) VALUES (?, ?, ?, ?)",
                    (tenant.id, tenant.name, int(has_learning_plan), _now()),
                )
        except UniqueViolation:
            raise DirectoryError(f"A tenant with id {tenant.id!r} already exists.") from None
        return tenant

    def create_application(
        self,
        *,
        tenant_id: str,
        name: str,
        permissions: Iterable[str],
        client_id: str | None = None,
        client_secret: str | None = None,
        delegated_permissions: Iterable[str] = (),
        public_client: bool = False,
    ) -> tuple[Application, str]:
        """Registers an app with application permissions and consented delegated ones; returns its secret."""
        app = Application(
            tenant_id,
            checked_id(client_id, "client id"),
            _required_text(name, "application name"),
            canonical_permissions(permissions),
            canonical_delegated_permissions(delegated_permissions),
            public_client,
        )
        secret = checked_secret(new_client_secret() if client_secret is None else client_secret)
        try:
            with self._write() as conn:
                self._require_tenant(conn, tenant_id)
                conn.execute(
                    "INSERT INTO applications (client_id, tenant_id, name, permissions, created_at, "
                    "delegated_permissions, public_client) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        app.client_id,
                        tenant_id,
                        app.name,
                        as_json(app.permissions),
                        _now(),
                        as_json(app.delegated_permissions),
                        int(public_client),
                    ),
                )
                insert_secret(conn, app.client_id, secret)
        except UniqueViolation:
            raise DirectoryError(f"An application with client id {app.client_id!r} already exists.") from None
        return app, secret

    def create_user(
        self,
        *,
        tenant_id: str,
        display_name: str,
        licensed: bool,
        password: str | None = None,
        user_id: str | None = None,
        user_principal_name: str | None = None,
        roles: Iterable[str] = (),
        password_hash: str | None = None,
    ) -> User:
        """``password_hash``: instead of ``password``, one already hashed by ``passwords.hash_password`` (the
        test kit gives each of its tenants' users one password hashed once, as scrypt takes tens of ms)."""
        name = _required_text(display_name, "display name")
        new_id = checked_id(user_id, "user id")
        held = canonical_roles(roles)
        if password is not None and not password:
            raise DirectoryError("A password must not be empty.")
        if password is not None:
            password_hash = hash_password(password)
        with self._write() as conn:
            tenant = self._require_tenant(conn, tenant_id)
            if user_principal_name is None:
                upn = self._free_principal_name(conn, tenant, name)
            else:
                upn = user_principal_name.strip()
                local, at, domain = upn.partition("@")
                if not (local and at and domain) or "@" in domain or any(c.isspace() for c in upn):
                    raise DirectoryError(f"Invalid user principal name {user_principal_name!r}.")
                if self._principal_name_taken(conn, tenant_id, upn):
                    raise DirectoryError(f"The user principal name {upn!r} is already in use.")
            try:
                conn.execute(
                    "INSERT INTO users (tenant_id, id, display_name, user_principal_name, "
                    "has_learning_license, password_hash, created_at, directory_roles) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (tenant_id, new_id, name, upn, int(licensed), password_hash, _now(), as_json(held)),
                )
            except UniqueViolation:
                raise DirectoryError(f"A user with id {new_id!r} already exists.") from None
        return User(tenant_id, new_id, name, upn, licensed, held)

    def client_sign_in(
        self, tenant_id: str, client_id: str | None, budgets: WaitsAlongside | None = None
    ) -> ClientSignIn | None:
        """The tenant, the application and its secrets, in one statement (every sign-in asks); ``None`` when
        the tenant is unknown. ``client_id`` ``None`` asks for the tenant alone. ``budgets``: the sign-in
        guard's read, made by the same statement."""
        if not storable(tenant_id):
            return None
        sql: str = CLIENT_SIGN_IN_SQL
        # A client id no application can have is asked as none: the tenant alone, its application unknown.
        params: tuple[str | None, ...] = (client_id if client_id and storable(client_id) else None, tenant_id)
        if budgets is not None:
            sql, params = budgets.around(sql), (*params, *budgets.keys)
        if self._bound is not None:
            rows = self._bound.fetch_all(sql, params)
        else:
            with self._database.read() as conn:
                rows = conn.fetch_all(sql, params)
        if budgets is not None:
            rows = budgets.rows(rows)
        return ClientSignIn(tenant_id, client_id or "", rows) if rows else None

    def authenticate_client(self, tenant_id: str, client_id: str, secret: str | None) -> Application:
        """The application, after checking its secret; ``None`` skips the check (public clients)."""
        sign_in = self.client_sign_in(tenant_id, client_id)
        if sign_in is None:
            raise unknown_tenant(tenant_id)
        return sign_in.authenticate(secret)

    def authenticate_user(self, tenant_id: str, user_principal_name: str, password: str) -> User:
        """The user, after checking the password with scrypt: call it off the event loop."""
        row = None
        if storable(tenant_id) and storable(user_principal_name):
            with self._read() as conn:
                row = conn.fetch_one(
                    f"SELECT {USER_COLUMNS}, password_hash FROM users "
                    "WHERE tenant_id = ? AND lower(user_principal_name) = lower(?)",
                    (tenant_id, user_principal_name.strip()),
                )
        stored = row[7] if row is not None and row[7] else dummy_hash()
        if not verify_password(password, stored) or row is None or not row[7]:
            raise bad_user_credentials()
        user = user_of(row)
        if not user.account_enabled:
            raise TokenError(400, "invalid_grant", 50057, "The user account is disabled.")
        return user

    def tenant(self, tenant_id: str) -> Tenant | None:
        if not storable(tenant_id):
            return None
        if self._bound is not None:
            return get_tenant(self._bound, tenant_id)
        with self._database.read() as conn:  # one statement (every sign-in asks)
            return get_tenant(conn, tenant_id)

    def standing(self, tenant_id: str, user_id: str | None, client_id: str | None) -> Standing | None:
        """The tenant with the user and the application named (``None`` asks for none), in one statement
        (every new token and each token's periodic re-check asks); ``None`` when the tenant does not exist."""
        params = (user_id, client_id, tenant_id)
        if self._bound is not None:
            row = self._bound.fetch_one(STANDING_SQL, params)
        else:
            with self._database.read() as conn:
                row = conn.fetch_one(STANDING_SQL, params)
        return None if row is None else standing_of(row)

    def has_tenants(self) -> bool:
        with self._read() as conn:
            return conn.fetch_one("SELECT 1 FROM tenants LIMIT 1") is not None

    def user(self, tenant_id: str, user_id: str) -> User | None:
        if self._bound is not None:
            return get_user(self._bound, tenant_id, user_id)
        with self._database.read() as conn:  # one statement (every new token asks)
            return get_user(conn, tenant_id, user_id)

    def find_user(self, tenant_id: str, id_or_principal_name: str) -> User | None:
        """A user by id, or else by user principal name (case-insensitive)."""
        with self._read() as conn:
            row = conn.fetch_one(
                f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? "
                "AND (id = ? OR lower(user_principal_name) = lower(?)) ORDER BY id = ? DESC LIMIT 1",
                (tenant_id, id_or_principal_name, id_or_principal_name, id_or_principal_name),
            )
        return None if row is None else user_of(row)

    def application(self, client_id: str) -> Application | None:
        if self._bound is not None:
            return get_application(self._bound, client_id)
        with self._database.read() as conn:  # one statement (every new token asks)
            return get_application(conn, client_id)

    def applications(self, tenant_id: str) -> list[Application]:
        with self._read() as conn:
            rows = conn.fetch_all(
                f"SELECT {APP_COLUMNS} FROM applications WHERE tenant_id = ? ORDER BY created_at, client_id",
                (tenant_id,),
            )
        return [application_of(row) for row in rows]

    @staticmethod
    def _require_tenant(conn: Connection, tenant_id: str) -> Tenant:
        tenant = get_tenant(conn, tenant_id)
        if tenant is None:
            raise DirectoryError(f"Tenant {tenant_id!r} does not exist.")
        return tenant

    @staticmethod
    def _principal_name_taken(conn: Connection, tenant_id: str, upn: str) -> bool:
        return (
            conn.fetch_one(
                "SELECT 1 FROM users WHERE tenant_id = ? AND lower(user_principal_name) = lower(?)",
                (tenant_id, upn),
            )
            is not None
        )

    def _free_principal_name(self, conn: Connection, tenant: Tenant, display_name: str) -> str:
        domain = f"{slug(tenant.name, '') or slug(tenant.id, '')[:12]}.onmicrosoft.com"
        local = slug(display_name) or "user"
        candidate, number = f"{local}@{domain}", 1
        while self._principal_name_taken(conn, tenant.id, candidate):
            number += 1
            candidate = f"{local}{number}@{domain}"
        return candidate
