"""Which fault, if any, a request gets: the tenant's rules tried in order, cached briefly per process."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from learninggraph.faults.store import add_rule, clear_rules, list_rules, spend
from learninggraph.storage.database import Database

if TYPE_CHECKING:
    # The rules' module (and with it the rule parser's checks) loads with the first rule stored or read.
    from learninggraph.faults.rules import Fault, FaultRule

# How stale this process's copy of the rules may get: a rule added elsewhere applies within this time.
DEFAULT_REFRESH_SECONDS = 1.0


def _now() -> datetime:
    return datetime.now(UTC)


class FaultMatcher:
    """``match`` answers from a copy of every tenant's rules, re-read after ``refresh_seconds``.

    Probability is rolled with ``rng`` (seed it for repeatable runs); a counted rule is spent in the
    database by one conditional UPDATE, so across processes it fires exactly as many times as counted.
    A tenant without rules costs a dictionary lookup. ``add`` and ``clear`` go through the store and
    take effect in this process at once; other processes see them within ``refresh_seconds``.
    """

    def __init__(
        self,
        database: Database,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self._rng = rng or random.Random()
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: dict[str, list[FaultRule]] = {}
        self._spent: set[str] = set()
        self._loaded_at: float | None = None

    def invalidate(self) -> None:
        """Re-read the rules on the next match (after this process added or cleared some)."""
        with self._lock:
            self._loaded_at = None

    def add(self, rule: FaultRule) -> FaultRule:
        """Stores ``rule`` (``faults.store.add_rule``); this process applies it from its next request."""
        add_rule(self.database, rule)
        self.invalidate()
        return rule

    def rules(self, tenant_id: str | None) -> list[FaultRule]:
        """The tenant's rules as stored, in the order they are tried (with what is left of their counts)."""
        return list_rules(self.database, tenant_id)

    def clear(self, tenant_id: str, rule_id: str | None = None) -> int:
        """Deletes the tenant's rules (or only ``rule_id``); this process stops applying them at once."""
        cleared = clear_rules(self.database, tenant_id, rule_id)
        self.invalidate()
        return cleared

    def match(self, tenant_id: str, app_id: str | None, method: str, route: str | None) -> Fault | None:
        # ``_current``'s freshness check inline: this runs for every request, and the copy is nearly always fresh.
        loaded_at = self._loaded_at
        if loaded_at is not None and time.monotonic() - loaded_at < self.refresh_seconds:
            rules = self._rules
        else:
            rules = self._current()
        for rule in rules.get(tenant_id, ()):
            if not self._applies(rule, app_id, method, route):
                continue
            with self._lock:
                rolled = rule.probability >= 1 or self._rng.random() < rule.probability
            if not rolled:
                continue
            if rule.remaining is not None and not spend(self.database, rule.id):
                with self._lock:
                    self._spent.add(rule.id)
                continue
            from learninggraph.faults.rules import fault_of

            return fault_of(rule)
        return None

    def _applies(self, rule: FaultRule, app_id: str | None, method: str, route: str | None) -> bool:
        if rule.id in self._spent:
            return False
        if rule.app_id is not None and rule.app_id != app_id:
            return False
        if rule.method is not None and rule.method != method.upper():
            return False
        if rule.route is not None and (route is None or not fnmatchcase(route, rule.route)):
            return False
        if rule.starts_at is not None or rule.ends_at is not None:
            now = self._clock()
            if rule.starts_at is not None and now < rule.starts_at:
                return False
            if rule.ends_at is not None and now >= rule.ends_at:
                return False
        return True

    def _current(self) -> dict[str, list[FaultRule]]:
        # The hot path takes no lock: a stale read of ``_loaded_at`` only means an early or a second reload.
        now = time.monotonic()
        loaded_at = self._loaded_at
        if loaded_at is not None and now - loaded_at < self.refresh_seconds:
            return self._rules
        by_tenant: dict[str, list[FaultRule]] = {}
        for rule in list_rules(self.database, None):
            if rule.remaining is None or rule.remaining > 0:
                by_tenant.setdefault(rule.tenant_id, []).append(rule)
        with self._lock:
            self._rules = by_tenant
            self._spent = set()
            self._loaded_at = now
        return by_tenant
