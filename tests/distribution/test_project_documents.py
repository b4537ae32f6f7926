"""The project's own documents: a changelog in Keep a Changelog's form, a contributing guide whose development
loop names scripts that exist (``tests/distribution/test_package.py`` checks that the sdist ships them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Reads files only: one pass is enough.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]
# The kinds of change Keep a Changelog 1.1.0 names.
CHANGE_TYPES = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _headings(level: str) -> list[str]:
    return re.findall(rf"^{level} (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.M)


def test_the_changelog_opens_with_unreleased_and_dates_every_release() -> None:
    releases = _headings("##")

    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog\n")
    assert releases[0] == "[Unreleased]"
    for release in releases[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", release), release


def test_the_changelog_sorts_changes_under_keep_a_changelogs_kinds_only() -> None:
    assert set(_headings("###")) <= CHANGE_TYPES


def test_every_script_of_the_contributing_guides_development_loop_exists_and_is_executable() -> None:
    named = set(re.findall(r"^(scripts/[\w-]+)", (ROOT / "CONTRIBUTING.md").read_text(), re.M))

    assert {"scripts/install", "scripts/test"} <= named
    for script in named:
        assert (ROOT / script).is_file() and (ROOT / script).stat().st_mode & 0o111, script


def test_the_readme_starts_with_two_set_up_commands_each_a_script_of_the_repository() -> None:
    start = re.search(r"^## Start\n.*?```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    assert start is not None, "README.md lost its Start block"
    commands = [line.split("#")[0].strip() for line in start.group(1).splitlines() if line.strip()]

    assert commands == ["./scripts/serve", "./scripts/test"]
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111, command
