"""``permission_table``: each operation's declared permissions, from the same declarations the edge enforces."""

from __future__ import annotations

import pytest

from learninggraph.domain.permissions import CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL
from learninggraph.resources.registry import permission_table

pytestmark = pytest.mark.backend_independent


def test_the_table_names_what_an_operation_accepts_from_each_kind_of_caller() -> None:
    table = permission_table()

    assert table["learningContents.create"].application == frozenset({CONTENT_READ_WRITE_ALL})
    assert table["learningContents.get"].application == frozenset({CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL})
    assert table["learningProviders.create"].application == frozenset()


def test_the_public_routes_taking_no_token_are_not_in_the_table() -> None:
    assert "identity.token" not in permission_table()
