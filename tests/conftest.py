"""Shared fixtures: one real server per session, and a fresh tenant for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from tests.builders import Catalogue, Tenant
from learninggraph.testing import running_server


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path: Path = tmp_path_factory.mktemp("server") / "learninggraph.db"
    return Settings(database_url=f"sqlite:///{path}", create_dev_identity=False)


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
def issuer(settings: Settings, database: Database) -> TokenIssuer:
    return TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)


def _new_tenant(base_url: str, database: Database, issuer: TokenIssuer, name: str) -> Tenant:
    directory = Directory(database)
    created = directory.create_tenant(name=name)
    learner = directory.create_user(tenant_id=created.id, display_name="Ada Learner", licensed=True)
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
