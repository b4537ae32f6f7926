"""A connection's statements on PostgreSQL: ``?`` placeholders, locking reads, psycopg's errors as the storage
API's, and the pipelined connection of ``PostgresDatabase.single_write``."""

from __future__ import annotations

import functools
import hashlib
import re
from typing import NoReturn

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from learninggraph.domain.errors import BadRequest, Conflict
from learninggraph.storage.connection import Connection, Params, Row, UniqueViolation, unavailable

_LOCK_SUFFIX = " FOR NO KEY UPDATE"
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|[?%]")


@functools.lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s``; a literal ``%`` doubled. Quoted text keeps its ``?``."""

    def replace(match: re.Match[str]) -> str:
        token = match.group()
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKEN.sub(replace, sql)


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def reason(exc: psycopg.Error) -> str:
    if isinstance(exc, PoolTimeout):
        return "no connection to PostgreSQL could be made in time"
    if isinstance(exc, pg_errors.LockNotAvailable):
        return "a row stayed locked by another transaction"
    if isinstance(exc, pg_errors.QueryCanceled):
        return "the statement took too long"
    if isinstance(exc, pg_errors.TransactionRollback):
        return "a concurrent transaction conflicted with this one"
    return "the connection to PostgreSQL failed"


class PostgresConnection(Connection):
    __slots__ = ("_cursor", "_raw", "_single", "_used", "_writable")

    def __init__(self, raw: psycopg.Connection[Row], *, writable: bool, single: bool = False) -> None:
        self._raw = raw
        self._cursor = raw.cursor()
        self._writable = writable
        # ``read()``: one statement in autocommit mode; a second raises.
        self._single = single
        self._used = False

    def fetch_one(self, sql: str, params: Params = (), *, lock: bool = False) -> Row | None:
        return self._run(sql + _LOCK_SUFFIX if lock and self._writable else sql, params).fetchone()

    def fetch_all(self, sql: str, params: Params = (), *, lock: bool = False) -> list[Row]:
        return self._run(sql + _LOCK_SUFFIX if lock and self._writable else sql, params).fetchall()

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._run(sql, params).rowcount

    def exclusive(self, name: str) -> None:
        if self._writable:
            self._run("SELECT pg_advisory_xact_lock(?)", (_lock_key(name),))

    def _run(self, sql: str, params: Params) -> psycopg.Cursor[Row]:
        if self._single:
            if self._used:
                raise RuntimeError("Database.read() runs one statement; use snapshot() for more.")
            self._used = True
        try:
            return self._cursor.execute(to_pyformat(sql), params)
        except psycopg.Error as exc:
            raise_translated(exc)


class PipelinedConnection(PostgresConnection):
    """A write transaction in psycopg's pipeline mode: a statement is sent without waiting for its answer, and
    the connection waits only where an answer is needed, a read's rows or the commit's outcome. The BEGIN goes
    with the first read and a write (``write``) with what follows it, the COMMIT at the latest.

    The statements, their order and the transaction are what they would be otherwise; only the waits between
    them go. A write's failure surfaces at the next wait, as the same error, and rolls the transaction back.
    """

    __slots__ = ("_control", "_pipeline", "_writer")

    def __init__(self, raw: psycopg.Connection[Row], pipeline: psycopg.Pipeline) -> None:
        super().__init__(raw, writable=True)
        self._pipeline = pipeline
        # Each statement's answer lands on the cursor that sent it; a read's cursor carries only reads.
        self._control = raw.cursor()
        self._writer = raw.cursor()

    def fetch_one(self, sql: str, params: Params = (), *, lock: bool = False) -> Row | None:
        cursor = self._run(sql + _LOCK_SUFFIX if lock else sql, params)
        try:
            return cursor.fetchone()
        except psycopg.Error as exc:
            raise_translated(exc)

    def fetch_all(self, sql: str, params: Params = (), *, lock: bool = False) -> list[Row]:
        cursor = self._run(sql + _LOCK_SUFFIX if lock else sql, params)
        try:
            return cursor.fetchall()
        except psycopg.Error as exc:
            raise_translated(exc)

    def execute(self, sql: str, params: Params = ()) -> int:
        """Waits for the statement's count (and all before it)."""
        cursor = self._run(sql, params)
        try:
            self._pipeline.sync()
        except psycopg.Error as exc:
            raise_translated(exc)
        return cursor.rowcount

    def write(self, sql: str, params: Params = ()) -> None:
        try:
            self._writer.execute(to_pyformat(sql), params)
        except psycopg.Error as exc:
            raise_translated(exc)

    def exclusive(self, name: str) -> None:
        self.write("SELECT pg_advisory_xact_lock(?)", (_lock_key(name),))

    def control(self, command: str) -> None:
        """Sends BEGIN, COMMIT or ROLLBACK without waiting (never prepared: each is one word's work)."""
        self._control.execute(command, prepare=False)


def raise_translated(exc: psycopg.Error) -> NoReturn:
    """Raises a statement's failure as the storage API's error (``translated``), from psycopg's."""
    error = translated(exc)
    if error is exc:
        raise exc
    raise error from exc


def translated(exc: psycopg.Error) -> Exception:
    """What a statement's failure is to the caller; other errors are psycopg's own."""
    if isinstance(exc, pg_errors.UniqueViolation):
        return UniqueViolation(str(exc))
    if isinstance(exc, psycopg.IntegrityError):
        return Conflict("The request conflicts with the stored data.")
    if isinstance(exc, psycopg.DataError):
        # e.g. a NUL character, which PostgreSQL text cannot hold.
        return BadRequest(f"The request holds a value the database cannot store: {exc}")
    if isinstance(exc, psycopg.OperationalError):
        return unavailable(reason(exc))
    return exc
