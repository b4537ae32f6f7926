"""All SQL for learningCourseActivities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from learninggraph.domain.entity import Kind
from learninggraph.domain.fields import is_storable_id
from learninggraph.identity.directory import licence_sql
from learninggraph.resources.learning_contents import queries as contents
from learninggraph.resources.learning_course_activities.entity import LEARNING_COURSE_ACTIVITY
from learninggraph.resources.learning_course_activities.records import (
    ACTIVITY,
    ActivityInContext,
    ActivityRecord,
)
from learninggraph.resources.learning_providers import queries as providers
from learninggraph.storage.database import Connection
from learninggraph.storage.listing import Listing
from learninggraph.storage.rows import Selection, insert_row, update_row

TABLE = "learning_course_activities"
_COLUMN_OF = {p.name: p.column for p in LEARNING_COURSE_ACTIVITY.properties}
# The provider's sync flag and the learner's licence, read by their owners' subqueries in the same
# statement as the activity (one SELECT per PATCH), without locking the provider's or the learner's row.
IN_CONTEXT = Selection(
    ActivityInContext,
    covers=ACTIVITY.fields,
    computed={
        "provider_sync_enabled": providers.sync_state_sql("a.tenant_id", "a.provider_id"),
        "learner_licensed": licence_sql("a.tenant_id", "a.learner_user_id"),
    },
)

# For reading one activity: the provider's sync flag only (a GET does not check the learner's licence).
FOR_READ = Selection(
    ActivityInContext,
    covers=ACTIVITY.fields,
    computed={
        "provider_sync_enabled": providers.sync_state_sql("a.tenant_id", "a.provider_id"),
        "learner_licensed": "NULL",
    },
)


@dataclass(frozen=True, slots=True)
class CreateContext:
    """What a new activity's checks read, for the ids it names: one statement instead of three."""

    provider_id: str | None
    content_id: str | None
    learner_id: str | None
    # The provider's isCourseActivitySyncEnabled (None: no such provider).
    provider_sync_enabled: bool | None
    # The provider owning the content (None: no such content).
    content_provider: str | None
    # The learner's licence (None: no such user).
    learner_licensed: bool | None


_CREATE_CONTEXT = (
    f"SELECT ({providers.sync_state_sql('?', '?')}), ({contents.provider_of_sql('?', '?')}),"
    f" ({licence_sql('?', '?')})"
)


def create_context(
    conn: Connection, tenant_id: str, provider_id: str | None, content_id: str | None, learner_id: str | None
) -> CreateContext:
    """The provider's sync flag, the content's owner and the learner's licence, read without locking."""
    row = conn.fetch_one(
        _CREATE_CONTEXT,
        (tenant_id, _key(provider_id), tenant_id, _key(content_id), tenant_id, _key(learner_id)),
    )
    assert row is not None  # a SELECT without FROM has its one row
    return _context_of((provider_id, content_id, learner_id), row[0], row[1], row[2])


# The ids a create names, as sent: provider, content, learner.
CreateIds = tuple[str | None, str | None, str | None]


def create_contexts(
    conn: Connection, tenant_id: str, ids: Sequence[CreateIds]
) -> dict[CreateIds, CreateContext]:
    """``create_context`` for each of ``ids`` (a bulk write's creates), read in one statement."""
    keys = list(dict.fromkeys(ids))
    params: list[str | None] = []
    for provider_id, content_id, learner_id in keys:
        params += [tenant_id, _key(provider_id), _key(content_id), _key(learner_id)]
    found: dict[CreateIds, CreateContext] = {}
    for n, sync, owner, licensed in conn.fetch_all(_create_contexts_sql(len(keys)), params):
        key = keys[int(n)]
        found[key] = _context_of(key, sync, owner, licensed)
    return found


def _context_of(ids: CreateIds, sync: object, owner: str | None, licensed: object) -> CreateContext:
    """The create context of ``ids`` from its read's columns (the flags read as 0/1 or NULL)."""
    provider_id, content_id, learner_id = ids
    return CreateContext(
        provider_id,
        content_id,
        learner_id,
        None if sync is None else bool(sync),
        owner,
        None if licensed is None else bool(licensed),
    )


def _key(value: str | None) -> str | None:
    return value if value is not None and is_storable_id(value) else None


@lru_cache(maxsize=32)
def _create_contexts_sql(count: int) -> str:
    rows = ", ".join(f"({n}, ?, ?, ?, ?)" for n in range(count))
    return (
        f"WITH k (n, t, p, c, l) AS (VALUES {rows}) SELECT k.n, ({providers.sync_state_sql('k.t', 'k.p')}),"
        f" ({contents.provider_of_sql('k.t', 'k.c')}), ({licence_sql('k.t', 'k.l')}) FROM k"
    )


def created(odata_type: str, values: Mapping[str, Any]) -> ActivityRecord:
    """The record of an activity just inserted with ``values``, as ``get`` would read it back."""
    # Every property None but those inserted, the type under a key no property has; its fields then taken
    # in order at once.
    record = ACTIVITY.one(_FIELDS_OF({**_NO_VALUES, **values, _TYPE: odata_type}))
    assert record is not None
    return record


# The property each field of a record holds, in the fields' order (None: the type, which no property is).
_PROPERTY_AT = tuple(
    {p.column: p.name for p in LEARNING_COURSE_ACTIVITY.properties}.get(field) for field in ACTIVITY.fields
)
assert _PROPERTY_AT.count(None) == 1 and ACTIVITY.fields[_PROPERTY_AT.index(None)] == "odata_type"
_TYPE = "@odata.type"
_NO_VALUES = dict.fromkeys([name for name in _PROPERTY_AT if name is not None])
_FIELDS_OF = itemgetter(*[_TYPE if name is None else name for name in _PROPERTY_AT])


def get(conn: Connection, tenant_id: str, activity_id: str) -> ActivityRecord | None:
    """The activity; inside a write transaction it stays locked until the transaction ends."""
    if not is_storable_id(activity_id):
        return None
    return ACTIVITY.one(
        conn.fetch_one(
            f"SELECT {ACTIVITY.columns} FROM {TABLE} WHERE tenant_id = ? AND id = ?",
            (tenant_id, activity_id),
            lock=True,
        )
    )


def get_in_context(
    conn: Connection, tenant_id: str, activity_id: str, *, reading: bool = False
) -> ActivityInContext | None:
    """The activity with its provider's sync flag and its learner's licence, locked like ``get``;
    ``reading``: without the licence (None), which only writes check."""
    if not is_storable_id(activity_id):
        return None
    selection, sql = _ONE_FOR_READ if reading else _ONE_IN_CONTEXT
    return selection.one(conn.fetch_one(sql, (tenant_id, activity_id), lock=True))


# The statements as constants: the driver's statement cache looks each up by its text, whose hash a string
# built per call would compute again.
_ONE_FOR_READ = (FOR_READ, f"SELECT {FOR_READ.columns} FROM {TABLE} a WHERE tenant_id = ? AND id = ?")
_ONE_IN_CONTEXT = (IN_CONTEXT, f"SELECT {IN_CONTEXT.columns} FROM {TABLE} a WHERE tenant_id = ? AND id = ?")


def find_in_context(
    conn: Connection, tenant_id: str, external_id: str, *, provider_id: str | None
) -> list[ActivityInContext]:
    """The activities with that externalcourseActivityId, in context and locked like ``get_in_context``."""
    select = f"SELECT {IN_CONTEXT.columns} FROM {TABLE} a"
    if provider_id is not None:
        rows = conn.fetch_all(
            f"{select} WHERE tenant_id = ? AND provider_id = ? AND external_id = ?",
            (tenant_id, provider_id, external_id),
            lock=True,
        )
    else:
        rows = conn.fetch_all(
            f"{select} WHERE tenant_id = ? AND external_id = ? LIMIT 2", (tenant_id, external_id), lock=True
        )
    return IN_CONTEXT.all(rows)


def listing(
    tenant_id: str,
    *,
    provider_id: str | None,
    learner_id: str | None,
    types: Sequence[str],
) -> Listing[ActivityRecord]:
    params: list[Any] = [tenant_id]
    if provider_id is not None:
        params.append(provider_id)
    if learner_id is not None:
        params.append(learner_id)
    one_type = len(types) == 1
    if one_type:
        params.append(types[0])
    scope = _SCOPES[provider_id is not None, learner_id is not None, one_type]
    return Listing(TABLE, ACTIVITY, scope, params)


def _scope_sql(provider: bool, learner: bool, one_type: bool) -> str:
    scope = ["tenant_id = ?"]
    if provider:
        scope.append("provider_id = ?")
    if learner:
        scope.append("learner_user_id = ?")
    if one_type:
        scope.append("odata_type = ?")
    return " AND ".join(scope)


# Each scope's text made once (by whether it names a provider, a learner, one type): a page's statement is
# then looked up by the same strings, whose hashes they keep.
_SCOPES = {
    (provider, learner, one_type): _scope_sql(provider, learner, one_type)
    for provider in (False, True)
    for learner in (False, True)
    for one_type in (False, True)
}


def insert(conn: Connection, tenant_id: str, odata_type: str, values: Mapping[str, Any]) -> None:
    insert_row(
        conn, TABLE, _COLUMN_OF, fixed={"tenant_id": tenant_id, "odata_type": odata_type}, values=values
    )


def insert_checked(conn: Connection, tenant_id: str, odata_type: str, values: Mapping[str, Any]) -> int:
    """Inserts the activity (``values`` by property name, its id and its provider among them) only if its
    provider's sync is on, its content is that provider's and its learner holds a licence; the rows
    inserted (0 or 1)."""
    key = tuple(values)
    sql = _CHECKED_INSERTS.get(key)
    if sql is None:
        sql = _checked_insert_sql(values)
        if len(_CHECKED_INSERTS) >= _STATEMENTS_KEPT:
            _CHECKED_INSERTS.clear()
        _CHECKED_INSERTS[key] = sql
    provider = values["learningProviderId"]
    return conn.execute(
        sql,
        (
            tenant_id,
            odata_type,
            *values.values(),
            tenant_id,
            provider,
            tenant_id,
            values["learningContentId"],
            provider,
            tenant_id,
            values["learnerUserId"],
        ),
    )


def _checked_insert_sql(values: Mapping[str, Any]) -> str:
    # An INTEGER column's parameter is cast: PostgreSQL reads an untyped one in a SELECT list as text.
    names = ["tenant_id", "odata_type", *[_COLUMN_OF[name] for name in values]]
    selected = ["?", "?", *["CAST(? AS INTEGER)" if name in _INTEGERS else "?" for name in values]]
    conditions = [
        f"({providers.sync_state_sql('?', '?')}) <> 0",
        f"({contents.provider_of_sql('?', '?')}) = ?",
        f"({licence_sql('?', '?')}) <> 0",
    ]
    return (
        f"INSERT INTO {TABLE} ({', '.join(names)}) SELECT {', '.join(selected)}"
        f" WHERE {' AND '.join(conditions)}"
    )


_INTEGERS = frozenset(p.name for p in LEARNING_COURSE_ACTIVITY.properties if p.kind is Kind.INT32)
# Checked INSERT statements by the property names, in the order sent (bounded).
_CHECKED_INSERTS: dict[tuple[str, ...], str] = {}


def update(conn: Connection, tenant_id: str, activity_id: str, values: Mapping[str, Any]) -> None:
    update_row(conn, TABLE, _COLUMN_OF, tenant_id=tenant_id, row_id=activity_id, values=values)


def update_checked(
    conn: Connection,
    tenant_id: str,
    activity_id: str,
    values: Mapping[str, Any],
    *,
    types: tuple[str, ...],
    provider_id: str | None,
    learner_id: str | None,
    stored: Mapping[str, Any],
) -> int:
    """Sets ``values`` on the activity only if it is of one of ``types``, under the provider and the learner
    named (if named), holds ``stored`` (by column), its provider's sync is on and its learner licensed; the
    rows changed (0 or 1)."""
    key = (types, provider_id is not None, learner_id is not None, *stored, "", *values)
    sql = _CHECKED_UPDATES.get(key)
    if sql is None:
        sql = _checked_update_sql(types, provider_id is not None, learner_id is not None, stored, values)
        if len(_CHECKED_UPDATES) >= _STATEMENTS_KEPT:
            _CHECKED_UPDATES.clear()
        _CHECKED_UPDATES[key] = sql
    params: list[Any] = [*values.values(), tenant_id, activity_id]
    if provider_id is not None:
        params.append(provider_id)
    if learner_id is not None:
        params.append(learner_id)
    params += stored.values()
    return conn.execute(sql, params)


def _checked_update_sql(
    types: tuple[str, ...],
    by_provider: bool,
    by_learner: bool,
    stored: Mapping[str, Any],
    values: Mapping[str, Any],
) -> str:
    # The type names are the entities' own (no text from a request goes into the statement's text).
    assert all(name.isalnum() for name in types)
    quoted = ", ".join([f"'{name}'" for name in types])
    conditions = [
        "tenant_id = ?",
        "id = ?",
        f"odata_type IN ({quoted})",
        *(["provider_id = ?"] if by_provider else []),
        *(["learner_user_id = ?"] if by_learner else []),
        *[f"{column} = ?" for column in stored],
        f"({providers.sync_state_sql(f'{TABLE}.tenant_id', f'{TABLE}.provider_id')}) <> 0",
        f"({licence_sql(f'{TABLE}.tenant_id', f'{TABLE}.learner_user_id')}) <> 0",
    ]
    assignments = ", ".join([f"{_COLUMN_OF[name]} = ?" for name in values])
    return f"UPDATE {TABLE} SET {assignments} WHERE {' AND '.join(conditions)}"


# Checked UPDATE statements by their shape; bounded (the names are the entity's own, in the order sent).
_CHECKED_UPDATES: dict[tuple[object, ...], str] = {}
_STATEMENTS_KEPT = 256


def delete(conn: Connection, tenant_id: str, activity_id: str) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE tenant_id = ? AND id = ?", (tenant_id, activity_id))
