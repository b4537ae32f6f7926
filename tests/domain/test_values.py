"""Date-times, durations and enums: table-driven cases and properties over arbitrary input."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learninggraph.domain.values import (
    COURSE_STATUS,
    InvalidValue,
    datetime_to_stored,
    emit_datetime,
    format_duration,
    parse_datetime,
    parse_duration,
    parse_local_datetime,
)


@pytest.mark.parametrize(
    ("text", "emitted"),
    [
        ("2021-05-11T22:57:17+00:00", "2021-05-11T22:57:17Z"),
        ("2021-05-11T22:57:17Z", "2021-05-11T22:57:17Z"),
        ("2021-05-11T22:57:17.5-02:30", "2021-05-12T01:27:17.5Z"),
        ("2022-09-22T16:05:00.0000000", "2022-09-22T16:05:00Z"),
        ("2024-05-02T10:00", "2024-05-02T10:00:00Z"),
        ("2024-05-02T10:00:00+0100", "2024-05-02T09:00:00Z"),
    ],
    ids=["offset", "zulu", "fraction-and-offset", "seven-digits-naive", "no-seconds", "compact-offset"],
)
def test_date_times_are_read_in_every_iso_form_and_emitted_in_utc(text: str, emitted: str) -> None:
    assert emit_datetime(parse_datetime(text)) == emitted


@pytest.mark.parametrize(
    "text",
    ["2024-05-01", "2024-05-01 10:00:00", "yesterday", "2024-13-01T00:00:00Z", "", "2024-05-01T25:00:00Z"],
)
def test_anything_else_is_not_a_date_time(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_datetime(text)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))  # noqa: DTZ001 (hypothesis bounds are naive by design)
def test_a_stored_date_time_orders_as_text_like_the_instant(value: datetime) -> None:
    later = value + timedelta(microseconds=1) if value.year < 9999 else value
    assert (datetime_to_stored(value) <= datetime_to_stored(later)) == (value <= later)
    assert parse_datetime(value.isoformat()) == datetime_to_stored(value)


@given(st.text(max_size=60))
def test_arbitrary_text_is_a_date_time_or_invalid_never_another_error(text: str) -> None:
    with contextlib.suppress(InvalidValue):
        parse_datetime(text)


def test_a_date_time_before_the_year_1000_keeps_a_four_digit_year() -> None:
    assert emit_datetime(parse_datetime("0404-10-22T19:25:39Z")) == "0404-10-22T19:25:39Z"
    assert parse_local_datetime("0404-10-22T19:25") == "0404-10-22T19:25:00.0000000"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-01:00"])
def test_a_date_time_whose_offset_leaves_the_calendar_is_invalid(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_datetime(text)


@pytest.mark.parametrize("text", ["P6269958800DT02H6M", "PT99999999999999H", "99999999999 days, 0:00:00"])
def test_a_duration_too_long_for_any_clock_is_invalid(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_duration(text)


def test_a_local_date_time_keeps_seven_fractional_digits() -> None:
    assert parse_local_datetime("2022-09-22T16:05:00") == "2022-09-22T16:05:00.0000000"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("PT1H30M", "PT1H30M"),
        ("1:30:00", "PT1H30M"),
        ("1 day, 2:00:00", "P1DT2H"),
        ("2 days, 0:00:00", "P2D"),
        ("0:01:30.500000", "PT1M30.5S"),
        ("P1DT2H", "P1DT2H"),
        ("PT0S", "PT0S"),
        ("pt20m", "PT20M"),
    ],
)
def test_durations_in_iso_and_python_forms_become_iso_8601(text: str, canonical: str) -> None:
    assert parse_duration(text) == canonical


@pytest.mark.parametrize("text", ["PDT1H", "P", "PT", "1:3", "-1 day, 0:00:00", "P1Y", "forever"])
def test_malformed_durations_are_invalid(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_duration(text)


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)))
def test_every_python_duration_round_trips(value: timedelta) -> None:
    assert parse_duration(str(value)) == format_duration(value)
    assert parse_duration(format_duration(value)) == format_duration(value)


@given(st.sampled_from(COURSE_STATUS.members), st.lists(st.booleans(), min_size=20, max_size=20))
def test_enum_members_are_found_in_any_letter_case(member: str, upper: list[bool]) -> None:
    mixed = "".join(c.upper() if u else c.lower() for c, u in zip(member, upper, strict=False))
    assert COURSE_STATUS.lookup(mixed) == member
