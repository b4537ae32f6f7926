"""Keys taken from the URL are judged as their body twins are: empty, over-long and NUL values are 400s
with the input-field messages, on every backend, and nothing is stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import Catalogue, Tenant, content_body

TOO_LONG = "x" * 3000
# (value in the URL, expected message with {name} for the property)
BAD_KEYS = [
    pytest.param("''", "Input field {name} shouldn't be empty", id="empty"),
    pytest.param("'%20'", "Input field {name} shouldn't be empty", id="blank"),
    pytest.param(f"'{TOO_LONG}'", "Input field {name} length exceeded than 256", id="too-long"),
    pytest.param("'a%00b'", "Input field {name} is invalid", id="nul-byte"),
]


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error: dict[str, Any] = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def contents_url(tenant: Tenant, provider_id: str) -> str:
    return tenant.url(f"/employeeExperience/learningProviders/{provider_id}/learningContents")


class TestContentExternalIdInTheUrl:
    @pytest.mark.parametrize(("key", "message"), BAD_KEYS)
    def test_an_upsert_with_a_bad_external_id_is_400_and_stores_nothing(
        self, tenant: Tenant, key: str, message: str
    ) -> None:
        provider = tenant.provider()
        url = contents_url(tenant, provider["id"])

        response = tenant.app().patch(f"{url}(externalId={key})", json=content_body())

        assert error_of(response) == (400, "badRequest", message.format(name="externalId"))
        assert tenant.app().get(url).json()["value"] == []

    @pytest.mark.parametrize(("key", "message"), BAD_KEYS)
    def test_a_read_by_a_bad_external_id_is_the_same_400(
        self, tenant: Tenant, key: str, message: str
    ) -> None:
        provider = tenant.provider()

        response = tenant.app().get(f"{contents_url(tenant, provider['id'])}(externalId={key})")

        assert error_of(response) == (400, "badRequest", message.format(name="externalId"))

    def test_a_delete_by_an_external_id_with_a_nul_byte_is_400(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().delete(f"{contents_url(tenant, provider['id'])}(externalId='a%00b')")

        assert error_of(response) == (400, "badRequest", "Input field externalId is invalid")


class TestActivityExternalIdInTheUrl:
    @pytest.mark.parametrize(("key", "message"), BAD_KEYS)
    def test_a_read_by_a_bad_external_course_activity_id_is_400(
        self, catalogue: Catalogue, key: str, message: str
    ) -> None:
        response = catalogue.tenant.app().get(f"{catalogue.activities_url}(externalcourseActivityId={key})")

        assert error_of(response) == (400, "badRequest", message.format(name="externalcourseActivityId"))

    @pytest.mark.parametrize(("key", "message"), BAD_KEYS)
    def test_an_update_by_a_bad_external_course_activity_id_is_400(
        self, catalogue: Catalogue, key: str, message: str
    ) -> None:
        tenant = catalogue.tenant
        url = tenant.url(f"/employeeExperience/learningCourseActivities(externalCourseActivityId={key})")

        response = tenant.app().patch(url, json={"status": "completed"})

        assert error_of(response) == (400, "badRequest", message.format(name="externalcourseActivityId"))

    def test_a_delete_by_an_external_course_activity_id_with_a_nul_byte_is_400(
        self, catalogue: Catalogue
    ) -> None:
        response = catalogue.tenant.app().delete(
            f"{catalogue.activities_url}(externalcourseActivityId='a%00b')"
        )

        assert error_of(response) == (400, "badRequest", "Input field externalcourseActivityId is invalid")


class TestIdsWithANulByte:
    """Server-generated ids never hold NUL: such an id names nothing, alike on every backend."""

    def test_an_activity_id_with_a_nul_byte_is_not_found(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(f"{catalogue.activities_url}/a%00b")

        assert error_of(response) == (404, "notFound", "The requested assignment ID doesn\u2019t exist.")

    def test_a_content_id_with_a_nul_byte_is_not_found(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(
            f"{contents_url(catalogue.tenant, catalogue.provider_id)}/a%00b"
        )

        assert error_of(response)[:2] == (404, "notFound")

    def test_a_registration_id_with_a_nul_byte_is_the_registration_id_400(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(contents_url(catalogue.tenant, "a%00b"))

        assert error_of(response)[:2] == (400, "badRequest")
        assert "registrationId" in error_of(response)[2]

    def test_a_provider_id_with_a_nul_byte_is_not_found(self, tenant: Tenant) -> None:
        client = tenant.user(scopes=["LearningProvider.ReadWrite"])

        response = client.delete(tenant.url("/employeeExperience/learningProviders/a%00b"))

        assert error_of(response)[:2] == (404, "notFound")

    def test_a_user_id_with_a_nul_byte_is_not_found(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url("/users/a%00b/employeeExperience/learningCourseActivities"))

        assert error_of(response)[:2] == (404, "notFound")
