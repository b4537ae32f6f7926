"""What the test kit leaves unimported until a test needs it: its first test starts sooner for everything that is
not loaded (each name below cost the kit's start milliseconds before), and what is loaded later still works."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

# Each starts a server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

CHILD = r"""
import json, sys
from pathlib import Path
from learninggraph.testing import local_server
with local_server(Path(sys.argv[1])) as server:
    tenant = server.new_tenant()
    before = sorted(sys.modules)
    tenant.app_token()
    after_token = sorted(sys.modules)
    journal = tenant.journal()
    after_journal = sorted(sys.modules)
import uvicorn
from uvicorn import Config, Server, main, run
cli = sys.modules["uvicorn.main"]
print(json.dumps({"before": before, "after_token": after_token, "after_journal": after_journal,
                  "journal": [entry.operation for entry in journal],
                  "uvicorn": {"version": uvicorn.__version__, "run": run is cli.run,
                              "main": main is cli.main, "Config": Config is uvicorn.config.Config,
                              "Server": Server is uvicorn.server.Server, "all": sorted(uvicorn.__all__)}}))
"""

# Not needed before the first test: the dashboard, the admin API's views and client, the journal's reports, the
# OpenAPI document's builders, the command line, bulk transfer, PyJWT (the service signs its own tokens) with
# cryptography's X.509 parsers, urllib's HTTP client, ctypes.util (its ldconfig subprocess), prometheus-client;
# uvicorn's command line and supervisors (click, watchfiles, multiprocessing), cryptography's serialization
# package (its SSH formats with DSA, EC and the ciphers).
UNNEEDED_AT_START = (
    "learninggraph.dashboard.app",
    "starlette",
    "jinja2",
    "learninggraph.admin.fault_views",
    "learninggraph.admin.journal_views",
    "learninggraph.admin.openapi",
    "learninggraph.admin_client",
    "learninggraph.journal.render",
    "learninggraph.journal.minimal_permissions",
    "learninggraph.resources.openapi",
    "ctypes.util",
    "tomllib",
    "learninggraph.cli",
    "learninggraph.transfer",
    "jwt",
    "cryptography.x509",
    "http.client",
    "urllib.request",
    "prometheus_client",
    "uvicorn.main",
    "uvicorn.supervisors",
    "click",
    "watchfiles",
    "multiprocessing",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "learninggraph.resources.metadata.document",
    "xml.etree.ElementTree",
    "learninggraph.odata.filter_ast",
    "learninggraph.storage.sql_filter",
    "learninggraph.faults.rules",
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("imports")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(Path(folder) / "kit.db")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result: dict[str, list[str]] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("module", UNNEEDED_AT_START)
def test_the_kit_starts_its_first_test_without_importing(loaded: dict[str, list[str]], module: str) -> None:
    assert module not in loaded["before"]


def test_a_token_is_signed_and_verified_without_pyjwt(loaded: dict[str, list[str]]) -> None:
    assert "jwt" not in loaded["after_token"]
    assert "cryptography.x509" not in loaded["after_token"]


def test_the_admin_api_and_its_client_load_when_a_test_first_reads_its_journal(
    loaded: dict[str, list[str]],
) -> None:
    assert {"learninggraph.admin.journal_views", "learninggraph.admin_client"} <= set(loaded["after_journal"])
    assert loaded["journal"]  # the token request, at least, was journalled and read back


def test_uvicorn_imported_after_the_kit_started_is_the_whole_package(loaded: dict[str, object]) -> None:
    assert loaded["uvicorn"] == {
        "version": importlib.metadata.version("uvicorn"),
        "run": True,
        "main": True,
        "Config": True,
        "Server": True,
        "all": ["Config", "Server", "main", "run"],
    }


def test_a_uvicorn_already_imported_is_left_as_it_is() -> None:
    import uvicorn

    from learninggraph.kit_start import register_uvicorn_package

    assert uvicorn.__version__  # whole, even if a kit server of this process registered it first
    register_uvicorn_package()

    assert sys.modules["uvicorn"] is uvicorn
    assert type(uvicorn) is types.ModuleType
