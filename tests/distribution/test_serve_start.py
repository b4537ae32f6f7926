"""``serve`` as a user starts it: one error line on a busy port, and a banner whose commands run as printed."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from learninggraph.identity.dev import DEV_USER_ID
from tests.distribution.processes import environment_without, free_port, started, wait_until_healthy

# Each runs its own server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
DELEGATED = "or a delegated one: "


def test_a_second_serve_on_a_busy_port_says_so_in_one_line_announces_nothing_and_creates_nothing(
    tmp_path: Path,
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        database = f"sqlite:///{tmp_path / 'second.db'}"

        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "learninggraph",
                "serve",
                "--port",
                str(port),
                "--database",
                str(database),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"learninggraph: error: cannot listen on 127.0.0.1:{port}: ")
    assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def _run_the_banners_token_command(tmp_path: Path, argv: list[str], cwd: Path, port: int) -> None:
    env = environment_without(VENV_BIN)
    with started(argv, cwd=cwd, env=env) as server:
        user_id_line = server.line_starting("userId")
        hint = server.line_starting(DELEGATED).removeprefix(DELEGATED)
        wait_until_healthy(f"http://127.0.0.1:{port}", server.process)

        minted = subprocess.run(
            ["bash", "-c", hint], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
        )
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1.0/employeeExperience/learningProviders",
            headers={"Authorization": f"Bearer {minted.stdout.strip()}"},
            timeout=30,
        )

    assert user_id_line.split()[1] == DEV_USER_ID
    assert minted.returncode == 0, minted.stderr
    assert response.status_code == 200, response.text


def test_the_banners_token_command_runs_as_printed_from_a_shell_without_the_venv_on_its_path(
    tmp_path: Path,
) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "learninggraph", "serve", "--port", str(port)]

    _run_the_banners_token_command(tmp_path, [*argv, "--database", "sqlite:///./here.db"], tmp_path, port)


def test_the_banners_token_command_runs_as_printed_after_scripts_serve_from_another_directory(
    tmp_path: Path,
) -> None:
    digest = subprocess.run(["sha256sum", str(ROOT / "pyproject.toml")], capture_output=True, text=True)
    stamp = ROOT / ".venv" / ".installed-dev"
    if not stamp.is_file() or stamp.read_text().strip() != digest.stdout.split()[0]:
        pytest.skip("scripts/serve would install: this checkout's .venv is not scripts/install's current one")
    port = free_port()
    argv = ["bash", str(ROOT / "scripts" / "serve"), "--port", str(port)]

    _run_the_banners_token_command(
        tmp_path, [*argv, "--database", f"sqlite:///{tmp_path / 'served.db'}"], tmp_path, port
    )


def test_the_banner_names_the_dashboards_address_and_it_answers(tmp_path: Path) -> None:
    port = free_port()
    database = f"sqlite:///{tmp_path / 'banner.db'}"
    argv = [sys.executable, "-m", "learninggraph", "serve", "--port", str(port), "--database", database]
    with started(argv, cwd=tmp_path, env=environment_without(VENV_BIN)) as server:
        line = server.line_starting("The dashboard: ")
        wait_until_healthy(f"http://127.0.0.1:{port}", server.process)
        address = line.removeprefix("The dashboard: ").strip()
        response = httpx.get(address, follow_redirects=True, timeout=30)

    assert address == f"http://127.0.0.1:{port}/_learninggraph/dashboard/"
    assert response.status_code == 200
    assert "Sign in" in response.text
