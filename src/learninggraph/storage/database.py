"""Database connections and the one-transaction-per-request rule.

Repositories write SQL with ``?`` placeholders and talk to a ``Connection``; a ``Database`` hands
out a connection inside a transaction that commits when the block ends and rolls back on any
exception, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from learninggraph.domain.errors import Conflict, ServiceUnavailable

Row = tuple[Any, ...]
Params = Sequence[Any]

RETRY_AFTER_SECONDS = 2


class UniqueViolation(Exception):
    """An insert or update broke a unique constraint."""


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    scheme: str
    path: str

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:
            raw = unquote(parts.path)
            path = raw[1:] if raw.startswith("/") else raw
            if not path:
                raise ValueError(f"no file in database URL {url!r}")
            return cls("sqlite", path)
        if parts.scheme in ("postgresql", "postgres"):
            return cls("postgresql", url)
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


class Connection:
    """A connection inside a transaction; the only thing repositories see."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = self._run(sql, params).fetchall()
        return rows

    def execute(self, sql: str, params: Params = ()) -> int:
        """Runs a statement and returns the number of rows it changed."""
        return self._run(sql, params).rowcount

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._raw.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise Conflict("The request conflicts with the stored data.") from exc
        except sqlite3.OperationalError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: sqlite3.Error) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The database is unavailable ({exc}). Retry after {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class Database:
    """One SQLite connection per process, used from the event loop thread only."""

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        parsed = DatabaseUrl.parse(url)
        if parsed.scheme != "sqlite":
            raise ValueError("PostgreSQL support is not available in this build yet")
        self.url = url
        self.path = parsed.path
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._raw = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        self._lock = threading.RLock()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
            "PRAGMA foreign_keys=ON",
            "PRAGMA cache_size=-65536",
            "PRAGMA temp_store=MEMORY",
        ):
            self._raw.execute(pragma)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: taken at once, so two writers never deadlock on upgrade."""
        with self._lock:
            try:
                self._raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _unavailable(exc) from exc
            try:
                yield Connection(self._raw)
            except BaseException:
                self._raw.execute("ROLLBACK")
                raise
            try:
                self._raw.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._raw.in_transaction:
                    self._raw.execute("ROLLBACK")
                raise _unavailable(exc) from exc

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction: every statement in the block sees the same state."""
        with self._lock:
            try:
                self._raw.execute("BEGIN")
            except sqlite3.OperationalError as exc:
                raise _unavailable(exc) from exc
            try:
                yield Connection(self._raw)
            finally:
                if self._raw.in_transaction:
                    self._raw.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._raw.close()
