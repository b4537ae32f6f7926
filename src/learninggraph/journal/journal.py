"""The journal of one process: what the request path, the admin API and the test kit hold on to."""

from __future__ import annotations

from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.queries import DEFAULT_LIMIT, JournalFilter, explain, search
from learninggraph.journal.store import DEFAULT_MAX_ENTRIES_PER_TENANT, JournalStore
from learninggraph.journal.writer import DEFAULT_BATCH_SIZE, DEFAULT_INTERVAL_SECONDS, JournalWriter, Recorded
from learninggraph.storage.database import Database


class Journal:
    """Records through a batching writer and reads what is stored; ``close`` stores what is queued.

    Reads see what the writer has stored: ``flush`` first when a read must include the last requests
    (the test kit does, so a test's assertions see every request it made).
    """

    def __init__(
        self,
        database: Database,
        *,
        max_entries_per_tenant: int = DEFAULT_MAX_ENTRIES_PER_TENANT,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self.database = database
        self.store = JournalStore(database, max_entries_per_tenant=max_entries_per_tenant)
        self.writer = JournalWriter(self.store, batch_size=batch_size, interval=interval)

    def record(self, entry: Recorded) -> None:
        """Queues ``entry``, or a call that builds it in the writer's thread."""
        self.writer.record(entry)

    def flush(self) -> None:
        self.writer.flush()

    def entries(self, where: JournalFilter, *, limit: int = DEFAULT_LIMIT) -> list[JournalEntry]:
        """Matching entries, newest first."""
        return search(self.database, where, limit=limit)

    def explain(self, request_id: str, *, tenant_id: str | None) -> JournalEntry | None:
        return explain(self.database, request_id, tenant_id=tenant_id)

    def clear(self, tenant_id: str) -> int:
        """Forgets the tenant's entries, those still queued included."""
        self.writer.flush()
        return self.store.clear(tenant_id)

    def close(self) -> None:
        self.writer.close()
