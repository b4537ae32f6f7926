"""The dashboard is mounted without being imported: its modules load on its first request."""

from __future__ import annotations

import subprocess
import sys

import pytest

from learninggraph.dashboard.web import PREFIX
from learninggraph.http.dashboard_mount import PREFIX as MOUNTED_PREFIX

CHILD = r"""
import sys
from pathlib import Path
import httpx
from learninggraph.testing import local_server
with local_server(Path(sys.argv[1])) as server:
    httpx.get(server.base_url + "/health")
    print("metrics", "prometheus_client" in sys.modules)
    print("before", "learninggraph.dashboard.app" in sys.modules, "starlette" in sys.modules, "jinja2" in sys.modules)
    page = httpx.get(server.base_url + "/_learninggraph/dashboard/")
    print("after", "learninggraph.dashboard.app" in sys.modules, page.status_code < 500)
"""


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("lazy")
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(folder / "lazy.db")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split("\n")


@pytest.mark.backend_independent
def test_the_dashboard_is_not_imported_until_its_first_request(printed: list[str]) -> None:
    assert printed[1:3] == ["before False False False", "after True True"]


@pytest.mark.backend_independent
def test_prometheus_client_is_not_imported_while_metrics_are_off(printed: list[str]) -> None:
    assert printed[0] == "metrics False"


def test_the_mounted_prefix_is_the_dashboards_own() -> None:
    assert MOUNTED_PREFIX == PREFIX
