"""PostgreSQL going away mid-session: quick 503s with Retry-After, then recovery without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.builders import Tenant
from tests.postgres_server import PostgresServer, find_bin_dir
from tests.storage.servers import servers_on, tenant_on

pytestmark = pytest.mark.postgresql

# A request during the outage must answer well within this (the pool waits 0.25 s once degraded).
QUICK_SECONDS = 2.0
RECOVERY_SECONDS = 10.0


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of these tests' own, so stopping it disturbs no other test."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    yield server
    server.close()


@pytest.fixture
def tenant(own_postgres: PostgresServer) -> Iterator[Tenant]:
    url = own_postgres.create_database()
    with servers_on(url) as (base_url,), tenant_on(url, base_url) as world:
        yield world


def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response: httpx.Response = call()
    return response, time.monotonic() - started


def test_a_lost_database_is_a_quick_503_in_the_graph_envelope_and_the_server_recovers_by_itself(
    tenant: Tenant, own_postgres: PostgresServer
) -> None:
    client = tenant.user()
    provider = tenant.provider()
    path = tenant.url(f"/employeeExperience/learningProviders/{provider['id']}")
    assert client.get(path).status_code == 200

    own_postgres.stop("fast")
    try:
        read, read_seconds = timed(lambda: client.get(path))
        write, write_seconds = timed(lambda: client.patch(path, json={"displayName": "While down"}))
    finally:
        own_postgres.start()

    for response, seconds in ((read, read_seconds), (write, write_seconds)):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "2"
        error = response.json()["error"]
        assert error["code"] == "serviceUnavailable"
        assert error["message"] == "Retry after 1 minutes"
        assert error["innerError"]["request-id"]
        assert seconds < QUICK_SECONDS

    deadline = time.monotonic() + RECOVERY_SECONDS
    while client.get(path).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover after PostgreSQL came back"
        time.sleep(0.1)
    assert [client.get(path).status_code for _ in range(5)] == [200] * 5
    assert client.patch(path, json={"displayName": "After recovery"}).status_code == 204
    assert client.get(path).json()["displayName"] == "After recovery"


def test_a_database_that_stays_down_keeps_answering_503_quickly(
    tenant: Tenant, own_postgres: PostgresServer
) -> None:
    client = tenant.user()
    provider = tenant.provider()
    path = tenant.url(f"/employeeExperience/learningProviders/{provider['id']}")

    own_postgres.stop("fast")
    try:
        answers = [timed(lambda: client.get(path)) for _ in range(5)]
    finally:
        own_postgres.start()

    assert [response.status_code for response, _ in answers] == [503] * 5
    assert max(seconds for _, seconds in answers) < QUICK_SECONDS
