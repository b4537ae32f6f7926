"""``serve --workers N``: N processes answer on one port, with all state in the shared database."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from learninggraph.journal.storage import SCHEMA_VERSION, journal_path
from learninggraph.serving import _prepare_and_announce
from learninggraph.settings import Settings
from tests.hardening.crash_cycles import ServerProcess, _token


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_two_workers_serve_one_port_and_share_the_database(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path}/w.db", tmp_path, extra_args=("--workers", "2"))
    server.start()
    assert server.proc is not None
    try:
        headers = {"Authorization": f"Bearer {_token(server.base_url)}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            statuses = {
                client.get("/v1.0/employeeExperience/learningCourseActivities").status_code for _ in range(40)
            }
        workers = [
            pid for pid in _children(server.proc.pid) if "spawn" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
    finally:
        server.stop()

    assert statuses == {200}
    assert len(workers) == 2


def test_serve_makes_the_journal_file_before_any_worker_starts_so_no_two_workers_create_it_at_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "w.db"

    _prepare_and_announce(
        Settings(database_url=f"sqlite:///{database}"), host="127.0.0.1", port=8000, tls=False
    )

    with closing(sqlite3.connect(journal_path(str(database)))) as journal:
        assert journal.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert journal.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_serve_without_the_journal_makes_no_journal_file(tmp_path: Path) -> None:
    database = tmp_path / "w.db"

    _prepare_and_announce(
        Settings(database_url=f"sqlite:///{database}", journal=False), host="127.0.0.1", port=8000, tls=False
    )

    assert database.exists()
    assert not Path(journal_path(str(database))).exists()
