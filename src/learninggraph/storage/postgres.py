"""PostgreSQL behind the storage API: a psycopg pool, ``?`` placeholders, row locks and fast 503s."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import select
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Buffer, Dumper
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.array import ListBinaryDumper
from psycopg_pool import ConnectionPool, PoolTimeout

from learninggraph.domain.errors import BadRequest, Conflict, ServiceUnavailable
from learninggraph.storage.connection import (
    Array,
    Connection,
    Database,
    Params,
    Row,
    UniqueViolation,
    unavailable,
)

log = logging.getLogger(__name__)
# What an answer says of a value the database refused: the same on every path, whatever psycopg said.
CANNOT_STORE = "The request holds a value the database cannot store."
# SQLSTATE class 54, "program limit exceeded" (54000, 54001 statement too complex, 54011, 54023).
_PROGRAM_LIMIT_EXCEEDED = "54"

POOL_MIN_SIZE = 1
# Handlers run in a thread pool, not on the event loop: each of a worker's handler threads (``app.HANDLER_THREADS``)
# and the edge's sign-in threads holds a connection while its statements travel, and there is one for each.
POOL_MAX_SIZE = 8
# How long a request waits for a pooled connection while the database looks healthy ...
POOL_WAIT_SECONDS = 2.0
# ... and after a failure, until a transaction succeeds again: enough for a local reconnect.
DEGRADED_WAIT_SECONDS = 0.25
# The pool retries a lost connection in the background (after 1 s, then 2 s) for this long, then
# stops; the next request starts a fresh attempt, so recovery never waits on a long backoff.
RECONNECT_SECONDS = 2.0
# libpq defaults a URL may override: fail fast on connect, notice a dead peer on TCP ...
CONNECTION_DEFAULTS = {
    "connect_timeout": "3",
    "application_name": "learninggraph",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "3",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}
# ... and never wait forever on a row lock or a runaway statement; the URL's own ``options`` come
# after these, so a setting it names wins.
SESSION_OPTIONS = "-c lock_timeout=5s -c statement_timeout=30s"
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


def connection_string(url: str) -> str:
    """The libpq connection string for a ``postgresql://`` or ``postgres://`` URL, with our defaults."""
    params = {key: str(value) for key, value in conninfo_to_dict(url).items()}
    options = params.pop("options", "")
    return make_conninfo(
        **{**CONNECTION_DEFAULTS, **params, "options": f"{SESSION_OPTIONS} {options}".strip()}
    )


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class _BooleanAsInteger(Dumper):
    """Booleans go to INTEGER columns as 0/1, as SQLite stores them."""

    oid = psycopg.adapters.types["int4"].oid

    def dump(self, obj: Any) -> Buffer | None:
        return b"1" if obj else b"0"


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BooleanAsInteger)
    conn.adapters.register_dumper(Array, ListBinaryDumper)


def _hung_up(conn: psycopg.Connection[Any]) -> bool:
    """Whether an idle pooled connection has already been closed by the server.

    An idle connection has nothing to read unless the server said goodbye (a restart, a terminated
    backend, an idle timeout); one ``poll`` notices that before the request fails on it.
    """
    if conn.closed:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


def _reason(exc: psycopg.Error) -> str:
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
        except pg_errors.UniqueViolation as exc:
            raise UniqueViolation(str(exc)) from exc
        except psycopg.IntegrityError as exc:
            raise Conflict("The request conflicts with the stored data.") from exc
        except psycopg.DataError as exc:
            # e.g. a NUL character, which PostgreSQL text cannot hold. The database's own words go to the log,
            # never into an answer.
            log.info("the database refused a value: %s", exc)
            raise BadRequest(CANNOT_STORE) from exc
        except psycopg.OperationalError as exc:
            if (exc.sqlstate or "").startswith(_PROGRAM_LIMIT_EXCEEDED):
                # A value too long for an index's row, a statement too deep: what was sent, not the database's
                # availability, though psycopg classes it with the operational errors.
                log.info("the database refused a value: %s", exc)
                raise BadRequest(CANNOT_STORE) from exc
            raise unavailable(_reason(exc)) from exc


class PostgresDatabase(Database):
    """A pool of psycopg connections; a transaction holds one connection from BEGIN to COMMIT.

    Write transactions run at READ COMMITTED and lock what they read with ``lock=True``; snapshots
    run at REPEATABLE READ, READ ONLY. A lost or refused connection is a 503 with Retry-After at
    once; the pool replaces broken connections in the background, so the server recovers by itself.
    """

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo = connection_string(url)
        # One direct connection first, so a wrong URL fails now with libpq's own reason.
        try:
            psycopg.connect(conninfo).close()
        except psycopg.OperationalError as exc:
            raise unavailable(str(exc).strip()) from exc
        self._degraded = False
        # The connection a group (``grouped``) holds for the thread inside it: its transactions all use it.
        self._groups = threading.local()
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            conninfo,
            kwargs={"autocommit": False},
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            open=False,
            configure=_configure,
            timeout=POOL_WAIT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,
            num_workers=2,
            name="learninggraph",
        )
        self._pool.open()

    def pool_stats(self) -> dict[str, int] | None:
        return self._pool.get_stats()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._session(writable=True) as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        with self._session(writable=False) as conn:
            yield conn

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """The block's transactions on one connection, committed without waiting for the disk, then made
        durable together by one commit that waits: one flush of the write-ahead log instead of one each.

        Each transaction still commits on its own, so others see it and its row locks are let go at once
        (no batch holds another's rows, so no two batches can deadlock). A commit that waits flushes all
        the log before it, so when the block ends every commit inside is on disk; a crash before then
        loses only writes nobody was told of, as a crash in the middle of a batch always could.
        """
        if getattr(self._groups, "raw", None) is not None:
            yield
            return
        raw = self._checkout()
        try:
            if not raw.autocommit:
                raw.autocommit = True
            self._session_statement(raw, "SET synchronous_commit = off")
            self._groups.raw = raw
            try:
                yield
            finally:
                self._groups.raw = None
                if not raw.closed:
                    try:
                        raw.autocommit = True
                        # The setting back, then a commit that waits (it is given an id, so it logs one).
                        raw.execute("RESET synchronous_commit; SELECT pg_current_xact_id()")
                    except psycopg.Error as exc:
                        # Never give the pool a connection that may still commit without waiting.
                        raw.close()
                        self._degraded = True
                        raise unavailable(_reason(exc)) from exc
        finally:
            self._pool.putconn(raw)

    def read(self) -> AbstractContextManager[Connection]:
        """One statement in autocommit mode: PostgreSQL runs it in a transaction of its own, which sees one
        state, so no BEGIN and COMMIT travel (one round trip instead of three)."""
        return self._autocommit(writable=False, single=True)

    def unlocked_write(self) -> AbstractContextManager[Connection]:
        """Each statement in autocommit mode, the write last: a create's reads and its INSERT in two round trips
        instead of four. Inside a group the connection already commits each statement without waiting."""
        return self._autocommit(writable=True, single=False)

    @contextmanager
    def _autocommit(self, *, writable: bool, single: bool) -> Iterator[Connection]:
        raw, held = self._take()
        try:
            if not raw.autocommit:
                raw.autocommit = True
            try:
                yield PostgresConnection(raw, writable=writable, single=single)
            except BaseException as exc:
                if isinstance(exc, ServiceUnavailable) and raw.closed:
                    self._degraded = True
                raise
            self._degraded = False
        finally:
            if not held:
                self._pool.putconn(raw)

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _session(self, *, writable: bool) -> Iterator[Connection]:
        raw, held = self._take()
        try:
            if raw.autocommit:
                raw.autocommit = False
            if raw.read_only != (not writable):
                raw.read_only = not writable
                raw.isolation_level = None if writable else psycopg.IsolationLevel.REPEATABLE_READ
            try:
                yield PostgresConnection(raw, writable=writable)
            except BaseException as exc:
                self._rollback(raw)
                if isinstance(exc, ServiceUnavailable) and raw.closed:
                    self._degraded = True
                raise
            try:
                raw.commit()
            except psycopg.Error as exc:
                self._rollback(raw)
                self._degraded = raw.closed
                raise unavailable(_reason(exc)) from exc
            self._degraded = False
        finally:
            if not held:
                self._pool.putconn(raw)

    def _take(self) -> tuple[psycopg.Connection[Row], bool]:
        """The thread's group connection (held: not to be given back), or one from the pool."""
        held: psycopg.Connection[Row] | None = getattr(self._groups, "raw", None)
        if held is not None:
            if held.closed:
                raise unavailable("the connection to PostgreSQL failed")
            return held, True
        return self._checkout(), False

    def _session_statement(self, raw: psycopg.Connection[Row], sql: str) -> None:
        try:
            raw.execute(sql)
        except psycopg.Error as exc:
            raw.close()
            self._degraded = True
            raise unavailable(_reason(exc)) from exc

    def _checkout(self) -> psycopg.Connection[Row]:
        wait = DEGRADED_WAIT_SECONDS if self._degraded else POOL_WAIT_SECONDS
        for _ in range(POOL_MAX_SIZE + 1):
            try:
                raw = self._pool.getconn(wait)
            except PoolTimeout as exc:
                if not self._degraded:
                    log.warning("PostgreSQL is unavailable: %s", exc)
                self._degraded = True
                raise unavailable(_reason(exc)) from exc
            if not _hung_up(raw):
                return raw
            # The server closed it: drop it (the pool connects a replacement) and try the next.
            raw.close()
            self._pool.putconn(raw)
            wait = DEGRADED_WAIT_SECONDS
        self._degraded = True
        raise unavailable("every pooled connection was closed by the server")

    @staticmethod
    def _rollback(raw: psycopg.Connection[Row]) -> None:
        if raw.closed:
            return
        try:
            raw.rollback()
        except psycopg.Error:
            raw.close()
