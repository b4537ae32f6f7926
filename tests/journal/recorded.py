"""Reading what the server journalled: the entries of a tenant, waited for (the writer stores every 50 ms)."""

from __future__ import annotations

import time

from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.storage import journal_database_of
from learninggraph.storage.database import Database


def recorded(database: Database, tenant_id: str, request_id: str, *, seconds: float = 10) -> JournalEntry:
    """The entry of the answer that carried ``request_id``, once the writer has stored it."""
    deadline = time.monotonic() + seconds
    while True:
        with journal_database_of(database) as journal:
            found = search(journal, JournalFilter(tenant_id=tenant_id, request_id=request_id), limit=1)
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no journal entry for request-id {request_id} in tenant {tenant_id}")
        time.sleep(0.02)


def entries_of(
    database: Database, where: JournalFilter, *, count: int, seconds: float = 10
) -> list[JournalEntry]:
    """At least ``count`` matching entries, newest first, once the writer has stored them."""
    deadline = time.monotonic() + seconds
    while True:
        with journal_database_of(database) as journal:
            found = search(journal, where, limit=1000)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
