"""The directory: tenants, applications with hashed client secrets, and users with scrypt passwords."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import string
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.storage.database import Connection, Database, Row, UniqueViolation

_ID_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32
_SECRET_ALPHABET = string.ascii_letters + string.digits + "_.~-"
_PERMISSION_NAMES = {name.lower(): name for name in APPLICATION_PERMISSIONS}


class DirectoryError(ValueError):
    """A directory rule was broken (unknown tenant, bad permission, duplicate name); safe to show."""


class TokenError(Exception):
    """An OAuth error of the token service, rendered by ``identity.endpoints`` in Entra's shape."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.status = status
        self.error = error
        self.code = code
        self.description = description


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


@dataclass(frozen=True, slots=True)
class Application:
    tenant_id: str
    client_id: str
    name: str
    permissions: frozenset[str]


_USER_COLUMNS = "tenant_id, id, display_name, user_principal_name, has_learning_license"
_APP_COLUMNS = "tenant_id, client_id, name, permissions"


def get_tenant(conn: Connection, tenant_id: str) -> Tenant | None:
    row = conn.fetch_one("SELECT id, name, has_learning_plan FROM tenants WHERE id = ?", (tenant_id,))
    return None if row is None else Tenant(row[0], row[1], bool(row[2]))


def get_user(conn: Connection, tenant_id: str, user_id: str) -> User | None:
    row = conn.fetch_one(
        f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = ? AND id = ?", (tenant_id, user_id)
    )
    return None if row is None else _user(row)


def _user(row: Row) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]))


def _application(row: Row) -> Application:
    return Application(row[0], row[1], row[2], frozenset(json.loads(row[3])))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _checked_id(value: str | None, what: str) -> str:
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


def new_client_secret() -> str:
    """A secret shaped like Entra's: three characters, ``8Q~``, then 34 more."""
    body = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(37))
    return f"{body[:3]}8Q~{body[3:]}"


def _secret_digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Spent on unknown users so a wrong user name costs as much time as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def canonical_permissions(names: Iterable[str]) -> frozenset[str]:
    permissions: set[str] = set()
    unknown: list[str] = []
    for name in names:
        canonical = _PERMISSION_NAMES.get(name.strip().lower())
        if canonical is None:
            unknown.append(name)
        else:
            permissions.add(canonical)
    if unknown:
        raise DirectoryError(
            f"Unknown application permission(s) {', '.join(unknown)}; "
            f"valid application permissions are: {', '.join(sorted(APPLICATION_PERMISSIONS))}."
        )
    return frozenset(permissions)


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


def _bad_secret(client_id: str) -> TokenError:
    return TokenError(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
        f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
    )


class Directory:
    """Directory use cases; each public call runs in its own transaction unless bound by ``atomic``."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._bound: Connection | None = None

    @contextmanager
    def atomic(self) -> Iterator[Directory]:
        """A directory whose calls all share one write transaction, one such transaction at a time."""
        with self._database.transaction() as conn:
            conn.exclusive("directory")
            bound = Directory(self._database)
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
            _checked_id(tenant_id, "tenant id"), _required_text(name, "tenant name"), has_learning_plan
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
    ) -> tuple[Application, str]:
        app = Application(
            tenant_id,
            _checked_id(client_id, "client id"),
            _required_text(name, "application name"),
            canonical_permissions(permissions),
        )
        secret = new_client_secret() if client_secret is None else client_secret
        if len(secret) < 8 or len(secret) > 256:
            raise DirectoryError("A client secret must be 8-256 characters long.")
        salt = secrets.token_hex(16)
        try:
            with self._write() as conn:
                self._require_tenant(conn, tenant_id)
                conn.execute(
                    "INSERT INTO applications (client_id, tenant_id, name, permissions, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (app.client_id, tenant_id, app.name, json.dumps(sorted(app.permissions)), _now()),
                )
                conn.execute(
                    "INSERT INTO client_secrets (id, client_id, salt, digest, hint, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        str(uuid.uuid4()),
                        app.client_id,
                        salt,
                        _secret_digest(salt, secret),
                        secret[:3],
                        _now(),
                    ),
                )
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
    ) -> User:
        name = _required_text(display_name, "display name")
        new_id = _checked_id(user_id, "user id")
        if password is not None and not password:
            raise DirectoryError("A password must not be empty.")
        password_hash = None if password is None else hash_password(password)
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
                    "has_learning_license, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (tenant_id, new_id, name, upn, int(licensed), password_hash, _now()),
                )
            except UniqueViolation:
                raise DirectoryError(f"A user with id {new_id!r} already exists.") from None
        return User(tenant_id, new_id, name, upn, licensed)

    def authenticate_client(self, tenant_id: str, client_id: str, secret: str | None) -> Application:
        """The application, after checking its secret; ``None`` skips the check (public clients)."""
        with self._read() as conn:
            if get_tenant(conn, tenant_id) is None:
                raise unknown_tenant(tenant_id)
            row = conn.fetch_one(
                f"SELECT {_APP_COLUMNS} FROM applications WHERE client_id = ? AND tenant_id = ?",
                (client_id, tenant_id),
            )
            stored = (
                []
                if row is None
                else conn.fetch_all(
                    "SELECT salt, digest FROM client_secrets WHERE client_id = ?", (client_id,)
                )
            )
        if row is None:
            raise _unknown_application(tenant_id, client_id)
        if secret is not None:
            matched = False
            for salt, digest in stored:
                matched |= hmac.compare_digest(_secret_digest(salt, secret), digest)
            if not matched:
                raise _bad_secret(client_id)
        return _application(row)

    def authenticate_user(self, tenant_id: str, user_principal_name: str, password: str) -> User:
        with self._read() as conn:
            row = conn.fetch_one(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users "
                "WHERE tenant_id = ? AND lower(user_principal_name) = lower(?)",
                (tenant_id, user_principal_name.strip()),
            )
        stored = row[5] if row is not None and row[5] else _dummy_hash()
        if not verify_password(password, stored) or row is None or not row[5]:
            raise TokenError(
                400,
                "invalid_grant",
                50126,
                "Error validating credentials due to invalid username or password.",
            )
        return _user(row)

    def tenant(self, tenant_id: str) -> Tenant | None:
        with self._read() as conn:
            return get_tenant(conn, tenant_id)

    def has_tenants(self) -> bool:
        with self._read() as conn:
            return conn.fetch_one("SELECT 1 FROM tenants LIMIT 1") is not None

    def user(self, tenant_id: str, user_id: str) -> User | None:
        with self._read() as conn:
            return get_user(conn, tenant_id, user_id)

    def find_user(self, tenant_id: str, id_or_principal_name: str) -> User | None:
        """A user by id, or else by user principal name (case-insensitive)."""
        with self._read() as conn:
            row = conn.fetch_one(
                f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = ? "
                "AND (id = ? OR lower(user_principal_name) = lower(?)) ORDER BY id = ? DESC LIMIT 1",
                (tenant_id, id_or_principal_name, id_or_principal_name, id_or_principal_name),
            )
        return None if row is None else _user(row)

    def application(self, client_id: str) -> Application | None:
        with self._read() as conn:
            row = conn.fetch_one(f"SELECT {_APP_COLUMNS} FROM applications WHERE client_id = ?", (client_id,))
        return None if row is None else _application(row)

    def applications(self, tenant_id: str) -> list[Application]:
        with self._read() as conn:
            rows = conn.fetch_all(
                f"SELECT {_APP_COLUMNS} FROM applications WHERE tenant_id = ? ORDER BY created_at, client_id",
                (tenant_id,),
            )
        return [_application(row) for row in rows]

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
