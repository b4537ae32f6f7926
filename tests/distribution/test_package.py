"""The release artefacts: ``python -m build`` gives an sdist and a wheel that pass ``twine check``, and the
wheel, installed into a fresh virtual environment, serves Graph.

The fresh environment gets the wheel's declared dependencies from the package index pip is configured with, as a
user's would: that is what proves the metadata lists everything the server imports. (Reusing this environment's
packages would hide a missing dependency.) The artefacts are built once per test session.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT_ID
from tests.distribution.processes import environment_without, free_port, started, wait_until_healthy

# Each runs its own server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]


def _check(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel), the wheel built from the sdist as ``python -m build`` does."""
    out = tmp_path_factory.mktemp("dist")
    _check([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    (sdist,) = out.glob("learninggraph-*.tar.gz")
    (wheel,) = out.glob("learninggraph-*-py3-none-any.whl")
    return sdist, wheel


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_the_sdist_and_the_wheel_pass_twine_check(artefacts: tuple[Path, Path]) -> None:
    result = _check([sys.executable, "-m", "twine", "check", "--strict", *map(str, artefacts)], cwd=ROOT)

    assert result.stdout.count("PASSED") == 2


def test_the_wheel_declares_licence_python_versions_classifiers_urls_and_its_readme(
    artefacts: tuple[Path, Path],
) -> None:
    metadata = _metadata(artefacts[1])

    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.11"
    assert "Typing :: Typed" in metadata.get_all("Classifier", [])
    assert "Programming Language :: Python :: 3.11" in metadata.get_all("Classifier", [])
    assert any(url.startswith("Changelog, ") for url in metadata.get_all("Project-URL", []))
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "## First five minutes" in str(metadata.get_payload())


def test_the_wheel_holds_the_typing_marker_the_licence_and_both_entry_points(
    artefacts: tuple[Path, Path],
) -> None:
    with zipfile.ZipFile(artefacts[1]) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        declared = archive.read(entry_points).decode()

    assert "learninggraph/py.typed" in names
    assert {
        "learninggraph/dashboard/templates/base.html",
        "learninggraph/dashboard/static/htmx.min.js",
        "learninggraph/dashboard/static/chart.umd.min.js",
        "learninggraph/dashboard/static/THIRD-PARTY-LICENSES.txt",
    } <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    assert "learninggraph = learninggraph.cli:main" in declared
    assert "learninggraph = learninggraph.pytest_plugin" in declared


def test_the_installed_wheel_serves_grants_a_token_and_answers_an_api_call(
    artefacts: tuple[Path, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "fresh"
    _check([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    _check([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(artefacts[1])], cwd=tmp_path)
    port = free_port()
    env = environment_without(Path(sys.executable).parent)
    argv = [str(venv / "bin" / "learninggraph"), "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"

    with started([*argv, "--database", "sqlite:///served.db"], cwd=tmp_path, env=env) as server:
        wait_until_healthy(base, server.process)
        token = httpx.post(
            f"{base}/{DEV_TENANT_ID}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": DEV_CLIENT_ID,
                "client_secret": DEV_CLIENT_SECRET,
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        ).json()["access_token"]
        answer = httpx.get(
            f"{base}/v1.0/employeeExperience/learningCourseActivities",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        sign_in = httpx.get(f"{base}/_learninggraph/dashboard/sign-in", timeout=30)
        script = httpx.get(f"{base}/_learninggraph/dashboard/static/dashboard.js", timeout=30)
        served_from = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import learninggraph; print(learninggraph.__file__)"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": ""},
        )

    assert answer.status_code == 200 and answer.json()["value"] == []
    assert sign_in.status_code == 200 and "Sign in as the development administrator" in sign_in.text
    assert script.status_code == 200 and "Chart" in script.text
    assert Path(served_from.stdout.strip()).is_relative_to(venv)


def test_the_sdist_ships_the_licence_changelog_and_contributing_guide(
    artefacts: tuple[Path, Path],
) -> None:
    sdist, _ = artefacts
    with tarfile.open(sdist) as archive:
        names = {Path(name).name for name in archive.getnames() if name.count("/") == 1}

    assert {"LICENSE", "CHANGELOG.md", "CONTRIBUTING.md", "README.md"} <= names
