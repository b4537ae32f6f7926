"""Graph platform behaviour every endpoint shares: envelope, headers, paths, bodies, options, paging."""

from __future__ import annotations

import re

import httpx

from tests.builders import Catalogue, Tenant

PROVIDERS = "/employeeExperience/learningProviders"


class TestErrorEnvelope:
    def test_an_error_has_code_message_and_inner_error_with_the_request_ids(self, tenant: Tenant) -> None:
        response = tenant.user().get(
            tenant.url(f"{PROVIDERS}/missing"), headers={"client-request-id": "abc-123"}
        )

        error = response.json()["error"]
        assert response.headers["content-type"].startswith("application/json")
        assert set(error) == {"code", "message", "innerError"}
        assert error["innerError"]["request-id"] == response.headers["request-id"]
        assert error["innerError"]["client-request-id"] == "abc-123"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", error["innerError"]["date"])

    def test_an_unknown_path_is_404_in_the_envelope(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url("/employeeExperience/learningThings"))

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "notFound"

    def test_an_unsupported_verb_is_405_in_the_envelope(self, tenant: Tenant) -> None:
        response = tenant.user().put(tenant.url(PROVIDERS), json={})

        assert response.status_code == 405
        assert response.json()["error"]["code"] == "methodNotAllowed"

    def test_a_request_without_a_token_is_401_with_a_challenge(self, tenant: Tenant) -> None:
        response = httpx.get(tenant.url(PROVIDERS))

        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


class TestHeaders:
    def test_every_reply_carries_request_ids_and_the_odata_version(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS))

        assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["request-id"])
        assert response.headers["client-request-id"] == response.headers["request-id"]
        assert response.headers["odata-version"] == "4.0"
        assert response.headers["cache-control"] == "no-store"

    def test_the_client_request_id_is_echoed(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS), headers={"client-request-id": "my-id"})

        assert response.headers["client-request-id"] == "my-id"


class TestPaths:
    def test_repeated_slashes_are_collapsed(self, tenant: Tenant) -> None:
        created = tenant.provider()

        response = tenant.user().get(
            f"{tenant.base_url}/v1.0//employeeExperience//learningProviders/{created['id']}"
        )

        assert response.status_code == 200
        assert response.json()["id"] == created["id"]


class TestBodies:
    def test_a_wrong_content_type_is_415(self, tenant: Tenant) -> None:
        response = tenant.user().post(
            tenant.url(PROVIDERS),
            content=b"displayName=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupportedMediaType"

    def test_a_body_over_the_limit_is_413(self, tenant: Tenant) -> None:
        response = tenant.user().post(
            tenant.url(PROVIDERS),
            content=b"{" + b" " * 1_100_000 + b"}",
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payloadTooLarge"

    def test_json_that_is_not_an_object_is_400(self, tenant: Tenant) -> None:
        response = tenant.user().post(tenant.url(PROVIDERS), json=[1, 2])

        assert response.status_code == 400

    def test_an_empty_body_is_400(self, tenant: Tenant) -> None:
        response = tenant.user().post(tenant.url(PROVIDERS), headers={"Content-Type": "application/json"})

        assert response.status_code == 400


class TestQueryOptions:
    def test_an_unknown_dollar_option_is_400_naming_it(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS), params={"$frobnicate": "1"})

        assert response.status_code == 400
        assert "$frobnicate" in response.json()["error"]["message"]

    def test_a_bad_top_is_400(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS), params={"$top": "-1"})

        assert response.status_code == 400
        assert "$top" in response.json()["error"]["message"]

    def test_a_filter_on_an_unknown_property_is_400(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(PROVIDERS), params={"$filter": "colour eq 'red'"})

        assert response.status_code == 400

    def test_filter_orderby_select_and_count_combine(self, tenant: Tenant) -> None:
        for name in ("Beta Academy", "Alpha Academy", "Gamma School"):
            tenant.provider(displayName=name)

        body = (
            tenant.user()
            .get(
                tenant.url(PROVIDERS),
                params={
                    "$filter": "endswith(displayName,'Academy') or startswith(displayName,'Alpha')",
                    "$orderby": "displayName desc",
                    "$select": "displayName",
                    "$count": "true",
                },
            )
            .json()
        )

        assert body["@odata.count"] == 2
        assert body["value"] == [{"displayName": "Beta Academy"}, {"displayName": "Alpha Academy"}]

    def test_the_count_segment_answers_plain_text(self, tenant: Tenant) -> None:
        tenant.provider()
        tenant.provider()

        response = tenant.user().get(tenant.url(f"{PROVIDERS}/$count"))

        assert response.text == "2"


class TestPaging:
    def test_next_links_are_absolute_keep_the_options_and_end(self, catalogue: Catalogue) -> None:
        for _ in range(5):
            catalogue.assignment(status="completed")
        catalogue.assignment(status="inProgress")
        client = catalogue.tenant.app()
        url: str | None = f"{catalogue.activities_url}?$top=2&$filter=status eq 'completed'&$select=id,status"
        pages = []
        while url is not None:
            body = client.get(url).json()
            pages.append(body)
            url = body.get("@odata.nextLink")
            if url is not None:
                assert url.startswith(catalogue.tenant.base_url + "/v1.0/")
                assert "$filter=" in url and "$select=" in url

        assert [len(p["value"]) for p in pages] == [2, 2, 1]
        assert {a["status"] for p in pages for a in p["value"]} == {"completed"}

    def test_ordered_pages_follow_the_order(self, catalogue: Catalogue) -> None:
        for percent in (30, 10, 20):
            catalogue.assignment(completionPercentage=percent)
        client = catalogue.tenant.app()

        first = client.get(
            catalogue.activities_url, params={"$orderby": "completionPercentage", "$top": "2"}
        ).json()
        second = client.get(first["@odata.nextLink"]).json()

        assert [a["completionPercentage"] for a in first["value"] + second["value"]] == [10, 20, 30]
        assert "@odata.nextLink" not in second
