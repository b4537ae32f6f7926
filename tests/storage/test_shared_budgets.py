"""Rate-limit budgets live in the database: a limit holds across every process and server sharing it."""

from __future__ import annotations

import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from learninggraph.http.throttling import spend_one
from learninggraph.identity.directory import Directory
from learninggraph.storage.budgets import DatabaseCounterStore
from learninggraph.storage.database import Database
from tests.storage.servers import servers_on, tenant_on

ACTIVITIES = "/v1.0/employeeExperience/learningCourseActivities"
LIMIT = 6


class TestDatabaseCounterStore:
    def test_long_keys_are_looked_up_without_being_kept(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        long_client_id = "c" * 200_000  # a sign-in's keys hold the form's client id, whatever its length
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            waits = [
                store.longest_waits([((f"login-client\0{long_client_id}{i}",), 1.0)], now=100.0, window=5.0)
                for i in range(20)
            ]
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()

        assert waits == [0.0] * 20
        assert kept < 1_000_000  # 20 keys of 200 KB: 4 MB had they been kept

    def test_two_stores_on_one_database_spend_one_budget(self, migrated: Database) -> None:
        first, second = DatabaseCounterStore(migrated), DatabaseCounterStore(migrated)

        spent = [
            store.claim("k", now=100.0, interval=1.0, window=5.0, most=2) for store in (first, second, first)
        ]

        assert spent == [2, 2, 1]
        assert spend_one(second, "k", now=100.0, interval=1.0, window=5.0) == pytest.approx(1.0)

    def test_the_budget_refills_with_time(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("k", now=100.0, interval=1.0, window=5.0, most=5)

        assert store.longest_waits(((("k",), 1.0),), now=100.0, window=5.0) == pytest.approx(1.0)
        assert store.claim("k", now=102.0, interval=1.0, window=5.0, most=5) == 2

    def test_concurrent_claims_never_spend_the_same_budget_twice(self, migrated: Database) -> None:
        stores = [DatabaseCounterStore(migrated) for _ in range(4)]

        def claim_all(store: DatabaseCounterStore) -> int:
            return sum(store.claim("k", now=100.0, interval=1.0, window=50.0, most=3) for _ in range(10))

        with ThreadPoolExecutor(max_workers=4) as pool:
            granted = sum(pool.map(claim_all, stores))

        assert granted == 50

    def test_the_longest_wait_of_several_keys_is_the_wait_of_the_most_spent_one(
        self, migrated: Database
    ) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("a", now=100.0, interval=1.0, window=2.0, most=2)
        store.claim("b", now=100.0, interval=1.0, window=2.0, most=1)

        longest = store.longest_waits(((("a", "b", "never-spent"), 1.0),), now=100.0, window=2.0)

        assert longest == pytest.approx(store.longest_waits(((("a",), 1.0),), now=100.0, window=2.0))
        assert longest == pytest.approx(1.0)
        assert store.longest_waits(((("b", "never-spent"), 1.0),), now=100.0, window=2.0) == 0.0

    def test_the_longest_wait_over_groups_judges_each_key_by_its_own_groups_interval(
        self, migrated: Database
    ) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("narrow", now=100.0, interval=1.0, window=2.0, most=2)
        store.claim("wide", now=100.0, interval=0.5, window=2.0, most=4)

        waits = store.longest_waits(
            ((("narrow",), 1.0), (("wide", "never-spent"), 0.5)), now=100.0, window=2.0
        )

        assert waits == pytest.approx(1.0)  # the narrow key's; the wide one waits 0.5 s
        assert store.longest_waits(((("wide",), 0.5),), now=100.0, window=2.0) == pytest.approx(0.5)
        assert store.longest_waits(((("never-spent",), 1.0),), now=100.0, window=2.0) == 0.0

    def test_a_record_counts_even_when_its_clock_is_behind_the_last_spend(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("k", now=100.5, interval=1.0, window=3.0, most=2)

        store.record("k", now=100.0, interval=1.0)

        assert store.claim("k", now=100.6, interval=1.0, window=3.0, most=1) == 0

    def test_units_pending_count_as_spent_even_for_a_key_never_stored(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("spent", now=100.0, interval=1.0, window=2.0, most=1)
        groups = ((("spent", "never-spent"), 1.0),)

        assert store.longest_waits(groups, now=100.0, window=2.0) == 0.0
        assert store.longest_waits(groups, now=100.0, window=2.0, pending={"spent": 1}) == pytest.approx(1.0)
        assert store.longest_waits(
            groups, now=100.0, window=2.0, pending={"never-spent": 2}
        ) == pytest.approx(1.0)
        assert store.longest_waits(groups, now=100.0, window=2.0, pending={"never-spent": 1}) == 0.0

    @pytest.mark.postgresql
    def test_a_read_alongside_counts_units_pending_as_spent(self, migrated: Database) -> None:
        alongside = DatabaseCounterStore(migrated).waits_alongside(
            ((("unspent",), 1.0),), now=100.0, window=2.0, pending={"unspent": 2}
        )
        assert alongside is not None

        with migrated.read() as conn:
            alongside.rows(conn.fetch_all(alongside.around("SELECT 7 AS seven"), alongside.keys))

        assert alongside.wait == pytest.approx(1.0)

    @pytest.mark.postgresql
    def test_a_read_alongside_another_statement_waits_as_long_as_longest_waits(
        self, migrated: Database
    ) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("narrow", now=100.0, interval=1.0, window=2.0, most=2)
        store.claim("wide", now=100.0, interval=0.5, window=2.0, most=4)
        groups = ((("narrow",), 1.0), (("wide", "never-spent"), 0.5))
        alongside = store.waits_alongside(groups, now=100.0, window=2.0)
        assert alongside is not None

        with migrated.read() as conn:
            rows = conn.fetch_all(alongside.around("SELECT 1 AS one UNION ALL SELECT 2"), alongside.keys)

        assert alongside.rows(rows) == [(1,), (2,)]
        assert alongside.read
        assert alongside.wait == store.longest_waits(groups, now=100.0, window=2.0) == pytest.approx(1.0)

    @pytest.mark.postgresql
    def test_a_read_alongside_waits_for_nothing_when_no_key_has_spent(self, migrated: Database) -> None:
        alongside = DatabaseCounterStore(migrated).waits_alongside(
            ((("unspent",), 1.0),), now=100.0, window=2.0
        )
        assert alongside is not None

        with migrated.read() as conn:
            rows = conn.fetch_all(alongside.around("SELECT 7 AS seven"), alongside.keys)

        assert alongside.rows(rows) == [(7,)]
        assert alongside.wait == 0.0

    @pytest.mark.postgresql
    def test_a_read_alongside_a_statement_without_rows_reads_no_budget(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("k", now=100.0, interval=1.0, window=2.0, most=2)
        alongside = store.waits_alongside(((("k",), 1.0),), now=100.0, window=2.0)
        assert alongside is not None

        with migrated.read() as conn:
            rows = conn.fetch_all(alongside.around("SELECT id FROM tenants"), alongside.keys)

        assert alongside.rows(rows) == []
        assert not alongside.read

    def test_budgets_are_read_alongside_only_where_that_saves_a_round_trip(self, migrated: Database) -> None:
        alongside = DatabaseCounterStore(migrated).waits_alongside(((("k",), 1.0),), now=100.0, window=2.0)

        assert (alongside is None) == (migrated.dialect == "sqlite")

    def test_keys_whose_budget_is_whole_again_are_swept_out(self, migrated: Database) -> None:
        store = DatabaseCounterStore(migrated)
        store.claim("old", now=100.0, interval=1.0, window=5.0, most=1)

        store.claim("new", now=1000.0, interval=1.0, window=5.0, most=1)

        with migrated.snapshot() as conn:
            rows = conn.fetch_one("SELECT count(*) FROM rate_budgets")
        assert rows is not None
        assert rows[0] == 1


def test_an_apps_request_limit_holds_across_two_servers(fresh_database_url: str) -> None:
    with (
        servers_on(fresh_database_url, count=2, throttle_limit=LIMIT, throttle_window_seconds=60) as urls,
        tenant_on(fresh_database_url, urls[0]) as tenant,
    ):
        token = tenant.app_token()
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=urls[0], headers=headers) as a,
            httpx.Client(base_url=urls[1], headers=headers) as b,
        ):
            statuses = [
                client.get(ACTIVITIES).status_code for _ in range(LIMIT // 2 + 1) for client in (a, b)
            ]

    assert statuses == [200] * LIMIT + [429, 429]


def _wrong_secret(client_id: str) -> dict[str, str]:
    """A client-credentials sign-in form with a wrong secret."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": "wrong secret",
        "scope": "https://graph.microsoft.com/.default",
    }


def test_failed_sign_ins_are_counted_across_two_servers(fresh_database_url: str) -> None:
    with (
        servers_on(fresh_database_url, count=2, login_failure_limit=4) as urls,
        tenant_on(fresh_database_url, urls[0]) as tenant,
    ):
        directory: Directory = tenant.directory
        app, secret = directory.create_application(
            tenant_id=tenant.tenant_id, name="Fabrikam LMS", permissions=[]
        )
        form = _wrong_secret(app.client_id)
        path = f"/{tenant.tenant_id}/oauth2/v2.0/token"
        statuses = [httpx.post(url + path, data=form).status_code for _ in range(2) for url in urls]
        right = httpx.post(urls[1] + path, data={**form, "client_secret": secret})

    assert statuses == [401] * 4
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) > 0


def _wrong_secrets_at_once(database_url: str, servers: int, *, guesses: int = 40) -> list[int]:
    """The statuses of ``guesses`` wrong client secrets sent 20 at a time, spread over ``servers`` servers whose
    limit is 3 failures."""
    with (
        servers_on(database_url, count=servers, login_failure_limit=3) as urls,
        tenant_on(database_url, urls[0]) as tenant,
    ):
        app, _ = tenant.directory.create_application(
            tenant_id=tenant.tenant_id, name="Fabrikam LMS", permissions=[]
        )
        form = _wrong_secret(app.client_id)
        path = f"/{tenant.tenant_id}/oauth2/v2.0/token"
        with ThreadPoolExecutor(max_workers=20) as pool:
            return list(
                pool.map(
                    lambda n: httpx.post(urls[n % servers] + path, data=form).status_code, range(guesses)
                )
            )


def test_wrong_secrets_sent_at_once_to_one_server_are_checked_exactly_as_often_as_the_limit(
    fresh_database_url: str,
) -> None:
    statuses = _wrong_secrets_at_once(fresh_database_url, servers=1)

    assert (statuses.count(401), statuses.count(429)) == (3, 37)


def test_wrong_secrets_sent_at_once_to_two_servers_are_checked_at_most_as_often_as_the_limit_by_each(
    fresh_database_url: str,
) -> None:
    statuses = _wrong_secrets_at_once(fresh_database_url, servers=2)

    assert 3 <= statuses.count(401) <= 2 * 3
    assert statuses.count(401) + statuses.count(429) == 40


def test_wrong_passwords_sent_at_once_for_one_user_are_checked_exactly_as_often_as_the_limit(
    fresh_database_url: str,
) -> None:
    with (
        servers_on(fresh_database_url, login_failure_limit=3) as [url],
        tenant_on(fresh_database_url, url) as tenant,
    ):
        app, secret = tenant.directory.create_application(
            tenant_id=tenant.tenant_id,
            name="Fabrikam LMS",
            permissions=[],
            delegated_permissions=["LearningProvider.Read"],
        )
        user = tenant.new_user(name="Ada")
        form = {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": user.user_principal_name,
            "password": "wrong password",
            "scope": "LearningProvider.Read",
        }
        path = f"/{tenant.tenant_id}/oauth2/v2.0/token"
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: httpx.post(url + path, data=form).status_code, range(16)))

    assert (statuses.count(400), statuses.count(429)) == (3, 13)
