"""Reading an export into a database: header checked, records validated, all of them in one transaction.

Records are decoded with msgspec (a value is text, an integer or null, nothing else), grouped into batches
of one kind and one column set, and inserted with ``executemany`` on SQLite and ``COPY`` on PostgreSQL.
Any refused record rolls the whole import back, so a database never holds half a file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol

import msgspec
from msgspec import UNSET
from msgspec.structs import astuple

from learninggraph.storage.database import DatabaseUrl
from learninggraph.storage.migrations import upgrade_at
from learninggraph.transfer.records import (
    BATCH_ROWS,
    KIND_BY_NAME,
    KINDS,
    Header,
    Kind,
    TransferError,
    Value,
    check_header,
    progress,
    record_decoder,
)

_RECORDS = record_decoder()
# Bytes of the file decoded at a time.
_CHUNK_BYTES = 4 << 20
_HEADER = msgspec.json.Decoder(Header)
_ORDER = {kind.name: index for index, kind in enumerate(KINDS)}


class Writer(Protocol):
    def run(self, sql: str) -> None: ...

    def begin_kind(self, kind: Kind) -> None: ...

    def finish(self) -> None: ...

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None: ...

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None: ...

    def holds_any(self, kind: Kind) -> bool: ...


class _SqliteWriter:
    """Into an empty table, its secondary indexes are dropped first and built again at the end, in the same
    transaction: one sort per index instead of a B-tree insert per row (about twice as fast overall). A failed
    import rolls the drop back with everything else."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self._dropped: list[str] = []

    def begin_kind(self, kind: Kind) -> None:
        if self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None:
            return
        indexes = self._raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (kind.table,),
        ).fetchall()
        for name, sql in indexes:
            self._raw.execute(f'DROP INDEX "{name}"')
            self._dropped.append(sql)

    def finish(self) -> None:
        for sql in self._dropped:
            self._raw.execute(sql)
        self._dropped = []

    def run(self, sql: str) -> None:
        self._raw.execute(sql)

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self._raw.executemany(f"INSERT INTO {kind.table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def holds_any(self, kind: Kind) -> bool:
        return self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None:
        where = " AND ".join(f"{column} = ?" for column in kind.key)
        for key in keys:
            if self._raw.execute(f"SELECT 1 FROM {kind.table} WHERE {where}", key).fetchone():
                return key
        return None


# The table's indexes that no constraint owns (primary keys and UNIQUE constraints stay, and keep checking).
_PLAIN_INDEXES = (
    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
    "WHERE x.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
)


_FOREIGN_KEYS = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"


class _PostgresWriter:
    """Into an empty table, its plain indexes are built and its foreign keys checked once, after its rows are in
    (one sort per index, one join per key, instead of work per row); all in the import's transaction."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._dropped: list[str] = []
        self._foreign_keys: list[tuple[Kind, str]] = []

    def begin_kind(self, kind: Kind) -> None:
        if self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None:
            return
        for name, definition in self._raw.execute(_PLAIN_INDEXES, (kind.table,)).fetchall():
            self._raw.execute(f'DROP INDEX "{name}"')
            self._dropped.append(definition)
        for name, definition in self._raw.execute(_FOREIGN_KEYS, (kind.table,)).fetchall():
            self._raw.execute(f'ALTER TABLE {kind.table} DROP CONSTRAINT "{name}"')
            self._foreign_keys.append(
                (kind, f'ALTER TABLE {kind.table} ADD CONSTRAINT "{name}" {definition}')
            )

    def finish(self) -> None:
        for definition in self._dropped:
            self._raw.execute(definition)
        self._dropped = []
        for kind, statement in self._foreign_keys:
            try:
                self._raw.execute(statement)
            except psycopg_error() as exc:
                raise TransferError(
                    f"a {kind.name} record was refused by the database ({str(exc).strip().splitlines()[0]}): "
                    "nothing was imported"
                ) from None
        self._foreign_keys = []

    def run(self, sql: str) -> None:
        self._raw.execute(sql)

    def insert(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None:
        with (
            self._raw.cursor() as cursor,
            cursor.copy(f"COPY {kind.table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def holds_any(self, kind: Kind) -> bool:
        return self._raw.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone() is not None

    def existing(self, kind: Kind, keys: list[tuple[Value, ...]]) -> tuple[Value, ...] | None:
        where = " AND ".join(f"{column} = %s" for column in kind.key)
        for key in keys:
            if self._raw.execute(f"SELECT 1 FROM {kind.table} WHERE {where}", key).fetchone():
                return tuple(key)
        return None


def psycopg_error() -> type[Exception]:
    import psycopg

    return psycopg.Error


@contextmanager
def _write_transaction(url: str) -> Iterator[tuple[Writer, type[Exception]]]:
    """One write transaction at ``url`` (migrated first); yields the writer and its driver's error class."""
    upgrade_at(url)
    parsed = DatabaseUrl.parse(url)
    if parsed.scheme == "sqlite":
        raw = sqlite3.connect(parsed.path, isolation_level=None)
        try:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute("PRAGMA busy_timeout=5000")
            raw.execute("PRAGMA cache_size=-262144")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TransferError(f"the database is busy ({exc}): nothing was imported") from None
            try:
                yield _SqliteWriter(raw), sqlite3.Error
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
        finally:
            raw.close()
        return
    import psycopg

    from learninggraph.storage.postgres import connection_string

    with psycopg.connect(connection_string(url), autocommit=False) as conn:
        conn.execute("SET LOCAL statement_timeout = 0")
        try:
            yield _PostgresWriter(conn), psycopg.Error
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def import_file(url: str, source: BinaryIO) -> dict[str, int]:
    """Inserts every record of the export ``source`` into the database at ``url``; returns the counts.

    Nothing is written unless every record goes in: a conflicting id, a record that breaks a rule of
    the schema, or a malformed line rolls the whole import back and raises ``TransferError``.
    """
    first = source.readline()
    try:
        header = _HEADER.decode(first)
    except msgspec.ValidationError as exc:
        raise TransferError(f"line 1: not an export header: {exc}") from None
    except msgspec.DecodeError:
        raise TransferError("line 1: not an export header (not a JSON object)") from None
    check_header(header)
    counts = dict.fromkeys(KIND_BY_NAME, 0)
    total = sum(header.counts.values())
    with _write_transaction(url) as (writer, driver_error), progress(total, "import") as bar:
        batch = _Batch(writer, driver_error)
        for number, records in _record_chunks(source):
            for offset, record in enumerate(records):
                kind = KIND_BY_NAME[record.__struct_config__.tag]
                values = astuple(record)
                columns = kind.columns
                if UNSET in values:
                    columns = tuple(c for c, v in zip(kind.columns, values, strict=True) if v is not UNSET)
                    values = tuple(v for v in values if v is not UNSET)
                if kind is not batch.kind or columns != batch.columns or len(batch.rows) >= BATCH_ROWS:
                    bar.update(batch.flush())
                    _check_order(batch.kind, kind, writer, number + offset)
                    if kind is not batch.kind:
                        writer.begin_kind(kind)
                    batch.kind, batch.columns = kind, columns
                batch.rows.append(values)
                counts[kind.name] += 1
        bar.update(batch.flush())
        writer.finish()
    return {name: count for name, count in counts.items() if count}


def _record_chunks(source: BinaryIO) -> Iterator[tuple[int, list[Any]]]:
    """The records after the header, a chunk at a time, each chunk with the line number of its first."""
    number = 2
    rest = b""
    while True:
        chunk = source.read(_CHUNK_BYTES)
        data = rest + chunk
        if not chunk:
            if data.strip():
                yield number, _decode(data, number)
            return
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        if data:
            yield number, _decode(data, number)
            number += data.count(b"\n")


def _decode(data: bytes, number: int) -> list[Any]:
    try:
        return _RECORDS.decode_lines(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        pass
    # Decoded again line by line only to say which line is wrong.
    for offset, line in enumerate(data.split(b"\n")):
        if not line.strip():
            continue
        try:
            _RECORDS.decode(line)
        except msgspec.ValidationError as exc:
            raise TransferError(
                f"line {number + offset}: {exc} (a record is a known kind with its own columns; "
                "values are text, integers or null)"
            ) from None
        except msgspec.DecodeError:
            raise TransferError(f"line {number + offset}: not a JSON object") from None
    raise TransferError(f"lines {number} on: not JSON Lines")


def _check_order(previous: Kind | None, kind: Kind, writer: Writer, number: int) -> None:
    if previous is not None and _ORDER[kind.name] < _ORDER[previous.name]:
        raise TransferError(
            f"line {number}: a {kind.name} record after {previous.name} records "
            "(kinds go in the documented order)"
        )
    if kind.server_wide and kind is not previous and writer.holds_any(kind):
        raise TransferError(
            f"line {number}: the database has {kind.table.replace('_', ' ')} of its own; "
            "import them only into a database without any (nothing was imported)"
        )


class _Batch:
    """Records of one kind with one column set, waiting to be inserted together."""

    def __init__(self, writer: Writer, driver_error: type[Exception]) -> None:
        self.writer = writer
        self.driver_error = driver_error
        self.kind: Kind | None = None
        self.columns: tuple[str, ...] = ()
        self.rows: list[tuple[Value, ...]] = []

    def flush(self) -> int:
        kind, rows = self.kind, self.rows
        if kind is None or not rows:
            return 0
        self.rows = []
        # A savepoint per batch, so a refused batch can be undone and its clash looked up.
        self.writer.run("SAVEPOINT batch")
        try:
            self.writer.insert(kind, self.columns, rows)
        except self.driver_error as exc:
            self.writer.run("ROLLBACK TO SAVEPOINT batch")
            raise TransferError(self._explain(kind, rows, exc)) from None
        self.writer.run("RELEASE SAVEPOINT batch")
        return len(rows)

    def _explain(self, kind: Kind, rows: list[tuple[Value, ...]], exc: Exception) -> str:
        positions = [self.columns.index(column) for column in kind.key]
        keys = [tuple(row[i] for i in positions) for row in rows]
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        clash = self.writer.existing(kind, keys)
        if clash is not None:
            named = ", ".join(f"{column}={value!r}" for column, value in zip(kind.key, clash, strict=True))
            return (
                f"the {kind.name} {named} already exists (in the database, or earlier in the file): "
                "nothing was imported (import into an empty database, or remove the conflicting records first)"
            )
        return f"a {kind.name} record was refused by the database ({reason}): nothing was imported"
