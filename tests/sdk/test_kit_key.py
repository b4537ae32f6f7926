"""The test kit's signing key, kept per machine: brought into each new database, kept owner-only, never used
when others could read or change it, and never by a server that ``create_app`` starts on its own."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from learninggraph import kit_key
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import active_key_pem
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import local_server, running_server

# Each starts a server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

posix_only = pytest.mark.skipif(os.name != "posix", reason="owner-only files are POSIX modes")


def _new_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _database_key(path: Path) -> str | None:
    database = Database(f"sqlite:///{path}")
    try:
        return active_key_pem(database)
    finally:
        database.close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(kit_key.ENVIRONMENT, str(folder))
    return folder


def test_a_new_kit_database_signs_with_the_kept_key(cache: Path, tmp_path: Path) -> None:
    pem = _new_pem()
    assert kit_key.keep_key(pem)

    with local_server(tmp_path / "kit.db") as server:
        assert server.new_tenant().app_token()

    assert _database_key(tmp_path / "kit.db") == pem


@posix_only
def test_the_first_kit_process_keeps_the_key_it_generated_for_the_user_alone(
    cache: Path, tmp_path: Path
) -> None:
    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant().app_token()

    kept = cache / kit_key.FILE_NAME
    assert kept.read_text(encoding="ascii") == _database_key(tmp_path / "kit.db")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@posix_only
def test_a_kept_key_others_may_read_is_not_used(cache: Path, tmp_path: Path) -> None:
    pem = _new_pem()
    kit_key.keep_key(pem)
    (cache / kit_key.FILE_NAME).chmod(0o644)

    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant().app_token()

    assert _database_key(tmp_path / "kit.db") not in (None, pem)


@posix_only
def test_a_key_folder_others_may_enter_is_neither_read_nor_written(cache: Path) -> None:
    pem = _new_pem()
    kit_key.keep_key(pem)
    cache.chmod(0o755)

    assert kit_key.cached_key() is None
    assert not kit_key.keep_key(_new_pem())
    assert (cache / kit_key.FILE_NAME).read_text(encoding="ascii") == pem


def test_what_is_no_key_in_the_cache_is_replaced_by_the_servers_own(cache: Path, tmp_path: Path) -> None:
    kit_key.keep_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")

    with local_server(tmp_path / "kit.db") as server:
        assert server.new_tenant().app_token()

    assert (cache / kit_key.FILE_NAME).read_text(encoding="ascii") == _database_key(tmp_path / "kit.db")


def test_a_process_that_signed_no_token_still_keeps_a_key(cache: Path, tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant()

    assert kit_key.cached_key() is not None


def test_the_cache_turned_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kit_key.ENVIRONMENT, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant()

    assert kit_key.cache_folder() is None
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_by_default_the_key_is_kept_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(kit_key.ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    expected = (
        tmp_path / "xdg" / "learninggraph" if sys.platform.startswith("linux") else kit_key.cache_folder()
    )
    assert kit_key.cache_folder() == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is the Linux cache folder")
def test_a_relative_xdg_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kit_key.ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))

    assert kit_key.cache_folder() == tmp_path / ".cache" / "learninggraph"


def test_a_server_started_on_its_own_never_signs_with_the_kept_key(cache: Path, tmp_path: Path) -> None:
    pem = _new_pem()
    kit_key.keep_key(pem)

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'served.db'}")
    with running_server(settings) as base_url:
        database = Database(settings.database_url)
        tenant = Directory(database).create_tenant(name="Contoso")
        database.close()
        keys = httpx.get(f"{base_url}/{tenant.id}/discovery/v2.0/keys").json()["keys"]

    assert len(keys) == 1
    assert _database_key(tmp_path / "served.db") not in (None, pem)
