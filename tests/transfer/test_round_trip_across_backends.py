"""SQLite → file → PostgreSQL → file (and back) gives byte-identical exports.

The PostgreSQL is the session's on the PostgreSQL pass; on the SQLite pass this module starts its own, and
skips only where PostgreSQL is not installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from tests.postgres_server import PostgresServer, find_bin_dir
from tests.transfer.world import export_file, failure, kinds, populate, records, run_cli


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


# Every character the COPY text format escapes, the end-of-data marker, quotes, unicode beyond the BMP.
_AWKWARD = "tab\there\nnew line\r\rback\\slash \\N \\. \"double\" 'single' é 学 😀 \x01 end"


def _awkward_export(data: bytes) -> bytes:
    """The export with awkward text in free-text and JSON-text columns, an empty string beside a null."""
    header, rows = records(data)
    notes_seen = 0
    for row in rows:
        if row["kind"] == "courseActivity":
            row["notes"] = [_AWKWARD, "", None][notes_seen % 3]
            notes_seen += 1
        elif row["kind"] == "learningContent":
            row["additional_tags"] = msgspec.json.encode([_AWKWARD, "", "\\"]).decode()
            row["title"] = _AWKWARD
        elif row["kind"] == "user":
            row["display_name"] = _AWKWARD
    assert notes_seen >= 3
    return b"".join(msgspec.json.encode(line) + b"\n" for line in [header, *rows])


def test_awkward_text_goes_through_postgresql_copy_and_back_byte_for_byte(
    new_postgresql_url: Callable[[], str], tmp_path: Path
) -> None:
    source = _sqlite_url(tmp_path, "source.db")
    populate(source)
    awkward = _awkward_export(export_file(source, tmp_path / "plain.jsonl"))
    (tmp_path / "awkward.jsonl").write_bytes(awkward)
    postgresql = new_postgresql_url()
    assert run_cli("import", "--database", postgresql, str(tmp_path / "awkward.jsonl")) == 0
    assert export_file(postgresql, tmp_path / "from-postgresql.jsonl") == awkward
    sqlite_again = _sqlite_url(tmp_path, "again.db")
    assert run_cli("import", "--database", sqlite_again, str(tmp_path / "from-postgresql.jsonl")) == 0
    assert export_file(sqlite_again, tmp_path / "again.jsonl") == awkward


def test_a_file_repeating_a_record_is_refused_by_an_empty_postgresql_and_leaves_it_empty(
    new_postgresql_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On PostgreSQL an empty table's keys are built after its rows: the repeat is found there."""
    source = _sqlite_url(tmp_path, "source.db")
    populate(source)
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    (tmp_path / "repeated.jsonl").write_bytes(b"".join([*lines, lines[-1]]))
    postgresql = new_postgresql_url()
    said = failure(capsys, "import", "--database", postgresql, str(tmp_path / "repeated.jsonl"))
    assert "a courseActivity record appears twice in the file" in said and "nothing was imported" in said
    assert kinds(export_file(postgresql, tmp_path / "after.jsonl", "--include-secrets")) == {}


def test_postgresql_tables_loaded_by_an_import_have_statistics_at_once(
    new_postgresql_url: Callable[[], str], tmp_path: Path
) -> None:
    import psycopg

    from learninggraph.storage.postgres import connection_string

    sqlite_source, postgresql = _sqlite_url(tmp_path, "source.db"), new_postgresql_url()
    populate(sqlite_source)
    export_file(sqlite_source, tmp_path / "out.jsonl")
    assert run_cli("import", "--database", postgresql, str(tmp_path / "out.jsonl")) == 0
    with psycopg.connect(connection_string(postgresql)) as conn:
        # Column statistics, which only ANALYZE writes: without them the planner guesses.
        analysed = conn.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"
        ).fetchall()
    assert {"learning_course_activities", "learning_contents", "users"} <= {name for (name,) in analysed}
