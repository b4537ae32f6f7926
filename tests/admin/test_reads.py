"""The admin API's journal pages over stored entries: the operation filter (not a column) reads on past one
statement's rows, and pages in either direction neither repeat nor skip an entry."""

from __future__ import annotations

from learninggraph.admin.journal_views import read_page
from learninggraph.admin.queries import JournalQuery
from learninggraph.journal.queries import JournalFilter
from learninggraph.journal.store import JournalStore
from learninggraph.storage.database import Database
from tests.journal.entries import entry


def _store(database: Database, count: int, *, every: int) -> list[int]:
    """``count`` entries of tenant-a, each ``every``-th of operation ``rare``; returns the rare ones' ids."""
    entries = [entry(operation="rare" if n % every == 0 else "common") for n in range(count)]
    ids = JournalStore(database).append(entries)
    return [entry_id for n, entry_id in enumerate(ids) if n % every == 0]


def test_an_operation_filter_finds_sparse_entries_beyond_one_statements_rows(
    journal_database: Database,
) -> None:
    rare = _store(journal_database, 1300, every=400)
    query = JournalQuery(where=JournalFilter(tenant_id="tenant-a"), operation="rare", limit=10)

    found, more = read_page(journal_database, query)

    assert [e.id for e in found] == list(reversed(rare))
    assert more is False


def test_pages_newest_first_cover_every_entry_once(journal_database: Database) -> None:
    _store(journal_database, 25, every=1)
    where = JournalFilter(tenant_id="tenant-a")
    seen: list[int] = []
    before = None
    while True:
        page, more = read_page(journal_database, JournalQuery(where=where, limit=7, before=before))
        seen += [e.id for e in page if e.id is not None]
        if not more:
            break
        before = seen[-1]

    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 25


def test_pages_oldest_first_after_an_id_cover_every_later_entry_once(journal_database: Database) -> None:
    ids = _store(journal_database, 12, every=1)
    where = JournalFilter(tenant_id="tenant-a")
    seen: list[int] = []
    after = ids[2]
    while True:
        page, more = read_page(journal_database, JournalQuery(where=where, limit=4, after=after))
        seen += [e.id for e in page if e.id is not None]
        if not more:
            break
        after = seen[-1]

    assert seen == ids[3:]


def test_a_method_filter_and_another_tenant(journal_database: Database) -> None:
    store = JournalStore(journal_database)
    store.append([entry(method="PATCH"), entry(method="GET"), entry("tenant-b", method="PATCH")])
    query = JournalQuery(where=JournalFilter(tenant_id="tenant-a"), method="PATCH")

    found, _ = read_page(journal_database, query)

    assert [(e.tenant_id, e.method) for e in found] == [("tenant-a", "PATCH")]
