"""What an import borrows from its process while it runs, and gives back: SQLite's memory ceiling (lifted, so
its page cache holds the rows until the commit) and the cyclic garbage collector (paused); and how a record
refused in the middle of a batch is named once the batch is no longer undone as a whole."""

from __future__ import annotations

import gc
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from learninggraph.storage.database import HEAP_LIMIT_KIB, Database
from learninggraph.transfer.load import import_file
from learninggraph.transfer.records import TransferError
from tests.transfer.world import export_file, populate


def _heap_limit() -> int:
    raw = sqlite3.connect(":memory:")
    try:
        return int(raw.execute("PRAGMA soft_heap_limit").fetchone()[0])
    finally:
        raw.close()


class _Watched(io.BufferedReader):
    """A file that notes, at every read after the first, SQLite's memory ceiling and whether the collector runs."""

    seen: list[tuple[int, bool]]

    def read(self, size: int | None = -1) -> bytes:
        self.seen.append((_heap_limit(), gc.isenabled()))
        return super().read(size)


def _import_watched(url: str, path: Path) -> list[tuple[int, bool]]:
    with _Watched(io.FileIO(path)) as watched:
        watched.seen = []
        import_file(url, watched)
        return watched.seen


def test_a_sqlite_import_lifts_the_servers_memory_ceiling_while_it_runs_and_sets_it_back(
    tmp_path: Path,
) -> None:
    source, target = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
    populate(source)
    export_file(source, tmp_path / "out.jsonl")
    Database(source).close()  # a server's opening sets the ceiling for the whole process
    assert _heap_limit() == HEAP_LIMIT_KIB * 1024
    seen = _import_watched(target, tmp_path / "out.jsonl")
    assert {limit for limit, _ in seen} == {0}
    assert _heap_limit() == HEAP_LIMIT_KIB * 1024


def test_the_garbage_collector_is_paused_during_an_import_and_resumed_after(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    export_file(source, tmp_path / "out.jsonl")
    assert gc.isenabled()
    seen = _import_watched(target, tmp_path / "out.jsonl")
    assert seen and not any(collecting for _, collecting in seen)
    assert gc.isenabled()


def test_the_garbage_collector_is_resumed_after_a_refused_import(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    export_file(source, tmp_path / "out.jsonl")
    with pytest.raises(TransferError), (tmp_path / "out.jsonl").open("rb") as again:
        import_file(source, again)
    assert gc.isenabled()


def test_a_record_repeated_in_the_middle_of_a_batch_is_named_and_nothing_is_written(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    world = populate(source)
    lines = export_file(source, tmp_path / "out.jsonl", "--tenant", world.tenant).splitlines()
    header, tenant = lines[:2]
    user = json.loads(next(line for line in lines if b'"kind":"user"' in line))
    users = [
        json.dumps({**user, "id": f"user-{n:05d}", "user_principal_name": f"u{n}@x.test"}).encode()
        for n in range(300)
    ]
    # The 200th user repeats the 100th: the 199 before it are fine and in the same batch.
    users.insert(200, users[100])
    with pytest.raises(TransferError) as refused:
        import_file(target, io.BytesIO(b"\n".join([header, tenant, *users, b""])))
    said = str(refused.value)
    assert "user-00100" in said and "nothing was imported" in said
    assert "user-00099" not in said and "user-00199" not in said
    database = Database(target)
    try:
        with database.snapshot() as conn:
            assert conn.fetch_one("SELECT COUNT(*) FROM users") == (0,)
            assert conn.fetch_one("SELECT COUNT(*) FROM tenants") == (0,)
    finally:
        database.close()
