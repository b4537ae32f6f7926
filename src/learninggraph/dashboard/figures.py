"""The organisation's figures, computed off the request path and kept for a minute per tenant.

Their status and overdue counts read every activity of the tenant (no index holds the status), which takes
seconds on a tenant of a million activities. So a page never waits for them: the first request starts the
computation on the dashboard's one figures thread and is told to ask again; later requests get the figures of
at most ``MAX_AGE_SECONDS`` ago, and a stale copy starts a refresh. On SQLite the thread reads through a
connection of its own, so the server's connection is never held while it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from learninggraph.dashboard import queries
from learninggraph.storage.database import Database

MAX_AGE_SECONDS = 60.0
DAYS = 30


class Figures:
    def __init__(self, database: Database, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._database = database
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._running: set[str] = set()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learninggraph-dashboard-figures")
        self._reader: Database | None = None

    def of(self, tenant_id: str) -> dict[str, Any] | None:
        """The tenant's latest figures (None until the first are computed); starts a refresh when stale."""
        with self._lock:
            cached = self._cache.get(tenant_id)
            stale = cached is None or self._clock() - cached[0] > MAX_AGE_SECONDS
            if stale and tenant_id not in self._running:
                self._running.add(tenant_id)
                self._thread.submit(self._compute, tenant_id)
        return None if cached is None else cached[1]

    def _compute(self, tenant_id: str) -> None:
        try:
            now = datetime.now(UTC)
            reader = self._reading()
            with reader.snapshot() as conn:
                data = queries.charts(
                    conn, reader.dialect, tenant_id, now=now.strftime("%Y-%m-%dT%H:%M:%S"), days=DAYS
                )
            data["asOf"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            with self._lock:
                self._cache[tenant_id] = (self._clock(), data)
        finally:
            with self._lock:
                self._running.discard(tenant_id)

    def _reading(self) -> Database:
        if self._database.dialect != "sqlite":
            return self._database
        if self._reader is None:
            self._reader = Database(self._database.url)
        return self._reader
