"""docs/ci.md's shell recipe, run as a CI job would: it serves, waits, hands the credentials to a vendor's tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.distribution.processes import free_port

# Each runs its own server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]
RECIPE = re.search(
    r"<!-- ci-recipe -->\n```sh\n(.*?)^```", (ROOT / "docs" / "ci.md").read_text(), re.S | re.M
)

# A vendor's test: a client-credentials token from the exported token URL, then one Graph call with it.
VENDOR_TEST = """
token=$(curl -fsS "$GRAPH_TOKEN_URL" -d grant_type=client_credentials -d client_id="$GRAPH_CLIENT_ID" \
  -d client_secret="$GRAPH_CLIENT_SECRET" -d scope=https://graph.microsoft.com/.default \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
curl -fsS "$GRAPH_BASE_URL/employeeExperience/learningCourseActivities" -H "Authorization: Bearer $token"
"""


def _run_recipe(tmp_path: Path, port: int, *command: str) -> subprocess.CompletedProcess[str]:
    assert RECIPE is not None, "docs/ci.md lost its <!-- ci-recipe --> block"
    script = tmp_path / "with-learninggraph.sh"
    script.write_text(RECIPE.group(1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNINGGRAPH_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", LEARNINGGRAPH_PORT=str(port))
    return subprocess.run(
        ["bash", str(script), *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_recipe_runs_the_vendors_tests_against_a_ready_server_and_stops_it(tmp_path: Path) -> None:
    port = free_port()

    result = _run_recipe(tmp_path, port, "bash", "-c", VENDOR_TEST)

    assert result.returncode == 0, result.stderr + (tmp_path / "learninggraph.log").read_text()
    assert result.stdout.startswith('{"@odata.context":') and '"value":[]' in result.stdout
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)


def test_the_recipe_fails_when_the_vendors_tests_fail(tmp_path: Path) -> None:
    result = _run_recipe(tmp_path, free_port(), "bash", "-c", "exit 3")

    assert result.returncode == 3


def test_the_github_actions_workflow_installs_learninggraph_and_runs_the_recipe_around_the_tests() -> None:
    page = (ROOT / "docs" / "ci.md").read_text()
    block = re.search(r"## GitHub Actions\n\n```yaml\n(.*?)^```", page, re.S | re.M)
    assert block is not None, "docs/ci.md lost its GitHub Actions workflow"
    steps = re.findall(r"^      - (.+(?:\n        .+)*)", block.group(1), re.M)
    runs = [step.removeprefix("run: ").split("#")[0].strip() for step in steps if step.startswith("run: ")]

    assert "pip install learninggraph" in runs
    # The recipe under the file name the page tells to save it as, around the vendor's test command.
    assert "Save this as `ci/with-learninggraph.sh`" in page
    assert any(run.startswith("bash ci/with-learninggraph.sh ") for run in runs)
    # The log the recipe writes is shown when a step fails.
    assert "if: failure()\n        run: cat learninggraph.log" in steps
