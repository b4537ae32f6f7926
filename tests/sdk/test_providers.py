"""learningProviders through the SDKs: register, read, query, count, change and remove."""

from __future__ import annotations

import uuid
from typing import Any

from tests.sdk.conftest import Sdk

LIST = "employee_experience.learning_providers.learning_providers"
COUNT = "employee_experience.learning_providers.count.count"


def _providers(sdk: Sdk) -> Any:
    return sdk.user.employee_experience.learning_providers


def _named(sdk: Sdk, prefix: str, *suffixes: str) -> list[str]:
    """Registers one provider per suffix, named ``{prefix} {suffix}``; returns their ids."""
    return [sdk.provider(display_name=f"{prefix} {suffix}").id for suffix in suffixes]


def test_a_registered_provider_comes_back_typed_with_its_id_and_values(sdk: Sdk) -> None:
    created = sdk.provider(display_name="Contoso Academy", is_course_activity_sync_enabled=False)

    assert isinstance(created, sdk.models.LearningProvider)
    assert uuid.UUID(created.id)
    assert created.display_name == "Contoso Academy"
    assert created.is_course_activity_sync_enabled is False
    assert created.login_web_url == "https://contoso.example/login"
    assert created.square_logo_web_url_for_light_theme == "https://contoso.example/square-light.png"


def test_a_provider_is_read_back_by_id(sdk: Sdk) -> None:
    created = sdk.provider()

    read = sdk.run(_providers(sdk).by_learning_provider_id(created.id).get())

    assert read.id == created.id
    assert read.display_name == created.display_name
    assert read.long_logo_web_url_for_dark_theme == created.long_logo_web_url_for_dark_theme
    assert read.is_course_activity_sync_enabled is True


def test_a_patch_changes_only_the_properties_it_sends(sdk: Sdk) -> None:
    created = sdk.provider()
    item = _providers(sdk).by_learning_provider_id(created.id)

    answer = sdk.run(item.patch(sdk.models.LearningProvider(display_name="Renamed Academy")))

    read = sdk.run(item.get())
    assert answer is None
    assert read.display_name == "Renamed Academy"
    assert read.login_web_url == created.login_web_url
    assert read.is_course_activity_sync_enabled is True


def test_a_provider_read_and_sent_back_whole_is_accepted(sdk: Sdk) -> None:
    item = _providers(sdk).by_learning_provider_id(sdk.provider().id)
    read = sdk.run(item.get())
    read.display_name = "Round Trip Academy"

    sdk.run(item.patch(read))

    assert sdk.run(item.get()).display_name == "Round Trip Academy"


def test_a_deleted_provider_is_gone(sdk: Sdk) -> None:
    item = _providers(sdk).by_learning_provider_id(sdk.provider().id)

    answer = sdk.run(item.delete())

    assert answer is None
    assert sdk.error(item.get()).response_status_code == 404


def test_filter_orderby_and_select_reach_the_server(sdk: Sdk) -> None:
    prefix = f"Filtered {uuid.uuid4().hex[:8]}"
    _named(sdk, prefix, "A", "C", "B")
    query = sdk.query(
        LIST,
        filter=f"startswith(displayName, '{prefix}')",
        orderby=["displayName desc"],
        select=["id", "displayName"],
    )

    page = sdk.run(_providers(sdk).get(query))

    assert [p.display_name for p in page.value] == [f"{prefix} C", f"{prefix} B", f"{prefix} A"]
    assert all(p.login_web_url is None for p in page.value)
    assert page.additional_data["@odata.context"].endswith("learningProviders(id,displayName)")


def test_count_top_and_skip_reach_the_server(sdk: Sdk) -> None:
    prefix = f"Paged {uuid.uuid4().hex[:8]}"
    _named(sdk, prefix, "1", "2", "3", "4")
    query = sdk.query(
        LIST,
        filter=f"startswith(displayName, '{prefix}')",
        orderby=["displayName"],
        count=True,
        top=2,
        skip=1,
    )

    page = sdk.run(_providers(sdk).get(query))

    assert page.odata_count == 4
    assert [p.display_name for p in page.value] == [f"{prefix} 2", f"{prefix} 3"]


def test_the_count_builder_counts_the_providers_its_filter_matches(sdk: Sdk) -> None:
    prefix = f"Counted {uuid.uuid4().hex[:8]}"
    _named(sdk, prefix, "x", "y", "z")
    query = sdk.query(COUNT, filter=f"startswith(displayName, '{prefix}')")

    count = sdk.run(_providers(sdk).count.get(query))

    assert count == 3
