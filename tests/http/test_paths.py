"""Path segments and key literals, as the edge splits and decodes them."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learninggraph.domain.errors import BadRequest
from learninggraph.http.messages import Segment, parse_path, parse_query


def test_repeated_and_trailing_slashes_are_collapsed() -> None:
    assert parse_path("//v1.0///employeeExperience/") == (Segment("v1.0"), Segment("employeeExperience"))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("x(externalId='abc')", "abc"),
        ("x(externalId='a''b')", "a'b"),
        ("x(externalId='a%27b')", "a'b"),
        ("x(externalId='a%27%27b')", "a''b"),
        ("x(externalId=%27a%27%27b%27)", "a'b"),
        ("x(externalId=abc)", "abc"),
        ("x(externalId='a%2Fb%20c')", "a/b c"),
        ("x%28externalId%3D%27abc%27%29", "abc"),
    ],
    ids=[
        "quoted",
        "odata-escape",
        "sdk-encoded-quote",
        "sdk-two-quotes",
        "encoded-delimiters",
        "unquoted",
        "encoded-slash",
        "all-encoded",
    ],
)
def test_key_literals_are_read_in_every_client_form(raw: str, value: str) -> None:
    (segment,) = parse_path(raw)

    assert segment == Segment("x", "externalId", value)


def test_an_encoded_slash_stays_inside_its_key_segment() -> None:
    segments = parse_path("/p/learningContents(externalId='a%2Fb')/$ref")

    assert [s.name for s in segments] == ["p", "learningContents", "$ref"]


@pytest.mark.parametrize("raw", ["x(externalId='a'b')", "x(externalId='abc'", "x(externalId=a'b)"])
def test_malformed_key_literals_are_400(raw: str) -> None:
    with pytest.raises(BadRequest):
        parse_path(raw)


@given(st.text(min_size=1, max_size=40))
def test_any_value_the_sdk_encodes_is_read_back_exactly(value: str) -> None:
    raw = f"learningContents(externalId='{quote(value, safe='')}')"

    (segment,) = parse_path(raw)

    assert segment.key_value == value


@given(st.text(min_size=1, max_size=40))
def test_any_value_an_odata_client_quotes_is_read_back_exactly(value: str) -> None:
    raw = "learningContents(externalId='" + quote(value.replace("'", "''"), safe="'") + "')"

    (segment,) = parse_path(raw)

    assert segment.key_value == value


@given(st.text(max_size=80))
def test_arbitrary_paths_parse_or_are_400(raw: str) -> None:
    with contextlib.suppress(BadRequest):
        parse_path(raw)


def test_a_repeated_query_option_is_400() -> None:
    with pytest.raises(BadRequest):
        parse_query("$top=1&$top=2")


def test_plus_in_a_query_is_a_space_and_percent_2b_a_plus() -> None:
    assert parse_query("$filter=a+eq+%2B1") == {"$filter": "a eq +1"}
