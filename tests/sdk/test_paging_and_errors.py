"""Paging with msgraph-core's PageIterator, and Graph errors surfacing as ODataError."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken
from msgraph_core import PageIterator

from tests.sdk.conftest import Sdk

CONTENTS = "employee_experience.learning_providers.item.learning_contents.learning_contents"


def _contents(sdk: Sdk, provider_id: str) -> Any:
    return sdk.app.employee_experience.learning_providers.by_learning_provider_id(
        provider_id
    ).learning_contents


def test_the_page_iterator_follows_next_links_through_every_page(sdk: Sdk) -> None:
    provider = sdk.provider().id
    ids = {sdk.content(provider).id for _ in range(5)}
    first = sdk.run(_contents(sdk, provider).get(sdk.query(CONTENTS, top=2)))
    seen: list[str] = []

    def collect(item: Any) -> bool:
        seen.append(item.id)
        return True  # False or None stops the iterator

    sdk.run(PageIterator(first, sdk.app.request_adapter).iterate(collect))

    assert len(first.value) == 2
    assert first.odata_next_link.startswith(f"{sdk.tenant.base_url}/{sdk.version}/")
    assert sorted(seen) == sorted(ids)


def test_a_manual_loop_over_next_links_reads_every_page(sdk: Sdk) -> None:
    provider = sdk.provider().id
    ids = {sdk.content(provider).id for _ in range(3)}
    builder = _contents(sdk, provider)
    page = sdk.run(builder.get(sdk.query(CONTENTS, top=1)))
    pages = [page]
    while page.odata_next_link:
        page = sdk.run(builder.with_url(page.odata_next_link).get())
        pages.append(page)

    assert len(pages) == 3
    assert {c.id for p in pages for c in p.value} == ids


def test_a_missing_entity_is_an_odata_error_with_code_message_and_request_id(sdk: Sdk) -> None:
    error = sdk.error(
        sdk.user.employee_experience.learning_providers.by_learning_provider_id("missing").get()
    )

    assert error.response_status_code == 404
    assert error.error.code == "notFound"
    assert error.error.message == "The learning provider 'missing' was not found."
    assert error.error.inner_error.request_id == error.response_headers["request-id"]


def test_a_validation_failure_is_a_400_with_the_documented_message(sdk: Sdk) -> None:
    provider = sdk.provider().id
    incomplete = sdk.models.LearningContent(content_web_url="https://contoso.example/c", language_tag="en-us")
    key = sdk.app.employee_experience.learning_providers.by_learning_provider_id(
        provider
    ).learning_contents_with_external_id("incomplete")

    error = sdk.error(key.patch(incomplete))

    assert error.response_status_code == 400
    assert error.error.code == "badRequest"
    assert error.error.message == "Input field title is required"
    assert error.error.inner_error.request_id == error.response_headers["request-id"]
    assert [(d.code, d.target) for d in error.error.details] == [("badRequest", "title")]


def test_a_missing_permission_is_a_403(sdk: Sdk) -> None:
    error = sdk.error(sdk.app.employee_experience.learning_providers.post(sdk.models.LearningProvider()))

    assert error.response_status_code == 403
    assert error.error.code == "Forbidden"
    assert error.error.message == (
        "Your account doesn't have access to this report or data. Contact your administrator to request access."
    )
    assert error.error.inner_error.request_id


def test_an_activity_of_a_provider_with_sync_disabled_is_refused_as_documented(sdk: Sdk) -> None:
    provider = sdk.provider(is_course_activity_sync_enabled=False).id
    content = sdk.content(provider).id
    activities = sdk.app.employee_experience.learning_providers.by_learning_provider_id(
        provider
    ).learning_course_activities

    error = sdk.error(activities.post(sdk.activity("assignment", content)))

    assert error.response_status_code == 400
    assert error.error.message == "This provider isn't enabled for the given tenant."


def test_an_invalid_token_is_a_401_odata_error(sdk: Sdk) -> None:
    class Forged:
        def get_token(self, *scopes: str, **options: Any) -> AccessToken:
            return AccessToken("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl", 4_102_444_800)

    client = sdk.client(Forged())

    error = sdk.error(client.employee_experience.learning_course_activities.get())

    assert error.response_status_code == 401
    assert error.error.code == "InvalidAuthenticationToken"
    assert error.error.message == "Access token validation failure."
