"""``learninggraph journal`` and ``learninggraph permissions`` on a real database file."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import ASSIGNED_READ_WRITE_ALL, CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL
from learninggraph.journal.entry import Caller, Decision
from learninggraph.journal.storage import journal_database_of
from learninggraph.journal.store import JournalStore
from tests.journal.entries import entry, migrated

pytestmark = pytest.mark.backend_independent

HINT = "POST learningCourseActivities accepts LearningAssignedCourse.ReadWrite.All; the token held LearningContent.Read.All"
VENDOR = Caller(kind="application", app_id="vendor", permissions=(CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL))


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    with migrated(url) as database, journal_database_of(database) as journal:
        JournalStore(journal).append(
            [
                entry("t1", request_id="ok-1", caller=VENDOR, route="/c", operation=None, method="GET"),
                entry(
                    "t1",
                    request_id="refused-1",
                    caller=VENDOR,
                    method="POST",
                    route="/a",
                    status=403,
                    decision=Decision(
                        "permission.missing",
                        HINT,
                        {
                            "accepted_permissions": [ASSIGNED_READ_WRITE_ALL],
                            "held_permissions": [CONTENT_READ_ALL],
                        },
                    ),
                ),
                entry("t2", request_id="other-tenant"),
            ]
        )
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_journal_prints_one_line_per_entry_of_the_tenant_oldest_first(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, out, _ = _run(capsys, "journal", "--database", url, "--tenant", "t1")

    lines = out.splitlines()
    assert code == 0
    assert len(lines) == 2
    assert " 200 GET " in lines[0] and "request-id=ok-1" in lines[0]
    assert " 403 POST " in lines[1] and "permission.missing" in lines[1]


def test_journal_json_lines_filtered_by_status_class(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, _ = _run(capsys, "journal", "--database", url, "--tenant", "t1", "--status", "4xx", "--json")

    [line] = out.splitlines()
    assert code == 0
    assert json.loads(line)["request_id"] == "refused-1"


def test_journal_explains_one_answer_by_its_request_id(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, _ = _run(capsys, "journal", "--database", url, "--request-id", "refused-1")

    assert code == 0
    assert f"why:          {HINT}" in out
    assert f'accepted_permissions: ["{ASSIGNED_READ_WRITE_ALL}"]' in out


def test_journal_explains_only_within_the_tenant_it_is_given(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, _, err = _run(
        capsys, "journal", "--database", url, "--tenant", "t1", "--request-id", "other-tenant"
    )

    assert code == 2
    assert "no journal entry with request-id other-tenant" in err


@pytest.mark.parametrize(
    "argv",
    [["journal"], ["permissions", "--tenant", "t", "--app", "a"], ["faults", "list"]],
)
def test_reading_a_missing_database_is_an_error_naming_its_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    missing = tmp_path / "nowhere.db"

    code, _, err = _run(capsys, *argv, "--database", f"sqlite:///{missing}")

    assert code == 2
    assert str(missing) in err
    assert not missing.exists()


def test_permissions_names_the_least_privileged_set_the_unneeded_and_the_refused(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, out, _ = _run(
        capsys, "permissions", "--database", url, "--tenant", "t1", "--app", "vendor", "--json"
    )

    [report] = json.loads(out)
    assert code == 0
    assert report["leastPrivileged"] == [ASSIGNED_READ_WRITE_ALL]
    assert report["unneeded"] == [CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL]
    assert [r["requestId"] for r in report["refused"]] == ["refused-1"]
    assert report["unknownOperations"] == ["GET /c"]


def test_permissions_for_an_app_without_entries_is_an_error(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, _, err = _run(capsys, "permissions", "--database", url, "--tenant", "t1", "--app", "nobody")

    assert code == 2
    assert "no journal entries for app nobody" in err


def _lines_until(process: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """Lines the process prints until one holds ``marker`` or ``seconds`` pass."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            lines.append(process.stdout.readline())
            if marker in lines[-1]:
                break
    return lines


def test_journal_follow_prints_entries_as_they_are_stored(url: str) -> None:
    command = [sys.executable, "-m", "learninggraph", "journal", "--database", url, "--tenant", "t1"]
    with subprocess.Popen(
        [*command, "--follow", "--poll", "0.05"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            before = _lines_until(process, "refused-1", 30)
            with migrated(url) as database, journal_database_of(database) as journal:
                JournalStore(journal).append(
                    [entry("t2", request_id="not-mine"), entry("t1", request_id="late")]
                )
            after = _lines_until(process, "request-id=late", 30)
        finally:
            process.terminate()

    assert [line.split("request-id=")[1].strip() for line in before + after] == ["ok-1", "refused-1", "late"]
