"""Each kind of injected fault over real HTTP: a status in Graph's envelope, latency, a dropped connection."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from learninggraph.testing import LearningGraph
from tests.faults.calls import PROVIDERS, Connect, inject
from tests.faults.serving import FaultServer


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
def test_a_status_fault_answers_that_status_in_graphs_envelope(
    faulty: FaultServer, graph: LearningGraph, connect: Connect, status: int, code: str, message: str
) -> None:
    inject(faulty, graph, status=status)

    response = connect(graph).get(PROVIDERS)

    error = response.json()["error"]
    assert response.status_code == status
    assert (error["code"], error["message"]) == (code, message)
    assert error["innerError"]["request-id"] == response.headers["request-id"]


@pytest.mark.parametrize("status", [429, 503])
def test_a_429_or_503_fault_says_when_to_retry(
    faulty: FaultServer, graph: LearningGraph, connect: Connect, status: int
) -> None:
    inject(faulty, graph, status=status, retry_after=7)

    response = connect(graph).get(PROVIDERS)

    assert response.status_code == status
    assert response.headers["retry-after"] == "7"


def test_a_status_fault_leaves_no_explanation_in_the_response(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    rule = inject(faulty, graph, status=503)

    response = connect(graph).get(PROVIDERS)

    assert rule.id not in response.text and "fault" not in response.text.lower()


def test_a_latency_fault_delays_the_answer_which_is_otherwise_unchanged(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    before = client.get(PROVIDERS)
    inject(faulty, graph, latency_ms=600)

    started = time.perf_counter()
    delayed = client.get(PROVIDERS)
    elapsed = time.perf_counter() - started

    assert elapsed >= 0.6
    assert (delayed.status_code, delayed.json()["value"]) == (200, before.json()["value"])


def test_a_delayed_answer_does_not_hold_up_other_clients(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    other = faulty.graph.new_tenant("Fabrikam")
    slow_client, quick_client = connect(graph), connect(other)
    inject(faulty, graph, latency_ms=1500)
    slow: list[float] = []

    def call_slowly() -> None:
        started = time.perf_counter()
        slow_client.get(PROVIDERS)
        slow.append(time.perf_counter() - started)

    caller = threading.Thread(target=call_slowly)
    caller.start()
    time.sleep(0.2)
    started = time.perf_counter()
    quick = quick_client.get(PROVIDERS)
    quick_elapsed = time.perf_counter() - started
    caller.join()

    assert quick.status_code == 200
    assert quick_elapsed < 0.75
    assert slow[0] >= 1.5


def test_a_status_fault_with_latency_answers_the_status_after_the_delay(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, status=504, latency_ms=500)

    started = time.perf_counter()
    response = client.get(PROVIDERS)

    assert response.status_code == 504
    assert time.perf_counter() - started >= 0.5


def test_a_drop_fault_closes_the_connection_without_an_answer(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, drop=True, count=1)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get(PROVIDERS)
    after = client.get(PROVIDERS)

    assert after.status_code == 200


def test_a_dropped_request_is_reported_to_the_observers_with_status_0(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, drop=True, count=1)

    with pytest.raises(httpx.TransportError):
        client.get(PROVIDERS, headers={"client-request-id": "dropped-one"})

    deadline = time.monotonic() + 5
    while not [e for e in faulty.exchanges if e.tenant == graph.tenant_id and e.status == 0]:
        assert time.monotonic() < deadline, "no observer was told of the dropped request"
        time.sleep(0.01)
    [dropped] = [e for e in faulty.exchanges if e.tenant == graph.tenant_id and e.status == 0]
    assert (dropped.method, dropped.route) == ("GET", PROVIDERS)
