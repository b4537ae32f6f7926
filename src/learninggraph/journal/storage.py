"""Where the journal is stored: on SQLite a file of its own beside the database, on PostgreSQL its tables.

On SQLite every request writes an entry, so the entries live in a file of their own (``learninggraph.db`` →
``learninggraph.journal.db``, owner-only like the database): its own write-ahead log, checkpoints and write
lock, so the journal's writer never holds a lock the request path needs, never makes the request path's
connection drop its page cache (SQLite drops it whenever another connection changed the file), and never
leaves pages in the data's log for a request's commit to checkpoint. An in-memory database gets an in-memory
journal (one per process, as the database is). Every worker opens the same file, so entries are shared and
survive restarts. The file's schema is created here, in one transaction that also copies in any entries a
database from before the split still holds in its own ``journal_entries`` table (each a block of one entry).

On PostgreSQL the journal stays in the database's tables (migrations 4, 5 and 6): the writer has its own
connection pool, and a server's commits share no page cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from learninggraph.journal.blocks import single_block
from learninggraph.storage.connection import Connection, Database, DatabaseUrl
from learninggraph.storage.writer_lock import WriterLock, private_file

MEMORY = ":memory:"
# Bytes per page of a journal file. An entry is about 2 KB: on SQLite's default 4 KB pages each insert splits
# pages, and each batch writes (then checkpoints) thousands of small WAL frames; 16 KB pages halved the
# writer's CPU time per entry (insert, eviction and commit together).
PAGE_SIZE = 16_384
# ``PRAGMA user_version`` of a journal file whose schema is complete (1: a row an entry, with a request-id index
# of its own; 2: a row an entry; 3: a block a tenant a stored batch, ``journal.blocks``).
SCHEMA_VERSION = 3
# The journal's connection keeps a small page cache (KiB): it mostly appends, and the data's 64 MiB cache
# would otherwise be a second one as large in every worker.
CACHE_KIB = 8_192
# How long a process making a new journal file waits for another making the same one.
CREATION_WAIT_SECONDS = 5.0
# The journal file's tables. A block's ``id`` (its last entry's) is the rowid (INTEGER PRIMARY KEY): blocks are
# appended at the table's end. The one index, (tenant, id), finds a tenant's blocks, newest or oldest first.
# There is no index on the request-id: ``explain`` reads the tenant's blocks (at most its bound of entries), or
# every block for the operator's view across tenants.
SCHEMA: tuple[str, ...] = (
    """CREATE TABLE journal_blocks (
        id INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        first_id INTEGER NOT NULL,
        entries BLOB NOT NULL)""",
    "CREATE INDEX ix_journal_blocks_tenant ON journal_blocks (tenant_id, id)",
    """CREATE TABLE journal_tenants (
        tenant_id TEXT PRIMARY KEY, entries INTEGER NOT NULL, first_kept INTEGER NOT NULL DEFAULT 0)""",
    "CREATE TABLE journal_sequence (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
    "INSERT INTO journal_sequence (name, last_id) VALUES ('entries', 0)",
)
# The columns of a row of the row-an-entry layout (schemas 1 and 2, and a database's own tables from before the
# journal had a file of its own): each such row becomes a block of one entry, which ages out as blocks do.
_COLUMNS = "id, tenant_id, at, app_id, user_id, method, route, status, rule, request_id, record"
_INSERT_SINGLE = "INSERT INTO journal_blocks (id, tenant_id, first_id, entries) VALUES (?, ?, ?, ?)"


def journal_path(database_path: str) -> str:
    """The journal file beside the SQLite database at ``database_path`` (``data.db`` → ``data.journal.db``)."""
    path = Path(database_path)
    suffix = path.suffix or ".db"
    return str(path.with_name(f"{path.stem if path.suffix else path.name}.journal{suffix}"))


def journal_url(database_url: str) -> str:
    """The URL of the journal's store for the database at ``database_url`` (the same one on PostgreSQL)."""
    parsed = DatabaseUrl.parse(database_url)
    if parsed.scheme != "sqlite" or parsed.path == MEMORY:
        return database_url
    return f"sqlite:///{journal_path(parsed.path)}"


def open_journal_database(database_url: str) -> Database:
    """The journal's store for the (migrated) database at ``database_url``, its schema in place.

    Open it once per process and share it: for an in-memory database every opening is a new, empty journal.
    """
    url = journal_url(database_url)
    if url != database_url:
        _create_file(DatabaseUrl.parse(url).path)
    database = Database(url)
    if database.dialect == "sqlite":
        try:
            _create_schema(database, DatabaseUrl.parse(database_url).path)
            with database.transaction() as conn:
                conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                # Debian's SQLite zeroes everything deleted (``SQLITE_SECURE_DELETE``): every eviction then wrote
                # zeros over each freed page, a fifth of the writer's instructions storing a batch. Evicted entries
                # are redacted already, and the file is its owner's alone (as with SQLite builds without it, its
                # free space may hold parts of evicted or forgotten entries until reused).
                conn.execute("PRAGMA secure_delete = OFF")
            bind_without_lookup()
        except BaseException:
            database.close()
            raise
    return database


def bind_without_lookup() -> None:
    """Registers adapters that give ``bytes`` and None back unchanged: Python's ``sqlite3`` binds them through
    its adapter lookup, which fails slowly (an exception formatted and dropped, a sixteenth of the instructions of
    storing a journal entry: the record is bytes, and an application's entry has no user); a registered adapter
    is found at once. Both bind exactly as before (a BLOB, NULL), for every connection of the process.
    ``bytes.__bytes__`` gives exact bytes back as they are through a method call (``bytes`` itself is a type:
    its call parses its arguments, about 450 instructions more a record)."""
    sqlite3.register_adapter(bytes, bytes.__bytes__)
    sqlite3.register_adapter(type(None), _NONE.get)


_NONE: dict[None, None] = {}


def _create_file(path: str) -> None:
    """A new journal file, owner-only, with ``PAGE_SIZE`` pages (fixed once the file is in WAL mode, so
    set before ``Database`` opens it); an existing one is left as it is. Made under the file's writer lock:
    two processes turning one new file to WAL do not wait for each other in SQLite, which refuses one."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    if Path(path).stat().st_size > 0:
        return  # made before: its pages and WAL mode were set then
    lock = _writer_lock(path)
    held = lock is not None and lock.acquire(CREATION_WAIT_SECONDS)
    try:
        raw = sqlite3.connect(path)
        try:
            if raw.execute("PRAGMA page_count").fetchone()[0] == 0:
                raw.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                raw.execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()
    finally:
        if lock is not None:
            if held:
                lock.release()
            lock.close()


def _writer_lock(path: str) -> WriterLock | None:
    try:
        return WriterLock(path)
    except OSError:  # no lock file can be made beside it: made as before, unguarded
        return None


def _create_schema(journal: Database, database_path: str) -> None:
    """Creates the journal file's tables unless they exist, copying in a database's earlier entries, or brings
    an earlier file's schema up to date."""
    with journal.transaction() as conn:
        row = conn.fetch_one("PRAGMA user_version")
        version = 0 if row is None else int(row[0])
        if version >= SCHEMA_VERSION:
            return
        if version in (1, 2):
            _convert_rows(conn)
        else:
            for statement in SCHEMA:
                conn.execute(statement)
            if database_path != MEMORY:
                _copy_earlier_entries(conn, database_path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _convert_rows(conn: Connection) -> None:
    """Turns a file of a row an entry (schema 1 or 2) into blocks, each row a block of one entry, in the
    transaction that opens it; its counts stay, every entry kept."""
    conn.execute("ALTER TABLE journal_entries RENAME TO journal_rows")
    conn.execute(SCHEMA[0])
    conn.execute(SCHEMA[1])
    last = 0
    while rows := conn.fetch_all(
        f"SELECT {_COLUMNS} FROM journal_rows WHERE id > ? ORDER BY id LIMIT 1000", (last,)
    ):
        conn.execute_many(_INSERT_SINGLE, [_single(row) for row in rows])
        last = int(rows[-1][0])
    conn.execute("DROP TABLE journal_rows")
    conn.execute("ALTER TABLE journal_tenants ADD COLUMN first_kept INTEGER NOT NULL DEFAULT 0")


def _single(row: tuple[Any, ...] | list[Any]) -> tuple[int, str, int, bytes]:
    """The block row of one row of the row-an-entry layout."""
    return (int(row[0]), str(row[1]), int(row[0]), single_block(row))


def _copy_earlier_entries(conn: Connection, database_path: str) -> None:
    """Copies the entries, counts and last id that the database's own journal tables hold (a database
    journalled before the journal had a file of its own), inside the transaction creating the schema."""
    if not Path(database_path).exists():
        return
    source = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"journal_tenants", "journal_sequence"} <= tables:
            return
        if "journal_blocks" in tables:  # migration 6: blocks (of one entry each, as JSON text)
            blocks = source.execute("SELECT id, tenant_id, first_id, entries FROM journal_blocks ORDER BY id")
            while batch := blocks.fetchmany(1000):
                conn.execute_many(_INSERT_SINGLE, batch)
            counts = "SELECT tenant_id, entries, first_kept FROM journal_tenants"
        elif "journal_entries" in tables:
            rows = source.execute(f"SELECT {_COLUMNS} FROM journal_entries ORDER BY id")
            while batch := rows.fetchmany(1000):
                conn.execute_many(_INSERT_SINGLE, [_single(row) for row in batch])
            counts = "SELECT tenant_id, entries, 0 FROM journal_tenants"
        else:
            return
        conn.execute_many(
            "INSERT INTO journal_tenants (tenant_id, entries, first_kept) VALUES (?, ?, ?)",
            source.execute(counts).fetchall(),
        )
        last = source.execute("SELECT last_id FROM journal_sequence WHERE name = 'entries'").fetchone()
        if last is not None:
            conn.execute("UPDATE journal_sequence SET last_id = ? WHERE name = 'entries'", (last[0],))
    finally:
        source.close()


@contextmanager
def journal_database_of(database: Database) -> Iterator[Database]:
    """The journal's store beside an open database, for one command (on PostgreSQL, the database itself)."""
    if database.dialect != "sqlite":
        yield database
        return
    journal = open_journal_database(database.url)
    try:
        yield journal
    finally:
        journal.close()
