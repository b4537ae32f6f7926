"""The fault-rules page's reads and changes, always inside the viewer's tenant: the rules as plain dicts, a rule
from the page's form (validated by ``faults.rules.new_rule``), and clearing one rule or all of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from learninggraph.dashboard.viewer import Viewer
from learninggraph.faults.rules import METHODS, STATUSES, FaultRule, FaultRuleError, new_rule
from learninggraph.faults.store import add_rule, clear_rules, list_rules
from learninggraph.storage.database import Database

_N = TypeVar("_N", int, float)
ACTIONS = ("status", "latency", "drop")
FORM_METHODS = tuple(sorted(METHODS))
FORM_STATUSES = STATUSES


class FaultRules:
    """``changed`` runs after every change (the server's matcher re-reads its copy of the rules)."""

    def __init__(self, database: Database, changed: Callable[[], None] = lambda: None) -> None:
        self._database = database
        self._changed = changed

    def rules(self, viewer: Viewer) -> list[dict[str, Any]]:
        return [_view(rule) for rule in list_rules(self._database, viewer.tenant.id)]

    def add(self, viewer: Viewer, form: dict[str, str]) -> FaultRule:
        """Stores the rule the form describes; ``FaultRuleError`` says what is wrong with it."""
        rule = rule_of(viewer.tenant.id, form)
        add_rule(self._database, rule)
        self._changed()
        return rule

    def clear(self, viewer: Viewer, rule_id: str | None) -> int:
        cleared = clear_rules(self._database, viewer.tenant.id, rule_id)
        self._changed()
        return cleared


def rule_of(tenant_id: str, form: dict[str, str]) -> FaultRule:
    """The form's rule: ``action`` (status, latency or drop) with ``status``, ``retry_after``, ``latency_ms``,
    ``probability``, ``count``, ``starts``/``ends`` (UTC), ``app``, ``method`` and ``route``."""
    action = form.get("action", "status")
    if action not in ACTIONS:
        raise FaultRuleError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    status = _number(form, "status", int) if action == "status" else None
    if action == "status" and status is None:
        raise FaultRuleError("an error answer needs a status")
    return new_rule(
        tenant_id,
        status=status,
        drop=action == "drop",
        latency_ms=_number(form, "latency_ms", int) or 0,
        retry_after=_number(form, "retry_after", int) if action == "status" else None,
        app_id=form.get("app", "").strip() or None,
        method=form.get("method", "").strip() or None,
        route=form.get("route", "").strip() or None,
        probability=_number(form, "probability", float) or 1.0,
        count=_number(form, "count", int),
        starts_at=_moment(form, "starts"),
        ends_at=_moment(form, "ends"),
    )


def _number(form: dict[str, str], name: str, kind: type[_N]) -> _N | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise FaultRuleError(f"{name.replace('_', ' ')} {text!r} is not a number") from None


def _moment(form: dict[str, str], name: str) -> datetime | None:
    """A ``datetime-local`` field's value, read as UTC."""
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FaultRuleError(f"{name} {text!r} is not a date and time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _view(rule: FaultRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "description": rule.describe(),
        "action": str(rule.action),
        "status": rule.status,
        "latencyMs": rule.latency_ms,
        "app": rule.app_id,
        "method": rule.method,
        "route": rule.route,
        "probability": rule.probability,
        "remaining": rule.remaining,
        "spent": rule.remaining == 0,
    }
