"""Matching requests to fault rules: scope, order, Graph's envelope, probability, counts and windows."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta

import pytest

from learninggraph.faults.matcher import FaultMatcher
from learninggraph.faults.rules import Action, new_rule
from learninggraph.faults.store import add_rule, clear_rules, list_rules
from learninggraph.http.errors import render_error
from learninggraph.storage.database import Database
from tests.journal.entries import migrated

ROUTE = "/employeeExperience/learningProviders/{id}/learningCourseActivities"


def _matcher(database: Database, **kwargs: object) -> FaultMatcher:
    return FaultMatcher(database, refresh_seconds=0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, "tooManyRequests", "Retry after 1 minutes"),
        (500, "internalServerError", "Internal server error."),
        (502, "badGateway", "Bad gateway."),
        (503, "serviceUnavailable", "Retry after 1 minutes"),
        (504, "gatewayTimeout", "Gateway timeout."),
    ],
)
def test_a_status_fault_renders_as_graphs_error_envelope(
    fault_database: Database, status: int, code: str, message: str
) -> None:
    add_rule(fault_database, new_rule("t1", status=status))

    fault = _matcher(fault_database).match("t1", "app", "GET", ROUTE)

    assert fault is not None and fault.error is not None
    response = render_error(fault.error, request_id="r", client_request_id="c")
    body = json.loads(response.body)["error"]
    assert response.status == status
    assert (body["code"], body["message"]) == (code, message)
    assert body["innerError"]["request-id"] == "r"


def test_a_429_carries_retry_after_in_seconds(fault_database: Database) -> None:
    add_rule(fault_database, new_rule("t1", status=429, retry_after=120))

    fault = _matcher(fault_database).match("t1", None, "GET", ROUTE)

    assert fault is not None and fault.error is not None
    assert dict(fault.error.headers) == {"Retry-After": "120"}
    assert fault.error.message == "Retry after 2 minutes"


def test_latency_and_drop_faults_say_what_to_do(fault_database: Database) -> None:
    add_rule(fault_database, new_rule("t1", latency_ms=300, method="GET"))
    add_rule(fault_database, new_rule("t1", drop=True, latency_ms=50, method="PATCH"))
    matcher = _matcher(fault_database)

    slow = matcher.match("t1", None, "GET", ROUTE)
    dropped = matcher.match("t1", None, "PATCH", ROUTE)

    assert slow is not None and (slow.action, slow.latency_ms, slow.error, slow.drops) == (
        Action.LATENCY,
        300,
        None,
        False,
    )
    assert dropped is not None and (dropped.action, dropped.latency_ms, dropped.drops) == (
        Action.DROP,
        50,
        True,
    )


@pytest.mark.parametrize(
    ("request_", "matches"),
    [
        (("t1", "vendor", "POST", ROUTE), True),
        (("t2", "vendor", "POST", ROUTE), False),
        (("t1", "other", "POST", ROUTE), False),
        (("t1", "vendor", "GET", ROUTE), False),
        (("t1", "vendor", "POST", "/employeeExperience/learningProviders"), False),
        (("t1", "vendor", "POST", None), False),
    ],
)
def test_a_rule_applies_only_to_its_tenant_app_method_and_route(
    fault_database: Database, request_: tuple[str, str, str, str | None], matches: bool
) -> None:
    add_rule(
        fault_database,
        new_rule("t1", status=503, app_id="vendor", method="post", route="*/learningCourseActivities"),
    )

    assert (_matcher(fault_database).match(*request_) is not None) is matches


def test_a_fault_says_in_words_which_rule_produced_it(fault_database: Database) -> None:
    rule = add_rule(fault_database, new_rule("t1", status=429, method="PATCH", count=2))

    fault = _matcher(fault_database).match("t1", None, "PATCH", ROUTE)

    assert fault is not None
    assert fault.hint == f"injected by fault rule {rule.id}: answer 429 to PATCH any route"


def test_the_first_matching_rule_wins(fault_database: Database) -> None:
    first = add_rule(fault_database, new_rule("t1", status=503, method="GET"))
    add_rule(fault_database, new_rule("t1", status=500))

    fault = _matcher(fault_database).match("t1", None, "GET", ROUTE)

    assert fault is not None and fault.rule_id == first.id


def test_probability_follows_the_seeded_random_generator(fault_database: Database) -> None:
    add_rule(fault_database, new_rule("t1", status=503, probability=0.3))
    matcher = _matcher(fault_database, rng=random.Random(7))
    reference = random.Random(7)

    fired = [matcher.match("t1", None, "GET", ROUTE) is not None for _ in range(200)]

    assert fired == [reference.random() < 0.3 for _ in range(200)]
    assert 30 < sum(fired) < 90


def test_a_once_rule_fires_once_and_then_lets_the_next_rule_answer(fault_database: Database) -> None:
    add_rule(fault_database, new_rule("t1", status=429, count=1))
    add_rule(fault_database, new_rule("t1", latency_ms=10))
    matcher = _matcher(fault_database)

    answers = [matcher.match("t1", None, "GET", ROUTE) for _ in range(3)]

    assert [a.action if a else None for a in answers] == [Action.STATUS, Action.LATENCY, Action.LATENCY]
    assert [rule.remaining for rule in list_rules(fault_database, "t1")] == [0, None]


def test_a_counted_rule_is_never_spent_twice_by_two_connections(fresh_database_url: str) -> None:
    with migrated(fresh_database_url) as one, migrated(fresh_database_url) as two:
        add_rule(one, new_rule("t1", status=503, count=25))
        fired: list[int] = []

        def hammer(database: Database) -> None:
            matcher = FaultMatcher(database, refresh_seconds=60)
            fired.append(sum(matcher.match("t1", None, "GET", ROUTE) is not None for _ in range(40)))

        threads = [threading.Thread(target=hammer, args=(db,)) for db in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sum(fired) == 25


SPENDER = textwrap.dedent(
    """
    import sys, time
    from learninggraph.faults.matcher import FaultMatcher
    from learninggraph.storage.database import Database
    database = Database(sys.argv[1])
    matcher = FaultMatcher(database, refresh_seconds=60)
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    print(sum(matcher.match("t1", None, "GET", "/r") is not None for _ in range(60)))
    database.close()
    """
)


def test_a_counted_rule_is_never_spent_twice_by_two_processes(fresh_database_url: str) -> None:
    with migrated(fresh_database_url) as database:
        add_rule(database, new_rule("t1", status=429, count=40))
    start_at = datetime.now(UTC).timestamp() + 1.5
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SPENDER, fresh_database_url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], results
    assert sum(int(out) for out, _ in results) == 40


def test_a_windowed_rule_fires_only_inside_its_window(fault_database: Database) -> None:
    start = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    add_rule(
        fault_database, new_rule("t1", status=503, starts_at=start, ends_at=start + timedelta(minutes=5))
    )
    now = [start - timedelta(seconds=1)]
    matcher = _matcher(fault_database, clock=lambda: now[0])

    fired = []
    for moment in (
        start - timedelta(seconds=1),
        start,
        start + timedelta(minutes=4),
        start + timedelta(minutes=5),
    ):
        now[0] = moment
        fired.append(matcher.match("t1", None, "GET", ROUTE) is not None)

    assert fired == [False, True, True, False]


def test_a_rule_added_elsewhere_applies_after_the_refresh_or_an_invalidation(fresh_database_url: str) -> None:
    with migrated(fresh_database_url) as server, migrated(fresh_database_url) as admin:
        matcher = FaultMatcher(server, refresh_seconds=60)
        assert matcher.match("t1", None, "GET", ROUTE) is None

        add_rule(admin, new_rule("t1", status=503))
        cached = matcher.match("t1", None, "GET", ROUTE)
        matcher.invalidate()
        fresh = matcher.match("t1", None, "GET", ROUTE)

    assert cached is None
    assert fresh is not None


def test_clearing_a_tenants_rules_leaves_other_tenants_rules(fault_database: Database) -> None:
    add_rule(fault_database, new_rule("t1", status=503))
    kept = add_rule(fault_database, new_rule("t2", status=503))
    one = add_rule(fault_database, new_rule("t3", status=503))
    add_rule(fault_database, new_rule("t3", status=500))

    assert clear_rules(fault_database, "t1") == 1
    assert clear_rules(fault_database, "t3", one.id) == 1
    assert [rule.id for rule in list_rules(fault_database, "t2")] == [kept.id]
    assert [rule.status for rule in list_rules(fault_database, "t3")] == [500]
    assert _matcher(fault_database).match("t1", None, "GET", ROUTE) is None
