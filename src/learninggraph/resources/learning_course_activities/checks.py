"""Who may reach which course activity: permissions, the tenant's plan, the learner views, and the lookup.

``locate`` finds the one activity a request's key names, in context (its provider's sync flag and its
learner's licence read in the same statement), after the checks its path asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from learninggraph.domain.errors import (
    NO_ACCESS,
    NO_SERVICE_PLAN,
    Explanation,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from learninggraph.domain.fields import is_storable_id, key_errors
from learninggraph.domain.permissions import reads_other_learners
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.access import permissions_missing
from learninggraph.identity.directory import get_user, user_not_found
from learninggraph.resources.learning_course_activities import repository
from learninggraph.resources.learning_course_activities.entity import EXTERNAL_ID
from learninggraph.resources.learning_course_activities.errors import external_id_ambiguous
from learninggraph.resources.learning_course_activities.records import ActivityInContext
from learninggraph.resources.learning_providers import queries as providers
from learninggraph.storage.database import Connection


# Not frozen, though nothing changes it: a frozen dataclass's __init__ costs several times as much, once per
# request that names an activity.
@dataclass(slots=True)
class ActivityKey:
    """How a request names one activity, and under which parent it asked for it."""

    activity_id: str | None = None
    external_id: str | None = None
    provider_id: str | None = None
    learner_id: str | None = None


def require(caller: Principal, permissions: Permissions) -> None:
    if not permissions.granted_to(caller):
        raise permissions_missing(permissions, caller)


def require_plan(caller: Principal) -> None:
    # The caller carries the plan: the token check reads it from the directory (no query per request).
    if not caller.has_learning_plan:
        raise Forbidden(
            NO_SERVICE_PLAN,
            explanation=Explanation(
                "tenant.noLearningPlan",
                f"Tenant {caller.tenant_id} has no Viva Learning service plan (it was created with "
                "--no-learning-plan); course activities need one.",
                {"tenant": caller.tenant_id},
            ),
        )


def sees_learner(caller: Principal, learner_id: str) -> bool:
    return caller.is_application or learner_id == caller.user_id or reads_other_learners(caller)


def readable_types(caller: Principal, reads: Mapping[str, Permissions]) -> tuple[str, ...]:
    """The types among ``reads`` (type → its read permission) the caller may read, kept by the caller's
    object: a token's principal is made once and kept while the token is, and never changes (frozen)."""
    kept = _readable.get(id(caller))
    if kept is not None and kept[0] is caller and kept[1] is reads:
        return kept[2]
    readable = tuple(name for name, needed in reads.items() if needed.granted_to(caller))
    if len(_readable) >= _READABLE_KEPT:
        _readable.clear()
    _readable[id(caller)] = (caller, reads, readable)
    return readable


# Bounded; each entry holds its principal, so an id is never mistaken for a later object's.
_READABLE_KEPT = 1024
_readable: dict[int, tuple[Principal, Mapping[str, Permissions], tuple[str, ...]]] = {}


def require_learner_view(conn: Connection, caller: Principal, learner_id: str, *, listing: bool) -> None:
    """The /users/{id} and /me views: listing them is for signed-in users only, as documented."""
    if listing and caller.is_application:
        raise Forbidden(
            NO_ACCESS,
            explanation=Explanation(
                "learner.viewNeedsUser",
                "Listing a learner's activities (/users/{id} or /me) is for delegated tokens (a signed-in "
                "user); an application lists them under /employeeExperience/learningCourseActivities.",
            ),
        )
    # Callers asking for themselves need no lookup: the token check keeps their account verified.
    if learner_id != caller.user_id and (
        not is_storable_id(learner_id) or get_user(conn, caller.tenant_id, learner_id) is None
    ):
        raise user_not_found(learner_id)
    if not sees_learner(caller, learner_id):
        raise Forbidden(
            NO_ACCESS,
            explanation=Explanation(
                "learner.otherLearner",
                "A signed-in user sees another learner's activities only with a .Read.All scope and an "
                "administrator directory role.",
                {"learner": learner_id, "held_permissions": sorted(caller.permissions)},
            ),
        )


def activity_key_not_found(key: ActivityKey) -> Explanation:
    if key.external_id is not None:
        where = f" under provider {key.provider_id}" if key.provider_id is not None else ""
        return Explanation(
            "key.notFound",
            f"No course activity has externalcourseActivityId '{key.external_id}'{where} in this tenant; the "
            "key is the externalcourseActivityId the activity was created with.",
            {"key": "externalcourseActivityId", "value": key.external_id, "provider": key.provider_id},
        )
    return Explanation(
        "entity.notFound",
        f"No course activity has id '{key.activity_id}' in this tenant"
        + (f" under provider {key.provider_id}" if key.provider_id is not None else "")
        + (f" for learner {key.learner_id}" if key.learner_id is not None else "")
        + ".",
        {"id": key.activity_id, "provider": key.provider_id, "learner": key.learner_id},
    )


def locate(
    conn: Connection, caller: Principal, key: ActivityKey, not_found: str, *, reading: bool = False
) -> ActivityInContext:
    """The activity ``key`` names, with its context; ``reading`` (a GET) leaves the learner's licence None."""
    if key.external_id is not None:
        # The key segment's externalcourseActivityId is judged as the body's is.
        problems = key_errors(EXTERNAL_ID, key.external_id)
        if problems:
            raise ValidationFailed(problems)
    if key.provider_id is not None:
        providers.require_registered(conn, caller.tenant_id, key.provider_id)
    if key.activity_id is not None:
        # By id (most requests): at most one row, judged without building lists.
        one = repository.get_in_context(conn, caller.tenant_id, key.activity_id, reading=reading)
        if one is not None and _under(key, one):
            return one
        raise NotFound(not_found, explanation=activity_key_not_found(key))
    assert key.external_id is not None
    found = [
        record
        for record in repository.find_in_context(
            conn, caller.tenant_id, key.external_id, provider_id=key.provider_id
        )
        if _under(key, record)
    ]
    if not found:
        raise NotFound(not_found, explanation=activity_key_not_found(key))
    if len(found) > 1:
        raise external_id_ambiguous(key.external_id)
    return found[0]


def _under(key: ActivityKey, record: ActivityInContext) -> bool:
    """Whether the record is under the provider and the learner the key's path names (if it names them)."""
    return (key.provider_id is None or record.provider_id == key.provider_id) and (
        key.learner_id is None or record.learner_user_id == key.learner_id
    )
