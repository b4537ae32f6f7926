"""How often and for whom a fault rule fires, over real HTTP: counts, probability, time window, scope."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from learninggraph.settings import Settings
from learninggraph.testing import LearningGraph
from tests.faults.calls import PROVIDERS, Connect, inject, remaining, statuses, user_client
from tests.faults.serving import FaultServer, fault_server


def test_a_once_rule_fires_on_the_first_request_only(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    rule = inject(faulty, graph, status=503, count=1)

    answered = statuses(connect(graph), 3)

    assert answered == [503, 200, 200]
    assert remaining(faulty, rule) == 0


def test_a_rule_of_three_times_fires_three_times(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    inject(faulty, graph, status=429, count=3)

    assert statuses(connect(graph), 5) == [429, 429, 429, 200, 200]


def test_a_counted_rule_fires_exactly_its_count_under_concurrent_requests(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    inject(faulty, graph, status=503, count=4)
    clients = [connect(graph) for _ in range(4)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        answered = list(pool.map(lambda n: clients[n % 4].get(PROVIDERS).status_code, range(16)))

    assert sorted(answered) == [200] * 12 + [503] * 4


def test_a_probability_rule_fires_as_its_seeded_rolls_say(new_database_url: Callable[[], str]) -> None:
    settings = Settings(database_url=new_database_url(), create_dev_identity=False, fault_seed=1234)
    rolls = random.Random(1234)
    expected = [503 if rolls.random() < 0.5 else 200 for _ in range(12)]
    with fault_server(settings) as server:
        graph = server.graph.new_tenant()
        inject(server, graph, status=503, probability=0.5)
        with user_client(graph) as client:
            answered = statuses(client, 12)

    assert answered == expected
    assert {200, 503} <= set(answered)


def test_a_rule_fires_only_inside_its_time_window(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    starts_at = datetime.now(UTC) + timedelta(seconds=1)
    inject(faulty, graph, status=502, starts_at=starts_at, ends_at=starts_at + timedelta(seconds=1))
    client = connect(graph)

    before = client.get(PROVIDERS).status_code
    time.sleep(max(0.0, (starts_at - datetime.now(UTC)).total_seconds()) + 0.05)
    during = client.get(PROVIDERS).status_code
    time.sleep(max(0.0, (starts_at + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()) + 0.05)
    after = client.get(PROVIDERS).status_code

    assert (before, during, after) == (200, 502, 200)


def test_a_rule_of_one_tenant_leaves_other_tenants_alone(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    other = faulty.graph.new_tenant("Fabrikam")
    inject(faulty, graph, status=503)

    assert (connect(graph).get(PROVIDERS).status_code, connect(other).get(PROVIDERS).status_code) == (
        503,
        200,
    )


@pytest.mark.parametrize(("app", "expected"), [("the tenant's app", 503), ("another app", 200)])
def test_a_rule_for_an_app_fires_for_that_app_only(
    faulty: FaultServer, graph: LearningGraph, connect: Connect, app: str, expected: int
) -> None:
    inject(faulty, graph, status=503, app_id=graph.client_id if app == "the tenant's app" else "another-app")

    assert connect(graph).get(PROVIDERS).status_code == expected


def test_a_rule_for_a_method_leaves_other_methods_alone(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, status=503, method="PATCH")

    patched = client.patch(f"{PROVIDERS}/no-such-provider", json={"displayName": "x"})
    listed = client.get(PROVIDERS)

    assert (patched.status_code, listed.status_code) == (503, 200)


def test_a_rule_for_a_route_pattern_fires_on_matching_routes_only(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, status=504, route="*/learningContents")

    contents = client.get(f"{PROVIDERS}/no-such-provider/learningContents")
    providers = client.get(PROVIDERS)

    assert (contents.status_code, providers.status_code) == (504, 200)


def test_a_rule_without_a_route_fires_on_a_path_no_route_matches(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    inject(faulty, graph, status=500)

    assert connect(graph).get("/v1.0/employeeExperience/noSuchThing").status_code == 500


def test_the_first_matching_rule_wins(faulty: FaultServer, graph: LearningGraph, connect: Connect) -> None:
    inject(faulty, graph, status=429, route="*/learningProviders")
    inject(faulty, graph, status=503)

    assert connect(graph).get(PROVIDERS).status_code == 429


def test_a_cleared_rule_stops_at_once(faulty: FaultServer, graph: LearningGraph, connect: Connect) -> None:
    client = connect(graph)
    inject(faulty, graph, status=503)
    faulted = client.get(PROVIDERS).status_code

    faulty.faults.clear(graph.tenant_id)

    assert (faulted, client.get(PROVIDERS).status_code) == (503, 200)
