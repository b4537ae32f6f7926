"""Every README example runs as written, against a server started for the purpose.

The only differences from a reader's terminal: the server listens on a free port instead of 8000 (so the text
``127.0.0.1:8000`` is swapped for it), its database is a throwaway file named by ``LEARNINGGRAPH_DATABASE_URL``,
and ``.venv`` is this test run's virtual environment. Blocks marked ``<!-- not run: reason -->`` are left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from learninggraph.identity.dev import DEV_USER_ID
from tests.distribution.processes import free_port, started, wait_until_healthy
from tests.distribution.readme_blocks import Block, readme_blocks

# Each runs its own server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

BLOCKS = readme_blocks()
FIRST_FIVE_MINUTES = "First five minutes"  # run by a test of its own, which also checks what it prints
RUN = [b for b in BLOCKS if not b.mark.startswith("not run") and b.heading != FIRST_FIVE_MINUTES]
VENV = Path(sys.prefix)


@dataclass
class Reader:
    """A reader's terminal: a directory with .venv, learninggraph on PATH and a server on ``port``."""

    cwd: Path
    port: int
    env: dict[str, str]

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    cwd = tmp_path_factory.mktemp("reader")
    (cwd / ".venv").symlink_to(VENV)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNINGGRAPH_")}
    env.update(
        PATH=f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        LEARNINGGRAPH_DATABASE_URL=f"sqlite:///{cwd / 'readme.db'}",
        LEARNINGGRAPH_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    argv = [sys.executable, "-m", "learninggraph", "serve", "--port", str(port)]
    with started(argv, cwd=cwd, env=env) as server:
        wait_until_healthy(f"http://127.0.0.1:{port}", server.process)
        yield Reader(cwd, port, env)


def _as_run(block: Block, reader: Reader) -> str:
    return block.code.replace("127.0.0.1:8000", f"127.0.0.1:{reader.port}")


@pytest.mark.parametrize("block", RUN, ids=[block.id for block in RUN])
def test_the_readme_example_runs_as_written(block: Block, reader: Reader) -> None:
    code = _as_run(block, reader)
    script = reader.cwd / f"{block.id}.{'sh' if block.language == 'sh' else 'py'}"
    if block.mark == "run with pytest":
        script = reader.cwd / f"test_{block.id.replace('-', '_')}.py"
    script.write_text(code)

    if block.language == "sh":
        result = reader.run(["bash", "-c", f"set -euo pipefail\n{code}"])
    elif block.mark == "run with pytest":
        result = reader.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", script.name])
    else:
        result = reader.run([sys.executable, script.name])

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_the_first_five_minutes_end_with_the_learners_assignment(reader: Reader) -> None:
    (block,) = [block for block in BLOCKS if block.heading == FIRST_FIVE_MINUTES]

    result = reader.run(["bash", "-c", f"set -euo pipefail\n{_as_run(block, reader)}"])

    assert result.returncode == 0, result.stderr
    activities = json.loads(result.stdout.splitlines()[-1])["value"]
    assert [(a["learnerUserId"], a["status"]) for a in activities] == [(DEV_USER_ID, "notStarted")]


def test_only_a_few_readme_examples_are_left_out_and_each_says_why() -> None:
    left_out = [block for block in BLOCKS if block.mark.startswith("not run")]

    assert len(left_out) <= 4
    assert all(len(block.mark.removeprefix("not run:").strip()) > 10 for block in left_out)


def test_the_pytest_examples_are_test_files() -> None:
    blocks = [block for block in BLOCKS if block.mark == "run with pytest"]

    assert len(blocks) >= 3
    assert all("def test_" in block.code for block in blocks)
    assert "def my_sync(" in blocks[0].code


def test_the_vendor_walkthrough_explains_a_red_test_with_the_journal() -> None:
    (walkthrough,) = [block for block in BLOCKS if "def test_the_journal_explains_the_red_test" in block.code]

    assert walkthrough.mark == "run with pytest"
    assert "learninggraph.explain(" in walkthrough.code and "entry.decision.hint" in walkthrough.code
