"""Fault rules from TOML files: valid rules load; every mistake is refused with where and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from learninggraph.faults.rules import Action, FaultRuleError, new_rule
from learninggraph.faults.rules_file import FaultRulesFileError, load_rules_file

pytestmark = pytest.mark.backend_independent

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _load(tmp_path: Path, text: str, **kwargs: object) -> list[object]:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return list(load_rules_file(path, now=NOW, **kwargs))  # type: ignore[arg-type]


def test_a_file_of_rules_loads_in_order_with_each_kind(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        """
        [[fault]]
        tenant = "t1"
        method = "patch"
        route = "*learningCourseActivities*"
        status = 429
        retry_after = 3
        count = "once"

        [[fault]]
        tenant = "t1"
        latency_ms = 250
        probability = 0.5

        [[fault]]
        tenant = "t1"
        app = "vendor"
        drop = true
        duration_seconds = 60
        """,
        encoding="utf-8",
    )

    first, second, third = load_rules_file(path, now=NOW)

    assert (first.action, first.status, first.retry_after, first.remaining, first.method) == (
        Action.STATUS,
        429,
        3,
        1,
        "PATCH",
    )
    assert (second.action, second.latency_ms, second.probability) == (Action.LATENCY, 250, 0.5)
    assert (third.action, third.app_id, third.starts_at, third.ends_at) == (
        Action.DROP,
        "vendor",
        NOW,
        NOW + timedelta(seconds=60),
    )


def test_a_rule_without_a_tenant_takes_the_one_given(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[fault]]\nstatus = 503\n", encoding="utf-8")

    [rule] = load_rules_file(path, tenant_id="given")

    assert rule.tenant_id == "given"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[fault]\nstatus = 429", "not valid TOML"),
        (
            "[[fault]]\ntenant = 't'\nstatus = 418",
            "fault 1: status 418 is not one of 429, 500, 502, 503, 504",
        ),
        ("[[fault]]\ntenant = 't'\nstauts = 429", "fault 1: unknown key 'stauts'"),
        ("[[fault]]\nstatus = 429", "fault 1: no tenant"),
        ("[[fault]]\ntenant = 't'", "fault 1: a fault needs a status, a latency or drop"),
        ("[[fault]]\ntenant = 't'\nstatus = '429'", "fault 1: status must be int, not str"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\nprobability = 1.5", "probability 1.5 must be above 0"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\ncount = 'sometimes'", "count 'sometimes'"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\ncount = 0", "count 0 must be at least 1"),
        ("[[fault]]\ntenant = 't'\nstatus = 500\nretry_after = 2", "retry_after"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\ndrop = true", "not both"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\nmethod = 'BREW'", "method 'BREW'"),
        ("[[fault]]\ntenant = 't'\nstatus = 503\nstart = 2026-01-01T00:00:00", "needs a time zone"),
        (
            "[[fault]]\ntenant = 't'\nstatus = 503\nstart = 2026-01-02T00:00:00Z\nend = 2026-01-01T00:00:00Z",
            "ends before it starts",
        ),
        ("[[fault]]\ntenant = 't'\nstatus = 503\n[[fault]]\ntenant = 't'\nstatus = 1", "fault 2: status 1"),
        ("status = 429", "unknown top-level key 'status'"),
        ("", "no [[fault]] rule"),
    ],
)
def test_a_mistake_in_the_file_is_refused_naming_the_file_the_rule_and_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(FaultRulesFileError) as raised:
        _load(tmp_path, text)

    assert str(raised.value).startswith(str(tmp_path / "rules.toml"))
    assert message in str(raised.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FaultRulesFileError, match=r"missing\.toml: cannot read it"):
        load_rules_file(tmp_path / "missing.toml")


def test_a_429_rule_without_retry_after_still_tells_clients_when_to_retry() -> None:
    assert new_rule("t", status=429).retry_after == 1


def test_a_rule_with_a_window_in_local_time_is_refused() -> None:
    with pytest.raises(FaultRuleError, match="time zone"):
        new_rule("t", status=503, starts_at=datetime(2026, 1, 1))  # noqa: DTZ001
