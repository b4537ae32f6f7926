"""Throttling: the limiter and its counter store, then a throttled server over real HTTP and the SDK's retries."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from learninggraph.domain.errors import TooManyRequests
from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.http.throttling import (
    LeasedCounterStore,
    MemoryCounterStore,
    Throttle,
    lease_units,
    spend_one,
)
from learninggraph.identity.directory import Directory, User
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.graph_sdk import graph_client

ACTIVITIES = "/v1.0/employeeExperience/learningCourseActivities"
PROVIDERS = "/v1.0/employeeExperience/learningProviders"


class FakeClock:
    """A clock that moves only when the test moves it (``now``, in seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def app(app_id: str = "app-1", tenant_id: str = "tenant-1") -> Principal:
    return Principal(tenant_id, app_id, CallerKind.APPLICATION, frozenset())


def user(user_id: str, app_id: str = "app-1") -> Principal:
    return Principal("tenant-1", app_id, CallerKind.DELEGATED, frozenset(), user_id)


def refused_after(throttle: Throttle, principal: Principal) -> int:
    """How many calls pass before the first refusal (at most 100)."""
    for passed in range(100):
        try:
            throttle.check(principal)
        except TooManyRequests:
            return passed
    return 100


class TestThrottle:
    def test_a_burst_up_to_the_limit_passes_and_the_next_call_is_refused(self) -> None:
        throttle = Throttle(limit=5, window_seconds=10, clock=FakeClock())

        assert refused_after(throttle, app()) == 5

    def test_a_refusal_says_when_to_retry_in_whole_seconds(self) -> None:
        throttle = Throttle(limit=4, window_seconds=10, clock=FakeClock())
        refused_after(throttle, app())

        with pytest.raises(TooManyRequests) as refusal:
            throttle.check(app())

        assert refusal.value.headers == {"Retry-After": "3"}
        assert refusal.value.message == "Retry after 1 minutes"

    def test_a_refusal_says_the_minutes_rounded_up_and_the_header_the_seconds(self) -> None:
        throttle = Throttle(limit=1, window_seconds=150, clock=FakeClock())
        refused_after(throttle, app())

        with pytest.raises(TooManyRequests) as refusal:
            throttle.check(app())

        assert refusal.value.headers == {"Retry-After": "150"}
        assert refusal.value.message == "Retry after 3 minutes"

    def test_the_budget_refills_at_the_limit_per_window(self) -> None:
        clock = FakeClock()
        throttle = Throttle(limit=4, window_seconds=10, clock=clock)
        refused_after(throttle, app())

        clock.now += 2.5

        assert refused_after(throttle, app()) == 1

    def test_the_whole_budget_is_back_after_the_window(self) -> None:
        clock = FakeClock()
        throttle = Throttle(limit=4, window_seconds=10, clock=clock)
        refused_after(throttle, app())

        clock.now += 10

        assert refused_after(throttle, app()) == 4

    def test_a_refused_call_spends_nothing(self) -> None:
        clock = FakeClock()
        throttle = Throttle(limit=2, window_seconds=2, clock=clock)
        refused_after(throttle, app())
        for _ in range(50):
            refused_after(throttle, app())

        clock.now += 1

        assert refused_after(throttle, app()) == 1

    def test_apps_and_tenants_have_budgets_of_their_own(self) -> None:
        throttle = Throttle(limit=3, window_seconds=10, clock=FakeClock())
        refused_after(throttle, app("app-1", "tenant-1"))

        assert refused_after(throttle, app("app-2", "tenant-1")) == 3
        assert refused_after(throttle, app("app-1", "tenant-2")) == 3

    def test_each_user_of_an_app_has_a_budget_of_their_own(self) -> None:
        throttle = Throttle(limit=3, window_seconds=10, clock=FakeClock())
        refused_after(throttle, user("ada"))

        assert refused_after(throttle, user("grace")) == 3
        assert refused_after(throttle, app()) == 3

    def test_a_limit_below_one_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            Throttle(limit=0, window_seconds=1)

    def test_the_counting_can_live_in_another_store(self) -> None:
        class Recording(MemoryCounterStore):
            def __init__(self) -> None:
                super().__init__()
                self.keys: list[str] = []

            def claim(self, key: str, *, now: float, interval: float, window: float, most: int) -> int:
                self.keys.append(key)
                return super().claim(key, now=now, interval=interval, window=window, most=most)

        store = Recording()
        Throttle(limit=1, window_seconds=1, store=store).check(user("ada"))

        assert store.keys == ["user\x00tenant-1\x00app-1\x00ada"]


class TestMemoryCounterStore:
    def test_keys_that_went_idle_are_evicted_as_traffic_passes(self) -> None:
        store = MemoryCounterStore()
        for n in range(1000):
            store.claim(f"idle-{n}", now=0.0, interval=0.1, window=1.0, most=1)

        for n in range(600):
            store.claim("busy", now=2.0 + n / 1000, interval=0.001, window=1.0, most=1)

        assert len(store) == 1

    def test_waiting_spends_nothing(self) -> None:
        store = MemoryCounterStore()
        store.claim("k", now=0.0, interval=1.0, window=1.0, most=1)

        assert store.longest_waits(((("k",), 1.0),), now=0.0, window=1.0) == pytest.approx(1.0)
        assert store.longest_waits(((("k",), 1.0),), now=1.0, window=1.0) == 0.0
        assert store.claim("k", now=1.0, interval=1.0, window=1.0, most=1) == 1

    def test_the_longest_wait_over_groups_judges_each_key_by_its_own_groups_interval(self) -> None:
        store = MemoryCounterStore()
        store.claim("narrow", now=0.0, interval=1.0, window=2.0, most=2)
        store.claim("wide", now=0.0, interval=0.5, window=2.0, most=4)

        waits = store.longest_waits(((("narrow",), 1.0), (("wide", "never-spent"), 0.5)), now=0.0, window=2.0)

        assert waits == pytest.approx(1.0)
        assert store.longest_waits(((("wide",), 0.5),), now=0.0, window=2.0) == pytest.approx(0.5)

    def test_a_claim_spends_as_many_units_as_fit_and_no_more(self) -> None:
        store = MemoryCounterStore()

        assert store.claim("k", now=0.0, interval=1.0, window=5.0, most=3) == 3
        assert store.claim("k", now=0.0, interval=1.0, window=5.0, most=3) == 2
        assert store.claim("k", now=0.0, interval=1.0, window=5.0, most=3) == 0
        assert store.claim("k", now=1.0, interval=1.0, window=5.0, most=3) == 1


class TestLeasedCounterStore:
    def test_one_claim_serves_a_lease_of_requests(self) -> None:
        shared = MemoryCounterStore()
        leased = LeasedCounterStore(shared, units=4, seconds=1.0)

        spent = [leased.claim("k", now=0.0, interval=1.0, window=100.0, most=1) for _ in range(4)]

        assert spent == [1, 1, 1, 1]
        assert shared.claim("k", now=0.0, interval=1.0, window=100.0, most=1000) == 96

    def test_what_is_left_of_a_lease_lapses_when_it_expires(self) -> None:
        shared = MemoryCounterStore()
        leased = LeasedCounterStore(shared, units=4, seconds=1.0)
        leased.claim("k", now=0.0, interval=1.0, window=100.0, most=1)

        leased.claim("k", now=2.0, interval=1.0, window=100.0, most=1)

        assert shared.claim("k", now=2.0, interval=1.0, window=100.0, most=1000) == 100 - 8 + 2

    def test_two_processes_leasing_from_one_store_never_pass_the_limit_together(self) -> None:
        shared = MemoryCounterStore()
        processes = [LeasedCounterStore(shared, units=3, seconds=10.0) for _ in range(2)]

        admitted = sum(
            process.claim("k", now=0.0, interval=1.0, window=10.0, most=1)
            for _ in range(20)
            for process in processes
        )

        assert admitted == 10

    def test_a_refusal_says_how_long_the_shared_budget_needs(self) -> None:
        shared = MemoryCounterStore()
        leased = LeasedCounterStore(shared, units=2, seconds=1.0)
        shared.claim("k", now=0.0, interval=1.0, window=5.0, most=5)

        assert spend_one(leased, "k", now=0.0, interval=1.0, window=5.0) == pytest.approx(1.0)

    def test_small_limits_lease_one_unit_at_a_time_so_they_stay_exact(self) -> None:
        assert lease_units(10) == 1
        assert lease_units(63) == 1
        assert lease_units(640) == 10
        assert lease_units(1_000_000) == 32


class TestSettings:
    def test_throttling_is_off_by_default(self) -> None:
        assert Settings().throttle_limit is None

    def test_a_throttle_limit_below_one_is_refused(self) -> None:
        with pytest.raises(ValueError, match="throttle_limit"):
            Settings(throttle_limit=0)

    def test_a_window_of_no_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="throttle_window_seconds"):
            Settings(throttle_window_seconds=0)


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
