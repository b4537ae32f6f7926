"""The JSON schemas of an activity's write bodies in ``/openapi.json``: either type, as a POST or PATCH takes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from learninggraph.domain.entity import EntityType
from learninggraph.resources.learning_course_activities.entity import (
    CREATABLE,
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
    REQUIRED_ON_CREATE,
    SELF_INITIATED_STATUSES_V1,
    UPDATABLE,
)
from learninggraph.resources.openapi_requests import closed

_TYPES = (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE)


def activity_body(api_version: str, path: str, create: bool) -> dict[str, Any]:
    if create:
        # A path without the provider leaves it to the body.
        return _create_body(api_version, names_provider="{provider}" not in path)
    return {
        "anyOf": [
            closed(entity, UPDATABLE[entity.name], (), enum_members=_members(entity, api_version))
            for entity in _TYPES
        ]
    }


def _create_body(api_version: str, *, names_provider: bool) -> dict[str, Any]:
    variants = []
    for entity in _TYPES:
        required = [*REQUIRED_ON_CREATE[entity.name]]
        if names_provider:
            required.append("learningProviderId")
        schema = closed(entity, CREATABLE[entity.name], required, enum_members=_members(entity, api_version))
        schema["properties"]["@odata.type"] = {"type": "string", "enum": [entity.odata_type]}
        schema["required"].insert(0, "@odata.type")
        variants.append(schema)
    return {"anyOf": variants}


def _members(entity: EntityType, api_version: str) -> Mapping[str, Sequence[str]] | None:
    """v1.0 takes fewer statuses for a self-initiated course than beta does."""
    if entity is LEARNING_SELF_INITIATED_COURSE and api_version == "v1.0":
        return {"status": sorted(SELF_INITIATED_STATUSES_V1)}
    return None
