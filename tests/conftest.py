"""Shared fixtures: one real server per session on the chosen database, and a fresh tenant per test."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator

import pytest

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.builders import LEARNER_ROLES, Catalogue, Tenant
from tests.postgres_server import PostgresServer, find_bin_dir

# SQLite unless LEARNINGGRAPH_TEST_DATABASE=postgresql (or --database-backend) asks for PostgreSQL; then
# the session starts its own throwaway server. Tests marked postgresql are skipped on SQLite.
BACKEND_VARIABLE = "LEARNINGGRAPH_TEST_DATABASE"
BACKENDS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-backend",
        choices=sorted(BACKENDS),
        default=None,
        help=f"database for the whole suite (default: ${BACKEND_VARIABLE} or sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL backend")
    config.addinivalue_line("markers", "sqlite: shows what only the SQLite backend does")
    config.addinivalue_line(
        "markers", "backend_independent: uses no session database; runs in the SQLite pass only"
    )


def _backend(config: pytest.Config) -> str:
    chosen = config.getoption("--database-backend") or os.environ.get(BACKEND_VARIABLE) or "sqlite"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_VARIABLE}={chosen!r}: use sqlite or postgresql")
    return BACKENDS[chosen]


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {_backend(config)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    other = "sqlite" if _backend(config) == "postgresql" else "postgresql"
    skip = pytest.mark.skip(reason=f"needs {other}: run with {BACKEND_VARIABLE}={other}")
    once = pytest.mark.skip(reason="backend-independent: runs in the SQLite pass")
    for item in items:
        if other == "sqlite" and item.get_closest_marker("backend_independent") is not None:
            item.add_marker(once)
        if item.get_closest_marker(other) is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    """``sqlite`` or ``postgresql``: the database every server of this session runs on."""
    return _backend(pytestconfig)


@pytest.fixture(scope="session")
def postgres_server(backend: str) -> Iterator[PostgresServer]:
    """The session's private PostgreSQL (only with the postgresql backend)."""
    if backend != "postgresql":
        pytest.skip("needs the PostgreSQL backend")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)")
    server = PostgresServer(bin_dir)
    yield server
    server.close()


@pytest.fixture(scope="session")
def new_database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], str]:
    """Makes an empty database on the session's backend (not yet migrated) and returns its URL.

    On PostgreSQL that is a fresh schema of one shared database: as empty, and much faster to make.
    """

    server: PostgresServer | None = None
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")

    def make() -> str:
        if server is not None:
            return server.create_schema()
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'learninggraph.db'}"

    return make


@pytest.fixture(scope="session")
def settings(new_database_url: Callable[[], str]) -> Settings:
    return Settings(database_url=new_database_url(), create_dev_identity=False)


@pytest.fixture
def fresh_database_url(new_database_url: Callable[[], str]) -> str:
    """An empty database on the session's backend, for one test (not yet migrated)."""
    return new_database_url()


@pytest.fixture(scope="session")
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture(scope="session")
def database(settings: Settings, base_url: str) -> Iterator[Database]:
    db = Database(settings.database_url)
    yield db
    db.close()


@pytest.fixture(scope="session")
def issuer(settings: Settings, base_url: str, database: Database) -> TokenIssuer:
    """Mints tokens as the session's server does: its address is their issuer."""
    minting = dataclasses.replace(settings, public_url=base_url)
    return TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)


def _new_tenant(base_url: str, database: Database, issuer: TokenIssuer, name: str) -> Tenant:
    directory = Directory(database)
    created = directory.create_tenant(name=name)
    learner = directory.create_user(
        tenant_id=created.id, display_name="Ada Learner", licensed=True, roles=LEARNER_ROLES
    )
    return Tenant(base_url, directory, issuer, created.id, learner)


@pytest.fixture
def tenant(base_url: str, database: Database, issuer: TokenIssuer) -> Iterator[Tenant]:
    world = _new_tenant(base_url, database, issuer, "Contoso")
    yield world
    world.close()


@pytest.fixture
def other_tenant(base_url: str, database: Database, issuer: TokenIssuer) -> Iterator[Tenant]:
    """A second tenant on the same server, for isolation tests."""
    world = _new_tenant(base_url, database, issuer, "Fabrikam")
    yield world
    world.close()


@pytest.fixture
def catalogue(tenant: Tenant) -> Catalogue:
    provider = tenant.provider()
    content = tenant.content(provider["id"])
    return Catalogue(tenant, provider["id"], content["id"])
