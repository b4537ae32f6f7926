"""Throttling: the limiter, its counter stores and its settings (the server over HTTP: test_throttled_server.py)."""

from __future__ import annotations

import pytest

from learninggraph.domain.errors import TooManyRequests
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.http.throttling import (
    LeasedCounterStore,
    MemoryCounterStore,
    Throttle,
    lease_units,
    spend_one,
)
from learninggraph.settings import Settings

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

    def test_a_record_counts_even_when_its_clock_is_behind_the_last_spend(self) -> None:
        store = MemoryCounterStore()
        store.claim("k", now=100.5, interval=1.0, window=3.0, most=2)

        store.record("k", now=100.0, interval=1.0)

        assert store.claim("k", now=100.6, interval=1.0, window=3.0, most=1) == 0

    def test_units_pending_count_as_spent_even_for_a_key_never_spent(self) -> None:
        store = MemoryCounterStore()
        store.claim("spent", now=0.0, interval=1.0, window=2.0, most=1)
        groups = ((("spent", "never-spent"), 1.0),)

        assert store.longest_waits(groups, now=0.0, window=2.0) == 0.0
        assert store.longest_waits(groups, now=0.0, window=2.0, pending={"spent": 1}) == pytest.approx(1.0)
        assert store.longest_waits(groups, now=0.0, window=2.0, pending={"never-spent": 2}) == pytest.approx(
            1.0
        )
        assert store.longest_waits(groups, now=0.0, window=2.0, pending={"never-spent": 1}) == 0.0

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
