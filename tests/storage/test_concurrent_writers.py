"""Two servers on one database under concurrent writes: no lost update, no duplicate activity."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from tests.builders import Tenant, content_body
from tests.storage.servers import servers_on, tenant_on

THREADS = 6
WRITES_PER_THREAD = 15
RACES = 4
T = TypeVar("T")


@dataclass
class TwoServers:
    """One tenant's catalogue, reachable through either of two servers that share a database."""

    tenant: Tenant
    base_urls: list[str]
    provider_id: str
    content_id: str
    token: str

    def client(self, index: int) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_urls[index % len(self.base_urls)],
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    @property
    def activities_path(self) -> str:
        return f"/v1.0/employeeExperience/learningProviders/{self.provider_id}/learningCourseActivities"

    def new_assignment(self) -> str:
        created = self.tenant.activity(self.provider_id, self.tenant.assignment_body(self.content_id))
        return str(created["id"])

    def notes_of(self, activity_id: str) -> str:
        with self.client(0) as client:
            response = client.get(f"{self.activities_path}/{activity_id}")
        assert response.status_code == 200, response.text
        return str(response.json()["notes"]["content"])


@pytest.fixture
def two_servers(fresh_database_url: str) -> Iterator[TwoServers]:
    with (
        servers_on(fresh_database_url, count=2) as base_urls,
        tenant_on(fresh_database_url, base_urls[0]) as tenant,
    ):
        provider = tenant.provider()
        content = tenant.content(provider["id"])
        yield TwoServers(tenant, base_urls, provider["id"], content["id"], tenant.app_token())


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def notes(text: str) -> dict[str, Any]:
    return {"notes": {"contentType": "text", "content": text}}


def test_concurrent_patches_to_separate_activities_lose_no_acknowledged_update(
    two_servers: TwoServers,
) -> None:
    activities = [two_servers.new_assignment() for _ in range(THREADS)]

    def writer(thread: int) -> str | None:
        last: str | None = None
        with two_servers.client(0) as first, two_servers.client(1) as second:
            for write in range(WRITES_PER_THREAD):
                text = f"thread {thread} write {write}"
                client = (first, second)[write % 2]
                response = client.patch(
                    f"{two_servers.activities_path}/{activities[thread]}", json=notes(text)
                )
                if response.status_code == 204:
                    last = text
        return last

    acknowledged = in_threads(THREADS, writer)

    assert acknowledged == [f"thread {t} write {WRITES_PER_THREAD - 1}" for t in range(THREADS)]
    assert [two_servers.notes_of(a) for a in activities] == acknowledged


def test_concurrent_patches_to_one_activity_all_succeed_and_one_of_them_wins(two_servers: TwoServers) -> None:
    activity = two_servers.new_assignment()
    written: set[str] = set()

    def writer(thread: int) -> list[int]:
        statuses = []
        with two_servers.client(0) as first, two_servers.client(1) as second:
            for write in range(WRITES_PER_THREAD):
                text = f"thread {thread} write {write}"
                written.add(text)
                client = (first, second)[(thread + write) % 2]
                response = client.patch(f"{two_servers.activities_path}/{activity}", json=notes(text))
                statuses.append(response.status_code)
        return statuses

    statuses = [status for per_thread in in_threads(THREADS, writer) for status in per_thread]

    assert statuses == [204] * (THREADS * WRITES_PER_THREAD)
    assert two_servers.notes_of(activity) in written


def test_racing_posts_of_one_external_id_create_exactly_one_activity(two_servers: TwoServers) -> None:
    for _ in range(RACES):
        body = two_servers.tenant.assignment_body(
            two_servers.content_id, externalcourseActivityId=f"race-{uuid.uuid4().hex[:8]}"
        )
        start = threading.Barrier(THREADS)

        def post(thread: int, body: dict[str, Any] = body, start: threading.Barrier = start) -> int:
            with two_servers.client(thread) as client:
                start.wait()
                return client.post(two_servers.activities_path, json=body).status_code

        statuses = in_threads(THREADS, post)

        assert sorted(statuses) == [201] + [409] * (THREADS - 1)
        with two_servers.client(0) as client:
            listed = client.get(
                two_servers.activities_path,
                params={"$filter": f"externalcourseActivityId eq '{body['externalcourseActivityId']}'"},
            )
        assert len(listed.json()["value"]) == 1


def test_racing_first_upserts_of_one_content_external_id_all_succeed_and_create_one(
    two_servers: TwoServers,
) -> None:
    contents = f"/v1.0/employeeExperience/learningProviders/{two_servers.provider_id}/learningContents"
    for _ in range(RACES):
        external_id = f"race-{uuid.uuid4().hex[:8]}"
        start = threading.Barrier(THREADS)

        def upsert(thread: int, external_id: str = external_id, start: threading.Barrier = start) -> int:
            with two_servers.client(thread) as client:
                start.wait()
                return client.patch(
                    f"{contents}(externalId='{external_id}')", json=content_body(title=f"by {thread}")
                ).status_code

        statuses = in_threads(THREADS, upsert)

        assert statuses == [202] * THREADS
        with two_servers.client(0) as client:
            listed = client.get(contents, params={"$filter": f"externalId eq '{external_id}'"})
        assert len(listed.json()["value"]) == 1
