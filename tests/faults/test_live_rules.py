"""Rules added or cleared with ``learninggraph faults`` while the server runs apply within a second; what a
fault leaves for the journal."""

from __future__ import annotations

import time

import httpx
import pytest

from learninggraph.cli import main
from learninggraph.domain.errors import GraphError
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.faults.rules import FAULT_RULE, new_rule
from learninggraph.http.context import RequestContext
from learninggraph.http.fault_step import InjectFaults
from learninggraph.http.messages import Request, parse_path
from learninggraph.testing import LearningGraph
from tests.faults.calls import PROVIDERS, Connect
from tests.faults.serving import FaultServer


def _until(client: httpx.Client, status: int, limit: float) -> float:
    started = time.monotonic()
    while client.get(PROVIDERS).status_code != status:
        assert time.monotonic() - started < limit, f"no {status} within {limit} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_rule_added_with_the_cli_applies_within_a_second(
    faulty: FaultServer, graph: LearningGraph, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    client = connect(graph)
    assert client.get(PROVIDERS).status_code == 200

    code = main(
        ["faults", "add", "--database", faulty.database_url, "--tenant", graph.tenant_id, "--status", "503"]
    )

    assert code == 0, capsys.readouterr().err
    assert _until(client, 503, limit=1.5) <= 1.2


def test_rules_cleared_with_the_cli_stop_within_a_second(
    faulty: FaultServer, graph: LearningGraph, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    client = connect(graph)
    faulty.faults.add(new_rule(graph.tenant_id, status=503))
    assert client.get(PROVIDERS).status_code == 503

    code = main(["faults", "clear", "--database", faulty.database_url, "--tenant", graph.tenant_id])

    assert code == 0, capsys.readouterr().err
    assert _until(client, 200, limit=1.5) <= 1.2


def _context(faulty: FaultServer, graph: LearningGraph) -> RequestContext:
    """A request of the tenant's app, as the steps before the fault step leave it."""
    request = Request(
        method="GET",
        path=PROVIDERS,
        segments=parse_path(PROVIDERS),
        query={},
        headers={},
        body=b"",
        base_url=faulty.base_url,
        request_id="r",
        client_request_id="c",
    )
    principal = Principal(graph.tenant_id, graph.client_id, CallerKind.APPLICATION, frozenset())
    return RequestContext(request, principal=principal, route=PROVIDERS)


def test_a_status_fault_carries_its_explanation_for_the_journal(
    faulty: FaultServer, graph: LearningGraph
) -> None:
    matcher = FaultMatcher(faulty.database, refresh_seconds=0)
    rule = matcher.add(new_rule(graph.tenant_id, status=503, latency_ms=20))

    with pytest.raises(GraphError) as raised:
        InjectFaults(matcher)(_context(faulty, graph))

    explanation = raised.value.explanation
    assert explanation is not None and explanation.rule == FAULT_RULE
    assert dict(explanation.facts) == {"fault": rule.id, "action": "status", "status": 503, "latency_ms": 20}
    assert explanation.hint is not None and rule.id in explanation.hint


def test_a_latency_fault_explains_the_delay_on_the_context(faulty: FaultServer, graph: LearningGraph) -> None:
    matcher = FaultMatcher(faulty.database, refresh_seconds=0)
    rule = matcher.add(new_rule(graph.tenant_id, latency_ms=250))
    context = _context(faulty, graph)

    InjectFaults(matcher)(context)

    assert context.delay_seconds == 0.25
    assert context.explanation is not None and context.explanation.rule == FAULT_RULE
    assert dict(context.explanation.facts) == {"fault": rule.id, "action": "latency", "latency_ms": 250}
