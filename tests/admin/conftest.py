"""Calling the admin API of the session's server as a tenant's app, administrator or learner."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from learninggraph.domain.roles import GLOBAL_ADMINISTRATOR, GLOBAL_READER, KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Directory
from learninggraph.journal.storage import journal_database_of
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraph, LearningGraphServer
from tests.builders import Tenant
from tests.journal.entries import migrated

ADMIN = "/_learninggraph/admin"
Admin = Callable[[Tenant], httpx.Client]


@pytest.fixture
def as_app() -> Admin:
    """The admin API as an application of the tenant (an app token holding any roles)."""
    return lambda tenant: tenant.client(tenant.app_token(["LearningContent.Read.All"]))


@pytest.fixture
def as_administrator() -> Admin:
    """The admin API as a signed-in Knowledge Administrator of the tenant."""
    return lambda tenant: tenant.user(tenant.new_user(name="Admin", roles=[KNOWLEDGE_ADMINISTRATOR]))


@pytest.fixture
def as_global_administrator() -> Admin:
    return lambda tenant: tenant.user(tenant.new_user(name="Global", roles=[GLOBAL_ADMINISTRATOR]))


@pytest.fixture
def as_learner() -> Admin:
    """A signed-in user without a directory role."""
    return lambda tenant: tenant.user(tenant.new_user(name="Plain Learner"))


@pytest.fixture
def as_global_reader() -> Admin:
    return lambda tenant: tenant.user(tenant.new_user(name="Reader", roles=[GLOBAL_READER]))


def graph_error(response: httpx.Response) -> dict[str, str]:
    """The Graph envelope's code and message (and the request ids it must carry)."""
    error = response.json()["error"]
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    return {"code": error["code"], "message": error["message"]}


def new_app(tenant: Tenant, permissions: list[str]) -> tuple[str, httpx.Client]:
    """A new app of the tenant holding ``permissions``: its client id and a client sending its token."""
    app, _ = tenant.directory.create_application(
        tenant_id=tenant.tenant_id, name=f"app-{len(permissions)}", permissions=permissions
    )
    return app.client_id, tenant.client(tenant.issuer.application_token(app)[0])


@pytest.fixture
def kit(base_url: str, database: Database) -> LearningGraph:
    """The test kit's per-test tenant (``learninggraph.testing.LearningGraph``) on the session's server, so
    its tests run on either backend (the ``learninggraph`` fixture's own server is SQLite)."""
    return LearningGraphServer(base_url, Directory(database)).new_tenant()


@pytest.fixture
def journal_database(fresh_database_url: str) -> Iterator[Database]:
    """The journal's store of a migrated database of its own, for reading stored entries without a server."""
    with migrated(fresh_database_url) as migrated_database, journal_database_of(migrated_database) as journal:
        yield journal
