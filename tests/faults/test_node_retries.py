"""The official Node SDK (@microsoft/msgraph-sdk: kiota's RetryHandler) rides through injected 429s and 503s.

Runs ``tests/node/sdk-retries.faults.mjs`` with ``node --test`` against a fault server over HTTPS; the packages
are those of the Node client suite (``npm ci`` in tests/node, as scripts/test does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from learninggraph.identity.certs import write_dev_certificates
from learninggraph.settings import Settings
from tests.faults.calls import PROVIDERS, inject, remaining
from tests.faults.serving import fault_server

NODE = Path(__file__).resolve().parents[1] / "node"


def _node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed (scripts/test installs it)")
    if not (NODE / "node_modules" / ".package-lock.json").exists():
        pytest.fail("the Node packages are not installed: run `npm ci` in tests/node (scripts/test does)")
    return found


def test_the_node_sdk_retries_through_injected_429s_and_503s(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    node = _node()
    ca, cert, key = write_dev_certificates(tmp_path)
    settings = Settings(database_url=new_database_url(), create_dev_identity=False)
    with fault_server(settings, ssl_certfile=str(cert), ssl_keyfile=str(key)) as server:
        graph = server.graph.new_tenant()
        throttled = inject(server, graph, status=429, count=2, method="GET", route="*/learningProviders")
        unavailable = inject(
            server, graph, status=503, count=2, method="GET", route="*/learningProviders/$count"
        )
        keep = ("PATH", "HOME", "LANG", "TMPDIR")
        finished = subprocess.run(
            [node, "--test", "--test-reporter=spec", "sdk-retries.faults.mjs"],
            cwd=NODE,
            env={
                **{name: os.environ[name] for name in keep if name in os.environ},
                "NODE_EXTRA_CA_CERTS": str(ca),
                "NO_PROXY": "*",
                "LG_BASE_URL": graph.base_url,
                "LG_TENANT_ID": graph.tenant_id,
                "LG_CLIENT_ID": graph.client_id,
                "LG_CLIENT_SECRET": graph.client_secret,
                "LG_USERNAME": graph.user_principal_name,
                "LG_PASSWORD": graph.password,
                "LG_USER_ID": graph.user_id,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        answered = {
            route: [e.status for e in server.exchanges if e.tenant == graph.tenant_id and e.route == route]
            for route in (PROVIDERS, f"{PROVIDERS}/$count")
        }

        assert finished.returncode == 0, f"{finished.stdout}\n{finished.stderr}"
        assert (remaining(server, throttled), remaining(server, unavailable)) == (0, 0)
    assert answered == {PROVIDERS: [429, 429, 200], f"{PROVIDERS}/$count": [503, 503, 200]}
