"""Calling a tenant of the fault server over HTTP, and adding its fault rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from learninggraph.faults.rules import FaultRule, new_rule
from learninggraph.testing import LearningGraph
from tests.faults.serving import FaultServer

PROVIDERS = "/v1.0/employeeExperience/learningProviders"
# The ``connect`` fixture: an HTTP client with a delegated token of the tenant's learner, closed after the test.
Connect = Callable[[LearningGraph], httpx.Client]


def user_client(graph: LearningGraph) -> httpx.Client:
    """An HTTP client holding a delegated token of the tenant's learner (a Knowledge Administrator) through the
    tenant's app: every consented learning permission."""
    return httpx.Client(
        base_url=graph.base_url, headers={"Authorization": f"Bearer {graph.user_token()}"}, timeout=30
    )


def inject(server: FaultServer, graph: LearningGraph, **rule: Any) -> FaultRule:
    """Adds a rule for the tenant of ``graph`` through the server's own matcher: it applies at once."""
    return server.faults.add(new_rule(graph.tenant_id, **rule))


def statuses(client: httpx.Client, times: int, path: str = PROVIDERS) -> list[int]:
    return [client.get(path).status_code for _ in range(times)]


def remaining(server: FaultServer, rule: FaultRule) -> int | None:
    [stored] = [r for r in server.faults.rules(rule.tenant_id) if r.id == rule.id]
    return stored.remaining
