"""The JSON schemas of write bodies in the OpenAPI document, built from an entity's declared properties.

A body that fits these schemas passes the field checks (the rules that need stored data, such as an
existing content or a licensed learner, can still refuse it); each schema is closed, since the
services refuse any property they do not accept. Each resource's ``bodies`` module says which properties
each of its writes accepts and requires.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from learninggraph.domain.entity import EntityType, Kind, Property

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Text holding at least one non-blank character, and (as any text) no NUL, which neither database stores.
_NON_BLANK = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
# An absolute http(s) URL.
_WEB_URL = "^https?://[A-Za-z0-9.-]+(/[^\\x00\\s]*)?$"
_LOCAL_DATETIME = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?([.][0-9]{1,7})?$"
# ISO 8601 durations up to a hundred years, the longest stored.
_DURATION = "^P([0-9]{1,4}D)?(T([0-9]{1,3}H)?([0-9]{1,3}M)?([0-9]{1,3}S)?)?$"


def closed(
    entity: EntityType,
    accepted: Collection[str],
    required: Sequence[str],
    *,
    enum_members: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """An object of ``entity``'s ``accepted`` properties and no other, the ``required`` ones listed as such.

    ``enum_members``: the members an enum property accepts where fewer than its type's (by property name).
    """
    properties = {
        prop.name: _value_schema(prop, (enum_members or {}).get(prop.name))
        for prop in entity.properties
        if prop.name in accepted
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    schema["required"] = list(required)
    if not required:
        del schema["required"]
    return schema


def _value_schema(prop: Property, accepted_members: Sequence[str] | None) -> dict[str, Any]:
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
        if accepted_members is not None:
            members = list(accepted_members)
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
