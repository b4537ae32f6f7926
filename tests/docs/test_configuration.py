"""The configuration file: precedence flags > environment > file > defaults, unknown keys refused, and the table in
docs/configuration.md listing every Settings field and every serve flag."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from learninggraph.cli import _parser
from learninggraph.serve_options import parse_with_config
from learninggraph.settings import Settings

TABLE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def serve_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _parser().parse_args(["serve"]).serve_parser
    return parser


def table_rows() -> list[list[str]]:
    rows = [
        line.strip().strip("|").split("|") for line in TABLE.read_text().splitlines() if line.startswith("| ")
    ]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def written(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_the_table_lists_every_settings_field() -> None:
    listed = {cell.strip("`") for row in table_rows() for cell in [row[3]]}

    assert {f.name for f in dataclasses.fields(Settings)} - listed == set()


def test_the_table_lists_every_serve_flag() -> None:
    listed = {flag for row in table_rows() for flag in re.findall(r"--[a-z-]+", row[1])}
    flags = {
        o for a in serve_parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"
    }

    assert flags - listed == set()


def test_a_file_sets_serve_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEARNINGGRAPH_LOG_FORMAT", raising=False)
    config = written(
        tmp_path / "lg.toml", 'port = 9001\nlog_format = "json"\ntrust_issuer = ["https://a/v2.0=T"]\n'
    )

    args = parse_with_config(_parser(), ["serve", "--config", config])

    assert (args.port, args.log_format, args.trust_issuer) == (9001, "json", ["https://a/v2.0=T"])


def test_a_flag_wins_over_the_file(tmp_path: Path) -> None:
    config = written(tmp_path / "lg.toml", "port = 9001\n")

    args = parse_with_config(_parser(), ["serve", "--config", config, "--port", "9002"])

    assert args.port == 9002


def test_an_environment_variable_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = written(tmp_path / "lg.toml", 'database = "sqlite:///from-file.db"\n')
    monkeypatch.setenv("LEARNINGGRAPH_DATABASE_URL", "sqlite:///from-env.db")

    args = parse_with_config(_parser(), ["serve", "--config", config])

    assert args.database == "sqlite:///from-env.db"


def test_the_file_can_be_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNINGGRAPH_CONFIG", written(tmp_path / "lg.toml", "workers = 3\n"))

    assert parse_with_config(_parser(), ["serve"]).workers == 3


def test_an_unknown_key_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = written(tmp_path / "lg.toml", "prot = 9001\n")

    with pytest.raises(SystemExit) as exit_:
        parse_with_config(_parser(), ["serve", "--config", config])

    assert exit_.value.code == 2 and "unknown setting 'prot'" in capsys.readouterr().err


def test_a_value_of_the_wrong_type_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = written(tmp_path / "lg.toml", 'port = "eighty"\n')

    with pytest.raises(SystemExit):
        parse_with_config(_parser(), ["serve", "--config", config])

    assert "'port'" in capsys.readouterr().err
