"""learningProvider use cases: register, read, change and remove a provider of the tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from learninggraph.domain.fields import decode_properties, require_present
from learninggraph.domain.ids import new_id
from learninggraph.domain.principal import Principal
from learninggraph.odata.options import QueryOptions
from learninggraph.resources.learning_providers import repository
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER, REQUIRED_ON_CREATE, WRITABLE
from learninggraph.resources.learning_providers.errors import provider_not_found
from learninggraph.resources.learning_providers.records import ProviderRecord
from learninggraph.storage.database import Database
from learninggraph.storage.listing import Page, count_rows, fetch_page


class LearningProviderService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self, caller: Principal, options: QueryOptions, *, page_size: int) -> Page[ProviderRecord]:
        with self.database.snapshot() as conn:
            return fetch_page(conn, repository.listing(caller.tenant_id), options, page_size=page_size)

    def count(self, caller: Principal, options: QueryOptions) -> int:
        with self.database.snapshot() as conn:
            return count_rows(conn, repository.listing(caller.tenant_id), options)

    def get(self, caller: Principal, provider_id: str) -> ProviderRecord:
        with self.database.snapshot() as conn:
            record = repository.get(conn, caller.tenant_id, provider_id)
        if record is None:
            raise provider_not_found(provider_id)
        return record

    def create(self, caller: Principal, body: dict[str, Any]) -> ProviderRecord:
        decoded = decode_properties(
            LEARNING_PROVIDER,
            body,
            accepted=WRITABLE,
            include_unknown_enum_members=False,
            skip=("@odata.type", "id"),
        )
        require_present(decoded, REQUIRED_ON_CREATE)
        decoded.raise_if_failed()
        values = {"id": new_id(), **decoded.values}
        values.setdefault("isCourseActivitySyncEnabled", False)
        if values["isCourseActivitySyncEnabled"] is None:
            values["isCourseActivitySyncEnabled"] = False
        with self.database.transaction() as conn:
            repository.insert(conn, caller.tenant_id, values, datetime.now(UTC).isoformat())
            record = repository.get(conn, caller.tenant_id, values["id"])
        assert record is not None
        return record

    def update(self, caller: Principal, provider_id: str, body: dict[str, Any]) -> ProviderRecord:
        decoded = decode_properties(
            LEARNING_PROVIDER,
            body,
            accepted=WRITABLE,
            include_unknown_enum_members=False,
            skip=("@odata.type", "id"),
        )
        decoded.raise_if_failed()
        values = dict(decoded.values)
        if "isCourseActivitySyncEnabled" in values and values["isCourseActivitySyncEnabled"] is None:
            values["isCourseActivitySyncEnabled"] = False
        with self.database.transaction() as conn:
            if repository.get(conn, caller.tenant_id, provider_id) is None:
                raise provider_not_found(provider_id)
            repository.update(conn, caller.tenant_id, provider_id, values)
            record = repository.get(conn, caller.tenant_id, provider_id)
        assert record is not None
        return record

    def delete(self, caller: Principal, provider_id: str) -> None:
        with self.database.transaction() as conn:
            if not repository.delete(conn, caller.tenant_id, provider_id):
                raise provider_not_found(provider_id)
