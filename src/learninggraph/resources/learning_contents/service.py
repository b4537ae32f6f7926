"""learningContent use cases: the provider's upsert by externalId, reads, and removal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learninggraph.domain.errors import BadRequest, NotFound, ValidationFailed, field_invalid
from learninggraph.domain.fields import (
    Decoded,
    decode_properties,
    key_errors,
    require_present,
)
from learninggraph.domain.ids import new_id
from learninggraph.domain.principal import Principal
from learninggraph.odata.options import QueryOptions
from learninggraph.resources.learning_contents import repository
from learninggraph.resources.learning_contents.entity import (
    DEFAULTS,
    EXTERNAL_ID,
    LEARNING_CONTENT,
    REQUIRED_ON_CREATE,
    WRITABLE,
)
from learninggraph.resources.learning_contents.errors import content_not_found, external_id_taken
from learninggraph.resources.learning_contents.records import ContentRecord
from learninggraph.resources.learning_providers import queries as providers
from learninggraph.storage.database import Connection, Database, UniqueViolation
from learninggraph.storage.listing import Page, count_rows, fetch_page

_REPLACED = WRITABLE - {"externalId"}


@dataclass(frozen=True, slots=True)
class ContentKey:
    """How a request names one content: by ``id`` or by the provider's ``externalId``."""

    provider_id: str
    content_id: str | None = None
    external_id: str | None = None


def _not_found(key: ContentKey, conn: Connection | None = None, tenant_id: str = "") -> NotFound:
    nearby: list[str] = []
    if conn is not None and key.external_id is not None:
        nearby = repository.nearby_external_ids(conn, tenant_id, key.provider_id, key.external_id)
    return content_not_found(key.content_id, key.external_id, nearby)


class LearningContentService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def list(
        self, caller: Principal, provider_id: str, options: QueryOptions, *, page_size: int
    ) -> Page[ContentRecord]:
        with self.database.snapshot() as conn:
            _require_provider(conn, caller, provider_id)
            return fetch_page(
                conn, repository.listing(caller.tenant_id, provider_id), options, page_size=page_size
            )

    def count(self, caller: Principal, provider_id: str, options: QueryOptions) -> int:
        with self.database.snapshot() as conn:
            _require_provider(conn, caller, provider_id)
            return count_rows(conn, repository.listing(caller.tenant_id, provider_id), options)

    def get(self, caller: Principal, key: ContentKey) -> ContentRecord:
        _check_key(key)
        with self.database.snapshot() as conn:
            _require_provider(conn, caller, key.provider_id)
            record = _find(conn, caller, key)
            if record is None:
                raise _not_found(key, conn, caller.tenant_id)
        return record

    def create(self, caller: Principal, provider_id: str, body: dict[str, Any]) -> ContentRecord:
        decoded = _decode(body)
        require_present(decoded, REQUIRED_ON_CREATE)
        decoded.raise_if_failed()
        with self.database.transaction() as conn:
            _require_provider(conn, caller, provider_id)
            return self._insert(conn, caller, provider_id, decoded.values)

    def upsert(self, caller: Principal, key: ContentKey, body: dict[str, Any]) -> ContentRecord:
        """Creates the content when the key names none, else replaces its metadata with the body's.

        As the update page says, an existing content's metadata is replaced: a property the body leaves
        out returns to null, or to its default (isActive, isPremium, isSearchable).
        """
        decoded = _decode(body)
        if key.external_id is not None:
            decoded.errors.extend(key_errors(EXTERNAL_ID, key.external_id))
        sent_external_id = decoded.values.get("externalId")
        if key.external_id is not None and sent_external_id not in (None, key.external_id):
            decoded.fail(field_invalid("externalId"))
        decoded.raise_if_failed()
        with self.database.transaction() as conn:
            _require_provider(conn, caller, key.provider_id)
            record = _find(conn, caller, key)
            if record is None:
                if key.external_id is None:
                    raise _not_found(key)
                values = {"externalId": key.external_id, **decoded.values}
                return self._insert(conn, caller, key.provider_id, values, check_required=True)
            if sent_external_id is not None and sent_external_id != record.external_id:
                # The alternate key is immutable once set.
                raise BadRequest("Input field externalId is invalid", details=[field_invalid("externalId")])
            replacement = _replacement(record.external_id, decoded.values)
            repository.update(conn, caller.tenant_id, record.id, replacement)
            updated = repository.get(conn, caller.tenant_id, key.provider_id, record.id)
        assert updated is not None
        return updated

    def delete(self, caller: Principal, key: ContentKey) -> None:
        _check_key(key)
        with self.database.transaction() as conn:
            _require_provider(conn, caller, key.provider_id)
            record = _find(conn, caller, key)
            if record is None:
                raise _not_found(key, conn, caller.tenant_id)
            repository.delete(conn, caller.tenant_id, record.id)

    def _insert(
        self,
        conn: Connection,
        caller: Principal,
        provider_id: str,
        values: dict[str, Any],
        *,
        check_required: bool = False,
    ) -> ContentRecord:
        if check_required:
            check = _with(values)
            require_present(check, REQUIRED_ON_CREATE)
            check.raise_if_failed()
        stored = {"id": new_id(), **DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
        for name, default in DEFAULTS.items():
            if values.get(name, default) is None:
                stored[name] = default
        try:
            repository.insert(conn, caller.tenant_id, provider_id, stored)
        except UniqueViolation:
            raise external_id_taken(stored["externalId"]) from None
        record = repository.get(conn, caller.tenant_id, provider_id, stored["id"])
        assert record is not None
        return record


def _decode(body: dict[str, Any]) -> Decoded:
    return decode_properties(
        LEARNING_CONTENT,
        body,
        accepted=WRITABLE,
        include_unknown_enum_members=False,
        skip=("@odata.type", "id"),
    )


def _replacement(external_id: str, sent: dict[str, Any]) -> dict[str, Any]:
    """Every writable property: what was sent, else null or its default; the required ones must be sent."""
    check = _with({**sent, "externalId": external_id})
    require_present(check, REQUIRED_ON_CREATE)
    check.raise_if_failed()
    values: dict[str, Any] = {p.name: None for p in LEARNING_CONTENT.properties if p.name in _REPLACED}
    values.update(DEFAULTS)
    for name, value in sent.items():
        if name != "externalId" and not (value is None and name in DEFAULTS):
            values[name] = value
    return values


def _with(values: dict[str, Any]) -> Decoded:
    return Decoded(values={k: v for k, v in values.items() if v is not None})


def _check_key(key: ContentKey) -> None:
    """The externalId of a key segment is validated as the body's externalId is."""
    if key.external_id is not None:
        problems = key_errors(EXTERNAL_ID, key.external_id)
        if problems:
            raise ValidationFailed(problems)


def _require_provider(conn: Connection, caller: Principal, provider_id: str) -> None:
    providers.require_registered(conn, caller.tenant_id, provider_id)


def _find(conn: Connection, caller: Principal, key: ContentKey) -> ContentRecord | None:
    if key.content_id is not None:
        return repository.get(conn, caller.tenant_id, key.provider_id, key.content_id)
    assert key.external_id is not None
    return repository.get_by_external_id(conn, caller.tenant_id, key.provider_id, key.external_id)
