"""A PATCH or a POST in one statement: its UPDATE's or INSERT's WHERE holds every check the rules make on
stored values.

What a PATCH's rules judge is the caller (its plan and its permission for the activity's type), the body (its
fields, for the type), and the stored row: its type, its provider's sync flag, its learner's licence, and the
identifying properties the body resends unchanged (or an evolvable member it keeps). The body is judged here
first, for each type the caller may write; the stored side goes into the UPDATE's WHERE, so the UPDATE changes
the row only where every check would pass, in one statement run in autocommit mode (``unlocked_write()``: on
SQLite under the writer lock, atomic with the reads of its subqueries).

When it changes no row, nothing was written, and the service runs the PATCH as before (the row read, the checks
in their order, the UPDATE): that path refuses with the same error as ever, or, should the row have changed in
between, applies the PATCH to what it reads. Requests this does not take (a key by externalcourseActivityId, a
representation asked for back, nothing to change) go that way at once.

A POST likewise (``create_at_once``): the caller and the body judged first, then one INSERT … SELECT whose
WHERE holds what the create reads (the provider's sync flag, the content's provider, the learner's licence);
where it inserts nothing, the service's path reads them and refuses in its order. The uniqueness of the
externalcourseActivityId is the table's: a duplicate fails the INSERT only once every other check passed, as
on the service's path.
"""

from __future__ import annotations

from typing import Any

from learninggraph.domain.entity import EntityType
from learninggraph.domain.errors import field_invalid
from learninggraph.domain.fields import (
    IGNORED_ANNOTATIONS,
    Decoded,
    decode_properties,
    decode_valid,
    is_storable_id,
    require_present,
)
from learninggraph.domain.ids import new_id
from learninggraph.domain.permissions import WRITE_ASSIGNMENTS, WRITE_SELF_INITIATED
from learninggraph.domain.principal import Principal
from learninggraph.resources.learning_course_activities import repository, rules
from learninggraph.resources.learning_course_activities.checks import ActivityKey
from learninggraph.resources.learning_course_activities.entity import (
    CREATABLE,
    IDENTIFYING,
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
    REQUIRED_ON_CREATE,
    UPDATABLE,
    type_named,
)
from learninggraph.resources.learning_course_activities.errors import external_id_taken
from learninggraph.resources.learning_course_activities.records import ActivityRecord
from learninggraph.storage.database import Database, UniqueViolation

ODATA_TYPE = "@odata.type"
SKIP = (ODATA_TYPE, "id", "registrationId")
# What a PATCH of each type may name: what it may change, and what identifies the activity (resent unchanged).
ACCEPTED_ON_UPDATE = {name: updatable | IDENTIFYING for name, updatable in UPDATABLE.items()}
_COLUMN_OF = {p.name: p.column for p in LEARNING_COURSE_ACTIVITY.properties}
_WRITABLE = ((LEARNING_ASSIGNMENT, WRITE_ASSIGNMENTS), (LEARNING_SELF_INITIATED_COURSE, WRITE_SELF_INITIATED))
# The permission that writes an activity of each type, by the type's name.
WRITE_OF = {entity.name: needed for entity, needed in _WRITABLE}
# What a create of each type decodes: its creatable properties by name and alias, and the names it passes over.
_SKIPPED = IGNORED_ANNOTATIONS | frozenset(SKIP)
_CREATABLE_BY_NAME = {
    entity.name: {
        name: p
        for p in entity.properties
        if p.name in CREATABLE[entity.name]
        for name in (p.name, *p.aliases)
        if name not in _SKIPPED
    }
    for entity, _ in _WRITABLE
}
_REQUIRED = {name: frozenset(required) for name, required in REQUIRED_ON_CREATE.items()}
# The body's names (aliases too) that both types read as one property they both accept, and the names every
# PATCH skips: a body of these alone decodes to the same values for either type.
_SHARED_NAMES = frozenset(
    [
        *IGNORED_ANNOTATIONS,
        *SKIP,
        *(
            name
            for p in LEARNING_ASSIGNMENT.properties
            for name in (p.name, *p.aliases)
            if LEARNING_SELF_INITIATED_COURSE.property_named(name) is p
            and all(p.name in accepted for accepted in ACCEPTED_ON_UPDATE.values())
        ),
    ]
)

# A PATCH's changes (by property) and the stored values it needs (by column).
Plan = tuple[dict[str, Any], dict[str, Any]]


def update_at_once(
    database: Database,
    caller: Principal,
    key: ActivityKey,
    body: dict[str, Any],
    version: str,
    include_unknown_enum_members: bool,
) -> bool:
    """Whether the PATCH was applied by one UPDATE; False: nothing was written, the full path decides."""
    activity_id = key.activity_id
    if activity_id is None or key.external_id is not None or not caller.has_learning_plan:
        return False
    provider_id, learner_id = key.provider_id, key.learner_id
    if not is_storable_id(activity_id) or not (
        (provider_id is None or is_storable_id(provider_id))
        and (learner_id is None or is_storable_id(learner_id))
    ):
        return False
    if ODATA_TYPE in body:
        sent_type = type_named(body[ODATA_TYPE])
        writable = [
            entity for entity, needed in _WRITABLE if entity is sent_type and needed.granted_to(caller)
        ]
    else:
        writable = [entity for entity, needed in _WRITABLE if needed.granted_to(caller)]
    if len(writable) == 2 and _SHARED_NAMES.issuperset(body):
        # Names both types take decode alike: the body is judged once, the rules of the second type on its
        # changes. (Where the first type refuses it, the full path decides.)
        plan = _plan(writable[0], body, version, include_unknown_enum_members)
        if plan is None:
            return False
        second = Decoded()
        rules.check_changeable(writable[1], plan[0], version, second)
        types = tuple([entity.name for entity in writable]) if not second.errors else (writable[0].name,)
    else:
        found: Plan | None = None
        names: list[str] = []
        for entity in writable:
            judged = _plan(entity, body, version, include_unknown_enum_members)
            if judged is None:
                continue
            if found is not None and judged != found:  # not expected: not assumed either
                return False
            found = judged
            names.append(entity.name)
        if found is None:
            return False
        plan, types = found, tuple(names)
    changes, stored = plan
    if not changes:
        return False
    with database.unlocked_write() as conn:
        changed = repository.update_checked(
            conn,
            caller.tenant_id,
            activity_id,
            changes,
            types=types,
            provider_id=provider_id,
            learner_id=learner_id,
            stored=stored,
        )
    return changed == 1


def _plan(entity: EntityType, body: dict[str, Any], version: str, include_unknown: bool) -> Plan | None:
    """What a PATCH of an activity of this type changes, and the stored values it needs to be accepted as
    the service's ``_changes`` judges them; None where it would refuse the body whatever is stored."""
    decoded = decode_update(entity, body)
    if decoded.errors:
        return None
    updatable = UPDATABLE[entity.name]
    changes: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    for name, value in decoded.values.items():
        if name in updatable:
            # An evolvable member without the Prefer header is accepted only as the value already stored.
            if not include_unknown and isinstance(value, str) and _evolvable(entity, name, value):
                stored[_COLUMN_OF[name]] = value
            changes[name] = value
        elif value is None:
            return None  # compared with what is stored only by the full path (NULL equals nothing in SQL)
        else:
            stored[_COLUMN_OF[name]] = value  # an identifying property: resent unchanged, or refused
    if "status" in changes and changes["status"] is None:
        return None
    rules.check_changeable(entity, changes, version, decoded)
    return None if decoded.errors else (changes, stored)


def decode_update(entity: EntityType, body: dict[str, Any]) -> Decoded:
    """A PATCH body's fields as an update of this type reads them, each judged. An evolvable enum's sentinel
    means "absent" (what a client read without the Prefer header sends back); only a string can be one."""
    sent = body
    for name, value in body.items():
        if isinstance(value, str) and rules.is_sentinel(entity, name, value):
            sent = {
                name: value
                for name, value in body.items()
                if not (isinstance(value, str) and rules.is_sentinel(entity, name, value))
            }
            break
    return decode_properties(
        entity, sent, accepted=ACCEPTED_ON_UPDATE[entity.name], include_unknown_enum_members=True, skip=SKIP
    )


def _evolvable(entity: EntityType, name: str, value: str) -> bool:
    prop = entity.property_named(name)
    return prop is not None and prop.enum is not None and value in prop.enum.evolvable


def create_at_once(
    database: Database,
    caller: Principal,
    body: dict[str, Any],
    provider_id: str | None,
    version: str,
    include_unknown_enum_members: bool,
) -> ActivityRecord | None:
    """The activity created by one INSERT, as the service's path would create it; None: nothing was written,
    the service's path decides."""
    entity = type_named(body.get(ODATA_TYPE))
    if entity is None or not caller.has_learning_plan or not WRITE_OF[entity.name].granted_to(caller):
        return None
    provider = provider_id if provider_id is not None else body.get("learningProviderId")
    if not isinstance(provider, str) or not is_storable_id(provider):
        return None
    decoded = Decoded()
    values = new_fields(entity, body, provider_id, version, include_unknown_enum_members, decoded)
    if decoded.errors:
        return None
    # Both required, neither nullable: decoded, they are text.
    if not (is_storable_id(values["learningContentId"]) and is_storable_id(values["learnerUserId"])):
        return None
    values["learningProviderId"] = provider
    values = {"id": new_id(), **values}
    with database.unlocked_write() as conn:
        try:
            inserted = repository.insert_checked(conn, caller.tenant_id, entity.name, values)
        except UniqueViolation:
            raise external_id_taken(values.get("externalcourseActivityId")) from None
    # Every column is what was inserted: the record is built, not read back.
    return repository.created(entity.name, values) if inserted else None


def new_fields(
    entity: EntityType,
    body: dict[str, Any],
    provider_id: str | None,
    version: str,
    include_unknown_enum_members: bool,
    decoded: Decoded,
) -> dict[str, Any]:
    """A new activity's values as a create of this type reads its body, every input field judged (its
    problems added to ``decoded``'s); ``provider_id``: the provider the path names."""
    # Most bodies have no problem: their values decoded without the bookkeeping of errors; any other is
    # decoded again by ``decode_properties``, which names its problems.
    values = decode_valid(_CREATABLE_BY_NAME[entity.name], body, _SKIPPED, include_unknown_enum_members)
    if values is None or not _REQUIRED[entity.name].issubset(values):
        fields = decode_properties(
            entity,
            body,
            accepted=CREATABLE[entity.name],
            include_unknown_enum_members=include_unknown_enum_members,
            skip=SKIP,
        )
        values = fields.values
        require_present(fields, REQUIRED_ON_CREATE[entity.name])
        if fields.errors:
            decoded.errors.extend(e for e in fields.errors if e not in decoded.errors)
    if provider_id is not None and values.get("learningProviderId") not in (None, provider_id):
        decoded.fail(field_invalid("learningProviderId"))
    rules.check_rules(entity, values, version, decoded)
    return values
