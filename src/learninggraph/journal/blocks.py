"""The journal's stored layout: a block a tenant a stored batch, and reading entries out of blocks.

A batch's entries of one tenant have consecutive ids (``JournalStore.append_rows`` numbers one tenant's rows
after another's), and are stored as one ``journal_blocks`` row: its key is the block's last id, beside it the
tenant and the first id, and the entries' filterable fields and records as one MessagePack array (PostgreSQL's
blocks stored before migration 7 are JSON, still read). One row an entry cost SQLite a row insert, an index insert
and later two deletes for every request; a block costs them once a tenant a batch. A tenant's bound stays exact:
``journal_tenants`` keeps its count of kept entries and its first kept id, so the oldest block may be only partly
kept; readers skip entries below it.

Each entry in a block: ``[at, app, user, method, route, status, rule, request_id, record]`` (a stored row
without its id and tenant). An app or user given as 0 means none (``JournalStore.row_of``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from learninggraph.storage.database import Connection, SqliteConnection

# An entry of a block, its record left undecoded until the entry is wanted.
BlockEntry = tuple[Any, Any, Any, Any, Any, Any, Any, Any, msgspec.Raw]
_msgpack_blocks = msgspec.msgpack.Decoder(list[BlockEntry])
_json_blocks = msgspec.json.Decoder(list[BlockEntry])
_msgpack_bytes = msgspec.msgpack.Decoder(bytes)
encode_msgpack = msgspec.msgpack.Encoder().encode
# Blocks read a statement while scanning: a page of 100 entries is a few blocks of a busy tenant.
_BLOCKS_A_READ = 8

# A request-id of these characters alone is stored as its own bytes in either encoding (nothing to escape): a
# block that holds it contains them, so blocks without them are passed over before they are decoded.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._~-]{1,200}")

# Where each field is in a block's entry.
AT: Final = 0
APP: Final = 1
USER: Final = 2
METHOD: Final = 3
ROUTE: Final = 4
STATUS: Final = 5
RULE: Final = 6
REQUEST_ID: Final = 7
RECORD: Final = 8


def encode_block(rows: list[list[Any]]) -> bytes:
    """One tenant's stored rows (``StoredRow``, ids given, consecutive) as a block's entries: MessagePack on both
    backends (PostgreSQL's blocks of before migration 7 are UTF-8 JSON, which ``decode_block`` still reads)."""
    return encode_msgpack([row[2:] for row in rows])


def single_block(row: tuple[Any, ...] | list[Any]) -> bytes:
    """The block holding one entry of the row-an-entry layout (``id, tenant, at, …, record``)."""
    record = row[10]
    return encode_msgpack([[*row[2:10], record.encode() if isinstance(record, str) else record]])


def decode_block(payload: bytes | str | memoryview) -> list[BlockEntry]:
    """A block's entries (its records still encoded: ``record_of``)."""
    if isinstance(payload, str):
        return _json_blocks.decode(payload)
    data = bytes(payload) if isinstance(payload, memoryview) else payload
    if data[:1] == b"[":
        return _json_blocks.decode(data)
    return _msgpack_blocks.decode(data)


# The first byte of a MessagePack ``bin`` (8, 16 or 32-bit length); a JSON record starts with ``{``.
_BIN = frozenset((0xC4, 0xC5, 0xC6))


def record_of(entry: BlockEntry) -> bytes:
    """The stored record of ``entry`` (compact, or JSON), as the row-an-entry layout held it."""
    raw = memoryview(entry[RECORD])
    if raw[0] in _BIN:
        return _msgpack_bytes.decode(raw)
    return bytes(raw)


@dataclass(frozen=True, slots=True)
class Matching:
    """What an entry's fields must be (None: anything), checked on a block's entries in Python."""

    tenant_id: str | None
    app_id: str | None = None
    user_id: str | None = None
    method: str | None = None
    route: str | None = None
    rule: str | None = None
    request_id: str | None = None
    status: tuple[int, int] | None = None
    since: str | None = None
    until: str | None = None

    def test(self) -> Callable[[BlockEntry], bool]:
        """A test of an entry's fields: the filter's conditions, all of them."""
        equal = [
            (index, value)
            for index, value in (
                (APP, self.app_id),
                (USER, self.user_id),
                (METHOD, self.method),
                (ROUTE, self.route),
                (RULE, self.rule),
                (REQUEST_ID, self.request_id),
            )
            if value is not None
        ]
        status, since, until = self.status, self.since, self.until

        def test(entry: BlockEntry) -> bool:
            for index, value in equal:
                if entry[index] != value:
                    return False
            if status is not None and not status[0] <= entry[STATUS] <= status[1]:
                return False
            if since is not None and entry[AT] < since:
                return False
            return until is None or entry[AT] < until

        return test


def scan(
    conn: Connection,
    matching: Matching,
    *,
    newest_first: bool,
    after: int | None = None,
    before: int | None = None,
) -> Iterator[tuple[int, bytes]]:
    """The kept entries that match, as (id, stored record), newest or oldest first, with ids above ``after``
    and below ``before`` (when given), read a few blocks a statement, each decoded once."""
    tenant = matching.tenant_id
    if tenant is None:
        kept = {
            str(t): int(first)
            for t, first in conn.fetch_all("SELECT tenant_id, first_kept FROM journal_tenants")
        }
    else:
        row = conn.fetch_one("SELECT first_kept FROM journal_tenants WHERE tenant_id = ?", (tenant,))
        kept = {tenant: 0 if row is None else int(row[0])}
    test = matching.test()
    sqlite = isinstance(conn, SqliteConnection)
    wanted = matching.request_id
    request_id = wanted if wanted is not None and _PLAIN_ID.fullmatch(wanted) else None
    # Passing blocks over, a statement would read on to the end for a few more that hold the id: one a read.
    per_read = 1 if request_id is not None else _BLOCKS_A_READ
    # Blocks never overlap and their keys are their last ids: in key order they hold the entries in id order.
    cursor: int | None = None
    while True:
        clauses: list[str] = []
        params: list[object] = []
        if tenant is not None:
            clauses.append("tenant_id = ?")
            params.append(tenant)
        if cursor is not None:
            clauses.append("id < ?" if newest_first else "id > ?")
            params.append(cursor)
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        if before is not None:
            clauses.append("first_id < ?")
            params.append(before)
        if request_id is not None:
            # Only blocks holding the id's bytes are read (one holding them in another field is read, then
            # passed over by the test).
            clauses.append("instr(entries, ?) > 0" if sqlite else "position(? IN entries) > 0")
            params.append(request_id.encode())
        where = " AND ".join(clauses) or "1 = 1"
        order = "DESC" if newest_first else "ASC"
        blocks = conn.fetch_all(
            f"SELECT id, tenant_id, first_id, entries FROM journal_blocks WHERE {where} "
            f"ORDER BY id {order} LIMIT {per_read}",
            params,
        )
        for last, block_tenant, first, payload in blocks:
            low = max(int(first), kept.get(str(block_tenant), 0), (after + 1) if after is not None else 0)
            high = int(last) if before is None else min(int(last), before - 1)
            if low > high:
                continue
            entries = decode_block(payload)
            ids = range(high, low - 1, -1) if newest_first else range(low, high + 1)
            for entry_id in ids:
                entry = entries[entry_id - int(first)]
                if test(entry):
                    yield entry_id, record_of(entry)
        if len(blocks) < per_read:
            return
        cursor = int(blocks[-1][0])


def stored_entries(conn: Connection) -> list[tuple[Any, ...]]:
    """Every kept entry as the row-an-entry layout held it, oldest first: ``(id, tenant, at, app, user, method,
    route, status, rule, request_id, record)``, no app or user as None."""
    kept = {
        str(t): int(first) for t, first in conn.fetch_all("SELECT tenant_id, first_kept FROM journal_tenants")
    }
    rows: list[tuple[Any, ...]] = []
    for _last, tenant, first, payload in conn.fetch_all(
        "SELECT id, tenant_id, first_id, entries FROM journal_blocks ORDER BY id"
    ):
        for offset, entry in enumerate(decode_block(payload)):
            entry_id = int(first) + offset
            if entry_id >= kept.get(str(tenant), 0):
                app, user = (None if value == 0 else value for value in (entry[APP], entry[USER]))
                rows.append(
                    (entry_id, str(tenant), entry[AT], app, user, *entry[METHOD:RECORD], record_of(entry))
                )
    return rows
