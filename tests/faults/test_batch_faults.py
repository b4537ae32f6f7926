"""Faults on ``$batch``: each item is matched on its own, so items fail independently, as Graph's do; the
envelope itself is never faulted."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from learninggraph.testing import LearningGraph
from tests.faults.calls import Connect, inject
from tests.faults.serving import FaultServer

PROVIDERS = "/employeeExperience/learningProviders"
CONTENTS = f"{PROVIDERS}/{uuid.uuid4()}/learningContents"  # no such provider: 400, as Graph


def _batch(client: httpx.Client, *urls: str) -> tuple[httpx.Response, dict[str, Any]]:
    requests = [{"id": str(n), "method": "GET", "url": url} for n, url in enumerate(urls, start=1)]
    response = client.post("/v1.0/$batch", json={"requests": requests})
    answers = {answer["id"]: answer for answer in response.json()["responses"]} if response.is_success else {}
    return response, answers


def test_an_item_whose_route_a_rule_names_fails_alone(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    inject(faulty, graph, status=503, route="*/learningContents")

    response, answers = _batch(connect(graph), PROVIDERS, CONTENTS, PROVIDERS)

    assert response.status_code == 200
    assert [answers[n]["status"] for n in ("1", "2", "3")] == [200, 503, 200]
    assert answers["2"]["body"]["error"]["code"] == "serviceUnavailable"
    assert answers["2"]["headers"]["Retry-After"] == "1"


def test_a_once_rule_fails_the_first_item_and_not_the_envelope(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    inject(faulty, graph, status=429, count=1)

    response, answers = _batch(connect(graph), PROVIDERS, PROVIDERS, PROVIDERS)

    assert response.status_code == 200
    assert [answers[n]["status"] for n in ("1", "2", "3")] == [429, 200, 200]


def test_a_batch_answers_after_its_slowest_delayed_item(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, latency_ms=700, route="*/learningContents")

    started = time.perf_counter()
    response, answers = _batch(client, PROVIDERS, CONTENTS)
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert [answers[n]["status"] for n in ("1", "2")] == [200, 400]
    assert 0.7 <= elapsed < 1.4


def test_a_dropped_item_drops_the_batchs_connection(
    faulty: FaultServer, graph: LearningGraph, connect: Connect
) -> None:
    client = connect(graph)
    inject(faulty, graph, drop=True, route="*/learningContents", count=1)

    with pytest.raises(httpx.RemoteProtocolError):
        _batch(client, PROVIDERS, CONTENTS)
    _, answers = _batch(client, PROVIDERS, CONTENTS)

    assert [answers[n]["status"] for n in ("1", "2")] == [200, 400]
