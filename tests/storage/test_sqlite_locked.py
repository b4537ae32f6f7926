"""SQLite held by another writer past busy_timeout: a clear 503 with Retry-After, never a hang."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.storage.database import SqliteDatabase
from tests.builders import Tenant, provider_body
from tests.storage.servers import servers_on, tenant_on

BUSY_TIMEOUT_MS = 300


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'locked.db'}"


@pytest.fixture
def tenant(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    monkeypatch.setattr(SqliteDatabase, "busy_timeout_ms", BUSY_TIMEOUT_MS)
    with servers_on(url) as (base_url,), tenant_on(url, base_url) as world:
        yield world


def test_a_write_while_another_connection_holds_the_lock_is_a_quick_503_then_succeeds(
    tenant: Tenant, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = tenant.user(scopes=["LearningProvider.ReadWrite"])
    providers = tenant.url("/employeeExperience/learningProviders")
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="learninggraph"):
            blocked = client.post(providers, json=provider_body())
        seconds = time.monotonic() - started
        still_readable = client.get(providers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert blocked.status_code == 503
    assert blocked.headers["Retry-After"] == "2"
    error = blocked.json()["error"]
    assert error["code"] == "serviceUnavailable"
    assert error["message"] == "Retry after 1 minutes"
    assert "database unavailable: database is locked" in caplog.text
    assert BUSY_TIMEOUT_MS / 1000 <= seconds < 3
    assert still_readable.status_code == 200
    assert client.post(providers, json=provider_body()).status_code == 201
