"""The pytest plugin (entry point ``pytest11``): the ``learninggraph`` and ``learninggraph_server`` fixtures.

Only pytest loads this module; ``learninggraph.testing`` holds everything that works without pytest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learninggraph.testing import SDK_IMPORT_WARNINGS, LearningGraph, LearningGraphServer, local_server


def pytest_configure(config: pytest.Config) -> None:
    for line in SDK_IMPORT_WARNINGS:
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture(scope="session", name="learninggraph_server")
def _learninggraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LearningGraphServer]:
    """One learninggraph for the test session, on a throwaway SQLite database."""
    with local_server(tmp_path_factory.mktemp("learninggraph") / "learninggraph.db") as server:
        yield server


@pytest.fixture(name="learninggraph")
def _learninggraph(learninggraph_server: LearningGraphServer) -> LearningGraph:
    """A fresh tenant on the session's learninggraph, for one test."""
    return learninggraph_server.new_tenant()
