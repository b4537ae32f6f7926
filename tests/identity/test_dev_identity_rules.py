"""The public development identity exists only where it is harmless: loopback binds, unless forced."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from learninggraph.identity.dev import (
    DEV_CLIENT_ID,
    DEV_CLIENT_SECRET,
    DEV_PASSWORD,
    DEV_TENANT_ID,
    DEV_USER_ID,
    DEV_USER_PRINCIPAL_NAME,
    apply_dev_identity_rules,
    dev_credentials,
    ensure_dev_identity,
    is_loopback,
)
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_recognised(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "learning.example.com"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_serving_on_a_public_address_creates_no_dev_identity(db: Database) -> None:
    created = apply_dev_identity_rules(db, Settings(), host="0.0.0.0", warn=io.StringIO())

    assert created is False and not Directory(db).has_tenants()


def test_forcing_the_dev_identity_on_a_public_address_creates_it_with_a_loud_warning(db: Database) -> None:
    warning = io.StringIO()

    created = apply_dev_identity_rules(db, Settings(force_dev_identity=True), host="0.0.0.0", warn=warning)

    assert created is True and dev_credentials(Directory(db)) is not None
    assert warning.getvalue().startswith("WARNING: the development identity is enabled on the non-loopback")


def test_serving_on_a_public_address_disables_an_existing_dev_identity(db: Database) -> None:
    directory = Directory(db)
    ensure_dev_identity(directory)
    note = io.StringIO()

    apply_dev_identity_rules(db, Settings(), host="192.0.2.10", warn=note)

    assert dev_credentials(directory) is None and "--force-dev-identity" in note.getvalue()
    assert directory.tenant(DEV_TENANT_ID) is not None  # disabled, not deleted


def test_the_dev_user_is_an_administrator_and_the_dev_app_a_public_client_with_every_consent(
    directory: Directory,
) -> None:
    ensure_dev_identity(directory)

    app = directory.application(DEV_CLIENT_ID)
    user = directory.user(DEV_TENANT_ID, DEV_USER_ID)
    assert app is not None and app.public_client and len(app.delegated_permissions) == 8
    assert user is not None and user.directory_roles == {"Knowledge Administrator"}


# `serve` itself, as a separate process on loopback


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve(database_url: str, *flags: str) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "LEARNINGGRAPH_DEV_IDENTITY"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learninggraph",
            "serve",
            "--port",
            str(port),
            "--database",
            database_url,
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {process.communicate()[1]!r}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stderr is not None:
            process.stderr.close()


def _dev_sign_in(base_url: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/{DEV_TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": DEV_CLIENT_ID,
            "username": DEV_USER_PRINCIPAL_NAME,
            "password": DEV_PASSWORD,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )


def test_no_dev_identity_disables_an_existing_one_and_serving_without_it_enables_it_again(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    database = Database(url)
    with _serve(url) as base_url:
        assert _dev_sign_in(base_url).status_code == 200
    earlier_token = TokenIssuer(
        keys=SigningKeys.load_or_create(database), settings=Settings()
    ).application_token(
        Directory(database).authenticate_client(DEV_TENANT_ID, DEV_CLIENT_ID, DEV_CLIENT_SECRET)
    )[0]
    database.close()

    with _serve(url, "--no-dev-identity") as base_url:
        refused = _dev_sign_in(base_url)
        old_token = httpx.get(
            f"{base_url}/v1.0/employeeExperience/learningProviders/x/learningContents",
            headers={"Authorization": f"Bearer {earlier_token}"},
        )
    with _serve(url) as base_url:
        again = _dev_sign_in(base_url)

    assert refused.status_code == 400 and refused.json()["error_codes"] == [7000112]
    assert old_token.status_code == 401
    assert again.status_code == 200


def test_the_environment_variable_disables_an_existing_dev_identity_too(db: Database) -> None:
    ensure_dev_identity(Directory(db))

    apply_dev_identity_rules(
        db, Settings.from_env({"LEARNINGGRAPH_DEV_IDENTITY": "0"}), host="127.0.0.1", warn=io.StringIO()
    )

    assert dev_credentials(Directory(db)) is None
