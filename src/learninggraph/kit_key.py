"""The test kit's signing key, kept per machine in the user's cache folder so a new test process need not
generate a 2048-bit RSA key before its first test (tens to hundreds of milliseconds of CPU).

Only the test kit's throwaway servers use it (``learninggraph.testing.local_server``); a server started with
``serve`` generates and keeps its own key in its database as before. The file is the user's alone: its folder is
created owner-only, the file is written owner-only and replaced whole, and a file that another user owns or that
others may read or write is never used (the kit then generates a key for its database, as without a cache).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from learninggraph.storage.database import Database

FILE_NAME = "test-kit-signing-key.pem"
# LEARNINGGRAPH_TEST_KEY_CACHE=off: no key is read or kept; a folder: the key is kept there.
ENVIRONMENT = "LEARNINGGRAPH_TEST_KEY_CACHE"


def cache_folder() -> Path | None:
    """Where the key is kept: ``$LEARNINGGRAPH_TEST_KEY_CACHE``, else the platform's user cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``, ``~/Library/Caches``, ``%LOCALAPPDATA%``) under ``learninggraph``;
    ``None`` when turned off or no home is known."""
    chosen = os.environ.get(ENVIRONMENT, "").strip()
    if chosen.lower() in {"off", "0", "no", "false"}:
        return None
    if chosen:
        return Path(chosen)
    try:
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            xdg = Path(os.environ.get("XDG_CACHE_HOME") or "")
            # A relative XDG_CACHE_HOME is to be ignored (the XDG spec).
            base = xdg if xdg.is_absolute() else Path.home() / ".cache"
    except RuntimeError:  # no home folder
        return None
    # A relative base (no home known) is no place to keep a key: it would follow the working directory.
    return base / "learninggraph" if base.is_absolute() else None


def _owner_only(path: Path) -> bool:
    if os.name != "posix":
        return True
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def cached_key(folder: Path | None = None) -> str | None:
    """The kept key's PEM text; ``None`` if there is none, or it is not the user's alone, or unreadable."""
    folder = cache_folder() if folder is None else folder
    if folder is None:
        return None
    path = folder / FILE_NAME
    try:
        if not (_owner_only(folder) and _owner_only(path)):
            return None
        pem = path.read_text(encoding="ascii")
    except (OSError, ValueError):
        return None
    return pem if pem.startswith("-----BEGIN PRIVATE KEY-----") else None


def keep_key(pem: str, folder: Path | None = None) -> bool:
    """Keeps ``pem`` for the next test processes; whether it was kept (never an error: the cache is optional)."""
    folder = cache_folder() if folder is None else folder
    if folder is None:
        return False
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owner_only(folder):
            return False
        # mkstemp creates the file owner-only; replacing the whole file keeps concurrent writers from mixing.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".key-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(pem)
            os.replace(temporary, folder / FILE_NAME)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def bring_kept_key(database: Database) -> bool:
    """Migrates a new database and makes the kept key its active key; whether there was a kept key."""
    from learninggraph.identity.keys import add_active_key
    from learninggraph.resources import registry
    from learninggraph.storage.migrations import upgrade

    pem = cached_key()
    if pem is None:
        return False
    upgrade(database, registry.migrations(registry.served()))
    try:
        add_active_key(database, pem)
    except (
        ValueError,
        TypeError,
    ):  # not a key after all: the server generates one, kept for the next processes
        return False
    return True


def keep_key_of(database: Database) -> bool:
    """Keeps the active key of ``database`` (the one its server generated) for the next test processes; a new
    key if the server never stored its own (no token was signed: it is stored when first needed)."""
    from learninggraph.identity.keys import active_key_pem, new_key_pem

    return keep_key(active_key_pem(database) or new_key_pem())
