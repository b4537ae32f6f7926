"""``learninggraph export`` and ``import`` over the command line, on the session's backend."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from learninggraph.storage.database import Database
from learninggraph.transfer.records import FORMAT, SCHEMA_VERSION, VERSION
from tests.transfer.world import export_file, failure, kinds, populate, records, run_cli


def _count(url: str, table: str) -> int:
    database = Database(url)
    try:
        with database.snapshot() as conn:
            row = conn.fetch_one(f"SELECT COUNT(*) FROM {table}")
        return int(row[0]) if row else 0
    finally:
        database.close()


def test_an_export_imported_into_an_empty_database_exports_the_same_bytes(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    first = export_file(source, tmp_path / "first.jsonl", "--include-secrets")
    assert run_cli("import", "--database", target, str(tmp_path / "first.jsonl")) == 0
    assert export_file(target, tmp_path / "second.jsonl", "--include-secrets") == first


def test_an_export_starts_with_a_header_naming_its_format_version_and_schema(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    header, written = records(export_file(source, tmp_path / "out.jsonl"))
    assert (header["format"], header["version"], header["schemaVersion"]) == (FORMAT, VERSION, SCHEMA_VERSION)
    assert sum(header["counts"].values()) == len(written)


def test_an_export_leaves_out_secrets_and_signing_keys_by_default(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    data = export_file(source, tmp_path / "out.jsonl")
    assert "clientSecret" not in kinds(data) and "signingKey" not in kinds(data)
    assert all("password_hash" not in record for record in records(data)[1])
    assert b"BEGIN PRIVATE KEY" not in data


def test_an_export_with_include_secrets_holds_digests_password_hashes_and_signing_keys(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    data = export_file(source, tmp_path / "out.jsonl", "--include-secrets")
    assert kinds(data)["clientSecret"] == 2 and kinds(data)["signingKey"] == 1
    hashes = [r["password_hash"] for r in records(data)[1] if r["kind"] == "user"]
    assert [h is not None for h in hashes].count(True) == 1  # the one user given a password


def test_a_tenant_export_holds_that_tenants_records_only(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    world = populate(source)
    data = export_file(source, tmp_path / "out.jsonl", "--tenant", world.other_tenant, "--include-secrets")
    header, written = records(data)
    assert header["tenant"] == world.other_tenant
    tenants = {r.get("tenant_id", r.get("id")) for r in written if r["kind"] != "clientSecret"}
    assert tenants == {world.other_tenant}
    assert kinds(data) == {
        "tenant": 1,
        "application": 1,
        "clientSecret": 1,
        "user": 1,
        "learningProvider": 1,
        "learningContent": 2,
        "courseActivity": 2,
    }


def test_a_tenant_export_imports_beside_other_tenants(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    world = populate(source)
    export_file(source, tmp_path / "other.jsonl", "--tenant", world.other_tenant)
    populate(target)
    assert run_cli("import", "--database", target, str(tmp_path / "other.jsonl")) == 0
    assert _count(target, "tenants") == 3


def test_an_import_of_another_format_version_is_refused(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    data = export_file(source, tmp_path / "out.jsonl")
    header, _ = records(data)
    newer = tmp_path / "newer.jsonl"
    newer.write_bytes(json.dumps({**header, "version": VERSION + 1}).encode() + data[data.index(b"\n") :])
    assert "export format version 2 is not supported" in failure(
        capsys, "import", "--database", target, str(newer)
    )
    assert _count(target, "tenants") == 0


def test_an_import_of_a_newer_schema_is_refused(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = new_database_url()
    newer = tmp_path / "newer.jsonl"
    newer.write_text(
        json.dumps({"format": FORMAT, "version": VERSION, "schemaVersion": SCHEMA_VERSION + 1}) + "\n"
    )
    assert "newer than this learninggraph" in failure(capsys, "import", "--database", target, str(newer))


def test_an_import_whose_ids_are_already_in_the_database_is_refused_by_name(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = new_database_url()
    world = populate(source)
    path = tmp_path / "out.jsonl"
    export_file(source, path, "--tenant", world.tenant)
    said = failure(capsys, "import", "--database", source, str(path))
    assert f"the tenant id='{world.tenant}' already exists" in said
    assert "nothing was imported" in said


def test_an_import_refused_at_its_last_record_writes_nothing(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    # The last activity repeats the one before it: every other record is fine and goes in first.
    clashing = tmp_path / "clashing.jsonl"
    clashing.write_bytes(b"".join([*lines, lines[-1]]))
    said = failure(capsys, "import", "--database", target, str(clashing))
    assert "courseActivity" in said and "nothing was imported" in said
    for table in ("tenants", "applications", "users", "learning_providers", "learning_course_activities"):
        assert _count(target, table) == 0, table


def test_an_import_names_the_line_of_a_malformed_record(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"kind":', b'"surprise":true,"kind":')
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(lines))
    assert "line 4:" in failure(capsys, "import", "--database", target, str(broken))
    assert _count(target, "tenants") == 0


def test_an_import_of_signing_keys_into_a_database_with_keys_of_its_own_is_refused(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    world = populate(target)
    path = tmp_path / "out.jsonl"
    # Only the signing key can clash here: the tenants are new to the target.
    export_file(source, path, "--include-secrets")
    said = failure(capsys, "import", "--database", target, str(path))
    assert "signing keys of its own" in said
    assert world.tenant


def _export_command(url: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "learninggraph", "export", "--database", url, "--output", str(out)]


def test_an_export_shows_no_progress_bar_when_standard_error_is_not_a_terminal(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    done = subprocess.run(_export_command(source, tmp_path / "out.jsonl"), capture_output=True, check=True)
    assert done.stderr.decode().splitlines() == [
        f"Exported 17 records (tenant 2, application 2, user 3, "
        f"learningProvider 2, learningContent 4, courseActivity 4) to {tmp_path / 'out.jsonl'}"
    ]


def test_an_export_on_a_terminal_shows_counts_rate_and_time_left(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    populate(source)
    primary, secondary = pty.openpty()
    # A terminal 120 columns wide, as a real one would say.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        subprocess.run(_export_command(source, tmp_path / "out.jsonl"), stderr=secondary, check=True)
        shown = os.read(primary, 65536).decode()
    finally:
        os.close(primary)
        os.close(secondary)
    assert "export: 100%" in shown and "17.0/17.0" in shown and "rows/s" in shown and "<00:00" in shown


def test_an_export_of_an_unknown_tenant_is_refused_and_writes_no_file(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = new_database_url()
    populate(source)
    out = tmp_path / "out.jsonl"
    said = failure(capsys, "export", "--database", source, "--tenant", "no-such-tenant", "--output", str(out))
    assert "no tenant 'no-such-tenant'" in said
    assert list(tmp_path.iterdir()) == []


def _index_definitions(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.snapshot() as conn:
            if database.dialect == "sqlite":
                rows = conn.fetch_all(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                )
            else:
                rows = conn.fetch_all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return sorted(str(row[0]) for row in rows)
    finally:
        database.close()


def test_an_import_keeps_every_index_of_the_schema_whether_it_succeeds_or_not(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target, refused = new_database_url(), new_database_url(), new_database_url()
    populate(source)
    indexes = _index_definitions(source)
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    assert run_cli("import", "--database", target, str(tmp_path / "out.jsonl")) == 0
    (tmp_path / "clashing.jsonl").write_bytes(b"".join([*lines, lines[-1]]))
    failure(capsys, "import", "--database", refused, str(tmp_path / "clashing.jsonl"))
    assert _index_definitions(target) == indexes
    assert _index_definitions(refused) == indexes


def test_an_import_whose_record_refers_to_a_missing_row_is_refused_and_writes_nothing(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    orphan = tmp_path / "orphan.jsonl"
    orphan.write_bytes(b"".join(line for line in lines if b'"kind":"learningContent"' not in line))
    said = failure(capsys, "import", "--database", target, str(orphan))
    assert "a courseActivity record was refused by the database" in said
    assert _count(target, "tenants") == 0


def test_a_refused_import_leaves_a_database_that_held_records_exactly_as_it_was(
    new_database_url: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    populate(target)
    before = export_file(target, tmp_path / "before.jsonl", "--include-secrets")
    # New tenants for the target, and every record fine but the last, which repeats the one before it.
    lines = export_file(source, tmp_path / "out.jsonl").splitlines(keepends=True)
    (tmp_path / "repeated.jsonl").write_bytes(b"".join([*lines, lines[-1]]))
    said = failure(capsys, "import", "--database", target, str(tmp_path / "repeated.jsonl"))
    assert "courseActivity" in said and "nothing was imported" in said
    assert export_file(target, tmp_path / "after.jsonl", "--include-secrets") == before


def test_an_export_to_a_named_pipe_writes_into_the_pipe_and_leaves_it_a_pipe(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    import stat
    import threading

    source = new_database_url()
    populate(source)
    expected = export_file(source, tmp_path / "file.jsonl")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()

    assert run_cli("export", "--database", source, "--output", str(pipe)) == 0
    reader.join(timeout=30)

    assert received == [expected]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
