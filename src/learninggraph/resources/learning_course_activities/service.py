"""learningCourseActivity use cases and Viva Learning's rules for them.

The routes declare the union of both types' permissions, which the edge checks first; the permission of
the activity's own type is checked here, once the type is known. Order of checks on a write, so the first
answer a caller gets is the most useful one:
permission for the activity's type → the tenant's service plan → the registrationId → the provider's
isCourseActivitySyncEnabled → every input field at once → the content's provider → the learner's
licence → uniqueness of externalcourseActivityId.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learninggraph.domain import errors
from learninggraph.domain.entity import EntityType
from learninggraph.domain.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    field_invalid,
    field_required,
)
from learninggraph.domain.fields import (
    Decoded,
    decode_properties,
    is_storable_id,
    key_errors,
    require_present,
)
from learninggraph.domain.ids import new_id
from learninggraph.domain.permissions import (
    READ_ASSIGNMENTS,
    READ_SELF_INITIATED,
    WRITE_ASSIGNMENTS,
    WRITE_SELF_INITIATED,
    reads_other_learners,
)
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.identity.directory import get_user
from learninggraph.odata.options import QueryOptions
from learninggraph.resources.learning_course_activities import repository, rules
from learninggraph.resources.learning_course_activities.entity import (
    CREATABLE,
    EXTERNAL_ID,
    IDENTIFYING,
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
    REQUIRED_ON_CREATE,
    UPDATABLE,
    type_named,
)
from learninggraph.resources.learning_providers import repository as providers
from learninggraph.storage.database import Connection, Database, Row, UniqueViolation
from learninggraph.storage.listing import Listing, Page, count_rows, fetch_page

ODATA_TYPE = "@odata.type"
_SKIP = (ODATA_TYPE, "id", "registrationId")
_TYPES = {
    LEARNING_ASSIGNMENT.name: LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE.name: LEARNING_SELF_INITIATED_COURSE,
}
_READ = {LEARNING_ASSIGNMENT.name: READ_ASSIGNMENTS, LEARNING_SELF_INITIATED_COURSE.name: READ_SELF_INITIATED}
_WRITE = {
    LEARNING_ASSIGNMENT.name: WRITE_ASSIGNMENTS,
    LEARNING_SELF_INITIATED_COURSE.name: WRITE_SELF_INITIATED,
}


@dataclass(frozen=True, slots=True)
class ActivityKey:
    """How a request names one activity, and under which parent it asked for it."""

    activity_id: str | None = None
    external_id: str | None = None
    provider_id: str | None = None
    learner_id: str | None = None


def type_of(row: Row) -> EntityType:
    return _TYPES[str(row[0])]


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
    ) -> Page:
        with self.database.snapshot() as conn:
            listing = self._listing(conn, caller, provider_id=provider_id, learner_id=learner_id)
            return fetch_page(conn, listing, options, page_size=page_size)

    def count(
        self,
        caller: Principal,
        options: QueryOptions,
        *,
        provider_id: str | None = None,
        learner_id: str | None = None,
    ) -> int:
        with self.database.snapshot() as conn:
            listing = self._listing(conn, caller, provider_id=provider_id, learner_id=learner_id)
            return count_rows(conn, listing, options)

    def get(self, caller: Principal, key: ActivityKey) -> Row:
        with self.database.snapshot() as conn:
            _require_plan(caller)
            if key.learner_id is not None:
                _require_learner_view(conn, caller, key.learner_id, listing=False)
            row = _locate(conn, caller, key, errors.ACTIVITY_NOT_FOUND_ON_GET, context=True)
        _require(caller, _READ[type_of(row).name])
        if not _sees_learner(caller, str(repository.value_of(row, "learnerUserId"))):
            raise Forbidden(errors.NO_ACCESS)
        # The get page lists the provider-not-enabled row: an activity of a provider whose sync is off is
        # not served one by one (lists still show it; their page lists no such error).
        _require_enabled(row[repository.PROVIDER_ENABLED])
        return row

    def _listing(
        self, conn: Connection, caller: Principal, *, provider_id: str | None, learner_id: str | None
    ) -> Listing:
        _require_plan(caller)
        if learner_id is not None:
            _require_learner_view(conn, caller, learner_id, listing=True)
        elif not caller.is_application and not reads_other_learners(caller):
            learner_id = caller.user_id
        if provider_id is not None and providers.is_sync_enabled(conn, caller.tenant_id, provider_id) is None:
            raise BadRequest(errors.BAD_REGISTRATION_ID)
        readable = [name for name, needed in _READ.items() if needed.granted_to(caller)]
        return repository.listing(
            caller.tenant_id, provider_id=provider_id, learner_id=learner_id, types=readable
        )

    # Writes

    def create(
        self,
        caller: Principal,
        body: dict[str, Any],
        *,
        provider_id: str | None,
        version: str,
        include_unknown_enum_members: bool,
    ) -> Row:
        entity = type_named(body.get(ODATA_TYPE))
        if entity is not None:
            _require(caller, _WRITE[entity.name])
        decoded = Decoded()
        if entity is None:
            decoded.fail(field_required(ODATA_TYPE) if ODATA_TYPE not in body else field_invalid(ODATA_TYPE))
        with self.database.transaction() as conn:
            _require_plan(caller)
            body_provider = body.get("learningProviderId")
            provider = provider_id if provider_id is not None else body_provider
            if provider is None:
                decoded.fail(field_required("learningProviderId"))
            elif not isinstance(provider, str):
                decoded.fail(field_invalid("learningProviderId"))
            else:
                _require_enabled_provider(conn, caller, provider)
            if entity is None:
                decoded.raise_if_failed()
            assert entity is not None
            fields = decode_properties(
                entity,
                body,
                accepted=CREATABLE[entity.name],
                include_unknown_enum_members=include_unknown_enum_members,
                skip=_SKIP,
            )
            decoded.errors.extend(e for e in fields.errors if e not in decoded.errors)
            values = fields.values
            require_present(fields, REQUIRED_ON_CREATE[entity.name])
            decoded.errors.extend(e for e in fields.errors if e not in decoded.errors)
            if provider_id is not None and values.get("learningProviderId") not in (None, provider_id):
                decoded.fail(field_invalid("learningProviderId"))
            rules.check_rules(entity, values, version, decoded)
            decoded.raise_if_failed()
            assert isinstance(provider, str)
            values["learningProviderId"] = provider
            rules.check_content_and_learner(conn, caller, values, provider, on_create=True)
            values = {"id": new_id(), **values}
            try:
                repository.insert(conn, caller.tenant_id, entity.name, values)
            except UniqueViolation:
                raise Conflict(
                    "A course activity with externalcourseActivityId "
                    f"'{values.get('externalcourseActivityId')}' already exists for this provider."
                ) from None
            row = repository.get(conn, caller.tenant_id, values["id"])
        assert row is not None
        return row

    def update(
        self,
        caller: Principal,
        key: ActivityKey,
        body: dict[str, Any],
        *,
        version: str,
        read_back: bool = True,
        include_unknown_enum_members: bool = False,
    ) -> Row | None:
        """Applies the changes; returns the updated row when ``read_back`` (a 204 answer needs none)."""
        with self.database.transaction() as conn:
            _require_plan(caller)
            row = _locate(conn, caller, key, errors.ACTIVITY_NOT_FOUND_ON_UPDATE, context=True)
            entity = type_of(row)
            _require(caller, _WRITE[entity.name])
            _require_enabled(row[repository.PROVIDER_ENABLED])
            decoded = Decoded()
            if ODATA_TYPE in body and type_named(body[ODATA_TYPE]) is not entity:
                decoded.fail(field_invalid(ODATA_TYPE))
            # An evolvable enum's sentinel in a PATCH means "absent" (what a client read without the
            # Prefer header and sends back); its later members are written only with that header, or
            # resent unchanged (rules.newly_evolvable).
            sent = {name: value for name, value in body.items() if not rules.is_sentinel(entity, name, value)}
            fields = decode_properties(
                entity,
                sent,
                accepted=UPDATABLE[entity.name] | IDENTIFYING,
                include_unknown_enum_members=True,
                skip=_SKIP,
            )
            decoded.errors.extend(fields.errors)
            changes: dict[str, Any] = {}
            foreign_content = False
            provider_id = str(repository.value_of(row, "learningProviderId"))
            for name, value in fields.values.items():
                stored = repository.value_of(row, name)
                if name in UPDATABLE[entity.name]:
                    if rules.newly_evolvable(entity, name, value, stored, include_unknown_enum_members):
                        decoded.fail(field_invalid(name))
                    changes[name] = value
                elif value == stored:
                    continue
                elif name == "learningContentId" and rules.owned_elsewhere(conn, caller, value, provider_id):
                    foreign_content = True
                else:
                    decoded.fail(field_invalid(name))
            if "status" in changes and changes["status"] is None:
                decoded.fail(field_required("status"))
            rules.check_rules(entity, changes, version, decoded)
            decoded.raise_if_failed()
            if foreign_content:
                raise Forbidden(errors.PROVIDER_NOT_VALID_FOR_CONTENT)
            if not row[repository.LEARNER_LICENSED]:  # None: the learner is no longer in the directory
                raise Forbidden(errors.LICENSE_NOT_VALID_ON_UPDATE)
            activity_id = str(repository.value_of(row, "id"))
            repository.update(conn, caller.tenant_id, activity_id, changes)
            return repository.get(conn, caller.tenant_id, activity_id) if read_back else None

    def delete(self, caller: Principal, key: ActivityKey) -> None:
        with self.database.transaction() as conn:
            _require_plan(caller)
            row = _locate(conn, caller, key, errors.ACTIVITY_NOT_FOUND_ON_DELETE, context=True)
            _require(caller, _WRITE[type_of(row).name])
            _require_enabled(row[repository.PROVIDER_ENABLED])
            repository.delete(conn, caller.tenant_id, str(repository.value_of(row, "id")))


def _require(caller: Principal, permissions: Permissions) -> None:
    if not permissions.granted_to(caller):
        raise Forbidden(errors.NO_ACCESS)


def _require_plan(caller: Principal) -> None:
    # The caller carries the plan: the token check reads it from the directory (no query per request).
    if not caller.has_learning_plan:
        raise Forbidden(errors.NO_SERVICE_PLAN)


def _require_enabled_provider(conn: Connection, caller: Principal, provider_id: str) -> None:
    _require_enabled(providers.is_sync_enabled(conn, caller.tenant_id, provider_id))


def _require_enabled(enabled: object) -> None:
    """A provider's isCourseActivitySyncEnabled as read (None: there is no such provider)."""
    if enabled is None:
        raise BadRequest(errors.BAD_REGISTRATION_ID)
    if not enabled:
        raise BadRequest(errors.PROVIDER_NOT_ENABLED)


def _sees_learner(caller: Principal, learner_id: str) -> bool:
    return caller.is_application or learner_id == caller.user_id or reads_other_learners(caller)


def _require_learner_view(conn: Connection, caller: Principal, learner_id: str, *, listing: bool) -> None:
    """The /users/{id} and /me views: listing them is for signed-in users only, as documented."""
    if listing and caller.is_application:
        raise Forbidden(errors.NO_ACCESS)
    # Callers asking for themselves need no lookup: the token check keeps their account verified.
    if learner_id != caller.user_id and (
        not is_storable_id(learner_id) or get_user(conn, caller.tenant_id, learner_id) is None
    ):
        raise NotFound(f"The user '{learner_id}' was not found.")
    if not _sees_learner(caller, learner_id):
        raise Forbidden(errors.NO_ACCESS)


def _locate(
    conn: Connection, caller: Principal, key: ActivityKey, not_found: str, *, context: bool = False
) -> Row:
    if key.external_id is not None:
        # The key segment's externalcourseActivityId is judged as the body's is.
        problems = key_errors(EXTERNAL_ID, key.external_id)
        if problems:
            raise ValidationFailed(problems)
    if (
        key.provider_id is not None
        and providers.is_sync_enabled(conn, caller.tenant_id, key.provider_id) is None
    ):
        raise BadRequest(errors.BAD_REGISTRATION_ID)
    rows: list[Row]
    if key.activity_id is not None:
        found = repository.get(conn, caller.tenant_id, key.activity_id, context=context)
        rows = [] if found is None else [found]
    else:
        assert key.external_id is not None
        rows = repository.find_by_external_id(
            conn, caller.tenant_id, key.external_id, provider_id=key.provider_id, context=context
        )
    rows = [
        row
        for row in rows
        if (key.provider_id is None or repository.value_of(row, "learningProviderId") == key.provider_id)
        and (key.learner_id is None or repository.value_of(row, "learnerUserId") == key.learner_id)
    ]
    if not rows:
        raise NotFound(not_found)
    if len(rows) > 1:
        raise BadRequest(
            f"More than one provider has a course activity with externalcourseActivityId '{key.external_id}'; "
            "address it under its provider: /employeeExperience/learningProviders/{registrationId}/"
            "learningCourseActivities(externalcourseActivityId='...')."
        )
    return rows[0]


__all__ = ["LEARNING_COURSE_ACTIVITY", "ActivityKey", "LearningCourseActivityService", "type_of"]
