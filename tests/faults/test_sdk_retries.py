"""The official Python SDK (msgraph-sdk: kiota's RetryHandler) rides through injected 429s and 503s."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from learninggraph.testing import LearningGraph
from tests.faults.calls import PROVIDERS, inject, remaining
from tests.faults.serving import FaultServer


def _list_providers(graph: LearningGraph) -> Any:
    client = graph.graph_client(delegated=True)
    return asyncio.run(client.employee_experience.learning_providers.get())


def _answered(server: FaultServer, graph: LearningGraph) -> list[int]:
    """The statuses the server answered the tenant's provider listings with, in order."""
    return [e.status for e in server.exchanges if e.tenant == graph.tenant_id and e.route == PROVIDERS]


@pytest.mark.parametrize(("status", "count"), [(429, 1), (429, 2), (503, 1), (503, 2)])
def test_the_python_sdk_retries_through_injected_faults(
    faulty: FaultServer, graph: LearningGraph, status: int, count: int
) -> None:
    rule = inject(faulty, graph, status=status, count=count, method="GET")

    providers = _list_providers(graph)

    assert providers.value == []
    assert remaining(faulty, rule) == 0
    assert _answered(faulty, graph) == [status] * count + [200]


def test_the_python_sdk_gives_up_after_its_retries_with_the_fault_as_its_error(
    faulty: FaultServer, graph: LearningGraph
) -> None:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    inject(faulty, graph, status=503, count=10)

    with pytest.raises(ODataError) as raised:
        _list_providers(graph)

    assert raised.value.response_status_code == 503
    assert raised.value.error.code == "serviceUnavailable"
    assert _answered(faulty, graph) == [503] * 4
