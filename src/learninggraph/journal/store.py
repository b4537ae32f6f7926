"""Writing journal entries: redacted, numbered in commit order, and bounded per tenant (oldest dropped first)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

import msgspec

from learninggraph.journal.blocks import encode_block
from learninggraph.journal.captured import Captured
from learninggraph.journal.compact import compact_record, decode_compact, is_compact
from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.redaction import redact
from learninggraph.storage.connection import Array
from learninggraph.storage.database import Connection, Database

# Entries kept per tenant unless the store is told otherwise.
DEFAULT_MAX_ENTRIES_PER_TENANT = 10_000
_INSERT_BLOCK = "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) VALUES (?, ?, ?, ?)"
# PostgreSQL: the batch's blocks in one statement, a column an array (``Array``: in binary form). Not a JSON array
# parsed by the server: its JSON functions refuse a string holding ``\u0000`` (a body may), which would refuse the
# whole batch.
_INSERT_BLOCKS_PG = (
    "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) "
    "SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bytea[])"
)
# The tenant of a stored row (``StoredRow``), read in C: the batch is sorted, grouped and counted by it.
_TENANT = itemgetter(1)
# A batch's tenants' stored counts and first kept ids, read ``_COUNTED`` tenants a statement (the last one
# repeated to fill it, so one statement is prepared; SQLite's JSON functions and ``RETURNING`` are left alone,
# as older builds lack them), an array a statement on PostgreSQL; and written back in one statement run for each
# tenant (each tenant's set outright: appends run one after another, under the lock on the ``journal_sequence``
# row that ``append_rows`` takes first).
_COUNTED = 16
_COUNTS = (
    "SELECT tenant_id, entries, first_kept FROM journal_tenants "
    f"WHERE tenant_id IN ({', '.join('?' * _COUNTED)})"
)
_COUNTS_PG = "SELECT tenant_id, entries, first_kept FROM journal_tenants WHERE tenant_id = ANY(?)"
_SET_COUNT = (
    "INSERT INTO journal_tenants (tenant_id, entries, first_kept) VALUES (?, ?, ?) "
    "ON CONFLICT (tenant_id) DO UPDATE SET entries = excluded.entries, first_kept = excluded.first_kept"
)
# A tenant's oldest blocks from its first kept id on, a few a statement (eviction reads one or two a batch).
_OLDEST = "SELECT id, first_id FROM journal_blocks WHERE tenant_id = ? AND id >= ? ORDER BY id LIMIT 4"
_DROP_BLOCKS = "DELETE FROM journal_blocks WHERE tenant_id = ? AND id <= ?"
# PostgreSQL: the same for every tenant of a batch in one statement each, the tenants (and their ids) as arrays.
_OLDEST_PG = (
    "SELECT t.tenant_id, b.id, b.first_id FROM unnest(?::text[], ?::bigint[]) AS t(tenant_id, kept) "
    "CROSS JOIN LATERAL (SELECT id, first_id FROM journal_blocks WHERE journal_blocks.tenant_id = t.tenant_id "
    "AND id >= t.kept ORDER BY id LIMIT 4) b ORDER BY t.tenant_id, b.id"
)
_DROP_BLOCKS_PG = (
    "DELETE FROM journal_blocks USING unnest(?::text[], ?::bigint[]) AS d(tenant_id, gone) "
    "WHERE journal_blocks.tenant_id = d.tenant_id AND journal_blocks.id <= d.gone"
)
_SET_COUNTS_PG = (
    "INSERT INTO journal_tenants (tenant_id, entries, first_kept) "
    "SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[]) "
    "ON CONFLICT (tenant_id) DO UPDATE SET entries = excluded.entries, first_kept = excluded.first_kept"
)

_ZERO = timedelta(0)
# An entry's columns, in ``_COLUMNS``' order: its id (0 until ``append_rows`` gives it one), tenant, time, app,
# user, method, route, status, rule, request-id, and the whole entry as JSON (UTF-8 bytes). A list, so the id
# is filled in place: one object the garbage collector tracks an entry while a batch waits, where the entries
# themselves (their header tuples) and a second tuple for the id were a dozen, enough for a collection
# every few dozen entries.
StoredRow = list[Any]
encode_record = msgspec.json.Encoder().encode
_AT = b'{"at":"'
_decoder = msgspec.json.Decoder(JournalEntry)


def decode_record(entry_id: int, record: str | bytes) -> JournalEntry:
    """The entry of a stored record: compact (``journal.compact``) or JSON."""
    if is_compact(record):
        assert isinstance(record, bytes)
        return decode_compact(entry_id, record)
    return msgspec.structs.replace(_decoder.decode(record), id=entry_id)


class JournalStore:
    """The journal's blocks (``journal.blocks``) in one database, holding at most ``max_entries_per_tenant``
    entries per tenant.

    Each ``append`` is one transaction: it reserves ids on the ``journal_sequence`` row (whose lock makes
    appends from every process run one after another, so ids commit in increasing order), numbers the rows one
    tenant after another (a tenant's in the order given), stores each tenant's rows as one block, and evicts
    each tenant's oldest entries past the bound, counted in ``journal_tenants``: its first kept id moves past
    them, and the blocks wholly below it are deleted, through the (tenant, id) index.
    """

    def __init__(
        self, database: Database, *, max_entries_per_tenant: int = DEFAULT_MAX_ENTRIES_PER_TENANT
    ) -> None:
        if max_entries_per_tenant < 1:
            raise ValueError("max_entries_per_tenant must be at least 1")
        self.database = database
        self.max_entries_per_tenant = max_entries_per_tenant

    def row_of(self, item: JournalEntry | Captured) -> StoredRow:
        """The stored row of an entry, or of what a request captured (its entry built only if needed)."""
        if isinstance(item, Captured):
            record = compact_record(item)
            if record is not None:
                caller = item.caller
                started = item.started_at
                app_id = caller.app_id
                user_id = caller.user_id
                return [
                    0,
                    item.tenant,
                    _time_text(started) if isinstance(started, datetime) else seconds_text(started),
                    0 if app_id is None else app_id,
                    0 if user_id is None else user_id,
                    item.method,
                    item.route,
                    item.status,
                    item.decision.rule,
                    item.request_id,
                    record,
                ]
        return stored_row(item if isinstance(item, JournalEntry) else item())

    def append(self, entries: Sequence[JournalEntry]) -> list[int]:
        """Stores ``entries`` (each redacted first) and returns their ids, in order."""
        return self.append_rows([stored_row(entry) for entry in entries])

    def append_rows(self, rows: Sequence[StoredRow]) -> list[int]:
        """Stores rows of ``stored_row`` (redacted entries), giving each its id; returns the ids, in order.
        The writer turns each entry into its row as soon as it is built, so a batch holds rows, not entries."""
        if not rows:
            return []
        # The batch's ids go to one tenant's rows after another (each tenant's in the order given): a tenant's
        # rows of a batch have consecutive ids, and are stored as one block.
        grouped = sorted(rows, key=_TENANT)
        dialect = self.database.dialect
        with self.database.transaction() as conn:
            first = _reserve_ids(conn, len(grouped))
            for entry_id, row in enumerate(grouped, first):
                row[0] = entry_id
            added: dict[str, int] = {}
            blocks = []
            for tenant_id, group in groupby(grouped, _TENANT):
                block = list(group)
                added[tenant_id] = len(block)
                blocks.append((block[-1][0], tenant_id, block[0][0], encode_block(block)))
            if dialect == "postgresql":
                # One statement for the batch's blocks: a column an array.
                conn.execute(_INSERT_BLOCKS_PG, [Array(column) for column in zip(*blocks, strict=True)])
            else:
                conn.execute_many(_INSERT_BLOCK, blocks)
            self._count_and_evict(conn, added)
        return [int(row[0]) for row in rows]

    def clear(self, tenant_id: str) -> int:
        """Deletes every entry of the tenant; returns how many there were."""
        with self.database.transaction() as conn:
            # An append counts a tenant's entries from what it read under the ids' row lock: a clear takes that
            # lock first, so it falls wholly before or after an append, never between its read and its write.
            _reserve_ids(conn, 0)
            row = conn.fetch_one("SELECT entries FROM journal_tenants WHERE tenant_id = ?", (tenant_id,))
            conn.execute("DELETE FROM journal_blocks WHERE tenant_id = ?", (tenant_id,))
            conn.execute("DELETE FROM journal_tenants WHERE tenant_id = ?", (tenant_id,))
        return 0 if row is None else int(row[0])

    def _count_and_evict(self, conn: Connection, added: dict[str, int]) -> None:
        """Counts each tenant's added entries and evicts its oldest past the bound: the batch's tenants' counts
        read in one statement (up to ``_COUNTED`` tenants) and written back; for the tenants past the bound,
        their oldest blocks read and those wholly evicted deleted. On PostgreSQL each step is one statement for
        every tenant of the batch (arrays); on SQLite a statement a tenant, each a short step in the file."""
        tenants = sorted(added)
        postgresql = self.database.dialect == "postgresql"
        if postgresql:
            read = conn.fetch_all(_COUNTS_PG, [Array(tenants)])
        else:
            read = [
                row
                for start in range(0, len(tenants), _COUNTED)
                for row in conn.fetch_all(_COUNTS, _filled(tenants[start : start + _COUNTED]))
            ]
        stored = {str(tenant_id): (int(entries), int(kept)) for tenant_id, entries, kept in read}
        bound = self.max_entries_per_tenant
        counts: dict[str, tuple[int, int]] = {}
        excesses: dict[str, int] = {}
        for tenant_id in tenants:
            entries, kept = stored.get(tenant_id, (0, 0))
            entries += added[tenant_id]
            if entries > bound:
                excesses[tenant_id] = entries - bound
                entries = bound
            counts[tenant_id] = (entries, kept)
        gone: list[tuple[str, int]] = []
        oldest: dict[str, list[tuple[int, int]]] = {}
        if postgresql and excesses:
            for tenant_id, last, first in conn.fetch_all(
                _OLDEST_PG, [Array(excesses), Array(counts[tenant_id][1] for tenant_id in excesses)]
            ):
                oldest.setdefault(str(tenant_id), []).append((int(last), int(first)))
        for tenant_id, excess in excesses.items():
            entries, kept = counts[tenant_id]
            kept, last_gone = _evict(conn, tenant_id, kept, excess, oldest.get(tenant_id, []))
            counts[tenant_id] = (entries, kept)
            if last_gone is not None:
                gone.append((tenant_id, last_gone))
        if postgresql:
            if gone:
                conn.execute(
                    _DROP_BLOCKS_PG, [Array(tenant for tenant, _ in gone), Array(last for _, last in gone)]
                )
            conn.execute(
                _SET_COUNTS_PG,
                [
                    Array(tenants),
                    Array(counts[tenant][0] for tenant in tenants),
                    Array(counts[tenant][1] for tenant in tenants),
                ],
            )
        else:
            conn.execute_many(_DROP_BLOCKS, gone)
            conn.execute_many(_SET_COUNT, [(tenant, *counts[tenant]) for tenant in tenants])


def _evict(
    conn: Connection, tenant_id: str, kept: int, excess: int, oldest: list[tuple[int, int]]
) -> tuple[int, int | None]:
    """The tenant's first kept id moved past its ``excess`` oldest kept entries, and the last id of the blocks
    wholly below it (None: none), from its ``oldest`` blocks (``(last id, first id)``, oldest first, read
    already) and as many more as it takes. A block's ids are consecutive: its kept entries are counted from them."""
    gone: int | None = None
    while excess > 0:
        if not oldest:
            oldest = [(int(last), int(first)) for last, first in conn.fetch_all(_OLDEST, (tenant_id, kept))]
            if not oldest:
                break
        for last, first in oldest:
            if last < kept:
                continue
            start = max(first, kept)
            live = last - start + 1
            if live > excess:
                kept = start + excess
                excess = 0
                break
            excess -= live
            gone = last
            kept = gone + 1
        oldest = []
    return kept, gone


def _filled(tenants: list[str]) -> list[str]:
    """``tenants`` (one to ``_COUNTED``), the last one repeated up to ``_COUNTED``: the parameters of ``_COUNTS``."""
    return tenants + tenants[-1:] * (_COUNTED - len(tenants))


def _reserve_ids(conn: Connection, count: int) -> int:
    """The first of ``count`` new ids; the row stays locked until the transaction ends."""
    conn.execute("UPDATE journal_sequence SET last_id = last_id + ? WHERE name = 'entries'", (count,))
    row = conn.fetch_one("SELECT last_id FROM journal_sequence WHERE name = 'entries'")
    if row is None:
        raise RuntimeError("the journal_sequence row is missing: is the database migrated?")
    return int(row[0]) - count + 1


def stored_time(moment: datetime) -> str:
    """The fixed-width UTC text of ``domain.values`` (``2026-11-26T10:00:00.000000Z``), computed faster."""
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def stored_row(entry: JournalEntry) -> StoredRow:
    """The row of ``entry``, redacted, its id still to be given (``JournalStore.append_rows``)."""
    entry = redact(entry)
    record = encode_record(entry)
    caller = entry.caller
    return [
        0,
        entry.tenant_id,
        _time_of(record) or stored_time(entry.at),
        caller.app_id,
        caller.user_id,
        entry.method,
        entry.route,
        entry.status,
        entry.decision.rule,
        entry.request_id,
        record,
    ]


def seconds_text(seconds: float) -> str:
    """``stored_time(datetime.fromtimestamp(seconds, UTC))``, without building the time: the microseconds rounded
    as ``fromtimestamp`` rounds them (half to even), the text up to the second formatted once a second."""
    fraction, whole = math.modf(seconds)
    micro = round(fraction * 1e6)
    second = int(whole)
    if micro >= 1_000_000:
        micro -= 1_000_000
        second += 1
    elif micro < 0:
        micro += 1_000_000
        second -= 1
    last = _last_second
    prefix = last[1] if last[0] == second else _second_text(second)
    # Six digits by slicing off a leading 1: a third cheaper than a ``06d`` format.
    return f"{prefix}.{str(micro + 1_000_000)[1:]}Z"


def _second_text(second: int) -> str:
    global _last_second
    prefix = stored_time(datetime.fromtimestamp(second, UTC))[:19]
    _last_second = (second, prefix)
    return prefix


# The last second ``seconds_text`` formatted, and its text (``2026-11-26T10:00:00``): a tuple, replaced whole.
_last_second: tuple[int, str] = (-(2**62), "")


def _time_text(moment: datetime) -> str:
    """``stored_time(moment)``, written by msgspec's encoder (a JSON string: six digits of microseconds and ``Z``
    for an aware UTC time, unless the microseconds are 0): a seventh of the cost of formatting it in Python."""
    encoded = encode_record(moment)
    if len(encoded) == 29 and encoded[27:29] == b'Z"':
        return encoded[1:28].decode()
    return stored_time(moment)


def _time_of(record: bytes) -> str | None:
    """The stored time column, read from the encoded entry: ``at`` comes first, and msgspec writes an aware
    UTC time with six digits of microseconds (unless they are 0) and ``Z``, which is the column's format.
    None when it does not (then ``stored_time``): a third of the cost of formatting the time again."""
    if record[33:35] == b'Z"' and record.startswith(_AT):
        return record[7:34].decode()
    return None
