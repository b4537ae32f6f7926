"""SQLite on a full disk: writes are a 503 with Retry-After, nothing stored is lost, and writes work again
once space returns, without a restart.

The disk is real: a small tmpfs mounted for each test and filled up, so SQLite itself reports SQLITE_FULL
("database or disk is full"). Mounting needs root; elsewhere these tests skip.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.storage.database import Database
from tests.builders import Tenant, provider_body
from tests.storage.servers import servers_on, tenant_on

DISK_SIZE = "256m"
QUICK_SECONDS = 3.0
# Enough activities that deleting them dirties more pages than the server's 64 MiB page cache holds, so
# SQLite must spill to the WAL in the middle of the statement rather than at COMMIT.
LARGE_PROVIDER_ACTIVITIES = 100_000


class SmallDisk:
    """A tmpfs of its own at ``path``; ``fill()`` takes every free byte, ``free()`` gives them back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        with self.filler.open("ab", buffering=0) as out:
            for chunk in (1 << 20, 4096):
                try:
                    while True:
                        out.write(bytes(chunk))
                except OSError as exc:
                    assert exc.errno == 28, exc  # ENOSPC
        assert os.statvfs(self.path).f_bavail == 0

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = (mounted.stderr.strip().splitlines() or ["mount failed"])[0]
        pytest.skip(f"cannot mount a tmpfs here: {reason}")
    try:
        yield SmallDisk(mount_point)
    finally:
        # Lazily: the server of the test has just closed its files, the kernel may still hold them.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


@pytest.fixture
def url(disk: SmallDisk) -> str:
    return f"sqlite:///{disk.path / 'learninggraph.db'}"


@pytest.fixture
def tenant(url: str) -> Iterator[Tenant]:
    with servers_on(url) as (base_url,), tenant_on(url, base_url) as world:
        yield world


def _assert_unavailable(response_status: int, headers: dict[str, str], body: dict[str, object]) -> None:
    assert response_status == 503, body
    assert headers["retry-after"] == "2"
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "serviceUnavailable"
    assert error["message"] == "Retry after 1 minutes"
    assert error["innerError"]["request-id"]


def test_a_create_on_a_full_disk_is_a_quick_503_service_unavailable_with_retry_after(
    tenant: Tenant, disk: SmallDisk
) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    disk.fill()

    started = time.monotonic()
    response = client.post(tenant.url("/employeeExperience/learningProviders"), json=provider_body())
    seconds = time.monotonic() - started

    _assert_unavailable(response.status_code, dict(response.headers), response.json())
    assert seconds < QUICK_SECONDS


def test_the_reason_for_a_503_goes_to_the_log_and_not_to_the_client(
    tenant: Tenant, disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    disk.fill()

    with caplog.at_level(logging.WARNING, logger="learninggraph"):
        response = client.post(tenant.url("/employeeExperience/learningProviders"), json=provider_body())

    assert response.status_code == 503
    assert "disk" not in response.text
    assert "database unavailable: database or disk is full" in caplog.text


def test_an_update_on_a_full_disk_is_a_503_and_the_stored_entity_keeps_its_values(
    tenant: Tenant, disk: SmallDisk
) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    provider = tenant.provider(displayName="Before")
    path = tenant.url(f"/employeeExperience/learningProviders/{provider['id']}")
    disk.fill()

    response = client.patch(path, json={"displayName": "During"})

    _assert_unavailable(response.status_code, dict(response.headers), response.json())
    assert client.get(path).json()["displayName"] == "Before"


def test_reads_on_a_full_disk_answer_everything_stored_before(tenant: Tenant, disk: SmallDisk) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    stored = sorted(tenant.provider(displayName=f"Provider {n}")["id"] for n in range(5))
    disk.fill()
    client.post(tenant.url("/employeeExperience/learningProviders"), json=provider_body())

    listed = client.get(tenant.url("/employeeExperience/learningProviders"))

    assert listed.status_code == 200
    assert sorted(p["id"] for p in listed.json()["value"]) == stored


def test_a_batch_of_updates_on_a_full_disk_is_one_503_and_applies_none_of_them(
    tenant: Tenant, disk: SmallDisk
) -> None:
    app = tenant.app()  # registered now: registering writes
    provider = tenant.provider()
    content = tenant.content(provider["id"])
    activities = [
        tenant.activity(provider["id"], tenant.self_initiated_body(content["id"], completionPercentage=10))
        for _ in range(3)
    ]
    paths = [f"/employeeExperience/learningCourseActivities/{a['id']}" for a in activities]
    disk.fill()

    response = app.post(
        tenant.url("/$batch"),
        json={
            "requests": [
                {
                    "id": str(n),
                    "method": "PATCH",
                    "url": path,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"completionPercentage": 90},
                }
                for n, path in enumerate(paths)
            ]
        },
    )

    _assert_unavailable(response.status_code, dict(response.headers), response.json())
    assert [app.get(tenant.url(path)).json()["completionPercentage"] for path in paths] == [10, 10, 10]


def test_writes_succeed_again_once_space_returns_without_a_restart(tenant: Tenant, disk: SmallDisk) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    providers = tenant.url("/employeeExperience/learningProviders")
    disk.fill()
    assert client.post(providers, json=provider_body()).status_code == 503

    disk.free()
    created = client.post(providers, json=provider_body(displayName="After"))

    assert created.status_code == 201
    assert client.get(f"{providers}/{created.json()['id']}").json()["displayName"] == "After"


def test_deleting_a_provider_too_large_for_the_page_cache_on_a_full_disk_is_a_503_that_deletes_nothing(
    tenant: Tenant, disk: SmallDisk, url: str
) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    app = tenant.app()  # registered now: registering writes
    provider = tenant.provider()
    content = tenant.content(provider["id"])
    _insert_activities(url, tenant, provider["id"], content["id"], LARGE_PROVIDER_ACTIVITIES)
    path = tenant.url(f"/employeeExperience/learningProviders/{provider['id']}")
    disk.fill()

    response = client.delete(path)

    _assert_unavailable(response.status_code, dict(response.headers), response.json())
    assert client.get(path).status_code == 200
    count = app.get(f"{path}/learningCourseActivities/$count")
    assert count.text == str(LARGE_PROVIDER_ACTIVITIES)
    assert _integrity_check(url) == ["ok"]


def _insert_activities(url: str, tenant: Tenant, provider_id: str, content_id: str, count: int) -> None:
    """Many activities at once, straight into the server's database; the WAL is emptied afterwards so the
    delete must claim new space."""
    database = Database(url)
    try:
        with database.transaction() as conn:
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO learning_course_activities (tenant_id, id, odata_type, provider_id,"
                " learner_user_id, learning_content_id, external_id, status, completion_percentage)"
                " SELECT ?, lower(hex(randomblob(16))), 'learningSelfInitiatedCourse', ?, ?, ?, 'bulk-' || i,"
                " 'inProgress', 50 FROM n",
                (count, tenant.tenant_id, provider_id, tenant.learner.id, content_id),
            )
    finally:
        database.close()
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    assert Path(url.removeprefix("sqlite:///") + "-wal").stat().st_size == 0


def _integrity_check(url: str) -> list[str]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
