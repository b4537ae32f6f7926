"""Fault rules given to ``serve``: ``--fault 'status=503 route=... probability=0.5'`` specs and ``--faults-file``.

A spec is ``key=value`` words with the keys of a rules file's ``[[fault]]`` table (``faults.rules_file``), plus
the bare words ``drop`` and ``once``; quote a value with spaces. A rule that names no tenant is for the
development identity's tenant. ``serve`` stores them before it starts answering, each under an id derived
from where it was given, so serving again with the same flags replaces them (their counts start afresh)
instead of adding copies; it deletes them when it stops.
"""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learninggraph.faults.rules import FaultRule, FaultRuleError
from learninggraph.faults.rules_file import FaultRulesFileError, load_rules_file, rule_from_table
from learninggraph.faults.store import add_rule, clear_rules
from learninggraph.storage.database import Database

_INTEGERS = frozenset({"status", "retry_after", "latency_ms"})
_NUMBERS = frozenset({"probability", "duration_seconds"})
_MOMENTS = frozenset({"start", "end"})
_BARE = {"drop": ("drop", True), "once": ("count", "once")}
# Ids of the rules serve stores are derived from this namespace, the spec or file and the rule's place.
_NAMESPACE = uuid.UUID("5a0c6c52-7f0e-4b8e-9d7e-2f1c7c9a4e31")


def parse_spec(text: str, *, tenant_id: str | None = None, now: datetime | None = None) -> FaultRule:
    """One ``--fault`` spec as a validated rule; ``FaultRulesFileError`` says what is wrong."""
    source = f"--fault {text!r}"
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise FaultRulesFileError(f"{source}: {exc}") from None
    table: dict[str, Any] = {}
    for word in words:
        key, equals, value = word.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not equals:
            if key not in _BARE:
                raise FaultRulesFileError(f"{source}: {word!r} is not key=value (nor drop, once)")
            key, parsed = _BARE[key]
            table[key] = parsed
            continue
        try:
            table[key] = _value(key, value)
        except ValueError as exc:
            raise FaultRulesFileError(f"{source}: {key}={value!r}: {exc}") from None
    if not table:
        raise FaultRulesFileError(f"{source}: an empty rule")
    if "tenant" not in table and tenant_id is None:
        raise FaultRulesFileError(
            f"{source}: no tenant: give tenant=... (there is no dev identity to default to)"
        )
    try:
        return rule_from_table(table, tenant_id, now or datetime.now(UTC))
    except (FaultRuleError, TypeError) as exc:
        raise FaultRulesFileError(f"{source}: {exc}") from None


def _value(key: str, value: str) -> object:
    if key in _INTEGERS:
        return int(value)
    if key in _NUMBERS:
        return float(value)
    if key in _MOMENTS:
        return datetime.fromisoformat(value)
    if key == "drop":
        if value.lower() not in ("true", "false"):
            raise ValueError("give true or false")
        return value.lower() == "true"
    if key == "count" and value.isdigit():
        return int(value)
    return value


def serve_rules(
    specs: Sequence[str], files: Sequence[str], *, tenant_id: str | None, now: datetime | None = None
) -> list[FaultRule]:
    """Every rule of ``specs`` and ``files``, validated, with ids that stay the same from one start to the next."""
    rules: list[FaultRule] = []
    for spec in specs:
        rules.append(_stable(parse_spec(spec, tenant_id=tenant_id, now=now), f"spec:{spec}"))
    for file in files:
        loaded = load_rules_file(Path(file), tenant_id=tenant_id, now=now)
        rules.extend(
            _stable(rule, f"file:{Path(file).resolve()}:{number}") for number, rule in enumerate(loaded)
        )
    return rules


def _stable(rule: FaultRule, origin: str) -> FaultRule:
    return replace(rule, id=str(uuid.uuid5(_NAMESPACE, f"{rule.tenant_id}:{origin}")))


def install(database: Database, rules: Sequence[FaultRule]) -> None:
    """Stores ``rules``, replacing the ones an earlier start stored from the same flags."""
    for rule in rules:
        clear_rules(database, rule.tenant_id, rule.id)
        add_rule(database, rule)


def uninstall(database: Database, rules: Sequence[FaultRule]) -> None:
    for rule in rules:
        clear_rules(database, rule.tenant_id, rule.id)
