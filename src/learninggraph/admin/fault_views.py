"""The admin API's fault rules (list, add, read, clear one or all) and its reset of a tenant's journal and rules.

A rule is added from a JSON object with the keys of a rules file's ``[[fault]]`` table (without ``tenant``:
the token's tenant is the rule's); date-times are ISO 8601 text. After each change the process's matcher is
told, so the rule applies at once here and within a second in other processes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from learninggraph.admin.journal_views import json_response
from learninggraph.admin.queries import refuse_unknown
from learninggraph.domain.errors import BadRequest, NotFound
from learninggraph.faults.rules import Action, FaultRule, FaultRuleError, new_rule
from learninggraph.faults.rules_file import RULE_KEYS, parse_count
from learninggraph.faults.store import add_rule, clear_rules, list_rules
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.journal.journal import Journal
from learninggraph.journal.store import JournalStore
from learninggraph.storage.database import Database

MAX_TEXT = 1000
MAX_COUNT = 1_000_000_000
MAX_RETRY_AFTER = 86_400


def rule_json(rule: FaultRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "action": str(rule.action),
        "app": rule.app_id,
        "method": rule.method,
        "route": rule.route,
        "status": rule.status,
        "retry_after": rule.retry_after,
        "latency_ms": rule.latency_ms,
        "drop": rule.action is Action.DROP,
        "probability": rule.probability,
        "remaining": rule.remaining,
        "start": _iso(rule.starts_at),
        "end": _iso(rule.ends_at),
        "description": rule.describe(),
    }


class FaultViews:
    """One tenant's fault rules; ``changed`` is called after every change (the matcher re-reads)."""

    def __init__(
        self,
        database: Database,
        journal: Journal | None,
        changed: Callable[[], None] = lambda: None,
        *,
        journal_database: Database | None = None,
    ) -> None:
        self.database = database
        self.journal_database = journal_database or database
        self.journal = journal
        self.changed = changed

    def listing(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        return json_response(
            200, {"value": [rule_json(rule) for rule in list_rules(self.database, tenant_id)]}
        )

    def one(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        return json_response(200, rule_json(self._find(tenant_id, context.params["rule_id"])))

    def add(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        rule = add_rule(self.database, rule_from_json(tenant_id, context.request.json_body()))
        self.changed()
        location = f"{context.base_url}{context.request.path.rstrip('/')}/{rule.id}"
        return json_response(201, rule_json(rule), [("Location", location)])

    def clear_one(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        rule_id = context.params["rule_id"]
        if clear_rules(self.database, tenant_id, rule_id) == 0:
            raise NotFound(f"This tenant has no fault rule '{rule_id}'.")
        self.changed()
        return Response(204)

    def clear_all(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        removed = clear_rules(self.database, tenant_id)
        self.changed()
        return json_response(200, {"removed": removed})

    def reset(self, context: RequestContext, tenant_id: str) -> Response:
        """Forgets the tenant's journal (what the writer still holds included) and its fault rules."""
        refuse_unknown(context.request.query, ())
        rules = clear_rules(self.database, tenant_id)
        self.changed()
        if self.journal is not None:
            entries = self.journal.clear(tenant_id)
        else:
            entries = JournalStore(self.journal_database).clear(tenant_id)
        return json_response(200, {"journal_entries": entries, "fault_rules": rules})

    def _find(self, tenant_id: str, rule_id: str) -> FaultRule:
        for rule in list_rules(self.database, tenant_id):
            if rule.id == rule_id:
                return rule
        raise NotFound(f"This tenant has no fault rule '{rule_id}'.")


def rule_from_json(tenant_id: str, body: dict[str, Any], *, now: datetime | None = None) -> FaultRule:
    """A validated rule of the tenant from the request body; 400 naming what is wrong."""
    unknown = sorted(set(body) - set(RULE_KEYS))
    if unknown:
        raise BadRequest(f"Unknown fault rule field '{unknown[0]}'; known: {', '.join(RULE_KEYS)}.")
    try:
        _check_bounds(body)
        starts_at = _moment(body, "start")
        ends_at = _moment(body, "end")
        duration = _typed(body, "duration_seconds", int, float)
        if duration is not None:
            if ends_at is not None:
                raise FaultRuleError("give 'end' or 'duration_seconds', not both")
            if duration <= 0:
                raise FaultRuleError("duration_seconds must be above 0")
            starts_at = starts_at or now or datetime.now(UTC)
            ends_at = starts_at + timedelta(seconds=duration)
        return new_rule(
            tenant_id,
            status=_typed(body, "status", int),
            latency_ms=_typed(body, "latency_ms", int) or 0,
            drop=bool(_typed(body, "drop", bool)),
            retry_after=_typed(body, "retry_after", int),
            app_id=_typed(body, "app", str),
            method=_typed(body, "method", str),
            route=_typed(body, "route", str),
            probability=_probability(body),
            count=parse_count(body.get("count")),
            starts_at=starts_at,
            ends_at=ends_at,
        )
    except (FaultRuleError, OverflowError) as error:
        raise BadRequest(f"The fault rule is invalid: {error}.") from None


def _check_bounds(body: dict[str, Any]) -> None:
    """What the columns can hold: no NUL byte or overlong text, counts and seconds within an INTEGER."""
    for key in ("app", "method", "route"):
        value = body.get(key)
        if isinstance(value, str) and ("\x00" in value or len(value) > MAX_TEXT):
            raise FaultRuleError(f"{key} must be text of at most {MAX_TEXT} characters without NUL")
    for key, most in (("count", MAX_COUNT), ("retry_after", MAX_RETRY_AFTER)):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > most:
            raise FaultRuleError(f"{key} must be at most {most}")


def _probability(body: dict[str, Any]) -> float:
    value = _typed(body, "probability", float, int)
    return 1.0 if value is None else float(value)


def _typed(body: dict[str, Any], key: str, *kinds: type) -> Any:
    value = body.get(key)
    if value is None:
        return None
    names = " or ".join("number" if kind is float else kind.__name__ for kind in kinds)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise FaultRuleError(f"{key} must be {names}")
    return value


def _moment(body: dict[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FaultRuleError(f"{key} must be an ISO 8601 date-time such as 2026-11-26T10:00:00Z") from None
    if moment.tzinfo is None:
        raise FaultRuleError(f"{key} needs a time zone (e.g. Z)")
    return moment


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
