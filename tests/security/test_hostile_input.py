"""Hostile sizes and bytes: each gets a Graph error (or a correct answer), never a 500, never a crash."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import Catalogue, Tenant

PROVIDERS = "/employeeExperience/learningProviders"


def _post_raw(
    client: httpx.Client, url: str, body: bytes, content_type: str = "application/json"
) -> httpx.Response:
    return client.post(url, content=body, headers={"Content-Type": content_type})


class TestBodies:
    def test_deeply_nested_json_is_400(self, tenant: Tenant) -> None:
        body = b'{"displayName":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

        response = _post_raw(tenant.user(), tenant.url(PROVIDERS), body)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"

    def test_a_huge_string_is_reported_as_too_long(self, tenant: Tenant) -> None:
        response = tenant.user().post(tenant.url(PROVIDERS), json={"displayName": "x" * 900_000})

        assert response.status_code == 400
        assert "displayName" in response.json()["error"]["message"]

    def test_a_ten_thousand_item_array_is_invalid_not_a_crash(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().patch(
            tenant.url(f"{PROVIDERS}/{provider['id']}/learningContents(externalId='big')"),
            json={
                "title": "t",
                "contentWebUrl": "https://x.example/c",
                "languageTag": "en",
                "skillTags": ["s"] * 10_000,
            },
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field skillTags is invalid"

    def test_a_body_that_is_not_utf8_is_400(self, tenant: Tenant) -> None:
        response = _post_raw(tenant.user(), tenant.url(PROVIDERS), b'{"displayName": "\xff\xfe"}')

        assert response.status_code == 400

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", ""]
    )
    def test_a_body_of_another_media_type_is_415(self, tenant: Tenant, content_type: str) -> None:
        response = _post_raw(tenant.user(), tenant.url(PROVIDERS), b'{"displayName":"x"}', content_type)

        assert response.status_code == 415


class TestUrls:
    def test_a_very_long_url_is_answered_in_the_envelope(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(f"{PROVIDERS}/{'a' * 7000}"))

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "notFound"

    def test_non_utf8_percent_escapes_in_the_path_are_answered(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(f"{PROVIDERS}/%ff%fe"))

        assert response.status_code in (400, 404)
        assert "error" in response.json()

    def test_non_utf8_percent_escapes_in_the_query_are_400(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS) + "?$filter=%ff")

        assert response.status_code == 400

    def test_a_key_literal_with_a_lone_quote_is_400(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(
            catalogue.tenant.url(
                "/employeeExperience/learningCourseActivities(externalcourseActivityId='a'b')"
            )
        )

        assert response.status_code == 400


class TestFilterInjection:
    @pytest.mark.parametrize(
        "text",
        [
            "displayName eq 'x' or 1 eq 1",
            "displayName eq 'x'; DROP TABLE learning_providers; --",
            "tenant_id ne 'x'",
            "displayName eq displayName",
        ],
        ids=["tautology", "stacked-statement", "column-name", "property-to-property"],
    )
    def test_injection_attempts_that_are_no_valid_filter_are_400_and_change_nothing(
        self, tenant: Tenant, other_tenant: Tenant, text: str
    ) -> None:
        other_tenant.provider(displayName="Someone else's")
        tenant.provider(displayName="Mine")

        response = tenant.user().get(tenant.url(PROVIDERS), params={"$filter": text})

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"
        assert [p["displayName"] for p in tenant.user().get(tenant.url(PROVIDERS)).json()["value"]] == [
            "Mine"
        ]
        assert (
            other_tenant.user().get(other_tenant.url(PROVIDERS)).json()["value"][0]["displayName"]
            == "Someone else's"
        )

    def test_a_quote_escaped_injection_is_one_string_literal_that_matches_only_that_text(
        self, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        other_tenant.provider(displayName="x' OR 1=1 --")
        tenant.provider(displayName="Mine")
        tenant.provider(displayName="x' OR 1=1 --")

        response = tenant.user().get(
            tenant.url(PROVIDERS), params={"$filter": "displayName eq 'x'' OR 1=1 --'"}
        )

        assert response.status_code == 200
        assert [p["displayName"] for p in response.json()["value"]] == ["x' OR 1=1 --"]


class TestSkipToken:
    def test_a_forged_deeply_nested_skiptoken_is_400(self, tenant: Tenant) -> None:
        import base64

        token = base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).decode()

        response = tenant.user().get(tenant.url(PROVIDERS), params={"$skiptoken": token})

        assert response.status_code == 400
        assert "$skiptoken" in response.json()["error"]["message"]


class TestNul:
    def test_a_nul_character_in_a_string_is_invalid_on_every_backend(self, tenant: Tenant) -> None:
        response = tenant.user().post(tenant.url(PROVIDERS), json={"displayName": "a\u0000b"})

        assert response.status_code == 400
        assert "Input field displayName is invalid" in response.json()["error"]["message"]
