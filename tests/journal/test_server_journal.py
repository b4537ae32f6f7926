"""The journal of a server of the test's own: settings, bounds, restarts, throttling and redaction."""

from __future__ import annotations

import httpx

from learninggraph.app import create_app
from learninggraph.journal.blocks import stored_entries
from learninggraph.journal.journal import Journal
from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.storage import open_journal_database
from learninggraph.settings import Settings
from tests.journal.server import World, serving, world

PROVIDERS = "/v1.0/employeeExperience/learningProviders"
CONTENTS = "/v1.0/employeeExperience/learningProviders/p/learningContents"


def _entries(url: str, tenant_id: str) -> list[str]:
    database = open_journal_database(url)
    try:
        return [e.request_id for e in search(database, JournalFilter(tenant_id=tenant_id), limit=1000)]
    finally:
        database.close()


def _get(base_url: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(base_url + path, headers=headers, timeout=30)


def test_entries_survive_a_restart_on_the_same_database(fresh_database_url: str) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world) as base_url:
        first = _get(base_url, PROVIDERS, test_world.token(base_url)).headers["request-id"]
    with serving(test_world) as base_url:
        second = _get(base_url, PROVIDERS, test_world.token(base_url)).headers["request-id"]

    assert _entries(fresh_database_url, test_world.tenant_id) == [second, first]


def test_each_tenant_keeps_only_its_newest_entries_past_the_bound(fresh_database_url: str) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world, journal_max_entries_per_tenant=3) as base_url:
        token = test_world.token(base_url)
        ids = [_get(base_url, PROVIDERS, token).headers["request-id"] for _ in range(5)]

    assert _entries(fresh_database_url, test_world.tenant_id) == list(reversed(ids[2:]))


def test_with_the_journal_off_nothing_is_recorded(fresh_database_url: str) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world, journal=False) as base_url:
        response = _get(base_url, PROVIDERS, test_world.token(base_url))

    assert response.headers["request-id"]
    assert _entries(fresh_database_url, test_world.tenant_id) == []


def test_a_throttled_call_is_explained_with_its_budget(fresh_database_url: str) -> None:
    test_world = world(fresh_database_url)
    with serving(test_world, throttle_limit=1, throttle_window_seconds=60) as base_url:
        token = test_world.token(base_url)
        responses = [_get(base_url, PROVIDERS, token) for _ in range(3)]

    throttled = next(r for r in responses if r.status_code == 429)
    database = open_journal_database(fresh_database_url)
    try:
        [entry] = search(
            database,
            JournalFilter(tenant_id=test_world.tenant_id, request_id=throttled.headers["request-id"]),
        )
    finally:
        database.close()
    assert entry.decision.rule == "throttle.budgetSpent"
    assert entry.decision.details["limit"] == 1
    assert entry.decision.details["retryAfter"] == int(throttled.headers["Retry-After"])


def _stored_text(url: str) -> str:
    database = open_journal_database(url)
    try:
        with database.snapshot() as conn:
            rows = [row[-1:] for row in stored_entries(conn)]
    finally:
        database.close()
    return "\n".join(str(row[0]) for row in rows)


def test_no_token_secret_or_password_reaches_the_journal(fresh_database_url: str) -> None:
    test_world: World = world(fresh_database_url)
    with serving(test_world) as base_url:
        sign_in = httpx.post(
            f"{base_url}/{test_world.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": test_world.client_id,
                "client_secret": test_world.client_secret,
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        )
        token = sign_in.json()["access_token"]
        httpx.post(
            f"{base_url}/{test_world.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "password",
                "client_id": test_world.client_id,
                "username": "u",
                "password": "hunter2-pw",
            },
            timeout=30,
        )
        _get(base_url, PROVIDERS + "?$top=1", token)
        httpx.get(
            base_url + PROVIDERS,
            headers={"Authorization": f"Bearer {token}", "Cookie": "session=c00kie"},
            timeout=30,
        )

    stored = _stored_text(fresh_database_url)
    assert stored.count('"operation":"identity.token"') == 2
    assert "Bearer [redacted]" in stored
    for secret in (test_world.client_secret, token, token.split(".")[2], "hunter2-pw", "c00kie"):
        assert secret not in stored


def test_the_app_holds_its_journal_unless_the_journal_is_off(fresh_database_url: str) -> None:
    on = create_app(Settings(database_url=fresh_database_url, create_dev_identity=False))
    off = create_app(Settings(database_url=fresh_database_url, create_dev_identity=False, journal=False))
    try:
        assert isinstance(on.journal, Journal)
        assert off.journal is None
    finally:
        for app in (on, off):
            assert app.on_shutdown is not None
            app.on_shutdown()
