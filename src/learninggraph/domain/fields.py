"""Decoding Graph JSON property values into their stored form, collecting every failing field."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.errors import (
    ErrorDetail,
    ValidationFailed,
    field_empty,
    field_invalid,
    field_required,
    field_too_long,
)
from learninggraph.domain.values import (
    BODY_TYPE,
    InvalidValue,
    parse_datetime,
    parse_duration,
    parse_local_datetime,
    require_bool,
    require_int32,
    require_object,
    require_string,
    require_string_list,
)

# Annotations a client may send back unchanged (the Python SDK round-trips them); never stored.
IGNORED_ANNOTATIONS = frozenset({"@odata.context", "@odata.etag", "@odata.id", "@odata.editLink"})

_encode = msgspec.json.Encoder(order="deterministic").encode


@dataclass(slots=True)
class Decoded:
    """Stored values by property name, and the problems found on the way."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[ErrorDetail] = field(default_factory=list)

    def fail(self, detail: ErrorDetail) -> None:
        if all(existing.message != detail.message for existing in self.errors):
            self.errors.append(detail)

    def raise_if_failed(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def decode_properties(
    entity: EntityType,
    body: Mapping[str, Any],
    *,
    accepted: Collection[str],
    include_unknown_enum_members: bool,
    skip: Collection[str] = (),
) -> Decoded:
    """Decodes every property of ``body`` that ``accepted`` names; anything else is invalid.

    ``skip`` names JSON keys the caller handles itself (such as ``@odata.type`` or ``id``).
    """
    decoded = Decoded()
    for name, raw in body.items():
        if name in IGNORED_ANNOTATIONS or name in skip:
            continue
        prop = entity.property_named(name)
        if prop is None or prop.name not in accepted:
            decoded.fail(
                field_invalid(name, f"left out: {entity.name} takes here only {', '.join(sorted(accepted))}")
            )
            continue
        if prop.name in decoded.values:
            # Two spellings of one property (externalCourseActivityId and externalcourseActivityId): the second
            # must be a valid value, and the same.
            try:
                same = decode_value(prop, raw, include_unknown_enum_members) == decoded.values[prop.name]
            except InvalidValue:
                same = False
            if not same:
                decoded.fail(field_invalid(prop.name))
            continue
        _decode_into(decoded, prop, raw, include_unknown_enum_members)
    return decoded


def decode_valid(
    by_name: Mapping[str, Property],
    body: Mapping[str, Any],
    skipped: Collection[str],
    include_unknown_enum_members: bool,
) -> dict[str, Any] | None:
    """``decode_properties``' values where it would find no problem, with less work (no ``Decoded``, no error
    made); None where a name or a value has one, or a property is named twice: ``decode_properties`` then says
    what. ``by_name``: the accepted properties by name and alias, none of ``skipped`` (the names it passes
    over: the ignored annotations and its ``skip``)."""
    values: dict[str, Any] = {}
    for name, raw in body.items():
        prop = by_name.get(name)
        if prop is None:
            if name in skipped:
                continue
            return None
        key = prop.name
        if key in values:
            return None
        try:
            values[key] = decode_value(prop, raw, include_unknown_enum_members)
        except InvalidValue:
            return None
    return values


def _decode_into(decoded: Decoded, prop: Property, raw: Any, include_unknown_enum_members: bool) -> None:
    try:
        decoded.values[prop.name] = decode_value(prop, raw, include_unknown_enum_members)
    except _Empty:
        decoded.fail(field_empty(prop.name))
    except _Missing:
        decoded.fail(field_required(prop.name))
    except _TooLong:
        decoded.fail(field_too_long(prop.name, prop.max_length))
    except InvalidValue as problem:
        decoded.fail(field_invalid(prop.name, expected_value(prop, str(problem))))


def expected_value(prop: Property, problem: str) -> str:
    """What a value of ``prop`` must be, for the journal's explanation of a rejected one."""
    kind = prop.kind
    if kind is Kind.ENUM and prop.enum is not None:
        members = [m for m in prop.enum.members if m != "unknownFutureValue"]
        wanted = f"one of {', '.join(members)}"
        return f"{wanted} ({problem})" if "evolvable" in problem or "sentinel" in problem else wanted
    described = {
        Kind.STRING: f"a string of at most {prop.max_length} characters",
        Kind.BOOLEAN: "true or false",
        Kind.INT32: "a 32-bit integer",
        Kind.DATETIME: "an ISO 8601 date and time with a zone (2026-01-31T12:00:00Z)",
        Kind.DURATION: "an ISO 8601 duration (PT1H30M)",
        Kind.STRING_LIST: "an array of strings",
        Kind.DATETIME_TIME_ZONE: 'a dateTimeTimeZone {"dateTime": ..., "timeZone": ...}',
        Kind.ITEM_BODY: 'an itemBody {"content": ..., "contentType": "text" or "html"}',
    }.get(kind, str(kind))
    return f"{described}; {problem}"


def key_errors(prop: Property, raw: str) -> list[ErrorDetail]:
    """What is wrong with a key value taken from the URL, judged as its body twin is (empty, too long, NUL).

    A key names one object, so a blank value is empty even where the property itself may be null.
    """
    decoded = Decoded()
    if not raw.strip():
        decoded.fail(field_empty(prop.name))
    else:
        _decode_into(decoded, prop, raw, include_unknown_enum_members=False)
    return decoded.errors


def is_storable_id(raw: str) -> bool:
    """Whether a server-generated id from the URL could name a stored object at all.

    Text with a NUL byte names nothing (PostgreSQL cannot even compare it), so it is simply not found,
    on every backend alike.
    """
    return "\x00" not in raw


def require_present(decoded: Decoded, names: Collection[str]) -> None:
    for name in names:
        if name not in decoded.values and not any(e.target == name for e in decoded.errors):
            decoded.fail(field_required(name))


class _Empty(InvalidValue):
    pass


class _Missing(InvalidValue):
    pass


class _TooLong(InvalidValue):
    pass


# The kinds as module constants: an enum member read through its class (``Kind.STRING``) goes through the enum
# metaclass's attribute hook, costlier than the whole comparison, and this runs once per field of every write.
_STRING, _BOOLEAN, _INT32, _DATETIME, _DURATION = (
    Kind.STRING,
    Kind.BOOLEAN,
    Kind.INT32,
    Kind.DATETIME,
    Kind.DURATION,
)
_ENUM, _STRING_LIST, _DATETIME_TIME_ZONE, _ITEM_BODY = (
    Kind.ENUM,
    Kind.STRING_LIST,
    Kind.DATETIME_TIME_ZONE,
    Kind.ITEM_BODY,
)


def decode_value(prop: Property, raw: Any, include_unknown_enum_members: bool) -> Any:
    if raw is None:
        if not prop.nullable:
            raise _Missing(prop.name)
        return None
    kind = prop.kind
    if kind is _STRING:
        if not isinstance(raw, str) or "\x00" in raw:
            # NUL is not text: PostgreSQL cannot store it, so neither backend accepts it.
            raise InvalidValue("not a string")
        if len(raw) > prop.max_length:
            raise _TooLong(prop.name)
        if not prop.nullable and not raw.strip():
            raise _Empty(prop.name)
        if prop.is_url and not _is_web_url(raw):
            raise InvalidValue("not an absolute http(s) URL")
        return raw
    if kind is _BOOLEAN:
        return require_bool(raw)
    if kind is _INT32:
        return require_int32(raw)
    if kind is _DATETIME:
        return parse_datetime(raw)
    if kind is _DURATION:
        return parse_duration(raw)
    if kind is _ENUM:
        assert prop.enum is not None
        member = prop.enum.lookup(raw)
        if member == "unknownFutureValue":
            raise InvalidValue("the sentinel member cannot be written")
        if member in prop.enum.evolvable and not include_unknown_enum_members:
            raise InvalidValue("an evolvable member needs Prefer: include-unknown-enum-members")
        return member
    if kind is _STRING_LIST:
        return _encode(require_string_list(raw, max_items=500, max_length=prop.max_length)).decode()
    if kind is _DATETIME_TIME_ZONE:
        return _encode(_date_time_time_zone(raw)).decode()
    if kind is _ITEM_BODY:
        return _encode(_item_body(raw)).decode()
    raise InvalidValue(f"unsupported kind {kind}")


def _date_time_time_zone(raw: Any) -> dict[str, str]:
    value = require_object(raw)
    _only_keys(value, {"dateTime", "timeZone"})
    time_zone = value.get("timeZone")
    if time_zone is None:
        time_zone = "UTC"
    zone = require_string(time_zone, max_length=128).strip()
    if not zone:
        raise InvalidValue("empty time zone")
    return {"dateTime": parse_local_datetime(value.get("dateTime")), "timeZone": zone}


def _item_body(raw: Any) -> dict[str, str | None]:
    value = require_object(raw)
    _only_keys(value, {"content", "contentType"})
    content = value.get("content")
    if content is not None:
        content = require_string(content, max_length=65_536)
    content_type = value.get("contentType")
    if content_type is not None:
        content_type = BODY_TYPE.lookup(content_type)
    return {"content": content, "contentType": content_type or "text"}


def _is_web_url(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text.strip()


def _only_keys(value: Mapping[str, Any], allowed: set[str]) -> None:
    for key in value:
        if key not in allowed and key != "@odata.type":
            raise InvalidValue(f"unexpected member {key}")
