"""Reading the journal: filters, newest-first searches, one request's entry, and ``follow`` (poll by id)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from learninggraph.domain.values import datetime_to_stored
from learninggraph.journal.blocks import Matching, scan
from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.store import decode_record
from learninggraph.storage.database import Database

DEFAULT_LIMIT = 100
_STATUS = re.compile(r"^([1-5])(?:xx|XX)$|^([1-5]\d\d)$")


def parse_status(text: str) -> tuple[int, int]:
    """``403`` → (403, 403); ``4xx`` → (400, 499)."""
    match = _STATUS.match(text.strip())
    if match is None:
        raise ValueError(f"status {text!r}: give a status code (403) or a class (4xx)")
    if match.group(1):
        low = int(match.group(1)) * 100
        return low, low + 99
    code = int(match.group(2))
    return code, code


@dataclass(frozen=True, slots=True)
class JournalFilter:
    """Which entries to read. ``tenant_id`` is required: None reads every tenant (the operator's view only)."""

    tenant_id: str | None
    app_id: str | None = None
    user_id: str | None = None
    status: tuple[int, int] | None = None
    route: str | None = None
    rule: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None

    def matching(self, method: str | None = None) -> Matching:
        """The filter's conditions (and an HTTP method's) as ``blocks.scan`` checks them."""
        return Matching(
            tenant_id=self.tenant_id,
            app_id=self.app_id,
            user_id=self.user_id,
            method=method,
            route=self.route,
            rule=self.rule,
            request_id=self.request_id,
            status=self.status,
            since=None if self.since is None else datetime_to_stored(self.since),
            until=None if self.until is None else datetime_to_stored(self.until),
        )


def search(database: Database, where: JournalFilter, *, limit: int = DEFAULT_LIMIT) -> list[JournalEntry]:
    """The newest ``limit`` entries that match, newest first."""
    with database.snapshot() as conn:
        found = list(islice(scan(conn, where.matching(), newest_first=True), limit))
    return [decode_record(entry_id, record) for entry_id, record in found]


def entries_after(
    database: Database, where: JournalFilter, after_id: int, *, limit: int = DEFAULT_LIMIT
) -> list[JournalEntry]:
    """The oldest ``limit`` matching entries with an id above ``after_id``, oldest first."""
    with database.snapshot() as conn:
        found = list(islice(scan(conn, where.matching(), newest_first=False, after=after_id), limit))
    return [decode_record(entry_id, record) for entry_id, record in found]


def entries_before(
    database: Database, where: JournalFilter, before_id: int, *, limit: int = DEFAULT_LIMIT
) -> list[JournalEntry]:
    """The newest ``limit`` matching entries with an id below ``before_id``, newest first (a page after one
    that ended at ``before_id``)."""
    with database.snapshot() as conn:
        found = list(islice(scan(conn, where.matching(), newest_first=True, before=before_id), limit))
    return [decode_record(entry_id, record) for entry_id, record in found]


def explain(database: Database, request_id: str, *, tenant_id: str | None) -> JournalEntry | None:
    """The entry of the answer that carried ``request-id: request_id`` (in the tenant, unless None)."""
    found = search(database, JournalFilter(tenant_id=tenant_id, request_id=request_id), limit=1)
    return found[0] if found else None


def last_id(database: Database) -> int:
    """The highest id handed out so far: ``follow`` from it sees only what comes next."""
    with database.snapshot() as conn:
        row = conn.fetch_one("SELECT last_id FROM journal_sequence WHERE name = 'entries'")
    return int(row[0]) if row else 0


def follow(
    database: Database,
    where: JournalFilter,
    *,
    after_id: int | None = None,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
) -> Iterator[JournalEntry]:
    """Matching entries as they are stored, oldest first, polling for ids above the last one seen.

    Starts after ``after_id`` (default: the newest id now, so only new entries); ends when ``stop`` is set.
    Ids commit in increasing order (see ``JournalStore``), so polling by id misses nothing.
    """
    stop = stop or threading.Event()
    cursor = last_id(database) if after_id is None else after_id
    while not stop.is_set():
        batch = entries_after(database, where, cursor)
        for entry in batch:
            assert entry.id is not None
            cursor = entry.id
            yield entry
        if len(batch) < DEFAULT_LIMIT:
            stop.wait(poll_seconds)
