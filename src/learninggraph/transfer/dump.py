"""Writing an export: every kind read in one consistent snapshot, streamed in batches, encoded with msgspec.

Memory stays constant whatever the size: SQLite steps its cursor row by row, PostgreSQL reads through a
server-side (named) cursor, and each batch is written out before the next is read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol

import msgspec

from learninggraph.progress import progress, upgrade_at_showing_progress
from learninggraph.storage.database import DatabaseUrl
from learninggraph.transfer.records import (
    BATCH_ROWS,
    FORMAT,
    SCHEMA_VERSION,
    VERSION,
    Header,
    Kind,
    TransferError,
    count_sql,
    export_type,
    exported_kinds,
    select_sql,
)

Row = tuple[Any, ...]


class Reader(Protocol):
    def count(self, sql: str, params: tuple[str, ...]) -> int: ...

    def batches(self, sql: str, params: tuple[str, ...]) -> Iterator[list[Row]]: ...


class _SqliteReader:
    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def count(self, sql: str, params: tuple[str, ...]) -> int:
        value: int = self._raw.execute(sql, params).fetchone()[0]
        return value

    def batches(self, sql: str, params: tuple[str, ...]) -> Iterator[list[Row]]:
        cursor = self._raw.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            yield rows


class _PostgresReader:
    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._cursors = 0

    def count(self, sql: str, params: tuple[str, ...]) -> int:
        from learninggraph.storage.postgres import to_pyformat

        row = self._raw.execute(to_pyformat(sql), params).fetchone()
        return int(row[0])

    def batches(self, sql: str, params: tuple[str, ...]) -> Iterator[list[Row]]:
        from learninggraph.storage.postgres import to_pyformat

        self._cursors += 1
        with self._raw.cursor(name=f"learninggraph_export_{self._cursors}") as cursor:
            cursor.itersize = BATCH_ROWS
            cursor.execute(to_pyformat(sql), params)
            while rows := cursor.fetchmany(BATCH_ROWS):
                yield rows


@contextmanager
def read_snapshot(url: str) -> Iterator[Reader]:
    """One read transaction over the whole database at ``url`` (migrated first, so it has every table)."""
    upgrade_at_showing_progress(url)
    parsed = DatabaseUrl.parse(url)
    if parsed.scheme == "sqlite":
        raw = sqlite3.connect(parsed.path, isolation_level=None)
        try:
            raw.execute("BEGIN")
            yield _SqliteReader(raw)
            raw.execute("COMMIT")
        finally:
            raw.close()
        return
    import psycopg

    from learninggraph.storage.postgres import connection_string

    with psycopg.connect(connection_string(url), autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SET LOCAL statement_timeout = 0")
        yield _PostgresReader(conn)
        conn.rollback()


def export(url: str, out: BinaryIO, *, tenant: str | None = None, secrets: bool = False) -> dict[str, int]:
    """Writes the records of ``tenant`` (or of every tenant) to ``out``; returns the count of each kind."""
    kinds = exported_kinds(tenant=tenant, secrets=secrets)
    params = () if tenant is None else (tenant,)
    encoder = msgspec.json.Encoder()
    with read_snapshot(url) as reader:
        if tenant is not None and not reader.count("SELECT COUNT(*) FROM tenants WHERE id = ?", params):
            raise TransferError(f"no tenant {tenant!r} in the database")
        counts = {
            kind.name: reader.count(count_sql(kind, tenant=tenant), () if kind.server_wide else params)
            for kind in kinds
        }
        header = Header(FORMAT, VERSION, SCHEMA_VERSION, tenant=tenant, secrets=secrets, counts=counts)
        out.write(encoder.encode(header) + b"\n")
        with progress(sum(counts.values()), "export") as bar:
            for kind in kinds:
                _write_kind(reader, kind, out, encoder, tenant=tenant, secrets=secrets, bar=bar)
    return counts


def _write_kind(
    reader: Reader,
    kind: Kind,
    out: BinaryIO,
    encoder: msgspec.json.Encoder,
    *,
    tenant: str | None,
    secrets: bool,
    bar: Any,
) -> None:
    record = export_type(kind, secrets=secrets)
    params = () if tenant is None or kind.server_wide else (tenant,)
    for rows in reader.batches(select_sql(kind, tenant=tenant, secrets=secrets), params):
        out.write(encoder.encode_lines([record(*row) for row in rows]))
        bar.update(len(rows))
