"""A fault rule (what to inject, for whom, how often), its validation, and the fault a match yields."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from learninggraph.domain.errors import (
    INTERNAL_ERROR,
    BadGateway,
    GatewayTimeout,
    GraphError,
    InternalServerError,
    ServiceUnavailable,
    TooManyRequests,
    retry_after_message,
)

STATUSES = (429, 500, 502, 503, 504)
# The journal's rule name for an answer (or a delay, or a dropped connection) a fault rule produced.
FAULT_RULE = "fault.injected"
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
# A 429 or 503 says when to retry; without a value from the rule it says this many seconds.
DEFAULT_RETRY_AFTER = 1
MAX_LATENCY_MS = 120_000


class FaultRuleError(ValueError):
    """A rule that cannot be stored, with the reason in words."""


class Action(StrEnum):
    STATUS = "status"  # answer an error status (after ``latency_ms``, if any)
    LATENCY = "latency"  # wait ``latency_ms``, then answer as usual
    DROP = "drop"  # close the connection without an answer (after ``latency_ms``, if any)


@dataclass(frozen=True, slots=True)
class FaultRule:
    id: str
    tenant_id: str
    action: Action
    app_id: str | None = None
    method: str | None = None
    # A route template, or a shell-style pattern of them (``*learningCourseActivities*``).
    route: str | None = None
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    probability: float = 1.0
    # How many more times it may fire; None: no count.
    remaining: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def describe(self, *, count: bool = True) -> str:
        """The rule in words; ``count=False`` leaves out how many uses are left (stale once one is spent)."""
        what = {
            Action.STATUS: f"answer {self.status}",
            Action.LATENCY: f"add {self.latency_ms} ms",
            Action.DROP: "drop the connection",
        }[self.action]
        if self.action is not Action.LATENCY and self.latency_ms:
            what += f" after {self.latency_ms} ms"
        scope = " ".join(
            part
            for part in (
                self.method or "any method",
                self.route or "any route",
                f"from app {self.app_id}" if self.app_id else "",
            )
            if part
        )
        limits = [f"p={self.probability:g}"] if self.probability < 1 else []
        if self.remaining is not None and count:
            limits.append(f"{self.remaining} left")
        if self.starts_at or self.ends_at:
            limits.append(f"{_iso(self.starts_at) or '…'} to {_iso(self.ends_at) or '…'}")
        return f"{what} to {scope}" + (f" ({', '.join(limits)})" if limits else "")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def new_rule(
    tenant_id: str,
    *,
    status: int | None = None,
    latency_ms: int = 0,
    drop: bool = False,
    retry_after: int | None = None,
    app_id: str | None = None,
    method: str | None = None,
    route: str | None = None,
    probability: float = 1.0,
    count: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> FaultRule:
    """A validated rule with a new id; ``FaultRuleError`` says what is wrong."""
    if not tenant_id:
        raise FaultRuleError("a fault rule needs a tenant")
    if drop and status is not None:
        raise FaultRuleError("a fault either answers a status or drops the connection, not both")
    action = Action.DROP if drop else Action.STATUS if status is not None else Action.LATENCY
    if status is not None and status not in STATUSES:
        raise FaultRuleError(f"status {status} is not one of {', '.join(map(str, STATUSES))}")
    if not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise FaultRuleError(f"latency_ms must be 0 to {MAX_LATENCY_MS}")
    if action is Action.LATENCY and latency_ms == 0:
        raise FaultRuleError("a fault needs a status, a latency or drop")
    if retry_after is not None and (status not in (429, 503) or retry_after < 0):
        raise FaultRuleError("retry_after (seconds, 0 or more) goes with status 429 or 503")
    if not (isinstance(probability, float | int) and math.isfinite(probability) and 0 < probability <= 1):
        raise FaultRuleError(f"probability {probability} must be above 0 and at most 1")
    if count is not None and count < 1:
        raise FaultRuleError(f"count {count} must be at least 1")
    if method is not None and method.upper() not in METHODS:
        raise FaultRuleError(f"method {method!r} is not one of {', '.join(sorted(METHODS))}")
    for name, moment in (("start", starts_at), ("end", ends_at)):
        if moment is not None and moment.tzinfo is None:
            raise FaultRuleError(f"the window's {name} needs a time zone (e.g. Z)")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise FaultRuleError("the window ends before it starts")
    if status in (429, 503) and retry_after is None:
        retry_after = DEFAULT_RETRY_AFTER
    return FaultRule(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        action=action,
        app_id=app_id or None,
        method=method.upper() if method else None,
        route=route or None,
        status=status,
        retry_after=retry_after,
        latency_ms=latency_ms,
        probability=float(probability),
        remaining=count,
        starts_at=starts_at,
        ends_at=ends_at,
    )


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request: wait ``latency_ms``, then answer ``error``, drop, or carry on."""

    rule_id: str
    action: Action
    latency_ms: int
    error: GraphError | None
    # The rule in words, for the journal's hint: "answer 429 to PATCH any route (1 left)".
    description: str = ""

    # The journal's explanation of a fault (``http.fault_step.explain``): rule FAULT_RULE, this hint, and
    # facts naming the rule.
    @property
    def hint(self) -> str:
        return f"injected by fault rule {self.rule_id}: {self.description}"

    @property
    def drops(self) -> bool:
        return self.action is Action.DROP


def error_for(rule: FaultRule) -> GraphError | None:
    """The Graph error a status rule answers with, as the documented rows print it."""
    if rule.status is None:
        return None
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else None
    message = retry_after_message(rule.retry_after or 0)
    if rule.status == 429:
        return TooManyRequests(message, headers=headers)
    if rule.status == 503:
        return ServiceUnavailable(message, headers=headers)
    if rule.status == 500:
        return InternalServerError(INTERNAL_ERROR)
    if rule.status == 502:
        return BadGateway("Bad gateway.")
    return GatewayTimeout("Gateway timeout.")


def fault_of(rule: FaultRule) -> Fault:
    return Fault(rule.id, rule.action, rule.latency_ms, error_for(rule), rule.describe(count=False))
