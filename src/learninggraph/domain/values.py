"""Parsing and canonical forms of Graph's scalar and complex values.

Each ``parse_*`` returns the canonical stored form, or raises ``InvalidValue``; each ``emit_*`` turns
the stored form back into what Graph sends. Stored date-times are fixed-width UTC strings, so that
comparing two stored values as text compares them as instants, on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


class InvalidValue(ValueError):
    """The value does not have the shape its property requires."""


_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$"
)
_LOCAL_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?$")
_STORED_FORMAT = "-%m-%dT%H:%M:%S.%fZ"  # after the four-digit year


def _to_datetime(date: str, time: str, fraction: str | None, offset: str | None) -> datetime:
    micro = (fraction or "").ljust(6, "0")[:6]
    text = f"{date}T{time}"
    if len(time) == 5:
        text += ":00"
    text += f".{micro}"
    if offset and offset not in ("Z", "z"):
        text += offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from exc
    if parsed.tzinfo is None:
        # Naive values (what the Python SDK writes for naive datetimes) are read as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # an offset that moves the instant out of years 1 to 9999
        raise InvalidValue(str(exc)) from exc


def _fixed_width(value: datetime, rest: str) -> str:
    """``strftime`` writes years before 1000 with fewer than four digits on some platforms."""
    return f"{value.year:04d}" + value.strftime(rest)


def parse_datetime(raw: object) -> str:
    """An ISO 8601 date-time (offset, ``Z`` or naive-as-UTC) → the stored fixed-width UTC form."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidValue("not a date-time")
    match = _DATETIME.match(raw.strip())
    if match is None:
        raise InvalidValue("not an ISO 8601 date-time")
    return _fixed_width(_to_datetime(*match.groups()), _STORED_FORMAT)


def datetime_to_stored(value: datetime) -> str:
    return _fixed_width(value.astimezone(UTC), _STORED_FORMAT)


def emit_datetime(stored: str) -> str:
    """The stored form → Graph's form: UTC with ``Z``, fractional seconds only when non-zero."""
    fraction = stored[20:26].rstrip("0")
    if not fraction:
        return stored[:19] + "Z"
    return f"{stored[:19]}.{fraction}Z"


def parse_local_datetime(raw: object) -> str:
    """The ``dateTime`` of a dateTimeTimeZone: a local date-time without offset, 7 fractional digits."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidValue("not a date-time")
    match = _LOCAL_DATETIME.match(raw.strip())
    if match is None:
        raise InvalidValue("not a local ISO 8601 date-time")
    date, time, fraction = match.groups()
    parsed = _to_datetime(date, time, fraction, "Z")
    return _fixed_width(parsed, "-%m-%dT%H:%M:%S.") + (fraction or "").ljust(7, "0")[:7]


_ISO_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_PY_DURATION = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_MAX_DURATION = timedelta(days=36_500)


def parse_duration(raw: object) -> str:
    """ISO 8601 (``PT1H30M``) or Python's ``str(timedelta)`` (``1:30:00``) → canonical ISO 8601."""
    if not isinstance(raw, str) or len(raw) > 64:
        raise InvalidValue("not a duration")
    text = raw.strip()
    iso = _ISO_DURATION.match(text.upper())
    if iso is not None and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        try:
            value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:
            raise InvalidValue("duration too long") from None
    else:
        py = _PY_DURATION.match(text)
        if py is None:
            raise InvalidValue("not a duration")
        days_s, hours_s, minutes_s, seconds_s, fraction = py.groups()
        try:
            value = timedelta(
                days=int(days_s or 0),
                hours=int(hours_s),
                minutes=int(minutes_s),
                seconds=int(seconds_s or 0),
                microseconds=int((fraction or "0").ljust(6, "0")),
            )
        except OverflowError:
            raise InvalidValue("duration too long") from None
    if value > _MAX_DURATION:
        raise InvalidValue("duration too long")
    return format_duration(value)


def format_duration(value: timedelta) -> str:
    total_us = value.days * 86_400_000_000 + value.seconds * 1_000_000 + value.microseconds
    days, rest = divmod(total_us, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    out = "P"
    if days:
        out += f"{days}D"
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if seconds or micros:
        time += f"{seconds}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if time:
        out += "T" + time
    return out if out != "P" else "PT0S"


_SENTINEL = "unknownFutureValue"


@dataclass(frozen=True, slots=True)
class EnumType:
    """A Graph enum. Members after ``unknownFutureValue`` are evolvable: shown only on request."""

    name: str
    members: tuple[str, ...]
    # Made once from ``members`` (every write of an enum's value reads both): the evolvable members, and each
    # member by its case-folded text (the first member of a folded text, as a search in order finds it).
    evolvable: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _by_folded: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        members = self.members
        evolvable = members[members.index(_SENTINEL) + 1 :] if _SENTINEL in members else ()
        object.__setattr__(self, "evolvable", evolvable)
        by_folded: dict[str, str] = {}
        for member in members:
            by_folded.setdefault(member.casefold(), member)
        object.__setattr__(self, "_by_folded", by_folded)

    def lookup(self, raw: object) -> str:
        """Any letter case → the canonical member; raises InvalidValue for anything else."""
        if isinstance(raw, str):
            member = self._by_folded.get(raw.casefold())
            if member is not None:
                return member
        raise InvalidValue(f"not a member of {self.name}")

    def emit(self, stored: str, *, include_unknown_members: bool) -> str:
        if not include_unknown_members and stored in self.evolvable:
            return "unknownFutureValue"
        return stored


COURSE_STATUS = EnumType("courseStatus", ("notStarted", "inProgress", "completed", "unknownFutureValue"))
ASSIGNMENT_TYPE = EnumType(
    "assignmentType", ("required", "recommended", "unknownFutureValue", "peerRecommended")
)
LEVEL = EnumType("level", ("beginner", "intermediate", "advanced", "unknownFutureValue"))
BODY_TYPE = EnumType("bodyType", ("text", "html"))


def require_string(raw: object, *, max_length: int) -> str:
    if not isinstance(raw, str) or "\x00" in raw:
        raise InvalidValue("not a string")
    if len(raw) > max_length:
        raise InvalidValue("too long")
    return raw


def require_int32(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidValue("not an integer")
    if not -(2**31) <= raw < 2**31:
        raise InvalidValue("out of Int32 range")
    return raw


def require_bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise InvalidValue("not a boolean")
    return raw


def require_string_list(raw: object, *, max_items: int, max_length: int) -> list[str]:
    if not isinstance(raw, list) or len(raw) > max_items:
        raise InvalidValue("not a list of strings")
    for item in raw:
        if not isinstance(item, str) or len(item) > max_length or "\x00" in item:
            raise InvalidValue("not a list of strings")
    return list(raw)


def require_object(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidValue("not an object")
    return raw
