"""Servers and tenants of their own for storage tests: any database URL, any number of servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.builders import LEARNER_ROLES, Tenant

# Servers sharing a database sit behind one public address, as behind a load balancer: one token issuer.
PUBLIC_URL = "http://learninggraph.test"


@contextmanager
def servers_on(database_url: str, count: int = 1, **settings_overrides: Any) -> Iterator[list[str]]:
    """``count`` learninggraph servers sharing one database; yields their base URLs."""
    settings = Settings(
        database_url=database_url, create_dev_identity=False, public_url=PUBLIC_URL, **settings_overrides
    )
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(settings)) for _ in range(count)]


@contextmanager
def tenant_on(database_url: str, base_url: str) -> Iterator[Tenant]:
    """A fresh tenant with a licensed learner, written straight into the database the server uses."""
    database = Database(database_url)
    try:
        settings = Settings(database_url=database_url, create_dev_identity=False, public_url=PUBLIC_URL)
        issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)
        directory = Directory(database)
        created = directory.create_tenant(name="Contoso")
        learner = directory.create_user(
            tenant_id=created.id, display_name="Ada Learner", licensed=True, roles=LEARNER_ROLES
        )
        world = Tenant(base_url, directory, issuer, created.id, learner)
        try:
            yield world
        finally:
            world.close()
    finally:
        database.close()
