"""The writer's queue is bounded by the bytes its entries hold as well as by their count."""

from __future__ import annotations

from learninggraph.journal.entry import BODY_LIMIT_BYTES, Body
from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.store import JournalStore
from learninggraph.journal.writer import ENTRY_BYTES, JournalWriter
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from tests.journal.entries import entry

LARGE = Body("x" * BODY_LIMIT_BYTES, BODY_LIMIT_BYTES)
LARGE_ENTRY_BYTES = ENTRY_BYTES + 2 * BODY_LIMIT_BYTES


def test_past_the_byte_bound_the_oldest_entries_are_dropped_and_counted(fresh_database_url: str) -> None:
    database = Database(fresh_database_url)  # not migrated: nothing can be stored
    writer = JournalWriter(
        JournalStore(database), interval=60, max_pending=1000, max_pending_bytes=3 * LARGE_ENTRY_BYTES
    )
    try:
        for number in range(5):
            writer.record(entry(request_id=str(number), request_body=LARGE, response_body=LARGE))

        assert (writer.pending, writer.stats.dropped) == (3, 2)
        assert writer.pending_bytes == 3 * LARGE_ENTRY_BYTES
        upgrade(database)
        writer.flush()
        stored = search(database, JournalFilter(tenant_id="tenant-a"))
        assert sorted(e.request_id for e in stored) == ["2", "3", "4"]
        assert writer.pending_bytes == 0
    finally:
        writer.close()
        database.close()
