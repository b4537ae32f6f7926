"""Throttling over real HTTP: a throttled server's answers, and the official SDK's retries riding through them."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.directory import Directory, User
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.graph_sdk import graph_client
from tests.http.test_throttling import FakeClock

ACTIVITIES = "/v1.0/employeeExperience/learningCourseActivities"
PROVIDERS = "/v1.0/employeeExperience/learningProviders"


@dataclass
class ThrottledServer:
    """A server allowing 3 requests per second, and tokens for its one tenant.

    Its budgets count in ``clock``, which stands still until a test moves it: however slowly a loaded machine
    answers, no budget refills between two requests of a test.
    """

    base_url: str
    directory: Directory
    issuer: TokenIssuer
    tenant_id: str
    clock: FakeClock

    def app_token(self) -> str:
        application, _ = self.directory.create_application(
            tenant_id=self.tenant_id, name=f"app-{uuid.uuid4().hex[:6]}", permissions=APPLICATION_PERMISSIONS
        )
        token, _ = self.issuer.application_token(application)
        return token

    def delegated_client_id(self) -> str:
        """A registered app for signed-in users (the verifier refuses tokens of unregistered apps)."""
        application, _ = self.directory.create_application(
            tenant_id=self.tenant_id,
            name=f"portal-{uuid.uuid4().hex[:6]}",
            permissions=(),
            delegated_permissions=["LearningProvider.Read"],
        )
        return application.client_id

    def new_user(self) -> User:
        return self.directory.create_user(tenant_id=self.tenant_id, display_name="Learner", licensed=True)

    def user_token(self, who: User, client_id: str) -> str:
        token, _ = self.issuer.delegated_token(client_id, who, ["LearningProvider.Read"])
        return token

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrottledServer]:
    path = tmp_path_factory.mktemp("throttled") / "learninggraph.db"
    settings = Settings(
        database_url=f"sqlite:///{path}",
        throttle_limit=3,
        throttle_window_seconds=1,
        create_dev_identity=False,
    )
    clock = FakeClock()
    with running_server(settings, budget_clock=clock) as base_url:
        database = Database(settings.database_url)
        directory = Directory(database)
        tenant = directory.create_tenant(name="Throttled")
        minting = dataclasses.replace(settings, public_url=base_url)
        issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)
        yield ThrottledServer(base_url, directory, issuer, tenant.id, clock)
        database.close()


def statuses(client: httpx.Client, path: str, times: int) -> list[int]:
    return [client.get(path).status_code for _ in range(times)]


class TestThrottledServer:
    def test_the_fourth_call_in_a_window_is_429_with_retry_after_in_the_graph_envelope(
        self, throttled: ThrottledServer
    ) -> None:
        with throttled.client(throttled.app_token()) as client:
            assert statuses(client, ACTIVITIES, 3) == [200, 200, 200]
            response = client.get(ACTIVITIES)

        error = response.json()["error"]
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert error["code"] == "tooManyRequests"
        assert error["message"] == "Retry after 1 minutes"
        assert error["innerError"]["request-id"] == response.headers["request-id"]

    def test_calls_pass_again_once_the_window_has_passed(self, throttled: ThrottledServer) -> None:
        with throttled.client(throttled.app_token()) as client:
            statuses(client, ACTIVITIES, 3)
            refused = client.get(ACTIVITIES)
            throttled.clock.now += int(refused.headers["retry-after"])

            assert statuses(client, ACTIVITIES, 3) == [200, 200, 200]

    def test_a_budget_refills_with_the_servers_budget_clock_not_the_time_that_passes(
        self, throttled: ThrottledServer
    ) -> None:
        with throttled.client(throttled.app_token()) as client:
            statuses(client, ACTIVITIES, 3)
            # More than a third of the 1 s window: a unit would be back on a clock that followed real time.
            time.sleep(0.4)

            assert client.get(ACTIVITIES).status_code == 429

    def test_two_apps_have_separate_budgets(self, throttled: ThrottledServer) -> None:
        with (
            throttled.client(throttled.app_token()) as first,
            throttled.client(throttled.app_token()) as second,
        ):
            statuses(first, ACTIVITIES, 4)

            assert statuses(second, ACTIVITIES, 3) == [200, 200, 200]

    def test_two_users_of_one_app_have_separate_budgets(self, throttled: ThrottledServer) -> None:
        client_id = throttled.delegated_client_id()
        ada, grace = throttled.new_user(), throttled.new_user()
        with (
            throttled.client(throttled.user_token(ada, client_id)) as as_ada,
            throttled.client(throttled.user_token(grace, client_id)) as as_grace,
        ):
            assert statuses(as_ada, PROVIDERS, 4) == [200, 200, 200, 429]
            assert statuses(as_grace, PROVIDERS, 3) == [200, 200, 200]

    def test_each_request_of_a_batch_counts_and_is_refused_on_its_own(
        self, throttled: ThrottledServer
    ) -> None:
        requests = [{"id": str(n), "method": "GET", "url": ACTIVITIES} for n in range(4)]
        with throttled.client(throttled.app_token()) as client:
            response = client.post("/v1.0/$batch", json={"requests": requests})
            after = client.get(ACTIVITIES)

        answers = response.json()["responses"]
        assert response.status_code == 200
        assert [a["status"] for a in answers] == [200, 200, 200, 429]
        assert answers[3]["headers"]["Retry-After"] == "1"
        assert answers[3]["body"]["error"]["code"] == "tooManyRequests"
        assert after.status_code == 429


class _Recording(httpx.AsyncBaseTransport):
    """The network under the SDK's middleware: sees every attempt, retries included. On a 429 it moves the
    server's budget clock on by the Retry-After the SDK is about to wait out in real time."""

    def __init__(self, clock: FakeClock) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.statuses: list[int] = []
        self.clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        if response.status_code == 429:
            self.clock.now += int(response.headers["retry-after"])
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
class TestSdkRetries:
    def test_the_sdk_waits_out_retry_after_and_every_call_succeeds(self, throttled: ThrottledServer) -> None:
        transport = _Recording(throttled.clock)

        async def five_calls() -> list[int]:
            async with graph_client(throttled.base_url, throttled.app_token(), transport) as client:
                pages = [await client.employee_experience.learning_course_activities.get() for _ in range(5)]
                return [len(page.value) for page in pages]

        started = time.monotonic()
        assert asyncio.run(five_calls()) == [0, 0, 0, 0, 0]

        assert 429 in transport.statuses
        assert transport.statuses.count(200) == 5
        assert time.monotonic() - started < 5
