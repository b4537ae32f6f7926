"""Journal entries and migrated databases for the journal's tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from learninggraph.journal.entry import Body, Caller, Decision, JournalEntry
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

APP = Caller(kind="application", app_id="app-1", permissions=("LearningContent.ReadWrite.All",))


def entry(tenant_id: str = "tenant-a", **overrides: Any) -> JournalEntry:
    values: dict[str, Any] = {
        "at": datetime.now(UTC),
        "tenant_id": tenant_id,
        "caller": APP,
        "method": "GET",
        "url": "/v1.0/employeeExperience/learningProviders",
        "route": "/employeeExperience/learningProviders",
        "operation": "listLearningProviders",
        "status": 200,
        "duration_ms": 1.25,
        "request_id": str(uuid.uuid4()),
        "decision": Decision("ok"),
        "request_headers": (("Accept", "application/json"),),
        "response_body": Body('{"value": []}', 13),
    }
    values.update(overrides)
    return JournalEntry(**values)


@contextmanager
def migrated(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        upgrade(database)
        yield database
    finally:
        database.close()
