"""Writing the benchmark data set's rows in bulk: one transaction, secondary indexes built after the rows.

SQLite: a connection of its own without a rollback journal or syncs while it loads (a data set that is cut
short is loaded again, not repaired), ``executemany`` of blocks of rows, the plain indexes of the bulk tables
dropped first and built at the end with the sorter's helper threads (as ``learninggraph.transfer`` does),
then WAL, as the server keeps the file. PostgreSQL: ``COPY`` into the tables, the plain indexes built at the end.
The rows come in key order (``dataset_rows``), so the primary and unique keys are appended to.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

from learninggraph.progress import progress
from learninggraph.storage.database import DatabaseUrl

BULK_TABLES = ("users", "learning_contents", "learning_course_activities")
# The page cache while rows go in (KiB), and the sorter's run size and helper threads while indexes are built.
_CACHE_KIB = 256 << 10
_SORT_RUN_KIB = 16 << 10
_SORT_THREADS = 2


class BulkWriter(Protocol):
    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None: ...

    def finish(self) -> None:
        """Builds the indexes and commits."""


class SqliteBulk:
    def __init__(self, path: str) -> None:
        self._raw = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "PRAGMA journal_mode=OFF",
            "PRAGMA synchronous=OFF",
            "PRAGMA foreign_keys=OFF",
            f"PRAGMA cache_size=-{_CACHE_KIB}",
            "PRAGMA temp_store=FILE",
        ):
            self._raw.execute(pragma)
        self._raw.execute("BEGIN")
        self._indexes: list[str] = []
        for table in BULK_TABLES:
            for name, sql in self._raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            ).fetchall():
                self._raw.execute(f'DROP INDEX "{name}"')
                self._indexes.append(sql)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self._raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def finish(self) -> None:
        self._raw.execute(f"PRAGMA threads={_SORT_THREADS}")
        self._raw.execute(f"PRAGMA cache_size=-{_SORT_RUN_KIB}")
        with progress(len(self._indexes), "indexes", unit=" indexes") as bar:
            for sql in self._indexes:
                self._raw.execute(sql)
                bar.update(1)
        self._raw.execute("COMMIT")
        self._raw.execute("PRAGMA journal_mode=WAL")
        self._raw.close()


class PostgresBulk:
    def __init__(self, url: str) -> None:
        import psycopg

        from learninggraph.storage.postgres import connection_string

        self._raw: Any = psycopg.connect(connection_string(url), autocommit=False)
        self._raw.execute("SET LOCAL statement_timeout = 0")
        self._raw.execute("SET LOCAL maintenance_work_mem = '1GB'")
        self._indexes: list[str] = []
        for table in BULK_TABLES:
            for name, definition in self._raw.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                (table,),
            ).fetchall():
                self._raw.execute(f'DROP INDEX "{name}"')
                self._indexes.append(definition)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None:
        with (
            self._raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)

    def finish(self) -> None:
        with progress(len(self._indexes), "indexes", unit=" indexes") as bar:
            for sql in self._indexes:
                self._raw.execute(sql)
                bar.update(1)
        for table in BULK_TABLES:
            self._raw.execute(f"ANALYZE {table}")
        self._raw.commit()
        self._raw.close()


def bulk_writer(url: str) -> BulkWriter:
    parsed = DatabaseUrl.parse(url)
    if parsed.scheme == "sqlite":
        return SqliteBulk(parsed.path)
    return PostgresBulk(url)


T = TypeVar("T")
_DONE = object()


def generated_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced on a thread of their own up to ``depth`` ahead of the consumer."""
    ready: queue.Queue[Any] = queue.Queue(depth)
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for item in items:
                ready.put(item)
        except BaseException as exc:
            failure.append(exc)
        finally:
            ready.put(_DONE)

    thread = threading.Thread(target=produce, name="dataset-rows", daemon=True)
    thread.start()
    while (item := ready.get()) is not _DONE:
        yield item
    thread.join()
    if failure:
        raise failure[0]
