"""The token issuer lives on the server's public origin: discovery, the token endpoint, minted and accepted tokens."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from learninggraph.identity.certs import write_dev_certificates
from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT_ID
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings, listening_origin, public_origin
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraph, LearningGraphServer, running_server
from tests.hardening.crash_cycles import ServerProcess, _free_port

LEARNING_ACTIVITIES = "/v1.0/employeeExperience/learningCourseActivities"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return write_dev_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def trust(certificates: tuple[Path, Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates[0]))


class Served:
    """A server from ``running_server`` with one tenant, and the database to mint tokens from."""

    def __init__(
        self, base_url: str, database: Database, tenant: LearningGraph, trust: ssl.SSLContext
    ) -> None:
        self.base_url = base_url
        self.database = database
        self.tenant = tenant
        self.http = httpx.Client(verify=trust, timeout=30)

    def discovery(self) -> dict[str, str]:
        url = f"{self.base_url}/{self.tenant.tenant_id}/v2.0/.well-known/openid-configuration"
        document: dict[str, str] = self.http.get(url).json()
        return document

    def app_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.tenant.client_id,
            "client_secret": self.tenant.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        token: str = self.http.post(self.discovery()["token_endpoint"], data=form).json()["access_token"]
        return token

    def minted_under(self, public_url: str | None) -> str:
        """An application token signed with the server's own key, naming ``public_url`` as its issuer."""
        settings = Settings(database_url=self.database.url, public_url=public_url)
        minter = TokenIssuer(keys=SigningKeys.load_or_create(self.database), settings=settings)
        app = Directory(self.database).application(self.tenant.client_id)
        assert app is not None
        return minter.application_token(app)[0]

    def list_activities(self, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return self.http.get(f"{self.base_url}{LEARNING_ACTIVITIES}", headers=headers).status_code


@contextmanager
def _serve(
    database_url: str, trust: ssl.SSLContext, public_url: str | None = None, **uvicorn_options: Any
) -> Iterator[Served]:
    settings = Settings(database_url=database_url, create_dev_identity=False, public_url=public_url)
    with running_server(settings, **uvicorn_options) as base_url:
        database = Database(database_url)
        directory = Directory(database)
        served = Served(base_url, database, LearningGraphServer(base_url, directory).new_tenant(), trust)
        try:
            yield served
        finally:
            served.http.close()
            database.close()


@pytest.fixture
def https_server(
    fresh_database_url: str, certificates: tuple[Path, Path, Path], trust: ssl.SSLContext
) -> Iterator[Served]:
    _, cert, key = certificates
    with _serve(fresh_database_url, trust, ssl_certfile=str(cert), ssl_keyfile=str(key)) as served:
        yield served


def test_discovery_names_the_servers_own_https_origin_as_the_issuer(https_server: Served) -> None:
    document = https_server.discovery()

    assert https_server.base_url.startswith("https://127.0.0.1:")
    assert document["issuer"] == f"{https_server.base_url}/{https_server.tenant.tenant_id}/v2.0"
    assert document["token_endpoint"].startswith(f"{https_server.base_url}/")


def test_a_token_from_the_endpoint_carries_the_discovery_issuer_and_is_accepted(https_server: Served) -> None:
    token = https_server.app_token()

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == https_server.discovery()["issuer"]
    assert https_server.list_activities(token) == 200


def test_a_token_minted_under_the_former_fixed_issuer_is_refused(https_server: Served) -> None:
    token = https_server.minted_under(None)

    assert jwt.decode(token, options={"verify_signature": False})["iss"].startswith(
        "https://login.learninggraph.local/"
    )
    assert https_server.list_activities(token) == 401


def test_a_token_naming_another_origin_is_refused_even_with_the_servers_signature(
    https_server: Served,
) -> None:
    assert https_server.list_activities(https_server.minted_under("https://elsewhere.example")) == 401
    assert https_server.list_activities(https_server.minted_under(https_server.base_url)) == 200


def test_a_public_url_setting_puts_the_issuer_on_the_proxys_origin(
    fresh_database_url: str, trust: ssl.SSLContext
) -> None:
    with _serve(fresh_database_url, trust, public_url="https://learning.contoso.example") as served:
        token = served.app_token()

        assert (
            served.discovery()["issuer"] == f"https://learning.contoso.example/{served.tenant.tenant_id}/v2.0"
        )
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == served.discovery()["issuer"]
        assert served.list_activities(token) == 200


def _dev_discovery(base_url: str, trust: ssl.SSLContext | bool = True) -> dict[str, str]:
    url = f"{base_url}/{DEV_TENANT_ID}/v2.0/.well-known/openid-configuration"
    document: dict[str, str] = httpx.get(url, verify=trust, timeout=5).json()
    return document


def _dev_token_issuer(base_url: str, trust: ssl.SSLContext | bool = True) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEV_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
        "scope": "https://graph.microsoft.com/.default",
    }
    response = httpx.post(f"{base_url}/{DEV_TENANT_ID}/oauth2/v2.0/token", data=form, verify=trust, timeout=5)
    issuer: str = jwt.decode(response.json()["access_token"], options={"verify_signature": False})["iss"]
    return issuer


def test_serve_with_tls_names_its_https_listening_address_as_the_issuer(
    tmp_path: Path, certificates: tuple[Path, Path, Path], trust: ssl.SSLContext
) -> None:
    _, cert, key = certificates
    port = _free_port()
    command = [sys.executable, "-m", "learninggraph", "serve", "--database", f"sqlite:///{tmp_path}/tls.db"]
    command += ["--port", str(port), "--certfile", str(cert), "--keyfile", str(key)]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    base_url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                document = _dev_discovery(base_url, trust)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)

        assert document["issuer"] == f"{base_url}/{DEV_TENANT_ID}/v2.0"
        assert _dev_token_issuer(base_url, trust) == document["issuer"]
    finally:
        process.terminate()
        announced, _ = process.communicate(timeout=10)
    # The delegated-token command it prints mints for this server.
    assert f"--scope LearningProvider.ReadWrite --public-url {base_url}\n" in announced


def test_serve_takes_its_public_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNINGGRAPH_PUBLIC_URL", "https://Learning.Contoso.Example:443/")
    server = ServerProcess(f"sqlite:///{tmp_path}/proxied.db", tmp_path)
    server.start()
    try:
        issuer = f"https://learning.contoso.example/{DEV_TENANT_ID}/v2.0"

        assert _dev_discovery(server.base_url)["issuer"] == issuer
        assert _dev_token_issuer(server.base_url) == issuer
    finally:
        server.stop()


def test_serve_takes_its_public_url_from_the_flag_before_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNINGGRAPH_PUBLIC_URL", "https://from-the-environment.example")
    server = ServerProcess(
        f"sqlite:///{tmp_path}/flagged.db",
        tmp_path,
        extra_args=("--public-url", "http://lg.contoso.example:8080"),
    )
    server.start()
    try:
        assert (
            _dev_discovery(server.base_url)["issuer"]
            == f"http://lg.contoso.example:8080/{DEV_TENANT_ID}/v2.0"
        )
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("HTTPS://Learning.Contoso.Example:443/", "https://learning.contoso.example"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_a_public_url_is_kept_as_its_origin(given: str, origin: str) -> None:
    assert public_origin(given) == origin


@pytest.mark.parametrize(
    "given", ["ftp://host", "https://host/v1.0", "https://user:secret@host", "https://host?x=1", "host:8000"]
)
def test_a_public_url_that_is_not_an_http_origin_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="public URL"):
        public_origin(given)


@pytest.mark.parametrize(
    ("host", "tls", "origin"),
    [
        ("127.0.0.1", False, "http://127.0.0.1:8000"),
        ("0.0.0.0", True, "https://127.0.0.1:8000"),
        ("::", False, "http://[::1]:8000"),
        ("Localhost", True, "https://localhost:8000"),
    ],
)
def test_a_listening_address_gives_the_origin_clients_reach(host: str, tls: bool, origin: str) -> None:
    assert listening_origin(host, 8000, tls=tls) == origin
