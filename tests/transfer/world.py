"""A small data set with every exported column populated, written into any database, and CLI helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.administration import DirectoryAdmin
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

NOW = "2026-05-01T09:30:00.000000Z"


@dataclass(frozen=True)
class World:
    tenant: str
    other_tenant: str
    client_id: str


def populate(url: str) -> World:
    """Two tenants; the first with an app, users (roles, consent, password, a disabled one), providers,
    contents and both activity types, with unicode, nulls and every optional column set somewhere."""
    database = Database(url)
    try:
        upgrade(database)
        SigningKeys.load_or_create(database)
        directory = Directory(database)
        admin = DirectoryAdmin(database)
        tenant = directory.create_tenant(name="Contoso — Ünïcode 学习")
        other = directory.create_tenant(name="Fabrikam", has_learning_plan=False)
        app, _ = directory.create_application(
            tenant_id=tenant.id,
            name="Sync app ✓",
            permissions=APPLICATION_PERMISSIONS,
            delegated_permissions=["LearningProvider.Read"],
            public_client=True,
        )
        directory.create_application(tenant_id=other.id, name="Other app", permissions=())
        learner = directory.create_user(
            tenant_id=tenant.id, display_name="Zoë Learner", licensed=True, password="correct horse"
        )
        directory.create_user(
            tenant_id=tenant.id, display_name="Ada Admin", licensed=False, roles=[KNOWLEDGE_ADMINISTRATOR]
        )
        gone = directory.create_user(tenant_id=other.id, display_name="Gone User", licensed=True)
        admin.set_user_enabled(other.id, gone.id, enabled=False)
        admin.set_application_enabled(app.client_id, enabled=False)
        with database.transaction() as conn:
            conn.execute(
                "UPDATE applications SET tokens_valid_after = ? WHERE client_id = ?",
                (1_770_000_000, app.client_id),
            )
            _learning_records(conn, tenant.id, learner.id)
            _learning_records(conn, other.id, gone.id, minimal=True)
        return World(tenant.id, other.id, app.client_id)
    finally:
        database.close()


def _learning_records(conn: Any, tenant: str, learner: str, *, minimal: bool = False) -> None:
    logos = ["https://example.test/logo-ü.png"] * 4
    conn.execute(
        "INSERT INTO learning_providers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (tenant, "prov-1", "Provider ☕", 1, None if minimal else "https://login.test/", *logos, NOW),
    )
    full = (
        '["tag", "ürün"]',
        '["Ada", "Grace"]',
        NOW,
        'Multi-line\ndescription "quoted" \\ 🎓',
        "PT1H30M",
        "Book",
        1,
        0,
        1,
        NOW,
        "Beginner",
        312,
        '["python"]',
        "Source ☁",
        "https://example.test/t.png",
    )
    conn.execute(
        f"INSERT INTO learning_contents VALUES (?, ?, ?, ?, ?, ?, ?, {', '.join('?' * 15)})",
        (tenant, "content-1", "prov-1", "ext-c1", "Course — 一", "https://example.test/c/1", "en-us", *full),
    )
    conn.execute(
        f"INSERT INTO learning_contents VALUES (?, ?, ?, ?, ?, ?, ?, {', '.join('?' * 15)})",
        (tenant, "content-2", "prov-1", "ext-c2", "Bare", "https://example.test/c/2", "fr-fr", *[None] * 15),
    )
    conn.execute(
        "INSERT INTO learning_course_activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant,
            "act-1",
            "#microsoft.graph.learningAssignment",
            "prov-1",
            learner,
            "content-1",
            "ext-a1",
            "inProgress",
            40,
            None,
            NOW,
            learner,
            "required",
            NOW,
            "Notes: café ☕",
            None,
        ),
    )
    conn.execute(
        "INSERT INTO learning_course_activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant,
            "act-2",
            "#microsoft.graph.learningSelfInitiatedCourse",
            "prov-1",
            learner,
            "content-2",
            None,
            "completed",
            100,
            NOW,
            None,
            None,
            None,
            None,
            None,
            NOW,
        ),
    )


def run_cli(*args: str) -> int:
    return main(list(args))


def export_file(url: str, path: Path, *extra: str) -> bytes:
    assert run_cli("export", "--database", url, "--output", str(path), *extra) == 0
    return path.read_bytes()


def records(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the records of an export."""
    lines = data.decode("utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def kinds(data: bytes) -> dict[str, int]:
    counted: dict[str, int] = {}
    for record in records(data)[1]:
        counted[record["kind"]] = counted.get(record["kind"], 0) + 1
    return counted


def failure(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Runs a command that must fail and returns what it said on standard error."""
    capsys.readouterr()
    assert run_cli(*args) == 2
    return capsys.readouterr().err
