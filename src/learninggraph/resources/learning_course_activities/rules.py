"""Viva Learning's rules on a course activity's values: ranges, statuses, the content's provider, the licence."""

from __future__ import annotations

from typing import Any

from learninggraph.domain.entity import EntityType, Kind
from learninggraph.domain.errors import BadRequest, field_empty, field_invalid
from learninggraph.domain.fields import Decoded
from learninggraph.domain.principal import Principal
from learninggraph.resources.learning_contents import queries as contents
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_SELF_INITIATED_COURSE,
    SELF_INITIATED_STATUSES_V1,
)
from learninggraph.resources.learning_course_activities.errors import (
    licence_not_valid,
    provider_not_valid_for_content,
)
from learninggraph.storage.database import Connection


def check_rules(entity: EntityType, values: dict[str, Any], version: str, decoded: Decoded) -> None:
    check_changeable(entity, values, version, decoded)
    for name in ("learnerUserId", "learningContentId", "learningProviderId", "externalcourseActivityId"):
        value = values.get(name)
        if isinstance(value, str) and not value.strip():
            decoded.fail(field_empty(name))


def check_changeable(entity: EntityType, values: dict[str, Any], version: str, decoded: Decoded) -> None:
    """The rules on what an update may change: the percentage's range, a self-initiated course's statuses on
    v1.0. (An update changes no identifying property, so ``check_rules``' other checks cannot apply to it.)"""
    percentage = values.get("completionPercentage")
    if percentage is not None and not 0 <= percentage <= 100:
        decoded.fail(field_invalid("completionPercentage", "an integer from 0 to 100"))
    status = values.get("status")
    if (
        entity is LEARNING_SELF_INITIATED_COURSE
        and version == "v1.0"
        and status is not None
        and status not in SELF_INITIATED_STATUSES_V1
    ):
        decoded.fail(
            field_invalid(
                "status",
                f"one of {', '.join(SELF_INITIATED_STATUSES_V1)} for a self-initiated course on v1.0",
            )
        )


_ENUM = Kind.ENUM  # a module constant: ``Kind.ENUM`` goes through the enum metaclass's attribute hook


def is_sentinel(entity: EntityType, name: str, value: Any) -> bool:
    prop = entity.property_named(name)
    return (
        prop is not None
        and prop.kind is _ENUM
        and isinstance(value, str)
        and value.casefold() == "unknownfuturevalue"
    )


def newly_evolvable(entity: EntityType, name: str, value: Any, stored: Any, include_unknown: bool) -> bool:
    """A member after unknownFutureValue written without the Prefer header (sending it back unchanged is fine)."""
    prop = entity.property_named(name)
    return (
        not include_unknown
        and value != stored
        and prop is not None
        and prop.enum is not None
        and value in prop.enum.evolvable
    )


def owned_elsewhere(conn: Connection, caller: Principal, content_id: object, provider_id: str) -> bool:
    """Whether a content of the tenant names another provider than the activity's: the page's 403 row."""
    owner = contents.provider_of(conn, caller.tenant_id, str(content_id))
    return owner is not None and owner != provider_id


def check_content_and_learner(
    values: dict[str, Any],
    provider_id: str,
    *,
    content_provider: str | None,
    learner_licensed: bool | None,
    on_create: bool,
) -> None:
    """The content must be the provider's, the learner a licensed user: as read for the values' ids."""
    if content_provider is None:
        raise BadRequest(
            "Input field learningContentId is invalid", details=[field_invalid("learningContentId")]
        )
    if content_provider != provider_id:
        raise provider_not_valid_for_content(values["learningContentId"], provider_id, content_provider)
    if learner_licensed is None:
        raise BadRequest("Input field learnerUserId is invalid", details=[field_invalid("learnerUserId")])
    if not learner_licensed:
        raise licence_not_valid(str(values["learnerUserId"]), on_create=on_create)
