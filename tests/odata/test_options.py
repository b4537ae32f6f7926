"""Query options: names, allowed sets and the values of $select, $orderby, $top, $skip, $count and more."""

from __future__ import annotations

import pytest

from learninggraph.domain.entity import Property
from learninggraph.domain.errors import BadRequest
from learninggraph.odata.filter import Comparison
from learninggraph.odata.options import (
    ITEM_OPTIONS,
    OrderBy,
    QueryOptions,
    parse_query_options,
)
from tests.odata.sample_entity import ACTIVITY, COMPLETED, ID, NAME, PERCENT, STATUS, TAGS

MAX_TOP = 999


def parse(raw: dict[str, str], allowed: frozenset[str] | None = None) -> QueryOptions:
    if allowed is None:
        return parse_query_options(raw, ACTIVITY, max_top=MAX_TOP)
    return parse_query_options(raw, ACTIVITY, max_top=MAX_TOP, allowed=allowed)


def refusal(raw: dict[str, str], allowed: frozenset[str] | None = None) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse(raw, allowed)
    return caught.value


def test_no_options_give_the_defaults() -> None:
    assert parse({}) == QueryOptions(filter=None, select=(), orderby=(), top=None, skip=0, count=False)


@pytest.mark.parametrize("name", ["$top", "top", "$TOP", "Top"], ids=["dollar", "bare", "upper", "mixed"])
def test_option_names_match_with_or_without_dollar_in_any_case(name: str) -> None:
    assert parse({name: "5"}).top == 5


def test_parameters_without_dollar_that_are_not_options_are_ignored() -> None:
    assert parse({"api-version": "1", "tenant": "x"}) == QueryOptions()


REFUSED_NAMES = [
    ({"$frobnicate": "1"}, "The query option '$frobnicate' is not a known OData query option."),
    ({"$top": "1", "top": "2"}, "The query option '$top' is specified more than once."),
    ({"$expand": "x"}, "The query option '$expand' is not supported on this resource."),
    ({"search": "x"}, "The query option '$search' is not supported on this resource."),
    ({"$top": "1"}, "The query option '$top' is not allowed for this request."),
]


@pytest.mark.parametrize(
    ("raw", "message"),
    REFUSED_NAMES,
    ids=["unknown-dollar-option", "same-option-twice", "expand", "search-without-dollar", "not-allowed-here"],
)
def test_an_option_that_cannot_be_used_is_refused_by_name(raw: dict[str, str], message: str) -> None:
    assert refusal(raw, ITEM_OPTIONS).message == message


def test_a_single_entity_request_accepts_select() -> None:
    assert parse({"$select": "id"}, ITEM_OPTIONS).select == (ID,)


@pytest.mark.parametrize(
    "value",
    ["json", "JSON", "application/json", "application/json;odata.metadata=minimal"],
    ids=["json", "upper", "media-type", "media-type-with-parameters"],
)
def test_format_json_is_accepted(value: str) -> None:
    assert parse({"$format": value}) == QueryOptions()


def test_any_other_format_is_refused() -> None:
    assert refusal({"$format": "xml"}).message == (
        "Invalid $format value 'xml'; the only supported format is 'json'."
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("10", 10), (" 999 ", 999)], ids=["zero", "ten", "the-maximum"]
)
def test_top_accepts_integers_from_zero_to_the_maximum(value: str, expected: int) -> None:
    assert parse({"$top": value}).top == expected


@pytest.mark.parametrize(
    "value",
    ["-1", "1000", "abc", "", "1.5", "+5", "1" * 30],
    ids=["negative", "over-maximum", "word", "empty", "decimal", "plus-sign", "huge"],
)
def test_top_outside_the_range_is_refused_naming_the_value(value: str) -> None:
    assert refusal({"$top": value}).message == (
        f"Invalid $top value '{value}'; it must be an integer between 0 and {MAX_TOP}."
    )


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("25", 25)], ids=["zero", "positive"])
def test_skip_accepts_non_negative_integers(value: str, expected: int) -> None:
    assert parse({"$skip": value}).skip == expected


@pytest.mark.parametrize("value", ["-1", "x", "", "99999999999"], ids=["negative", "word", "empty", "huge"])
def test_skip_that_is_not_a_non_negative_integer_is_refused(value: str) -> None:
    assert refusal({"$skip": value}).message.startswith(
        f"Invalid $skip value '{value}'; it must be an integer"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("false", False), ("False", False)],
    ids=["true", "upper-true", "false", "capitalised-false"],
)
def test_count_accepts_true_and_false_in_any_case(value: str, expected: bool) -> None:
    assert parse({"$count": value}).count is expected


@pytest.mark.parametrize("value", ["yes", "1", ""], ids=["yes", "one", "empty"])
def test_count_other_than_true_or_false_is_refused(value: str) -> None:
    assert refusal({"$count": value}).message == (
        f"Invalid $count value '{value}'; it must be 'true' or 'false'."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("displayName,id", (NAME, ID)),
        (" displayName , id ", (NAME, ID)),
        ("title", (NAME,)),
        ("displayName,title,displayName", (NAME,)),
        ("tags", (TAGS,)),
        ("*", ()),
        ("displayName,*", ()),
    ],
    ids=["in-order", "spaces", "alias-is-canonical", "duplicates-once", "collections", "star", "star-wins"],
)
def test_select_names_properties(value: str, expected: tuple[Property, ...]) -> None:
    assert parse({"$select": value}).select == expected


def test_select_of_an_unknown_property_uses_graphs_message() -> None:
    refused = refusal({"$select": "displayName,nope"})
    assert (
        refused.message
        == "Could not find a property named 'nope' on type 'microsoft.graph.learningCourseActivity'."
    )
    assert [detail.target for detail in refused.details] == ["$select"]


@pytest.mark.parametrize(
    "value", ["", "displayName,,id", "displayName,"], ids=["empty", "gap", "trailing-comma"]
)
def test_select_with_an_empty_entry_is_refused(value: str) -> None:
    assert refusal({"$select": value}).message.startswith(f"Invalid $select value '{value}'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("displayName", (OrderBy(NAME, descending=False),)),
        ("displayName desc", (OrderBy(NAME, descending=True),)),
        (
            " title   DESC ,  completionPercentage asc ",
            (OrderBy(NAME, descending=True), OrderBy(PERCENT, descending=False)),
        ),
        ("status,completedDateTime desc", (OrderBy(STATUS, False), OrderBy(COMPLETED, True))),
    ],
    ids=["ascending-by-default", "descending", "spaces-case-and-alias", "enum-and-datetime"],
)
def test_orderby_lists_properties_and_directions(value: str, expected: tuple[OrderBy, ...]) -> None:
    assert parse({"$orderby": value}).orderby == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("displayName sideways", "each entry must be a property name optionally followed by 'asc' or 'desc'"),
        ("displayName asc extra", "not 'displayName asc extra'"),
        ("nope", "Could not find a property named 'nope' on type 'microsoft.graph.learningCourseActivity'."),
        ("tags", "the property 'tags' cannot be sorted on"),
        ("displayName,title desc", "the property 'displayName' appears more than once"),
        ("", "Invalid $orderby value ''"),
    ],
    ids=["bad-direction", "extra-word", "unknown-property", "unsortable", "duplicate", "empty"],
)
def test_orderby_that_cannot_be_applied_is_refused(value: str, message: str) -> None:
    assert message in refusal({"$orderby": value}).message


def test_filter_is_parsed_against_the_entity() -> None:
    assert parse({"$filter": "status eq 'completed'"}).filter == Comparison(STATUS, "eq", "completed")


def test_a_bad_filter_is_refused_as_an_invalid_clause() -> None:
    assert refusal({"$filter": "nope eq 1"}).message.startswith("Invalid filter clause: ")


def test_skiptoken_is_passed_through() -> None:
    assert parse({"$skiptoken": "abc=="}).skiptoken == "abc=="


def test_an_empty_skiptoken_is_refused() -> None:
    assert refusal({"$skiptoken": ""}).message == "Invalid $skiptoken value ''; it must not be empty."


@pytest.mark.parametrize(
    ("raw", "target"),
    [({"$top": "x"}, "$top"), ({"skip": "x"}, "$skip"), ({"$orderby": "nope"}, "$orderby")],
    ids=["top", "skip-without-dollar", "orderby"],
)
def test_a_refusal_names_the_option_as_its_target(raw: dict[str, str], target: str) -> None:
    assert [detail.target for detail in refusal(raw).details] == [target]
