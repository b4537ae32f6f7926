"""A migrated database of its own for each fault test, and a server whose fault rules tests set directly."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraph
from tests.faults.calls import user_client
from tests.faults.serving import FaultServer, fault_server
from tests.journal.entries import migrated


@pytest.fixture
def fault_database(fresh_database_url: str) -> Iterator[Database]:
    with migrated(fresh_database_url) as database:
        yield database


@pytest.fixture(scope="session")
def faulty(new_database_url: Callable[[], str]) -> Iterator[FaultServer]:
    """One server for the fault tests (each on a tenant of its own, so their rules never meet)."""
    with fault_server(Settings(database_url=new_database_url(), create_dev_identity=False)) as served:
        yield served


@pytest.fixture
def graph(faulty: FaultServer) -> LearningGraph:
    """A fresh tenant on ``faulty``: an app holding every learning permission, and a learner."""
    return faulty.graph.new_tenant()


@pytest.fixture
def connect() -> Iterator[Callable[[LearningGraph], httpx.Client]]:
    """Opens HTTP clients holding a delegated token of a tenant's learner; closed after the test."""
    opened: list[httpx.Client] = []

    def open_client(graph: LearningGraph) -> httpx.Client:
        opened.append(user_client(graph))
        return opened[-1]

    yield open_client
    for client in opened:
        client.close()
