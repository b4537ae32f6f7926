"""The RSA signing keys: created on first start, persisted, rotated, and published as a JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from learninggraph.storage.database import Connection, Database

# cryptography's own ``serialization.load_pem_private_key`` (its ``serialization.base`` binds that name to this
# very function), reached without importing the ``serialization`` package: that package loads the SSH key
# formats and with them the DSA, EC, Ed25519 and cipher modules, a tenth of a test process's start. The path is
# the library's internal one, so a release that moves it gets the public function instead.
try:
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl

    _load_pem_private_key: Callable[..., object] = _rust_openssl.keys.load_pem_private_key
except (ImportError, AttributeError):  # pragma: no cover (the installed release has the internal path)
    from cryptography.hazmat.primitives.serialization import load_pem_private_key as _load_pem_private_key

ACTIVE, PUBLISHED, RETIRED = "active", "published", "retired"
# An unknown kid re-reads the table at most this often, so another process's rotation is seen.
UNKNOWN_KID_REFRESH_SECONDS = 5.0
# The active key is re-read this often, so every process signs with the newest key soon after a rotation.
ACTIVE_REFRESH_SECONDS = 30.0


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _new_key() -> tuple[str, RSAPrivateKey, str]:
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return thumbprint(key.public_key()), key, pem


def new_key_pem() -> str:
    """A new 2048-bit RSA signing key, as PKCS#8 PEM text."""
    return _new_key()[2]


def thumbprint(public_key: RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint, used as the kid."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode("ascii")


def public_jwk(kid: str, public_key: RSAPublicKey) -> dict[str, object]:
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "alg": "RS256",
    }


def _insert(conn: Connection, kid: str, pem: str) -> None:
    conn.execute(
        "INSERT INTO signing_keys (kid, private_key, state, created_at) VALUES (?, ?, ?, ?)",
        (kid, pem, ACTIVE, datetime.now(UTC).isoformat()),
    )


def add_active_key(database: Database, pem: str) -> bool:
    """Stores ``pem`` (an RSA private key of this project's own making) as the active key of a database
    that has none; whether it was stored. The test kit brings a key it keeps per machine this way."""
    loaded = _load_pem_private_key(pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(loaded, RSAPrivateKey):
        raise ValueError("not an RSA private key")
    with database.transaction() as conn:
        conn.exclusive("signing_keys")
        if conn.fetch_one("SELECT 1 FROM signing_keys WHERE state = ?", (ACTIVE,)) is not None:
            return False
        _insert(conn, thumbprint(loaded.public_key()), pem)
    return True


def active_key_pem(database: Database) -> str | None:
    """The active key's PEM text, if the database has one."""
    with database.snapshot() as conn:
        row = conn.fetch_one(
            "SELECT private_key FROM signing_keys WHERE state = ? ORDER BY created_at DESC", (ACTIVE,)
        )
    return None if row is None else str(row[0])


class SigningKeys:
    """The process's view of the ``signing_keys`` table, re-read when it may be stale."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._database = database
        self._clock = clock
        self._lock = threading.Lock()
        self._parsed: dict[str, RSAPrivateKey] = {}
        self._active: tuple[str, RSAPrivateKey] | None = None
        self._public: dict[str, RSAPublicKey] = {}
        self._jwks: dict[str, object] = {"keys": []}
        self._loaded_at = float("-inf")
        self._pending: _KeyInBackground | None = None

    @classmethod
    def load_or_create(cls, database: Database, *, generate_in_background: bool = False) -> SigningKeys:
        """The keys of ``database``, with an active key created there if it has none.

        ``generate_in_background``: on a database without an active key, return at once and generate the
        new key on a thread of its own (key generation leaves the GIL, so a server goes on starting); it is
        stored, as it would have been here, the first time a key is needed (another process's, if one is
        stored meanwhile, wins as usual).
        """
        keys = cls(database)
        if generate_in_background and not keys._has_active_key():
            keys._pending = _KeyInBackground()
            return keys
        keys._refresh()
        return keys

    def signing_key(self) -> tuple[str, RSAPrivateKey]:
        if self._active is None or self._clock() - self._loaded_at >= ACTIVE_REFRESH_SECONDS:
            self._refresh()
        assert self._active is not None
        return self._active

    def public_key(self, kid: str) -> RSAPublicKey | None:
        key = self._public.get(kid)
        if key is None and self._clock() - self._loaded_at >= UNKNOWN_KID_REFRESH_SECONDS:
            self._refresh()
            key = self._public.get(kid)
        return key

    def jwks(self) -> dict[str, object]:
        if self._clock() - self._loaded_at >= UNKNOWN_KID_REFRESH_SECONDS:
            self._refresh()
        return self._jwks

    def rotate(self) -> str:
        kid, _, pem = _new_key()
        with self._database.transaction() as conn:
            conn.exclusive("signing_keys")
            conn.execute("UPDATE signing_keys SET state = ? WHERE state = ?", (PUBLISHED, ACTIVE))
            _insert(conn, kid, pem)
        self._refresh()
        return kid

    def _refresh(self) -> None:
        with self._lock:
            rows = self._read_rows()
            if not any(state == ACTIVE for _, _, state in rows):
                pending, self._pending = self._pending, None
                kid, _, pem = _new_key() if pending is None else pending.result()
                with self._database.transaction() as conn:
                    conn.exclusive("signing_keys")
                    # Re-checked under the write lock: another process may have created one meanwhile.
                    if conn.fetch_one("SELECT 1 FROM signing_keys WHERE state = ?", (ACTIVE,)) is None:
                        _insert(conn, kid, pem)
                rows = self._read_rows()
            active: tuple[str, RSAPrivateKey] | None = None
            public: dict[str, RSAPublicKey] = {}
            for kid, pem, state in rows:
                if state not in (ACTIVE, PUBLISHED):
                    continue
                key = self._parsed.get(kid)
                if key is None:
                    # Our own keys, generated by this server into its own database: the RSA consistency checks
                    # (tens of milliseconds per key) guard against keys from elsewhere.
                    loaded = _load_pem_private_key(
                        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
                    )
                    if not isinstance(loaded, RSAPrivateKey):
                        continue
                    key = self._parsed[kid] = loaded
                public[kid] = key.public_key()
                if state == ACTIVE:
                    active = (kid, key)
            if active is not None:
                self._active = active
            self._public = public
            self._jwks = {"keys": [public_jwk(kid, key) for kid, key in public.items()]}
            self._loaded_at = self._clock()

    def _has_active_key(self) -> bool:
        with self._database.snapshot() as conn:
            return conn.fetch_one("SELECT 1 FROM signing_keys WHERE state = ?", (ACTIVE,)) is not None

    def _read_rows(self) -> list[tuple[str, str, str]]:
        with self._database.snapshot() as conn:
            rows = conn.fetch_all(
                "SELECT kid, private_key, state FROM signing_keys ORDER BY state = ? DESC, created_at DESC",
                (ACTIVE,),
            )
        return [(str(kid), str(pem), str(state)) for kid, pem, state in rows]


class _KeyInBackground:
    """One new key, generated on a daemon thread from the moment this is made."""

    def __init__(self) -> None:
        self._key: tuple[str, RSAPrivateKey, str] | None = None
        self._thread = threading.Thread(target=self._generate, name="learninggraph-signing-key", daemon=True)
        self._thread.start()

    def _generate(self) -> None:
        self._key = _new_key()

    def result(self) -> tuple[str, RSAPrivateKey, str]:
        self._thread.join()
        # Should the thread have failed, the key is generated here, where its error is seen.
        return _new_key() if self._key is None else self._key
