"""``learninggraph faults add|list|clear`` on a real database file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learninggraph.cli import main

pytestmark = pytest.mark.backend_independent


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faults.db'}"


@pytest.fixture
def tenant(capsys: pytest.CaptureFixture[str], url: str) -> str:
    assert main(["tenants", "create", "--database", url, "--json"]) == 0
    return str(json.loads(capsys.readouterr().out)["tenantId"])


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _listed(capsys: pytest.CaptureFixture[str], url: str, tenant: str) -> list[dict[str, Any]]:
    code, out, _ = _run(capsys, "faults", "list", "--database", url, "--tenant", tenant, "--json")
    assert code == 0
    rules: list[dict[str, Any]] = json.loads(out)
    return rules


def test_a_fault_added_from_flags_is_listed_as_given(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str
) -> None:
    code, out, _ = _run(
        capsys,
        *("faults", "add", "--database", url, "--tenant", tenant, "--status", "429", "--retry-after", "5"),
        *("--method", "PATCH", "--route", "*learningCourseActivities*", "--once"),
    )

    [rule] = _listed(capsys, url, tenant)
    assert code == 0
    assert "answer 429 to PATCH *learningCourseActivities* (1 left)" in out
    assert (rule["status"], rule["retryAfter"], rule["remaining"], rule["method"]) == (429, 5, 1, "PATCH")


def test_faults_from_a_rules_file_are_added_in_order(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[[fault]]\nstatus = 503\n\n[[fault]]\nlatency_ms = 200\nprobability = 0.5\n", encoding="utf-8"
    )

    code, _, _ = _run(capsys, "faults", "add", "--database", url, "--tenant", tenant, "--file", str(rules))

    assert code == 0
    assert [(r["action"], r["status"], r["latencyMs"]) for r in _listed(capsys, url, tenant)] == [
        ("status", 503, 0),
        ("latency", None, 200),
    ]


def test_a_bad_rules_file_is_an_error_saying_where_and_adds_nothing(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[fault]]\nstatus = 503\n\n[[fault]]\nstatus = 404\n", encoding="utf-8")

    code, _, err = _run(capsys, "faults", "add", "--database", url, "--tenant", tenant, "--file", str(rules))

    assert code == 2
    assert f"{rules}: fault 2: status 404 is not one of" in err
    assert _listed(capsys, url, tenant) == []


def test_a_fault_for_an_unknown_tenant_is_refused(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str
) -> None:
    code, _, err = _run(capsys, "faults", "add", "--database", url, "--tenant", "nope", "--status", "503")

    assert code == 2
    assert "no tenant nope" in err


def test_clear_removes_one_rule_or_every_rule_of_the_tenant(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str
) -> None:
    for status in ("500", "502", "504"):
        assert main(["faults", "add", "--database", url, "--tenant", tenant, "--status", status]) == 0
    capsys.readouterr()
    first = _listed(capsys, url, tenant)[0]["id"]

    one = _run(capsys, "faults", "clear", "--database", url, "--tenant", tenant, "--rule", first)
    assert [r["status"] for r in _listed(capsys, url, tenant)] == [502, 504]
    rest = _run(capsys, "faults", "clear", "--database", url, "--tenant", tenant)

    assert one[1].strip() == f"Cleared 1 fault rule in tenant {tenant}"
    assert rest[1].strip() == f"Cleared 2 fault rules in tenant {tenant}"
    assert _listed(capsys, url, tenant) == []


def test_rule_flags_with_a_rules_file_are_refused_rather_than_ignored(
    capsys: pytest.CaptureFixture[str], url: str, tenant: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[fault]]\nstatus = 503\n", encoding="utf-8")

    code, _, err = _run(
        capsys,
        "faults",
        "add",
        "--database",
        url,
        "--tenant",
        tenant,
        "--file",
        str(rules),
        "--method",
        "GET",
    )

    assert code == 2
    assert "--method goes with a rule given by flags" in err
    assert _listed(capsys, url, tenant) == []
