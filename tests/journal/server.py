"""A server of a test's own on a fresh database, with a tenant and an app that can sign in to it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.testing import running_server


@dataclass(frozen=True)
class World:
    """A migrated database with one tenant, one app (all application permissions) and its secret."""

    database_url: str
    tenant_id: str
    client_id: str
    client_secret: str

    def token(self, base_url: str) -> str:
        """An application token of the world's app for the server at ``base_url`` (its address is the issuer)."""
        database = Database(self.database_url)
        try:
            settings = Settings(database_url=self.database_url, public_url=base_url)
            issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)
            app = Directory(database).application(self.client_id)
            assert app is not None
            return issuer.application_token(app)[0]
        finally:
            database.close()

    def new_app(self, base_url: str, permissions: Iterable[str]) -> tuple[str, str]:
        """Another app of the tenant holding ``permissions``: its client id and a token for ``base_url``."""
        database = Database(self.database_url)
        try:
            settings = Settings(database_url=self.database_url, public_url=base_url)
            issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)
            app, _ = Directory(database).create_application(
                tenant_id=self.tenant_id, name=f"app-{uuid.uuid4().hex[:6]}", permissions=permissions
            )
            return app.client_id, issuer.application_token(app)[0]
        finally:
            database.close()


def world(database_url: str) -> World:
    database = Database(database_url)
    try:
        upgrade(database)
        directory = Directory(database)
        tenant = directory.create_tenant(name="Journal test")
        app, secret = directory.create_application(
            tenant_id=tenant.id, name="journal test app", permissions=APPLICATION_PERMISSIONS
        )
        return World(database_url, tenant.id, app.client_id, secret)
    finally:
        database.close()


@contextmanager
def serving(world: World, **settings: object) -> Iterator[str]:
    """``running_server`` on the world's database; every entry is stored once the block ends."""
    base = Settings(database_url=world.database_url, create_dev_identity=False)
    with running_server(dataclasses.replace(base, **settings)) as url:  # type: ignore[arg-type]
        yield url
