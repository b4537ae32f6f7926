"""What every backend shares: the ``Database`` and ``Connection`` interfaces, rows, URLs and the 503 of an
unavailable database. ``storage.database`` (SQLite, and the import of ``Database``) and ``storage.postgres``
both build on this module and neither imports the other's classes at import time."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from learninggraph.domain.errors import ServiceUnavailable, retry_after_message

Row = tuple[Any, ...]
Params = Sequence[Any]

RETRY_AFTER_SECONDS = 2


def storable(text: str) -> bool:
    """Whether every backend's text can hold ``text`` (PostgreSQL's cannot hold a NUL character): a key that
    is not cannot match anything stored, so a lookup of it need not ask."""
    return "\x00" not in text


class Array(list[Any]):
    """A list sent to PostgreSQL as one array parameter (``unnest(?::text[])``, ``= ANY(?)``), in binary form.

    psycopg's text form of an array escapes each element in Python, a regular expression's substitution for
    every quote: a batch of journal blocks (JSON text) cost about a hundred microseconds an entry that way, more
    than the whole request it recorded. The binary form copies each element's bytes behind its length. SQLite
    takes no arrays."""


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


def unavailable(reason: object) -> ServiceUnavailable:
    """The 503 every backend raises when the database cannot serve the request right now."""
    # The pages' 503 row is all a client reads; the reason is for the operator's log.
    logging.getLogger("learninggraph").warning("database unavailable: %s", reason)
    return ServiceUnavailable(
        retry_after_message(RETRY_AFTER_SECONDS), headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


class Connection(ABC):
    """A connection inside a transaction; the only thing repositories see.

    ``lock=True`` marks the read of a read-check-write: inside ``transaction()`` the rows read stay
    locked against other writers until the transaction ends (SQLite's write transaction already
    excludes every other writer; PostgreSQL adds ``FOR NO KEY UPDATE``). Snapshots ignore it.
    """

    @abstractmethod
    def fetch_one(self, sql: str, params: Params = (), *, lock: bool = False) -> Row | None: ...

    @abstractmethod
    def fetch_all(self, sql: str, params: Params = (), *, lock: bool = False) -> list[Row]: ...

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Runs a statement and returns the number of rows it changed."""

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Runs one statement for each of ``rows`` (prepared once where the backend can)."""
        for params in rows:
            self.execute(sql, params)

    @abstractmethod
    def exclusive(self, name: str) -> None:
        """Makes write transactions that claim the same name run one after another.

        For check-then-insert steps a row lock cannot cover, because the row may not exist yet (one
        active signing key, one schema upgrade at a time, an upsert of a new key): a transaction-scoped
        advisory lock on PostgreSQL, a no-op on SQLite, whose write transactions are serial already.
        Snapshots ignore it.
        """


class Database:
    """The database at one URL; ``Database(url)`` builds the backend its scheme names.

    Repositories write SQL with ``?`` placeholders and talk to a ``Connection``; a ``Database`` hands
    out a connection inside a transaction that commits when the block ends and rolls back on any
    exception, so a failed request leaves nothing half-written. SQLite lives in ``storage.database``,
    PostgreSQL in ``storage.postgres`` (imported only when a URL asks for it).
    """

    dialect: ClassVar[str]
    url: str

    # The class serving each URL scheme, as ``storage.database`` registers them (SQLite's there, PostgreSQL's
    # imported only when a URL asks for it), so that neither backend module imports the other.
    backends: ClassVar[dict[str, Callable[[], type[Database]]]] = {}

    def __new__(cls, url: str) -> Database:
        if cls is not Database:
            return super().__new__(cls)
        return super().__new__(Database.backends[DatabaseUrl.parse(url).scheme]())

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction: commits when the block ends, rolls back when it raises."""
        raise NotImplementedError

    def single_write(self) -> AbstractContextManager[Connection]:
        """A write transaction whose block writes with one statement and raises nothing once it succeeded
        (a read after it fails only when the database does). Inside a group (``grouped``) a backend may run it
        without a savepoint of its own, since a statement that fails undoes itself; elsewhere it is
        ``transaction()``."""
        return self.transaction()

    def unlocked_write(self) -> AbstractContextManager[Connection]:
        """A ``single_write`` whose reads lock nothing and whose one write is its last statement. A transaction
        adds nothing to such a block where each statement sees the latest commits anyway (READ COMMITTED) and
        the write is atomic by itself, so a backend may run each statement on its own (PostgreSQL: no BEGIN
        and COMMIT round trips); elsewhere it is ``single_write()``."""
        return self.single_write()

    def snapshot(self) -> AbstractContextManager[Connection]:
        """A read transaction: every statement in the block sees the same state."""
        raise NotImplementedError

    def read(self) -> AbstractContextManager[Connection]:
        """A block that runs exactly one statement (a second raises): one statement always sees one state,
        so a backend may run it without a read transaction around it (SQLite: no BEGIN and COMMIT)."""
        return self.snapshot()

    def grouped(self) -> AbstractContextManager[None]:
        """A block whose transactions may be committed together, each still succeeding or failing alone.

        Where a backend groups them, each ``transaction()`` inside is a savepoint of one outer
        transaction that commits when the block ends; if that commit fails, the block raises and none of
        its work is kept. Backends that do not group run each transaction as usual.
        """
        return nullcontext()

    def pool_stats(self) -> dict[str, int] | None:
        """The connection pool's figures (``pool_size``, ``pool_available``, ``requests_waiting``); None: no pool."""
        return None

    def close(self) -> None:
        raise NotImplementedError
