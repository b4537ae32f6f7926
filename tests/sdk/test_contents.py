"""learningContents through the SDKs: the externalId upsert, reads, lists, counts and removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.sdk.conftest import Sdk

RESERVED = "a/b c'd&e?f#g"


@pytest.fixture(scope="module")
def provider_id(sdk: Sdk) -> str:
    created: str = sdk.provider().id
    return created


def _contents(sdk: Sdk, provider_id: str) -> Any:
    return sdk.app.employee_experience.learning_providers.by_learning_provider_id(provider_id)


def test_an_upsert_by_external_id_creates_the_content_with_every_value(sdk: Sdk, provider_id: str) -> None:
    m = sdk.models
    body = m.LearningContent(
        title="Python 101",
        content_web_url="https://contoso.example/c/1",
        language_tag="en-us",
        additional_tags=["python", "beginner"],
        contributors=["A. Author"],
        created_date_time=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        description="Intro",
        duration=timedelta(hours=1, minutes=30),
        format="Course",
        is_active=True,
        is_premium=False,
        is_searchable=True,
        last_modified_date_time=datetime(2024, 5, 2, 10, 0),  # noqa: DTZ001 - naive, as callers write it
        level=m.Level.Intermediate,
        number_of_pages=9,
        skill_tags=["Programming"],
        source_name="Contoso",
        thumbnail_web_url="https://contoso.example/c/1.png",
    )

    created = sdk.run(_contents(sdk, provider_id).learning_contents_with_external_id("upsert-1").patch(body))

    assert isinstance(created, m.LearningContent)
    assert created.id
    assert created.external_id == "upsert-1"
    assert created.title == "Python 101"
    assert created.additional_tags == ["python", "beginner"]
    assert created.contributors == ["A. Author"]
    assert created.created_date_time == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert created.last_modified_date_time == datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
    assert created.duration == timedelta(hours=1, minutes=30)
    assert created.level == m.Level.Intermediate
    assert created.number_of_pages == 9
    assert (created.is_active, created.is_premium, created.is_searchable) == (True, False, True)
    assert created.thumbnail_web_url == "https://contoso.example/c/1.png"


def test_a_second_upsert_replaces_the_metadata(sdk: Sdk, provider_id: str) -> None:
    created = sdk.content(provider_id, "upsert-2", description="First")

    updated = sdk.run(
        _contents(sdk, provider_id)
        .learning_contents_with_external_id("upsert-2")
        .patch(
            sdk.models.LearningContent(
                title="Python 102", content_web_url=created.content_web_url, language_tag="en-us"
            )
        )
    )

    assert updated.id == created.id
    assert updated.title == "Python 102"
    assert updated.description is None
    assert updated.content_web_url == created.content_web_url


def test_an_external_id_with_reserved_characters_round_trips(sdk: Sdk, provider_id: str) -> None:
    created = sdk.content(provider_id, RESERVED)

    read = sdk.run(_contents(sdk, provider_id).learning_contents_with_external_id(RESERVED).get())

    assert created.external_id == RESERVED
    assert read.id == created.id
    assert read.external_id == RESERVED


def test_a_content_is_read_by_id(sdk: Sdk, provider_id: str) -> None:
    created = sdk.content(provider_id, title="Read me")

    read = sdk.run(_contents(sdk, provider_id).learning_contents.by_learning_content_id(created.id).get())

    assert isinstance(read, sdk.models.LearningContent)
    assert (read.id, read.external_id, read.title) == (created.id, created.external_id, "Read me")


def test_the_list_holds_the_providers_contents(sdk: Sdk) -> None:
    provider = sdk.provider().id
    ids = {sdk.content(provider).id for _ in range(3)}

    page = sdk.run(_contents(sdk, provider).learning_contents.get())

    assert {c.id for c in page.value} == ids
    assert all(isinstance(c, sdk.models.LearningContent) for c in page.value)


def test_the_count_builder_counts_the_providers_contents(sdk: Sdk) -> None:
    provider = sdk.provider().id
    for _ in range(2):
        sdk.content(provider)

    assert sdk.run(_contents(sdk, provider).learning_contents.count.get()) == 2


def test_a_content_posted_to_the_collection_is_created(sdk: Sdk, provider_id: str) -> None:
    body = sdk.models.LearningContent(
        external_id="posted-1",
        title="Posted",
        content_web_url="https://contoso.example/posted",
        language_tag="en-us",
    )

    created = sdk.run(_contents(sdk, provider_id).learning_contents.post(body))

    assert created.id
    assert (created.external_id, created.title) == ("posted-1", "Posted")


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (timedelta(minutes=45), timedelta(minutes=45)),
        (timedelta(days=1, hours=2), timedelta(days=1, hours=2)),
        (timedelta(seconds=90.5), timedelta(seconds=90.5)),
        ("PT2H15M", timedelta(hours=2, minutes=15)),
        ("P1DT2H", timedelta(days=1, hours=2)),
    ],
    ids=["timedelta", "timedelta-over-a-day", "timedelta-fractional", "iso-string", "iso-string-days"],
)
def test_a_duration_round_trips_as_a_timedelta(
    sdk: Sdk, provider_id: str, sent: timedelta | str, read: timedelta
) -> None:
    created = sdk.content(provider_id, duration=sent)

    assert created.duration == read


def test_a_content_read_and_sent_back_whole_is_accepted(sdk: Sdk, provider_id: str) -> None:
    key = _contents(sdk, provider_id).learning_contents_with_external_id("round-trip")
    sdk.content(provider_id, "round-trip", duration=timedelta(hours=1))
    read = sdk.run(key.get())
    read.title = "Round trip"

    updated = sdk.run(key.patch(read))

    assert updated.title == "Round trip"
    assert updated.duration == timedelta(hours=1)


def test_a_content_deleted_by_external_id_is_gone(sdk: Sdk, provider_id: str) -> None:
    sdk.content(provider_id, RESERVED + "-deleted")
    key = _contents(sdk, provider_id).learning_contents_with_external_id(RESERVED + "-deleted")

    answer = sdk.run(key.delete())

    assert answer is None
    assert sdk.error(key.get()).response_status_code == 404


def test_a_content_deleted_by_id_is_gone(sdk: Sdk, provider_id: str) -> None:
    item = _contents(sdk, provider_id).learning_contents.by_learning_content_id(sdk.content(provider_id).id)

    sdk.run(item.delete())

    assert sdk.error(item.get()).response_status_code == 404
