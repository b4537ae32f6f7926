"""Every rule name the code can journal is listed in docs/journal.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]
# A rule is the first argument of an Explanation or of the token service's _unauthorized.
RULE = re.compile(r'(?:Explanation\(|_unauthorized\()\s*"([a-z]+\.[A-Za-z]+)"')


def test_every_rule_in_the_code_is_in_the_journal_page() -> None:
    code = "\n".join(p.read_text() for p in (ROOT / "src" / "learninggraph").rglob("*.py"))
    documented = set(re.findall(r"^\| `([^`]+)` \|", (ROOT / "docs" / "journal.md").read_text(), re.M))

    rules = set(RULE.findall(code))

    assert len(rules) > 20
    assert rules - documented == set()
