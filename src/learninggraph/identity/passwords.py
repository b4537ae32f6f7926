"""User passwords and client secrets: scrypt hashes for passwords, salted SHA-256 digests for secrets."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import string

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32
_SECRET_ALPHABET = string.ascii_letters + string.digits + "_.~-"


def new_client_secret() -> str:
    """A secret shaped like Entra's: three characters, ``8Q~``, then 34 more."""
    body = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(37))
    return f"{body[:3]}8Q~{body[3:]}"


def secret_digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored: list[tuple[str, str]]) -> bool:
    """Whether ``secret`` is one of the stored (salt, digest) pairs; every pair is compared."""
    matched = False
    for salt, digest in stored:
        matched |= hmac.compare_digest(secret_digest(salt, secret), digest)
    return matched


def hash_password(password: str, *, cost: int = _SCRYPT_N) -> str:
    """An scrypt hash carrying its parameters. ``cost`` (scrypt's N): lower only for random throwaway passwords
    (the test kit's users), where it makes every sign-in cheap and guards nothing guessable."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=cost, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return f"scrypt${cost}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """Runs scrypt (tens of milliseconds of CPU): call it off the event loop."""
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
def dummy_hash() -> str:
    """Spent on unknown users so a wrong user name costs as much time as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))
