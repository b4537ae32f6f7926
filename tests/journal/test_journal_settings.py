"""The journal's serve settings: ``--no-journal`` and ``--journal-max-entries``, their variables and file keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from learninggraph.cli import _parser
from learninggraph.serve_options import observability_settings, parse_with_config

pytestmark = pytest.mark.backend_independent


def _settings(argv: list[str], environ: dict[str, str] | None = None) -> dict[str, object]:
    return observability_settings(parse_with_config(_parser(), ["serve", *argv]), environ or {})


def test_the_journal_is_on_unless_a_flag_says_otherwise() -> None:
    assert _settings([])["journal"] is None  # the Settings default: on
    assert _settings(["--no-journal"])["journal"] is False


def test_the_environment_turns_the_journal_off_and_bounds_it() -> None:
    values = _settings([], {"LEARNINGGRAPH_JOURNAL": "0", "LEARNINGGRAPH_JOURNAL_MAX_ENTRIES": "500"})

    assert (values["journal"], values["journal_max_entries_per_tenant"]) == (False, 500)


def test_the_flag_bound_wins_over_the_environment() -> None:
    values = _settings(["--journal-max-entries", "7"], {"LEARNINGGRAPH_JOURNAL_MAX_ENTRIES": "500"})

    assert values["journal_max_entries_per_tenant"] == 7


def test_a_configuration_file_sets_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEARNINGGRAPH_JOURNAL", raising=False)
    monkeypatch.delenv("LEARNINGGRAPH_JOURNAL_MAX_ENTRIES", raising=False)
    config = tmp_path / "lg.toml"
    config.write_text("no_journal = true\njournal_max_entries = 20\n")

    values = _settings(["--config", str(config)])

    assert (values["journal"], values["journal_max_entries_per_tenant"]) == (False, 20)


def test_a_bound_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="LEARNINGGRAPH_JOURNAL_MAX_ENTRIES"):
        _settings([], {"LEARNINGGRAPH_JOURNAL_MAX_ENTRIES": "many"})
