"""learningCourseActivity use cases and Viva Learning's rules for them.

The routes declare the union of both types' permissions, which the edge checks first; the permission of
the activity's own type is checked here, once the type is known. Order of checks on a write, so the first
answer a caller gets is the most useful one: permission for the activity's type → the tenant's service plan → the registrationId → the provider's
isCourseActivitySyncEnabled → every input field at once → the content's provider → the learner's
licence → uniqueness of externalcourseActivityId.
"""

from __future__ import annotations

from typing import Any

from learninggraph.domain.entity import EntityType
from learninggraph.domain.errors import NO_ACCESS, Forbidden, field_invalid, field_required
from learninggraph.domain.fields import Decoded
from learninggraph.domain.ids import new_id
from learninggraph.domain.permissions import (
    READ_ASSIGNMENTS,
    READ_SELF_INITIATED,
    reads_other_learners,
)
from learninggraph.domain.principal import Principal
from learninggraph.http.batch_requests import Siblings
from learninggraph.odata.options import QueryOptions
from learninggraph.resources.learning_course_activities import repository, rules
from learninggraph.resources.learning_course_activities.checks import (
    ActivityKey,
    locate,
    readable_types,
    require,
    require_learner_view,
    require_plan,
    sees_learner,
)
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
    UPDATABLE,
    type_named,
)
from learninggraph.resources.learning_course_activities.errors import (
    ACTIVITY_NOT_FOUND_ON_DELETE,
    ACTIVITY_NOT_FOUND_ON_GET,
    ACTIVITY_NOT_FOUND_ON_UPDATE,
    external_id_taken,
    licence_not_valid,
    provider_not_valid_for_content,
)
from learninggraph.resources.learning_course_activities.one_statement import (
    ODATA_TYPE,
    WRITE_OF,
    create_at_once,
    decode_update,
    new_fields,
    update_at_once,
)
from learninggraph.resources.learning_course_activities.records import (
    ACTIVITY,
    ActivityInContext,
    ActivityRecord,
)
from learninggraph.resources.learning_providers import queries as providers
from learninggraph.storage.database import Connection, Database, Row, UniqueViolation
from learninggraph.storage.listing import Listing, Page, count_rows, fetch_rows

_TYPES = {
    LEARNING_ASSIGNMENT.name: LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE.name: LEARNING_SELF_INITIATED_COURSE,
}
_READ = {LEARNING_ASSIGNMENT.name: READ_ASSIGNMENTS, LEARNING_SELF_INITIATED_COURSE.name: READ_SELF_INITIATED}


def type_of(record: ActivityRecord) -> EntityType:
    return _TYPES[record.odata_type]


class LearningCourseActivityService:
    def __init__(self, database: Database) -> None:
        self.database = database

    # Reads

    def list(
        self,
        caller: Principal,
        options: QueryOptions,
        *,
        provider_id: str | None = None,
        learner_id: str | None = None,
        page_size: int,
    ) -> Page[ActivityRecord]:
        page = self.list_rows(
            caller, options, provider_id=provider_id, learner_id=learner_id, page_size=page_size
        )
        return Page(ACTIVITY.all(page.records), page.next_token, page.count)

    def list_rows(
        self,
        caller: Principal,
        options: QueryOptions,
        *,
        provider_id: str | None = None,
        learner_id: str | None = None,
        page_size: int,
    ) -> Page[Row]:
        """``list`` with the activities as their rows (``ACTIVITY``'s fields, in order), no record made for
        them: a list page renders them by position."""
        # One statement (the page) unless a provider or another learner is looked up, or $count asked for.
        single = provider_id is None and learner_id in (None, caller.user_id) and not options.count
        with self.database.read() if single else self.database.snapshot() as conn:
            listing = _listing(conn, caller, provider_id=provider_id, learner_id=learner_id)
            return fetch_rows(conn, listing, options, page_size=page_size)

    def count(
        self,
        caller: Principal,
        options: QueryOptions,
        *,
        provider_id: str | None = None,
        learner_id: str | None = None,
    ) -> int:
        with self.database.snapshot() as conn:
            listing = _listing(conn, caller, provider_id=provider_id, learner_id=learner_id)
            return count_rows(conn, listing, options)

    def get(self, caller: Principal, key: ActivityKey) -> ActivityRecord:
        # By key alone, ``locate`` runs one statement; a provider or a learner in the path adds lookups.
        single = key.provider_id is None and key.learner_id is None
        with self.database.read() if single else self.database.snapshot() as conn:
            require_plan(caller)
            if key.learner_id is not None:
                require_learner_view(conn, caller, key.learner_id, listing=False)
            record = locate(conn, caller, key, ACTIVITY_NOT_FOUND_ON_GET, reading=True)
        if record.odata_type not in readable_types(caller, _READ):  # the caller's types, kept by principal
            require(caller, _READ[type_of(record).name])
        if not sees_learner(caller, record.learner_user_id):
            raise Forbidden(NO_ACCESS)
        # The get page lists the provider-not-enabled row: an activity of a provider whose sync is off is
        # not served one by one (lists still show it; their page lists no such error).
        providers.require_sync_enabled(record.provider_sync_enabled, record.provider_id)
        return record

    # Writes

    def create(
        self,
        caller: Principal,
        body: dict[str, Any],
        *,
        provider_id: str | None,
        version: str,
        include_unknown_enum_members: bool,
        siblings: Siblings | None = None,
    ) -> ActivityRecord:
        """``siblings``: the other creates of a bulk ``$batch`` (all to this one URL), whose contexts are read
        with this one's in one statement."""
        # Most creates: one INSERT whose WHERE holds the checks; where it inserts nothing, the path below
        # decides (and refuses with its error).
        if siblings is None:
            created = create_at_once(
                self.database, caller, body, provider_id, version, include_unknown_enum_members
            )
            if created is not None:
                return created
        entity = type_named(body.get(ODATA_TYPE))
        if entity is not None:
            require(caller, WRITE_OF[entity.name])
        provider_sent = provider_id if provider_id is not None else body.get("learningProviderId")
        # Reads that lock nothing, checks, then the one INSERT last: no savepoint of its own in a $batch's group,
        # and on PostgreSQL no transaction around it.
        with self.database.unlocked_write() as conn:
            require_plan(caller)
            # The provider's, the content's and the learner's rows, read at once for the ids as sent.
            ids = (
                _text(provider_sent),
                _text(body.get("learningContentId")),
                _text(body.get("learnerUserId")),
            )
            known = _create_context(conn, caller.tenant_id, ids, provider_id, siblings)
            entity, values = _new_values(
                known, entity, body, provider_id, version, include_unknown_enum_members
            )
            provider = values["learningProviderId"]
            content, learner = str(values["learningContentId"]), str(values["learnerUserId"])
            if (provider, content, learner) != (known.provider_id, known.content_id, known.learner_id):
                known = repository.create_context(conn, caller.tenant_id, provider, content, learner)
            rules.check_content_and_learner(
                values,
                provider,
                content_provider=known.content_provider,
                learner_licensed=known.learner_licensed,
                on_create=True,
            )
            values = {"id": new_id(), **values}
            try:
                repository.insert(conn, caller.tenant_id, entity.name, values)
            except UniqueViolation:
                raise external_id_taken(values.get("externalcourseActivityId")) from None
        # Every column is what was inserted: the record is built, not read back.
        return repository.created(entity.name, values)

    def update(
        self,
        caller: Principal,
        key: ActivityKey,
        body: dict[str, Any],
        *,
        version: str,
        read_back: bool = True,
        include_unknown_enum_members: bool = False,
    ) -> ActivityRecord | None:
        """Applies the changes; returns the updated record when ``read_back`` (a 204 answer needs none)."""
        # Most PATCHes: one UPDATE whose WHERE holds the checks; where it changes nothing, the path below
        # decides (and refuses with its error).
        if not read_back and update_at_once(
            self.database, caller, key, body, version, include_unknown_enum_members
        ):
            return None
        # Reads and checks, then the one UPDATE (and the read back): no savepoint of its own in a $batch.
        with self.database.single_write() as conn:
            require_plan(caller)
            record = locate(conn, caller, key, ACTIVITY_NOT_FOUND_ON_UPDATE)
            entity = _TYPES[record.odata_type]
            require(caller, WRITE_OF[entity.name])
            if not record.provider_sync_enabled:  # 1 as stored when enabled: nothing to call then
                providers.require_sync_enabled(record.provider_sync_enabled, record.provider_id)
            changes = _changes(conn, caller, record, entity, body, version, include_unknown_enum_members)
            if not record.learner_licensed:  # None: the learner is no longer in the directory
                raise licence_not_valid(record.learner_user_id, on_create=False)
            repository.update(conn, caller.tenant_id, record.id, changes)
            return repository.get(conn, caller.tenant_id, record.id) if read_back else None

    def delete(self, caller: Principal, key: ActivityKey) -> None:
        with self.database.single_write() as conn:
            require_plan(caller)
            record = locate(conn, caller, key, ACTIVITY_NOT_FOUND_ON_DELETE)
            require(caller, WRITE_OF[type_of(record).name])
            providers.require_sync_enabled(record.provider_sync_enabled, record.provider_id)
            repository.delete(conn, caller.tenant_id, record.id)


def _listing(
    conn: Connection, caller: Principal, *, provider_id: str | None, learner_id: str | None
) -> Listing[ActivityRecord]:
    require_plan(caller)
    if learner_id is not None:
        require_learner_view(conn, caller, learner_id, listing=True)
    elif not caller.is_application and not reads_other_learners(caller):
        learner_id = caller.user_id
    if provider_id is not None:
        providers.require_registered(conn, caller.tenant_id, provider_id)
    readable = readable_types(caller, _READ)
    if not readable:  # the routes' declaration already refuses such a caller; a direct call is refused too
        raise Forbidden(NO_ACCESS)
    return repository.listing(
        caller.tenant_id, provider_id=provider_id, learner_id=learner_id, types=readable
    )


def _create_context(
    conn: Connection,
    tenant_id: str,
    ids: repository.CreateIds,
    provider_id: str | None,
    siblings: Siblings | None,
) -> repository.CreateContext:
    """The create context of ``ids``; in a bulk batch, the contexts of all its creates, read once (creates of
    activities change none of it: no provider, content or learner)."""
    if siblings is None:
        return repository.create_context(conn, tenant_id, *ids)
    # The items of a batch all run as its caller: one tenant.
    read: dict[repository.CreateIds, repository.CreateContext] | None = siblings.reads.get(_CONTEXTS)
    if read is None:
        read = repository.create_contexts(
            conn, tenant_id, [_ids(body, provider_id) for body in siblings.bodies]
        )
        siblings.reads[_CONTEXTS] = read
    known = read.get(ids)
    return known if known is not None else repository.create_context(conn, tenant_id, *ids)


_CONTEXTS = "learningCourseActivities.createContexts"


def _ids(body: object, provider_id: str | None) -> repository.CreateIds:
    if not isinstance(body, dict):
        return (provider_id, None, None)
    provider = provider_id if provider_id is not None else body.get("learningProviderId")
    return (_text(provider), _text(body.get("learningContentId")), _text(body.get("learnerUserId")))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _new_values(
    known: repository.CreateContext,
    entity: EntityType | None,
    body: dict[str, Any],
    provider_id: str | None,
    version: str,
    include_unknown_enum_members: bool,
) -> tuple[EntityType, dict[str, Any]]:
    """The type and the values of a new activity, every input field judged at once; its provider enabled."""
    decoded = Decoded()
    if entity is None:
        decoded.fail(field_required(ODATA_TYPE) if ODATA_TYPE not in body else field_invalid(ODATA_TYPE))
    provider = provider_id if provider_id is not None else body.get("learningProviderId")
    if provider is None:
        decoded.fail(field_required("learningProviderId"))
    elif not isinstance(provider, str):
        decoded.fail(field_invalid("learningProviderId"))
    else:
        providers.require_sync_enabled(known.provider_sync_enabled, provider)
    if entity is None:
        decoded.raise_if_failed()
    assert entity is not None
    values = new_fields(entity, body, provider_id, version, include_unknown_enum_members, decoded)
    decoded.raise_if_failed()
    assert isinstance(provider, str)
    values["learningProviderId"] = provider
    return entity, values


def _changes(
    conn: Connection,
    caller: Principal,
    record: ActivityInContext,
    entity: EntityType,
    body: dict[str, Any],
    version: str,
    include_unknown_enum_members: bool,
) -> dict[str, Any]:
    """What a PATCH changes, every input field judged at once; identifying properties only resent unchanged."""
    # The fields' own problems, after the type's (the first a client reads). An evolvable member is written
    # only with the Prefer header, or resent unchanged (rules.newly_evolvable).
    decoded = decode_update(entity, body)
    if ODATA_TYPE in body and type_named(body[ODATA_TYPE]) is not entity:
        decoded.errors.insert(0, field_invalid(ODATA_TYPE))
    updatable = UPDATABLE[entity.name]
    changes: dict[str, Any] = {}
    foreign_content = False
    for name, value in decoded.values.items():
        if name in updatable:
            # Only an enum's member (a string) can be one of its evolvable members, and only without the header.
            if (
                not include_unknown_enum_members
                and isinstance(value, str)
                and rules.newly_evolvable(entity, name, value, getattr(record, _COLUMN_OF[name]), False)
            ):
                decoded.fail(field_invalid(name))
            changes[name] = value
        elif value == getattr(record, _COLUMN_OF[name]):
            continue
        elif name == "learningContentId" and rules.owned_elsewhere(conn, caller, value, record.provider_id):
            foreign_content = True
        else:
            decoded.fail(field_invalid(name))
    if "status" in changes and changes["status"] is None:
        decoded.fail(field_required("status"))
    rules.check_changeable(entity, changes, version, decoded)
    decoded.raise_if_failed()
    if foreign_content:
        raise provider_not_valid_for_content(body.get("learningContentId"), record.provider_id)
    return changes


# The record's attribute holding each property's stored value: its column.
_COLUMN_OF = {p.name: p.column for p in LEARNING_COURSE_ACTIVITY.properties}

__all__ = ["LEARNING_COURSE_ACTIVITY", "ActivityKey", "LearningCourseActivityService", "type_of"]
