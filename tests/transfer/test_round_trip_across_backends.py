"""SQLite → file → PostgreSQL → file (and back) gives byte-identical exports.

The PostgreSQL is the session's on the PostgreSQL pass; on the SQLite pass this module starts its own, and
skips only where PostgreSQL is not installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, find_bin_dir
from tests.transfer.world import export_file, kinds, populate, records, run_cli


@pytest.fixture(scope="module")
def new_postgresql_url(request: pytest.FixtureRequest, backend: str) -> Iterator[Callable[[], str]]:
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_schema
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed")
    own = PostgresServer(bin_dir)
    try:
        yield own.create_schema
    finally:
        own.close()


def _sqlite_url(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.mark.parametrize("secrets", [(), ("--include-secrets",)], ids=["without-secrets", "with-secrets"])
def test_sqlite_to_postgresql_and_back_gives_byte_identical_exports(
    secrets: tuple[str, ...], new_postgresql_url: Callable[[], str], tmp_path: Path
) -> None:
    sqlite_source, postgresql = _sqlite_url(tmp_path, "source.db"), new_postgresql_url()
    populate(sqlite_source)
    from_sqlite = export_file(sqlite_source, tmp_path / "from-sqlite.jsonl", *secrets)
    assert run_cli("import", "--database", postgresql, str(tmp_path / "from-sqlite.jsonl")) == 0
    from_postgresql = export_file(postgresql, tmp_path / "from-postgresql.jsonl", *secrets)
    assert from_postgresql == from_sqlite
    sqlite_again = _sqlite_url(tmp_path, "again.db")
    assert run_cli("import", "--database", sqlite_again, str(tmp_path / "from-postgresql.jsonl")) == 0
    assert export_file(sqlite_again, tmp_path / "again.jsonl", *secrets) == from_sqlite


def test_the_round_trip_data_set_populates_every_column_somewhere(tmp_path: Path) -> None:
    """Guards the test above: a column left null everywhere would not show a loss."""
    url = _sqlite_url(tmp_path, "source.db")
    populate(url)
    data = export_file(url, tmp_path / "all.jsonl", "--include-secrets")
    for kind in kinds(data):
        of_kind = [r for r in records(data)[1] if r["kind"] == kind]
        empty = [column for column in of_kind[0] if all(r[column] is None for r in of_kind)]
        assert empty == [], (kind, empty)
    activity_types = {r["odata_type"] for r in records(data)[1] if r["kind"] == "courseActivity"}
    assert len(activity_types) == 2
