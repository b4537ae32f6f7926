"""The benchmark data-set loader (``bench/dataset.py``): one big tenant in the default proportions, ids that are
version-4 UUIDs, the schema's every index and key in place after its bulk load, and a server that reads it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from learninggraph.settings import Settings
from learninggraph.storage.migrations import upgrade_at
from learninggraph.testing import running_server

ROOT = Path(__file__).resolve().parents[2]
# The issuer origin the loader's tokens name (bench/dataset.py's PUBLIC_URL).
BENCH_PUBLIC_URL = "http://learninggraph.bench"

pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One tenant with 3,000 activities, loaded once for the module's tests (which only read it)."""
    folder = tmp_path_factory.mktemp("bench")
    path, ids = folder / "bench.db", folder / "ids.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "dataset.py"),
            "--database",
            f"sqlite:///{path}",
            "--out",
            str(ids),
            "--tenants",
            "1",
            "--activities",
            "3000",
        ],
        check=True,
        capture_output=True,
    )
    return path, json.loads(ids.read_text())


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_one_big_tenant_holds_its_activities_with_learners_and_contents_in_proportion(
    loaded: tuple[Path, dict[str, Any]],
) -> None:
    path, _ = loaded

    counts = {
        table: _count(path, table)
        for table in (
            "tenants",
            "users",
            "learning_providers",
            "learning_contents",
            "learning_course_activities",
        )
    }

    assert counts == {
        "tenants": 1,
        "users": 300,
        "learning_providers": 2,
        "learning_contents": 150,
        "learning_course_activities": 3000,
    }


def test_the_data_set_ids_are_distinct_version_4_uuids(loaded: tuple[Path, dict[str, Any]]) -> None:
    path, _ = loaded
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM learning_course_activities")]

    parsed = [uuid.UUID(value) for value in ids]

    assert len(set(ids)) == len(ids)
    assert all(
        u.version == 4 and u.variant == uuid.RFC_4122 and str(u) == v
        for u, v in zip(parsed, ids, strict=True)
    )


def test_a_bulk_loaded_data_set_has_every_index_of_the_schema_and_no_broken_key(
    loaded: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = loaded
    upgrade_at(f"sqlite:///{tmp_path / 'empty.db'}")
    index_sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    with sqlite3.connect(tmp_path / "empty.db") as conn:
        expected = conn.execute(index_sql).fetchall()

    with sqlite3.connect(path) as conn:
        indexes = conn.execute(index_sql).fetchall()
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]

    assert indexes == expected
    assert broken == []
    assert journal_mode == "wal"


def test_a_server_reads_a_sampled_activity_and_a_learners_list_page_of_the_data_set(
    loaded: tuple[Path, dict[str, Any]],
) -> None:
    path, ids = loaded
    tenant = ids["tenants"][0]
    learner, learner_token = tenant["learnerTokens"][0]
    settings = Settings(
        database_url=f"sqlite:///{path}", public_url=BENCH_PUBLIC_URL, create_dev_identity=False
    )

    with running_server(settings) as base, httpx.Client(base_url=base) as http:
        one = http.get(
            f"/v1.0/employeeExperience/learningCourseActivities/{tenant['activities'][0]}",
            headers={"Authorization": f"Bearer {tenant['appToken']}"},
        )
        page = http.get(
            f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities",
            headers={"Authorization": f"Bearer {learner_token}"},
        )

    assert one.status_code == 200 and one.json()["id"] == tenant["activities"][0]
    assert page.status_code == 200
    assert page.json()["value"] and {a["learnerUserId"] for a in page.json()["value"]} == {learner}
