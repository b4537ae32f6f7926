"""Paging the journal newest first: the entries before a given id, within the tenant and the filter."""

from __future__ import annotations

from learninggraph.journal.queries import JournalFilter, entries_before, search
from learninggraph.journal.store import JournalStore
from learninggraph.storage.database import Database
from tests.journal.entries import entry


def test_the_page_before_an_id_holds_the_next_older_matching_entries_of_the_tenant(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database)
    store.append([entry(request_id=f"r-{n}", status=403 if n % 2 else 200) for n in range(6)])
    store.append([entry("tenant-b", request_id="other", status=403)])
    refused = JournalFilter(tenant_id="tenant-a", status=(400, 499))
    first = search(journal_database, refused, limit=2)
    assert [e.request_id for e in first] == ["r-5", "r-3"]
    assert first[-1].id is not None

    older = entries_before(journal_database, refused, first[-1].id, limit=2)

    assert [e.request_id for e in older] == ["r-1"]
