"""The dashboard is mounted without being imported: its modules load on its first request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from learninggraph.dashboard.web import PREFIX
from learninggraph.lazy_dashboard import PREFIX as MOUNTED_PREFIX

CHILD = r"""
import sys
from pathlib import Path
import httpx
from learninggraph.testing import local_server
with local_server(Path(sys.argv[1])) as server:
    httpx.get(server.base_url + "/health")
    print("before", "learninggraph.dashboard.app" in sys.modules, "starlette" in sys.modules, "jinja2" in sys.modules)
    page = httpx.get(server.base_url + "/_learninggraph/dashboard/")
    print("after", "learninggraph.dashboard.app" in sys.modules, page.status_code < 500)
"""


@pytest.mark.backend_independent
def test_the_dashboard_is_not_imported_until_its_first_request(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "lazy.db")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split("\n")

    assert out[:2] == ["before False False False", "after True True"]


def test_the_mounted_prefix_is_the_dashboards_own() -> None:
    assert MOUNTED_PREFIX == PREFIX
