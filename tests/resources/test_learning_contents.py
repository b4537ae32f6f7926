"""learningContents: the upsert by externalId, reads, and removal."""

from __future__ import annotations

from urllib.parse import quote

from tests.builders import Tenant, content_body


def contents(provider_id: str) -> str:
    return f"/employeeExperience/learningProviders/{provider_id}/learningContents"


class TestUpsert:
    def test_the_upsert_creates_a_missing_content_with_202_and_defaults(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-1')"), json=content_body()
        )

        body = response.json()
        assert response.status_code == 202
        assert body["externalId"] == "course-1"
        assert (body["isActive"], body["isPremium"], body["isSearchable"]) == (True, False, True)
        assert body["level"] == "beginner"
        assert body["duration"] == "PT1H30M"
        assert body["@odata.context"].endswith(
            f"learningProviders('{provider['id']}')/learningContents/$entity"
        )

    def test_the_upsert_of_an_existing_content_replaces_its_metadata(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        first = tenant.content(
            provider["id"], "course-2", description="Intro", skillTags=["python"], isActive=False
        )

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-2')"),
            json={
                "title": "Python 102",
                "contentWebUrl": "https://contoso.example/102",
                "languageTag": "fr-fr",
            },
        )

        second = response.json()
        assert response.status_code == 202
        assert second["id"] == first["id"]
        assert (second["title"], second["languageTag"]) == ("Python 102", "fr-fr")
        assert (second["description"], second["duration"], second["level"], second["skillTags"]) == (
            None,
            None,
            None,
            None,
        )
        assert (second["isActive"], second["isPremium"], second["isSearchable"]) == (True, False, True)

    def test_a_replacing_upsert_must_send_the_required_properties(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        tenant.content(provider["id"], "course-4", description="Intro")
        url = tenant.url(f"{contents(provider['id'])}(externalId='course-4')")

        response = tenant.app().patch(url, json={"title": "Python 102"})

        assert response.status_code == 400
        assert {d["message"] for d in response.json()["error"]["details"]} == {
            "Input field contentWebUrl is required",
            "Input field languageTag is required",
        }
        assert tenant.app().get(url).json()["description"] == "Intro"

    def test_a_patch_by_id_replaces_the_metadata_too(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        first = tenant.content(provider["id"], "course-5", description="Intro", numberOfPages=12)
        url = tenant.url(f"{contents(provider['id'])}/{first['id']}")

        response = tenant.app().patch(url, json=content_body(title="Python 103"))

        assert response.status_code == 202
        assert response.json()["externalId"] == "course-5"
        assert (response.json()["description"], response.json()["numberOfPages"]) == (None, None)

    def test_a_patch_by_an_id_of_no_content_is_404_and_creates_nothing(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        missing = "00000000-0000-4000-8000-0000000000c0"

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}/{missing}"), json=content_body(title="Ghost")
        )

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "notFound"
        assert tenant.app().get(tenant.url(contents(provider["id"]))).json()["value"] == []

    def test_creating_without_the_required_properties_reports_each(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-3')"), json={"description": "x"}
        )

        assert response.status_code == 400
        assert {d["target"] for d in response.json()["error"]["details"]} == {
            "title",
            "contentWebUrl",
            "languageTag",
        }

    def test_the_python_sdk_duration_form_is_accepted_and_emitted_as_iso_8601(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        created = tenant.content(provider["id"], duration="1 day, 2:00:30.500000")

        assert created["duration"] == "P1DT2H30.5S"

    def test_an_external_id_with_reserved_characters_round_trips(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        external = "a/b c'd&e?f#g"
        url = tenant.url(f"{contents(provider['id'])}(externalId='{quote(external, safe='')}')")

        created = tenant.app().patch(url, json=content_body()).json()
        read = tenant.app().get(url).json()

        assert created["externalId"] == external
        assert read["id"] == created["id"]

    def test_changing_the_external_id_in_the_body_is_invalid(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-4')"),
            json=content_body(externalId="other"),
        )

        assert response.json()["error"]["message"] == "Input field externalId is invalid"

    def test_a_signed_in_user_cannot_write_content(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.user().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-5')"), json=content_body()
        )

        assert response.status_code == 403

    def test_an_unknown_level_is_invalid(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().patch(
            tenant.url(f"{contents(provider['id'])}(externalId='course-6')"),
            json=content_body(level="expert"),
        )

        assert response.json()["error"]["message"] == "Input field level is invalid"


class TestRead:
    def test_a_content_is_read_by_id_and_by_external_id(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        created = tenant.content(provider["id"], "course-7")

        by_id = tenant.app(["LearningContent.Read.All"]).get(
            tenant.url(f"{contents(provider['id'])}/{created['id']}")
        )
        by_key = tenant.user().get(tenant.url(f"{contents(provider['id'])}(externalId='course-7')"))

        assert by_id.json()["id"] == created["id"]
        assert by_key.json()["id"] == created["id"]

    def test_the_list_pages_through_next_links(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        made = {tenant.content(provider["id"])["id"] for _ in range(5)}

        seen: list[str] = []
        url: str | None = tenant.url(contents(provider["id"])) + "?$top=2"
        client = tenant.app()
        while url:
            page = client.get(url).json()
            seen.extend(item["id"] for item in page["value"])
            url = page.get("@odata.nextLink")

        assert sorted(seen) == sorted(made)

    def test_an_unknown_content_is_404(self, tenant: Tenant) -> None:
        provider = tenant.provider()

        response = tenant.app().get(tenant.url(f"{contents(provider['id'])}(externalId='missing')"))

        assert response.status_code == 404


class TestDelete:
    def test_both_delete_paths_remove_the_content(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        for path in ("(externalId='{ext}')", "/{id}/$ref", "(externalId='{ext}')/$ref", "/{id}"):
            created = tenant.content(provider["id"])
            suffix = path.format(ext=created["externalId"], id=created["id"])

            response = tenant.app().delete(tenant.url(contents(provider["id"]) + suffix))

            assert response.status_code == 204, path
            assert (
                tenant.app().get(tenant.url(f"{contents(provider['id'])}/{created['id']}")).status_code == 404
            )

    def test_deleting_a_content_removes_the_activities_about_it(self, tenant: Tenant) -> None:
        provider = tenant.provider()
        content = tenant.content(provider["id"])
        activity = tenant.activity(provider["id"], tenant.assignment_body(content["id"]))

        tenant.app().delete(tenant.url(f"{contents(provider['id'])}/{content['id']}"))

        read = tenant.app().get(tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}"))
        assert read.status_code == 404
