"""A body without problems decodes the same on the short way (``decode_valid``) as on the full one
(``decode_properties``); any problem sends it to the full way, which names it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learninggraph.domain.fields import IGNORED_ANNOTATIONS, decode_properties, decode_valid
from learninggraph.domain.values import COURSE_STATUS
from learninggraph.resources.learning_course_activities.entity import (
    CREATABLE,
    LEARNING_ASSIGNMENT,
)

ACCEPTED = CREATABLE[LEARNING_ASSIGNMENT.name]
SKIP = ("@odata.type", "id", "registrationId")
SKIPPED = IGNORED_ANNOTATIONS | frozenset(SKIP)
BY_NAME = {
    name: p for p in LEARNING_ASSIGNMENT.properties if p.name in ACCEPTED for name in (p.name, *p.aliases)
}
VALID = {
    "@odata.type": "#microsoft.graph.learningAssignment",
    "learnerUserId": "learner-1",
    "learningContentId": "content-1",
    "status": "INPROGRESS",
    "completionPercentage": 40,
    "dueDateTime": {"dateTime": "2022-09-22T16:05:00.0000000", "timeZone": "UTC"},
    "externalCourseActivityId": "ext-1",
}


def full(body: dict[str, Any]) -> Any:
    return decode_properties(
        LEARNING_ASSIGNMENT, body, accepted=ACCEPTED, include_unknown_enum_members=False, skip=SKIP
    )


def test_a_valid_body_decodes_to_the_same_values_in_the_same_order_both_ways() -> None:
    short = decode_valid(BY_NAME, VALID, SKIPPED, False)

    decoded = full(VALID)
    assert decoded.errors == []
    assert short is not None
    assert list(short.items()) == list(decoded.values.items())


@pytest.mark.parametrize(
    "change",
    [
        {"completionPercentage": "forty"},
        {"learnerUserId": "   "},
        {"startedDateTime": "2021-05-11T22:57:17Z"},
        {"status": "unknownFutureValue"},
        {"externalcourseActivityId": "ext-1"},
        {"nonsense": 1},
    ],
    ids=["bad value", "blank id", "other type's property", "sentinel", "named twice", "unknown name"],
)
def test_a_body_with_a_problem_or_a_property_named_twice_takes_the_full_way(change: dict[str, Any]) -> None:
    assert decode_valid(BY_NAME, {**VALID, **change}, SKIPPED, False) is None


@given(
    st.dictionaries(
        st.sampled_from([*BY_NAME, *SKIP, "other"]),
        st.one_of(
            st.none(), st.integers(-5, 200), st.text(max_size=5), st.sampled_from(COURSE_STATUS.members)
        ),
        max_size=6,
    )
)
def test_whatever_the_body_the_short_way_gives_the_full_ways_values_or_nothing(body: dict[str, Any]) -> None:
    short = decode_valid(BY_NAME, body, SKIPPED, False)

    decoded = full(body)
    if short is not None:
        assert decoded.errors == []
        assert list(short.items()) == list(decoded.values.items())
