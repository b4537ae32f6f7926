"""Fault rules from a TOML file: one ``[[fault]]`` table per rule, checked before any is stored.

[[fault]]
tenant = "…"                 # required (or given on the command line)
app = "…"                    # optional: only this client id
method = "PATCH"             # optional
route = "*learningCourseActivities*"   # optional: a route template or a shell-style pattern
status = 429                 # 429, 500, 502, 503 or 504 ...
retry_after = 2              # ... (seconds; 429 and 503)
latency_ms = 300             # ... and/or a delay
drop = true                  # ... or close the connection
probability = 0.25           # optional, default 1
count = "once"               # optional: "once", or a number of times
start = 2026-11-26T10:00:00Z # optional window, or
duration_seconds = 60        #   from when the file is loaded
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from learninggraph.faults.rules import FaultRule, FaultRuleError, new_rule

# A rule's fields, in the order they are documented; a rules file may also name its ``tenant``.
RULE_KEYS: tuple[str, ...] = (
    "app",
    "method",
    "route",
    "status",
    "retry_after",
    "latency_ms",
    "drop",
    "probability",
    "count",
    "start",
    "end",
    "duration_seconds",
)
_KEYS = frozenset({"tenant", *RULE_KEYS})


class FaultRulesFileError(ValueError):
    """A rules file that cannot be read or holds a rule that is not valid; says where."""


def load_rules_file(
    path: Path, *, tenant_id: str | None = None, now: datetime | None = None
) -> list[FaultRule]:
    """Every rule of the file, validated; ``tenant_id`` fills in rules that name no tenant."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultRulesFileError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FaultRulesFileError(f"{path}: not valid TOML: {exc}") from exc
    return parse_rules(document, source=str(path), tenant_id=tenant_id, now=now)


def parse_rules(
    document: dict[str, Any], *, source: str, tenant_id: str | None = None, now: datetime | None = None
) -> list[FaultRule]:
    unknown = sorted(set(document) - {"fault"})
    if unknown:
        raise FaultRulesFileError(
            f"{source}: unknown top-level key {unknown[0]!r}; rules go in [[fault]] tables"
        )
    tables = document.get("fault", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise FaultRulesFileError(f"{source}: 'fault' must be an array of tables ([[fault]])")
    if not tables:
        raise FaultRulesFileError(f"{source}: no [[fault]] rule in the file")
    moment = now or datetime.now(UTC)
    rules: list[FaultRule] = []
    for number, table in enumerate(tables, start=1):
        try:
            rules.append(rule_from_table(table, tenant_id, moment))
        except (FaultRuleError, TypeError) as exc:
            raise FaultRulesFileError(f"{source}: fault {number}: {exc}") from exc
    return rules


def rule_from_table(table: dict[str, Any], tenant_id: str | None, now: datetime) -> FaultRule:
    """One ``[[fault]]`` table as a rule; ``FaultRuleError`` (or ``TypeError``) says what is wrong."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise FaultRuleError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    tenant = _typed(table, "tenant", str) or tenant_id
    if not tenant:
        raise FaultRuleError("no tenant: give 'tenant' in the rule or --tenant")
    starts_at = _moment(table, "start")
    ends_at = _moment(table, "end")
    duration = _typed(table, "duration_seconds", int, float)
    if duration is not None:
        if ends_at is not None:
            raise FaultRuleError("give 'end' or 'duration_seconds', not both")
        starts_at = starts_at or now
        ends_at = starts_at + timedelta(seconds=duration)
    return new_rule(
        tenant,
        status=_typed(table, "status", int),
        latency_ms=_typed(table, "latency_ms", int) or 0,
        drop=bool(_typed(table, "drop", bool)),
        retry_after=_typed(table, "retry_after", int),
        app_id=_typed(table, "app", str),
        method=_typed(table, "method", str),
        route=_typed(table, "route", str),
        probability=_typed(table, "probability", float, int) or 1.0,
        count=parse_count(table.get("count")),
        starts_at=starts_at,
        ends_at=ends_at,
    )


def parse_count(value: object) -> int | None:
    """``"once"``, ``"twice"``, ``"3 times"``, ``3`` or None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        words = value.strip().lower().split()
        named = {"once": 1, "twice": 2}
        if len(words) == 1 and words[0] in named:
            return named[words[0]]
        if words and words[0].isdigit() and words[1:] in ([], ["times"], ["time"]):
            return int(words[0])
    raise FaultRuleError(f'count {value!r}: give "once", "twice", "N times" or a number')


def _typed(table: dict[str, Any], key: str, *kinds: type) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in kinds:
        raise FaultRuleError(f"{key} must be {' or '.join(kind.__name__ for kind in kinds)}, not a boolean")
    if not isinstance(value, kinds):
        raise FaultRuleError(
            f"{key} must be {' or '.join(kind.__name__ for kind in kinds)}, not {type(value).__name__}"
        )
    return value


def _moment(table: dict[str, Any], key: str) -> datetime | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise FaultRuleError(f"{key} must be a TOML date-time such as 2026-11-26T10:00:00Z")
    if value.tzinfo is None:
        raise FaultRuleError(f"{key} needs a time zone (e.g. Z)")
    return value
