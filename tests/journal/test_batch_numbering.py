"""How a stored batch is numbered: one tenant's entries after another's, each tenant's in the order given."""

from __future__ import annotations

from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.store import JournalStore
from learninggraph.storage.database import Database
from tests.journal.entries import entry


def test_a_batch_numbers_each_tenants_entries_side_by_side(journal_database: Database) -> None:
    batch = [entry("tenant-b", url="/b1"), entry("tenant-a", url="/a1"), entry("tenant-b", url="/b2")]

    ids = JournalStore(journal_database).append(batch)

    b1, a1, b2 = ids
    assert abs(b2 - b1) == 1
    assert a1 not in range(min(b1, b2), max(b1, b2) + 1)


def test_each_tenants_entries_of_a_batch_keep_the_order_they_were_given(journal_database: Database) -> None:
    batch = [entry("tenant-b", url=f"/b{n}") for n in range(3)] + [entry("tenant-a", url="/a0")]
    batch.insert(1, entry("tenant-a", url="/a-first"))

    JournalStore(journal_database).append(batch)

    newest_first = search(journal_database, JournalFilter(tenant_id="tenant-b"))
    assert [e.url for e in newest_first] == ["/b2", "/b1", "/b0"]
    assert [e.url for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == [
        "/a0",
        "/a-first",
    ]


def test_the_ids_returned_are_those_of_the_entries_given_in_their_order(journal_database: Database) -> None:
    batch = [entry("tenant-b", url="/b"), entry("tenant-a", url="/a")]

    ids = JournalStore(journal_database).append(batch)

    read = {e.id: e.url for e in search(journal_database, JournalFilter(tenant_id=None))}
    assert [read[entry_id] for entry_id in ids] == ["/b", "/a"]
