"""learningProviders: register, read, list, change and remove."""

from __future__ import annotations

from tests.builders import Tenant, provider_body

PROVIDERS = "/employeeExperience/learningProviders"


class TestCreate:
    def test_a_provider_is_created_with_sync_disabled_by_default(self, tenant: Tenant) -> None:
        body = provider_body()
        del body["isCourseActivitySyncEnabled"]

        response = tenant.user().post(tenant.url(PROVIDERS), json=body)

        created = response.json()
        assert response.status_code == 201
        assert created["isCourseActivitySyncEnabled"] is False
        assert created["displayName"] == "Contoso Academy"
        assert (
            created["@odata.context"]
            == f"{tenant.base_url}/v1.0/$metadata#employeeExperience/learningProviders/$entity"
        )

    def test_every_missing_required_property_is_reported(self, tenant: Tenant) -> None:
        response = tenant.user().post(tenant.url(PROVIDERS), json={"loginWebUrl": "https://x.example"})

        targets = {d["target"] for d in response.json()["error"]["details"]}
        assert response.status_code == 400
        assert targets == {
            "displayName",
            "longLogoWebUrlForDarkTheme",
            "longLogoWebUrlForLightTheme",
            "squareLogoWebUrlForDarkTheme",
            "squareLogoWebUrlForLightTheme",
        }

    def test_a_logo_that_is_not_a_web_url_is_invalid(self, tenant: Tenant) -> None:
        response = tenant.user().post(
            tenant.url(PROVIDERS), json=provider_body(squareLogoWebUrlForDarkTheme="logo.png")
        )

        assert response.json()["error"]["message"] == "Input field squareLogoWebUrlForDarkTheme is invalid"

    def test_an_application_cannot_register_a_provider(self, tenant: Tenant) -> None:
        response = tenant.app().post(tenant.url(PROVIDERS), json=provider_body())

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "Forbidden"

    def test_read_only_scope_cannot_register_a_provider(self, tenant: Tenant) -> None:
        response = tenant.user(scopes=["LearningProvider.Read"]).post(
            tenant.url(PROVIDERS), json=provider_body()
        )

        assert response.status_code == 403


class TestRead:
    def test_a_provider_is_read_by_id(self, tenant: Tenant) -> None:
        created = tenant.provider()

        response = tenant.user(scopes=["LearningProvider.Read"]).get(
            tenant.url(f"{PROVIDERS}/{created['id']}")
        )

        assert response.status_code == 200
        assert response.json() == created

    def test_the_list_holds_only_this_tenants_providers(self, tenant: Tenant) -> None:
        mine = tenant.provider()

        listed = tenant.user().get(tenant.url(PROVIDERS)).json()

        assert [p["id"] for p in listed["value"]] == [mine["id"]]
        assert listed["@odata.context"].endswith("/v1.0/$metadata#employeeExperience/learningProviders")

    def test_an_unknown_provider_is_404(self, tenant: Tenant) -> None:
        response = tenant.user().get(tenant.url(f"{PROVIDERS}/does-not-exist"))

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "notFound"


class TestUpdate:
    def test_an_update_answers_204_and_changes_only_what_was_sent(self, tenant: Tenant) -> None:
        created = tenant.provider(isCourseActivitySyncEnabled=False)
        url = tenant.url(f"{PROVIDERS}/{created['id']}")

        response = tenant.user().patch(url, json={"isCourseActivitySyncEnabled": True})
        read = tenant.user().get(url).json()

        assert response.status_code == 204
        assert read["isCourseActivitySyncEnabled"] is True
        assert read["displayName"] == created["displayName"]

    def test_a_required_property_cannot_be_cleared(self, tenant: Tenant) -> None:
        created = tenant.provider()

        response = tenant.user().patch(tenant.url(f"{PROVIDERS}/{created['id']}"), json={"displayName": None})

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field displayName is required"


class TestDelete:
    def test_both_delete_paths_remove_the_provider(self, tenant: Tenant) -> None:
        for suffix in ("", "/$ref"):
            created = tenant.provider()

            response = tenant.user().delete(tenant.url(f"{PROVIDERS}/{created['id']}{suffix}"))

            assert response.status_code == 204
            assert tenant.user().get(tenant.url(f"{PROVIDERS}/{created['id']}")).status_code == 404

    def test_deleting_a_provider_removes_its_contents_and_activities(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        content = tenant.content(provider["id"])
        activity = tenant.activity(provider["id"], tenant.assignment_body(content["id"]))

        tenant.user().delete(tenant.url(f"{PROVIDERS}/{provider['id']}"))

        read = tenant.app().get(tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}"))
        assert read.status_code == 404
        listed = tenant.app().get(tenant.url("/employeeExperience/learningCourseActivities")).json()
        assert listed["value"] == []
