"""The per-process journal: record, flush, read, explain and clear."""

from __future__ import annotations

from learninggraph.journal.journal import Journal
from learninggraph.journal.queries import JournalFilter
from learninggraph.storage.database import Database
from tests.journal.entries import entry


def test_recorded_entries_are_read_back_after_a_flush(journal_database: Database) -> None:
    journal = Journal(journal_database, interval=60)
    try:
        journal.record(entry(request_id="r-1"))
        journal.flush()

        found = journal.explain("r-1", tenant_id="tenant-a")
        assert found is not None and found.id is not None
        assert [e.request_id for e in journal.entries(JournalFilter(tenant_id="tenant-a"))] == ["r-1"]
    finally:
        journal.close()


def test_clearing_a_tenant_forgets_its_queued_entries_too(journal_database: Database) -> None:
    journal = Journal(journal_database, interval=60)
    try:
        journal.record(entry(request_id="stored"))
        journal.flush()
        journal.record(entry(request_id="queued"))
        journal.record(entry("tenant-b", request_id="other"))

        assert journal.clear("tenant-a") == 2
        assert journal.entries(JournalFilter(tenant_id="tenant-a")) == []
        assert [e.request_id for e in journal.entries(JournalFilter(tenant_id="tenant-b"))] == ["other"]
    finally:
        journal.close()
