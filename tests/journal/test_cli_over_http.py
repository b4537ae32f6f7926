"""``learninggraph journal`` and ``learninggraph permissions`` on what a real server journalled."""

from __future__ import annotations

import json

import httpx
import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import (
    ASSIGNED_READ_WRITE_ALL,
    CONTENT_READ_ALL,
    CONTENT_READ_WRITE_ALL,
)
from tests.journal.server import serving, world

CONTENTS = "/v1.0/employeeExperience/learningProviders/{}/learningContents"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_journal_lists_and_explains_what_the_server_answered(
    capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world) as base_url:
        _, token = test_world.new_app(base_url, [CONTENT_READ_ALL])
        refused = httpx.delete(
            base_url + CONTENTS.format("p") + "/c1", headers={"Authorization": f"Bearer {token}"}
        )

    code, out = _run(capsys, "journal", "--database", fresh_database_url, "--tenant", test_world.tenant_id)
    assert code == 0
    assert "permissions.missing" in out and refused.headers["request-id"] in out

    code, out = _run(
        capsys, "journal", "--database", fresh_database_url, "--request-id", refused.headers["request-id"]
    )
    assert code == 0
    assert "decision:     permissions.missing" in out
    assert f"why:          learningContents.delete accepts {CONTENT_READ_WRITE_ALL}" in out


def test_permissions_reports_least_privilege_the_unneeded_and_the_refused(
    capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world) as base_url:
        app_id, token = test_world.new_app(base_url, [CONTENT_READ_ALL, ASSIGNED_READ_WRITE_ALL])
        headers = {"Authorization": f"Bearer {token}"}
        httpx.get(base_url + CONTENTS.format("p"), headers=headers)
        refused = httpx.delete(base_url + CONTENTS.format("p") + "/c1", headers=headers)

    code, out = _run(
        capsys,
        "permissions",
        "--database",
        fresh_database_url,
        "--tenant",
        test_world.tenant_id,
        "--app",
        app_id,
        "--json",
    )

    [report] = json.loads(out)
    assert code == 0
    assert {u["operation"] for u in report["operations"]} == {
        "learningContents.list",
        "learningContents.delete",
    }
    assert report["leastPrivileged"] == [CONTENT_READ_WRITE_ALL]
    assert report["unneeded"] == [ASSIGNED_READ_WRITE_ALL, CONTENT_READ_ALL]
    [refusal] = report["refused"]
    assert refusal["requestId"] == refused.headers["request-id"]
    assert refusal["rule"] == "permissions.missing"
    assert refusal["accepted"] == [CONTENT_READ_WRITE_ALL]
