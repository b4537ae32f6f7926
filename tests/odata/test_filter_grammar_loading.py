"""odata-query's grammar is built on the first ``$filter`` parsed, not when the server is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHILD = r"""
import sys
import learninggraph.app
from learninggraph.odata.filter import parse_filter
from tests.odata.sample_entity import ACTIVITY
print("imported", "odata_query.grammar" in sys.modules)
parse_filter("displayName eq 'x'", ACTIVITY)
print("parsed", "odata_query.grammar" in sys.modules)
"""


@pytest.mark.backend_independent
def test_the_filter_grammar_is_built_on_the_first_filter_not_at_import() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split("\n")

    assert out[:2] == ["imported False", "parsed True"]
