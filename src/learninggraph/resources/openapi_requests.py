"""The request bodies of the OpenAPI document: what each write accepts, as the services validate it.

A body that fits these schemas passes the field checks (the rules that need stored data, such as an
existing content or a licensed learner, can still refuse it); each schema is closed, since the
services refuse any property they do not accept.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.resources.learning_contents import entity as contents
from learninggraph.resources.learning_course_activities import entity as activities
from learninggraph.resources.learning_providers import entity as providers

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Text holding at least one non-blank character, and (as any text) no NUL, which neither database stores.
_NON_BLANK = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
# An absolute http(s) URL.
_WEB_URL = "^https?://[A-Za-z0-9.-]+(/[^\\x00\\s]*)?$"
_LOCAL_DATETIME = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?([.][0-9]{1,7})?$"
# ISO 8601 durations up to a hundred years, the longest stored.
_DURATION = "^P([0-9]{1,4}D)?(T([0-9]{1,3}H)?([0-9]{1,3}M)?([0-9]{1,3}S)?)?$"
_SELF_INITIATED_V1_STATUSES = sorted(activities.SELF_INITIATED_STATUSES_V1)


def provider_body(*, create: bool) -> dict[str, Any]:
    return _closed(
        providers.LEARNING_PROVIDER,
        providers.WRITABLE,
        providers.REQUIRED_ON_CREATE if create else (),
    )


def content_body(*, create: bool, keyed: bool = False) -> dict[str, Any]:
    """``create``: a POST; else a PATCH, which never changes externalId, and which creates the content
    when the URL's ``externalId`` (``keyed``) names none: then the other required fields are needed."""
    if create:
        return _closed(contents.LEARNING_CONTENT, contents.WRITABLE, contents.REQUIRED_ON_CREATE)
    required = [name for name in contents.REQUIRED_ON_CREATE if name != "externalId"] if keyed else []
    return _closed(contents.LEARNING_CONTENT, contents.WRITABLE - {"externalId"}, required)


def activity_create_body(api_version: str, *, names_provider: bool) -> dict[str, Any]:
    """Either activity type; ``names_provider``: the URL does not name the provider, so the body must."""
    variants = []
    for entity in (activities.LEARNING_ASSIGNMENT, activities.LEARNING_SELF_INITIATED_COURSE):
        required = [*activities.REQUIRED_ON_CREATE[entity.name]]
        if names_provider:
            required.append("learningProviderId")
        schema = _closed(entity, activities.CREATABLE[entity.name], required, api_version=api_version)
        schema["properties"]["@odata.type"] = {"type": "string", "enum": [entity.odata_type]}
        schema["required"].insert(0, "@odata.type")
        variants.append(schema)
    return {"anyOf": variants}


def activity_update_body(api_version: str) -> dict[str, Any]:
    return {
        "anyOf": [
            _closed(entity, activities.UPDATABLE[entity.name], (), api_version=api_version)
            for entity in (activities.LEARNING_ASSIGNMENT, activities.LEARNING_SELF_INITIATED_COURSE)
        ]
    }


def _closed(
    entity: EntityType,
    accepted: Collection[str],
    required: Sequence[str],
    *,
    api_version: str = "v1.0",
) -> dict[str, Any]:
    properties = {
        prop.name: _value_schema(entity, prop, api_version)
        for prop in entity.properties
        if prop.name in accepted
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    schema["required"] = list(required)
    if not required:
        del schema["required"]
    return schema


def _value_schema(entity: EntityType, prop: Property, api_version: str) -> dict[str, Any]:
    schema: dict[str, Any]
    if prop.kind is Kind.STRING:
        schema = {"type": "string", "maxLength": prop.max_length}
        if prop.is_url:
            schema["pattern"] = _WEB_URL
        elif not prop.nullable:
            schema.update(minLength=1, pattern=_NON_BLANK)
    elif prop.kind is Kind.BOOLEAN:
        schema = {"type": "boolean"}
    elif prop.kind is Kind.INT32:
        low, high = (0, 100) if prop.name == "completionPercentage" else (INT32_MIN, INT32_MAX)
        schema = {"type": "integer", "format": "int32", "minimum": low, "maximum": high}
    elif prop.kind is Kind.DATETIME:
        schema = {"type": "string", "format": "date-time"}
    elif prop.kind is Kind.DURATION:
        schema = {"type": "string", "pattern": _DURATION}
    elif prop.kind is Kind.ENUM:
        assert prop.enum is not None
        # The sentinel cannot be written; the members after it need a Prefer header.
        members = [m for m in prop.enum.members if m != "unknownFutureValue" and m not in prop.enum.evolvable]
        if (
            entity is activities.LEARNING_SELF_INITIATED_COURSE
            and prop.name == "status"
            and api_version == "v1.0"
        ):
            members = _SELF_INITIATED_V1_STATUSES
        schema = {"type": "string", "enum": members}
    elif prop.kind is Kind.STRING_LIST:
        item = {"type": "string", "maxLength": prop.max_length}
        schema = {"type": "array", "maxItems": 500, "items": item}
    elif prop.kind is Kind.DATETIME_TIME_ZONE:
        schema = {
            "type": "object",
            "required": ["dateTime"],
            "properties": {
                "dateTime": {"type": "string", "pattern": _LOCAL_DATETIME},
                "timeZone": {"type": "string", "maxLength": 128, "pattern": _NON_BLANK},
            },
            "additionalProperties": False,
        }
    else:
        schema = {
            "type": "object",
            "properties": {
                "content": {"type": "string", "maxLength": 65_536, "nullable": True},
                "contentType": {"type": "string", "enum": ["text", "html"], "nullable": True},
            },
            "additionalProperties": False,
        }
    if prop.nullable:
        schema["nullable"] = True
    return schema
