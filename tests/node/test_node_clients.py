"""Microsoft's Node clients against a real learninggraph over HTTPS: each ``*.test.mjs`` file run by ``node --test``.

The packages are pinned by ``tests/node/package-lock.json`` and installed by ``scripts/test`` (``npm ci``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from learninggraph.identity.certs import write_dev_certificates
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraph, LearningGraphServer, running_server

HERE = Path(__file__).resolve().parent
NODE_TEST_FILES = sorted(path.name for path in HERE.glob("*.test.mjs"))
NODE_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class NodeTarget:
    """The server the Node tests call and the tenant they act in."""

    tenant: LearningGraph
    ca: Path


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed (scripts/test installs it): the Node client suite cannot run")
    if not (HERE / "node_modules" / ".package-lock.json").exists():
        pytest.fail("the Node packages are not installed: run `npm ci` in tests/node (scripts/test does)")
    return found


@pytest.fixture(scope="module")
def target(
    new_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeTarget]:
    ca, cert, key = write_dev_certificates(tmp_path_factory.mktemp("node-certs"))
    database_url = new_database_url()
    settings = Settings(database_url=database_url, create_dev_identity=False)
    with running_server(settings, ssl_certfile=str(cert), ssl_keyfile=str(key)) as base_url:
        database = Database(database_url)
        try:
            # One tenant for every file: an app holding every learning application permission and a
            # licensed user with a password (the grants live in one place, LearningGraphServer.new_tenant).
            tenant = LearningGraphServer(base_url, Directory(database)).new_tenant("Contoso")
            yield NodeTarget(tenant, ca)
        finally:
            database.close()


def _environment(target: NodeTarget) -> dict[str, str]:
    tenant = target.tenant
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "NODE_EXTRA_CA_CERTS": str(target.ca),
        # Loopback only, whatever proxy the machine names.
        "NO_PROXY": "*",
        "LG_BASE_URL": tenant.base_url,
        "LG_TENANT_ID": tenant.tenant_id,
        "LG_CLIENT_ID": tenant.client_id,
        "LG_CLIENT_SECRET": tenant.client_secret,
        "LG_USERNAME": tenant.user_principal_name,
        "LG_PASSWORD": tenant.password,
        "LG_USER_ID": tenant.user_id,
    }


@pytest.mark.parametrize("test_file", NODE_TEST_FILES)
def test_the_node_client_suite_passes(node: str, target: NodeTarget, test_file: str) -> None:
    finished = subprocess.run(
        [node, "--test", "--test-reporter=spec", test_file],
        cwd=HERE,
        env=_environment(target),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )

    assert finished.returncode == 0, f"node --test {test_file} failed:\n{finished.stdout}\n{finished.stderr}"
    counts = dict(re.findall(r"^ℹ (pass|fail) (\d+)$", finished.stdout, re.MULTILINE))
    assert counts.get("fail") == "0" and int(counts.get("pass", "0")) > 0, finished.stdout
