"""The command line on first use: only the token on stdout, no database conjured by a reading command, --version."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import PROVIDER_READ
from learninggraph.identity.dev import DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME, ensure_dev_identity
from learninggraph.identity.directory import Directory
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_token_command_prints_only_the_token_on_stdout_and_what_it_is_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    database = Database(url)
    upgrade(database)
    ensure_dev_identity(Directory(database))
    database.close()

    code, out, err = _run(
        capsys,
        *("token", "--tenant", DEV_TENANT_ID, "--user", DEV_USER_PRINCIPAL_NAME),
        *("--scope", PROVIDER_READ, "--database", url),
    )

    assert code == 0
    assert len(out.splitlines()) == 1 and out.count(".") == 2  # header.payload.signature
    assert "# delegated token for" in err and f"# scp: {PROVIDER_READ}" in err


READING_COMMANDS = {
    "dev-credentials": ["dev-credentials"],
    "users create": ["users", "create", "--tenant", "t", "--name", "Ada"],
    "apps create": ["apps", "create", "--tenant", "t", "--name", "Sync"],
    "token": ["token", "--tenant", "t", "--user", "ada", "--scope", PROVIDER_READ],
    "keys rotate": ["keys", "rotate"],
    "users license grant": ["users", "license", "grant", "--tenant", "t", "--user", "ada"],
    "apps delete": ["apps", "delete", "--client-id", "c"],
}


@pytest.mark.parametrize("argv", READING_COMMANDS.values(), ids=READING_COMMANDS.keys())
def test_a_command_that_needs_existing_records_on_a_missing_database_names_the_path_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    missing = tmp_path / "nowhere.db"

    code, out, err = _run(capsys, *argv, "--database", f"sqlite:///{missing}")

    assert code == 2 and out == ""
    assert err == f"learninggraph: error: no database at {missing} (give --database, or run " + (
        "'learninggraph serve' or 'learninggraph tenants create' to create one)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_is_not_created_in_the_working_directory_by_dev_credentials(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNINGGRAPH_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    code, _, err = _run(capsys, "dev-credentials")

    assert code == 2 and str(tmp_path / "learninggraph.db") in err
    assert list(tmp_path.iterdir()) == []


def test_dev_cert_opens_no_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNINGGRAPH_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    code, _, _ = _run(capsys, "dev-cert", "--out", "certs")

    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["certs"]


def test_version_prints_the_installed_version_and_exits_0() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "learninggraph", "--version"], capture_output=True, text=True, timeout=60
    )

    assert shown.returncode == 0
    assert shown.stdout == f"learninggraph {version('learninggraph')}\n"
