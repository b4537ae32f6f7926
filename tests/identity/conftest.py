"""Identity fixtures: a fresh SQLite directory per test, real RSA keys, and real loopback servers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from learninggraph.domain.permissions import (
    ASSIGNED_READ_WRITE_ALL,
    CONTENT_READ_ALL,
    CONTENT_READ_WRITE_ALL,
    PROVIDER_READ,
    PROVIDER_READ_WRITE,
)
from learninggraph.http.edge import Edge
from learninggraph.http.pipeline import request_steps
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Router
from learninggraph.identity.directory import Application, Directory, Tenant, User
from learninggraph.identity.endpoints import routes
from learninggraph.identity.keys import SigningKeys, public_jwk, thumbprint
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

PASSWORD = "correct horse battery staple"
CONSENTED = frozenset({PROVIDER_READ, PROVIDER_READ_WRITE, CONTENT_READ_ALL})


@dataclass(frozen=True)
class Contoso:
    """A tenant with one confidential application (two roles, three consented delegated permissions) and
    one licensed user who has a password."""

    tenant: Tenant
    app: Application
    secret: str
    user: User
    password: str = PASSWORD


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "identity.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{db_path}")
    upgrade(database)
    yield database
    database.close()


@pytest.fixture
def config(db_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{db_path}", create_dev_identity=False)


@pytest.fixture
def directory(db: Database) -> Directory:
    return Directory(db)


@pytest.fixture
def keys(db: Database) -> SigningKeys:
    return SigningKeys.load_or_create(db)


@pytest.fixture
def minter(keys: SigningKeys, config: Settings) -> TokenIssuer:
    return TokenIssuer(keys=keys, settings=config)


@pytest.fixture
def verifier(keys: SigningKeys, directory: Directory, config: Settings) -> TokenVerifier:
    return TokenVerifier(keys=keys, directory=directory, settings=config)


@pytest.fixture
def contoso(directory: Directory) -> Contoso:
    tenant = directory.create_tenant(name="Contoso")
    app, secret = directory.create_application(
        tenant_id=tenant.id,
        name="Contoso LMS",
        permissions=[CONTENT_READ_WRITE_ALL, ASSIGNED_READ_WRITE_ALL],
        delegated_permissions=CONSENTED,
    )
    user = directory.create_user(
        tenant_id=tenant.id, display_name="Adele Vance", licensed=True, password=PASSWORD
    )
    return Contoso(tenant, app, secret, user)


def foreign_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextmanager
def serving(app: Any, **uvicorn_options: Any) -> Iterator[str]:
    """Runs an ASGI app with uvicorn on a free loopback port until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
        **uvicorn_options,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.005)
    scheme = "https" if "ssl_certfile" in uvicorn_options else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def identity_app(
    directory: Directory, minter: TokenIssuer, keys: SigningKeys, verifier: TokenVerifier, config: Settings
) -> Edge:
    """The token service's routes behind the real edge, with an empty Graph router."""
    return Edge(
        pipeline=request_steps(
            graph=Router([]),
            public=Router(routes(directory=directory, issuer=minter, keys=keys, settings=config)),
            authenticator=verifier,
        ),
        reading=Reading(max_body_bytes=1_048_576),
    )


@pytest.fixture
def token_server(identity_app: Edge) -> Iterator[str]:
    with serving(identity_app) as base_url:
        yield base_url


class OidcIssuer:
    """A second OpenID Connect issuer on loopback: its own metadata, JWKS and RSA key."""

    def __init__(self) -> None:
        self.key = foreign_key()
        self.kid = thumbprint(self.key.public_key())
        self.requests: list[str] = []
        # Cleared, the issuer holds every request (for up to 30 s) until it is set again: a slow issuer.
        self.answering = threading.Event()
        self.answering.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                outer.answering.wait(30)
                body: dict[str, object]
                if self.path.endswith("/.well-known/openid-configuration"):
                    issuer = self.path.removesuffix("/.well-known/openid-configuration")
                    body = {"issuer": f"{outer.origin}{issuer}", "jwks_uri": f"{outer.origin}/keys"}
                elif self.path == "/keys":
                    body = {"keys": [public_jwk(outer.kid, outer.key.public_key())]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.template = f"{self.origin}/{{tenantid}}/v2.0"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def issuer(self, tenant_id: str) -> str:
        return self.template.replace("{tenantid}", tenant_id)

    def token(self, tenant_id: str, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "aud": "https://graph.microsoft.com",
            "iss": self.issuer(tenant_id),
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "tid": tenant_id,
            "appid": "11111111-1111-4111-8111-111111111111",
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self.answering.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def oidc_issuer() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer()
    yield issuer
    issuer.close()


VerifierFactory = Callable[..., TokenVerifier]


@pytest.fixture
def make_verifier(keys: SigningKeys, directory: Directory, config: Settings) -> VerifierFactory:
    """A verifier with other settings or another clock, over the same directory and keys."""

    def make(clock: Callable[[], float] = time.time, **settings: Any) -> TokenVerifier:
        changed = Settings(**{"database_url": config.database_url, **settings})
        return TokenVerifier(keys=keys, directory=directory, settings=changed, clock=clock)

    return make
