"""docs/parity.md is what the generator writes from docs/parity.toml, and every claim in it names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests import parity

DECISIONS = """# Decisions

## Course activities
- Update answers 204; with `Prefer: return=representation` it answers 200.
- Self-initiated `status`: `inProgress` or `completed` under v1.0.
"""

TEST_FILE = """
def test_a_module_level_test() -> None:
    pass


class TestUpdate:
    def test_an_update_answers_204(self) -> None:
        pass

    def helper(self) -> None:
        pass


class Helper:
    def test_not_collected(self) -> None:
        pass
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "tests" / "node").mkdir(parents=True)
    (tmp_path / "tests" / "test_update.py").write_text(TEST_FILE, encoding="utf-8")
    (tmp_path / "tests" / "node" / "flow.test.mjs").write_text("test('the provider flow', () => {});\n")
    return tmp_path


def rows_of(tmp_path: Path, text: str) -> list[parity.Row]:
    inventory = tmp_path / "parity.toml"
    inventory.write_text(text, encoding="utf-8")
    return parity.load(inventory)


def problems_of(tree: Path, text: str) -> list[str]:
    return parity.check(rows_of(tree, text), parity.TestIndex(tree), DECISIONS)


def seed(status: str, tests: str = "", extra: str = "") -> str:
    return f"""
[[seed]]
seed = "001"
example = "1"
request = "PATCH /x"
answer = "204"
status = "{status}"
tests = [{tests}]
{extra}
"""


class TestThePublishedReport:
    def test_the_report_is_what_the_generator_writes_from_the_inventory(self) -> None:
        text, _ = parity.report()

        assert parity.REPORT.read_text(encoding="utf-8") == text, (
            "docs/parity.md is stale: python -m tests.parity"
        )

    def test_the_inventory_has_no_problems(self) -> None:
        _, problems = parity.report()

        assert problems == []

    def test_every_section_has_rows(self) -> None:
        sections = {row.section.key for row in parity.load()}

        assert sections == {section.key for section in parity.SECTIONS}


class TestTheIndexOfTests:
    def test_tests_are_found_at_module_level_and_in_test_classes_only(self, tree: Path) -> None:
        index = parity.TestIndex(tree)

        assert index.node_ids("tests/test_update.py") == (
            "tests/test_update.py::test_a_module_level_test",
            "tests/test_update.py::TestUpdate::test_an_update_answers_204",
        )

    def test_a_pattern_names_every_test_it_matches(self, tree: Path) -> None:
        found = parity.TestIndex(tree).resolve("tests/test_update.py::*")

        assert len(found) == 2

    def test_a_test_of_another_language_is_named_by_its_file_and_a_text_in_it(self, tree: Path) -> None:
        index = parity.TestIndex(tree)

        assert index.resolve("tests/node/*.mjs") == ["tests/node/flow.test.mjs"]
        assert index.resolve("tests/node/flow.test.mjs::the provider flow") != []
        assert index.resolve("tests/node/flow.test.mjs::the consumer flow") == []


class TestTheChecks:
    def test_a_supported_row_with_real_tests_passes(self, tree: Path) -> None:
        problems = problems_of(
            tree, seed("supported", '"tests/test_update.py::TestUpdate::test_an_update_answers_204"')
        )

        assert problems == []

    def test_a_supported_row_without_a_test_fails(self, tree: Path) -> None:
        assert problems_of(tree, seed("supported")) == [
            "seed 001 1 PATCH /x 204: supported but names no test"
        ]

    def test_a_supported_row_naming_a_missing_test_fails(self, tree: Path) -> None:
        problems = problems_of(tree, seed("supported", '"tests/test_update.py::TestUpdate::test_gone"'))

        assert problems == [
            "seed 001 1 PATCH /x 204: no test matches tests/test_update.py::TestUpdate::test_gone"
        ]

    def test_a_not_supported_row_may_name_a_test_still_to_come(self, tree: Path) -> None:
        assert problems_of(tree, seed("not supported", '"tests/test_update.py::test_seed_001_*"')) == []

    def test_a_different_row_needs_a_reason_and_a_decision(self, tree: Path) -> None:
        problems = problems_of(tree, seed("different"))

        assert problems == [
            "seed 001 1 PATCH /x 204: different, so it needs a note (the reason) and a decision"
        ]

    def test_a_decision_must_match_exactly_one_line_of_the_decisions(self, tree: Path) -> None:
        extra = 'note = "why"\ndecision = "answers 200"'

        assert problems_of(tree, seed("different", extra=extra)) == []
        assert problems_of(tree, seed("different", extra=extra.replace("answers 200", "`"))) == [
            "seed 001 1 PATCH /x 204: decision '`' matches 2 lines of decisions.md"
        ]
        assert problems_of(tree, seed("different", extra=extra.replace("answers 200", "under beta"))) == [
            "seed 001 1 PATCH /x 204: decision 'under beta' matches 0 lines of decisions.md"
        ]

    def test_an_unknown_status_fails(self, tree: Path) -> None:
        problems = problems_of(tree, seed("partly"))

        assert problems == [f"seed 001 1 PATCH /x 204: status 'partly' is not one of {parity.STATUSES}"]

    def test_a_row_listed_twice_fails(self, tree: Path) -> None:
        row = seed("not supported")

        assert problems_of(tree, row + row) == ["seed 001 1 PATCH /x 204: listed twice"]

    def test_a_row_missing_an_identifying_column_fails(self, tree: Path) -> None:
        problems = problems_of(tree, seed("not supported").replace('answer = "204"\n', ""))

        assert problems == ["seed 001 1 PATCH /x : missing answer"]


class TestTheRendering:
    def test_a_row_links_its_tests_and_its_decision_and_shows_pending_tests(self, tree: Path) -> None:
        tests = '"tests/test_update.py::TestUpdate::test_an_update_answers_204", "tests/x.py::test_to_come"'
        rows = rows_of(tree, seed("different", tests, 'note = "why"\ndecision = "answers 200"'))

        text = parity.render(rows, parity.TestIndex(tree), DECISIONS)

        assert (
            "| 001 | 1 | `PATCH /x` | 204 | **different** | why<br>[decisions.md › Course activities]"
            "(decisions.md#course-activities): “answers 200” | "
            "[test_update.py::TestUpdate::test_an_update_answers_204](../tests/test_update.py)"
            "<br>pending: `tests/x.py::test_to_come` |"
        ) in text

    def test_the_summary_counts_each_status(self, tree: Path) -> None:
        rows = rows_of(tree, seed("not supported") + seed("not supported").replace('"001"', '"002"'))

        text = parity.render(rows, parity.TestIndex(tree), DECISIONS)

        assert "| [Seed examples](#seed-examples) | 0 | 0 | 2 | 2 |" in text


def operation_key(method: str, path: str) -> tuple[str, str]:
    """A method and path form compared without parameter names or key casing: `{registrationId}` is `{provider}`."""
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path).lower()


class TestTheOperationsAgainstTheRouteTable:
    """The route table, as /openapi.json publishes it, against the inventory's operations.

    `$batch` and `$metadata` are served beside the route table, so they are left out of both sides.
    """

    @pytest.fixture
    def served(self, base_url: str) -> dict[str, set[tuple[str, str]]]:
        paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]
        by_version: dict[str, set[tuple[str, str]]] = {}
        for path, operations in paths.items():
            version, _, rest = path[1:].partition("/")
            if rest.startswith("$"):
                continue
            by_version.setdefault(version, set()).update(operation_key(m, f"/{rest}") for m in operations)
        return by_version

    def inventory(self, *statuses: str) -> set[tuple[str, str]]:
        return {
            operation_key(row.values["method"], row.values["path"])
            for row in parity.load()
            if row.section.key == "operation"
            and row.status in statuses
            and not row.values["path"].startswith("/$")
        }

    def test_both_versions_serve_the_same_operations(self, served: dict[str, set[tuple[str, str]]]) -> None:
        assert served["beta"] == served["v1.0"]

    def test_every_served_operation_is_in_the_inventory(
        self, served: dict[str, set[tuple[str, str]]]
    ) -> None:
        assert served["v1.0"] - self.inventory(*parity.STATUSES) == set()

    def test_every_supported_or_different_operation_is_served(
        self, served: dict[str, set[tuple[str, str]]]
    ) -> None:
        assert self.inventory(parity.SUPPORTED, parity.DIFFERENT) - served["v1.0"] == set()

    def test_no_operation_marked_not_supported_is_served(
        self, served: dict[str, set[tuple[str, str]]]
    ) -> None:
        assert self.inventory(parity.NOT_SUPPORTED) & served["v1.0"] == set()
