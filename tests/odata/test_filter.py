"""$filter parsing: what becomes which AST node, and which input is refused with what message."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learninggraph.domain.errors import BadRequest
from learninggraph.odata.filter import (
    MAX_FILTER_LENGTH,
    And,
    Comparison,
    Expr,
    InList,
    Not,
    Or,
    StringMatch,
    parse_filter,
)
from tests.odata.sample_entity import ACTIVE, ACTIVITY, COMPLETED, NAME, PERCENT, STATUS

IS_ACTIVE = Comparison(ACTIVE, "eq", True)
DONE = Comparison(STATUS, "eq", "completed")
HALF = Comparison(PERCENT, "gt", 50)


def _nots(count: int, expr: Expr) -> Expr:
    for _ in range(count):
        expr = Not(expr)
    return expr


VALID: list[tuple[str, Expr]] = [
    ("displayName eq 'Intro'", Comparison(NAME, "eq", "Intro")),
    ("title eq 'Intro'", Comparison(NAME, "eq", "Intro")),
    ("displayName eq 'it''s'", Comparison(NAME, "eq", "it's")),
    ("displayName EQ 'Intro'", Comparison(NAME, "eq", "Intro")),
    ("  displayName eq 'Intro'  ", Comparison(NAME, "eq", "Intro")),
    ("completionPercentage ge 50", Comparison(PERCENT, "ge", 50)),
    ("completionPercentage eq -5", Comparison(PERCENT, "eq", -5)),
    ("50 lt completionPercentage", HALF),
    ("'Intro' ne displayName", Comparison(NAME, "ne", "Intro")),
    ("isActive eq true", IS_ACTIVE),
    ("isActive ne false", Comparison(ACTIVE, "ne", False)),
    ("isActive", IS_ACTIVE),
    ("not isActive", Not(IS_ACTIVE)),
    ("status eq 'COMPLETED'", DONE),
    ("status gt 'notStarted'", Comparison(STATUS, "gt", "notStarted")),
    (
        "completedDateTime ge 2024-01-01T10:00:00+02:00",
        Comparison(COMPLETED, "ge", "2024-01-01T08:00:00.000000Z"),
    ),
    (
        "completedDateTime lt '2024-01-01T00:00:00Z'",
        Comparison(COMPLETED, "lt", "2024-01-01T00:00:00.000000Z"),
    ),
    ("completedDateTime ge 2024-03-01", Comparison(COMPLETED, "ge", "2024-03-01T00:00:00.000000Z")),
    ("completedDateTime eq null", Comparison(COMPLETED, "eq", None)),
    ("null ne completedDateTime", Comparison(COMPLETED, "ne", None)),
    ("status in ('completed', 'InProgress')", InList(STATUS, ("completed", "inProgress"))),
    ("completionPercentage in (1, 2, 2)", InList(PERCENT, (1, 2))),
    ("status in ('completed')", InList(STATUS, ("completed",))),
    ("status in ( 'completed' )", InList(STATUS, ("completed",))),
    ("status in ('completed',)", InList(STATUS, ("completed",))),
    ("startswith(displayName, 'Py')", StringMatch(NAME, "startswith", "Py")),
    ("endswith(displayName, '101')", StringMatch(NAME, "endswith", "101")),
    ("contains(displayName, 'th')", StringMatch(NAME, "contains", "th")),
    ("startswith(displayName, 'Py') eq true", StringMatch(NAME, "startswith", "Py")),
    ("startswith(displayName, 'Py') eq false", Not(StringMatch(NAME, "startswith", "Py"))),
    ("isActive and status eq 'completed' and completionPercentage gt 50", And((IS_ACTIVE, DONE, HALF))),
    ("isActive or status eq 'completed' and completionPercentage gt 50", Or((IS_ACTIVE, And((DONE, HALF))))),
    (
        "(isActive or status eq 'completed') and completionPercentage gt 50",
        And((Or((IS_ACTIVE, DONE)), HALF)),
    ),
    ("not (isActive or status eq 'completed')", Not(Or((IS_ACTIVE, DONE)))),
    ("(" * 50 + "isActive" + ")" * 50, IS_ACTIVE),
    ("displayName eq '" + "(" * 60 + "'", Comparison(NAME, "eq", "(" * 60)),
    ("not " * 49 + "isActive", _nots(49, IS_ACTIVE)),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    VALID,
    ids=[
        "string-eq",
        "alias-resolves-to-canonical-property",
        "doubled-quote-is-one-quote",
        "operators-ignore-letter-case",
        "surrounding-spaces-ignored",
        "int-ge",
        "negative-int",
        "literal-first-flips-operator",
        "literal-first-ne",
        "bool-eq-true",
        "bool-ne-false",
        "bare-bool-property-means-eq-true",
        "not-bare-bool-property",
        "enum-any-letter-case-becomes-canonical",
        "enum-ordering-allowed",
        "datetime-literal-stored-as-utc",
        "datetime-in-a-string",
        "date-means-midnight-utc",
        "eq-null",
        "null-first-ne",
        "in-list-canonical-enum-members",
        "in-list-duplicates-removed",
        "in-single-item-without-comma",
        "in-single-item-with-spaces",
        "in-single-item-with-trailing-comma",
        "startswith",
        "endswith",
        "contains",
        "function-eq-true",
        "function-eq-false-negates",
        "and-chain-flattened",
        "and-binds-tighter-than-or",
        "parentheses-group",
        "not-of-group",
        "fifty-parentheses-are-allowed",
        "parentheses-inside-strings-do-not-count",
        "nesting-just-under-the-limit",
    ],
)
def test_a_valid_filter_becomes_the_expected_expression(text: str, expected: Expr) -> None:
    assert parse_filter(text, ACTIVITY) == expected


INVALID: list[tuple[str, str]] = [
    ("displayName eq", "syntax error at position 11 near ' eq'"),
    ("displayName eq 'x", "syntax error at position 15 near ''x'"),
    ("  displayName eq 'x", "syntax error at position 17 near ''x'"),
    ("status in ('completed') and x eq 'y", "syntax error at position 33 near ''y'"),
    ("(isActive", "unexpected end of input"),
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
    ("x" * (MAX_FILTER_LENGTH + 1), f"longer than {MAX_FILTER_LENGTH} characters"),
    ("nope eq 1", "Could not find a property named 'nope' on type 'microsoft.graph.learningCourseActivity'"),
    ("microsoft.graph.status eq 'completed'", "Could not find a property named 'microsoft.graph.status'"),
    ("tags eq 'x'", "the property 'tags' cannot be used in a filter"),
    ("displayName eq 1", "the number 1 cannot be compared with 'displayName', which is Edm.String"),
    ("completionPercentage eq '1'", "the string '1' cannot be compared with 'completionPercentage'"),
    ("completionPercentage eq 1.5", "the number 1.5 cannot be compared with 'completionPercentage'"),
    ("completionPercentage eq 2147483648", "the number 2147483648 is outside the Int32 range"),
    ("isActive gt true", "the Boolean property 'isActive' can only be compared with eq or ne"),
    ("isActive eq 1", "the number 1 cannot be compared with 'isActive'"),
    ("status eq 'done'", "'done' is not a member of the enum 'microsoft.graph.courseStatus'"),
    ("status eq 1", "the number 1 cannot be compared with 'status'"),
    ("completedDateTime eq '2024-02-30T00:00:00Z'", "is not a valid date-time for 'completedDateTime'"),
    ("completedDateTime eq 'yesterday'", "the string 'yesterday' is not a valid date-time"),
    ("completedDateTime eq 20240101", "cannot be compared with 'completedDateTime'"),
    ("completedDateTime gt null", "null can only be compared with eq or ne, not with gt"),
    ("status in ('completed', null)", "the 'in' list for 'status' may not contain null"),
    ("status in ('completed', displayName)", "may not contain 'displayName'"),
    ("completionPercentage in (" + ", ".join(map(str, range(101))) + ")", "at most 100 values"),
    ("displayName eq id", "'displayName' can only be compared with a literal value, not 'id'"),
    ("completionPercentage add 1 eq 2", "expected a property name but found an arithmetic expression"),
    ("1 eq 1", "expected a property name but found the number 1"),
    ("tolower(displayName) eq 'x'", "the function 'tolower' is not supported"),
    ("frobnicate(displayName)", "Unknown function: 'frobnicate'"),
    ("startswith(status, 'c')", "startswith needs a string property, and 'status' is"),
    ("startswith(displayName, 1)", "the second argument of startswith must be a string, not the number 1"),
    ("startswith(displayName)", "'startswith' takes 2 arguments"),
    ("startswith('Py', displayName)", "expected a property name but found the string 'Py'"),
    ("tags/any(t: t eq 'x')", "a lambda (any/all) expression is not a supported condition"),
    ("notes/content eq 'x'", "expected a property name but found a property path"),
    ("displayName", "the property 'displayName' is not Boolean, so it is not a condition"),
    ("true", "true is not a supported condition"),
    ("not " * 50 + "isActive", "nested more than 50 levels deep"),
    ("(" * 51 + "isActive" + ")" * 51, "nested more than 50 levels deep"),
    ("f(a=1,b=2,c=3)", "the expression could not be parsed"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    INVALID,
    ids=[
        "missing-right-side",
        "unterminated-string",
        "position-counts-leading-spaces",
        "position-is-in-the-text-as-sent",
        "unclosed-parenthesis",
        "empty",
        "only-spaces",
        "too-long",
        "unknown-property",
        "namespaced-name",
        "collection-property",
        "string-property-vs-number",
        "int-property-vs-string",
        "int-property-vs-decimal",
        "int-out-of-range",
        "bool-with-gt",
        "bool-vs-number",
        "enum-unknown-member",
        "enum-vs-number",
        "impossible-date",
        "string-that-is-no-date",
        "datetime-vs-number",
        "null-with-gt",
        "null-inside-in-list",
        "property-inside-in-list",
        "in-list-too-long",
        "property-vs-property",
        "arithmetic",
        "literal-vs-literal",
        "other-function",
        "unknown-function",
        "startswith-on-enum",
        "startswith-with-number",
        "startswith-with-one-argument",
        "startswith-arguments-swapped",
        "lambda",
        "property-path",
        "bare-non-bool-property",
        "bare-literal",
        "nested-too-deep",
        "parenthesised-too-deep",
        "parser-crash-becomes-bad-request",
    ],
)
def test_an_invalid_filter_is_refused_with_a_message_that_says_why(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_filter(text, ACTIVITY)
    assert caught.value.message.startswith("Invalid filter clause: ")
    assert message in caught.value.message


def test_any_number_of_single_value_in_lists_is_accepted() -> None:
    text = " or ".join(f"completionPercentage in ({n})" for n in range(30))
    assert parse_filter(text, ACTIVITY) == Or(tuple(InList(PERCENT, (n,)) for n in range(30)))


def test_a_refused_filter_names_the_filter_option_as_its_target() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_filter("nope eq 1", ACTIVITY)
    assert [detail.target for detail in caught.value.details] == ["$filter"]


def test_filters_parse_correctly_from_many_threads_at_once() -> None:
    texts = [f"completionPercentage eq {n} and startswith(displayName, 'x{n}')" for n in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda text: parse_filter(text, ACTIVITY), texts))
    assert results == [
        And((Comparison(PERCENT, "eq", n), StringMatch(NAME, "startswith", f"x{n}"))) for n in range(200)
    ]


_FRAGMENTS = st.sampled_from(
    [
        *"()',/:-+.=0123456789 ",
        " eq ",
        " gt ",
        " and ",
        " or ",
        "not ",
        " in ",
        " add ",
        "displayName",
        "status",
        "isActive",
        "completionPercentage",
        "completedDateTime",
        "tags",
        "startswith",
        "any",
        "null",
        "true",
        "'x'",
        "2024-01-01T00:00:00Z",
        "2024-01-01",
        "duration'PT1H'",
    ]
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(_FRAGMENTS, max_size=25).map("".join)))
def test_any_text_either_parses_or_is_refused_as_a_bad_request(text: str) -> None:
    try:
        result = parse_filter(text, ACTIVITY)
    except BadRequest as refused:
        assert refused.message.startswith("Invalid filter clause: ")
    else:
        assert isinstance(result, Comparison | InList | StringMatch | And | Or | Not)
