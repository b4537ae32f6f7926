"""Course activities: create, read in every path form, update rules, delete, and the collections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.builders import Catalogue, Tenant


class TestCreate:
    def test_an_assignment_is_created_with_its_generated_id_type_context_and_provider(
        self, catalogue: Catalogue
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id)

        response = tenant.app().post(catalogue.activities_url, json=body)

        created = response.json()
        assert response.status_code == 201
        assert created["@odata.type"] == "#microsoft.graph.learningAssignment"
        assert created["@odata.context"] == (
            f"{tenant.base_url}/v1.0/$metadata#employeeExperience/learningProviders('{catalogue.provider_id}')"
            "/learningCourseActivities/$entity"
        )
        assert created["id"]
        assert created["learningProviderId"] == catalogue.provider_id
        assert created["assignedDateTime"] == "2021-05-11T22:57:17Z"
        assert created["dueDateTime"] == {"dateTime": "2022-09-22T16:05:00.0000000", "timeZone": "UTC"}
        assert created["notes"] == {"content": "required assignment added for user", "contentType": "text"}
        assert response.headers["location"].endswith(
            f"/v1.0/employeeExperience/learningCourseActivities/{created['id']}"
        )

    def test_a_self_initiated_course_is_created(self, catalogue: Catalogue) -> None:
        created = catalogue.self_initiated()

        assert created["@odata.type"] == "#microsoft.graph.learningSelfInitiatedCourse"
        assert created["startedDateTime"] == "2021-05-11T22:57:17Z"
        assert "assignmentType" not in created

    def test_the_tenant_collection_takes_the_provider_from_the_body(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id, learningProviderId=catalogue.provider_id)

        response = tenant.app().post(tenant.url("/employeeExperience/learningCourseActivities"), json=body)

        assert response.status_code == 201
        assert response.json()["learningProviderId"] == catalogue.provider_id

    def test_the_tenant_collection_requires_the_provider_in_the_body(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant

        response = tenant.app().post(
            tenant.url("/employeeExperience/learningCourseActivities"),
            json=tenant.assignment_body(catalogue.content_id),
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field learningProviderId is required"

    def test_a_body_provider_that_differs_from_the_path_is_invalid(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, learningProviderId="someone-else")

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.json()["error"]["message"] == "Input field learningProviderId is invalid"

    def test_enum_values_are_accepted_in_any_letter_case_and_emitted_canonical(
        self, catalogue: Catalogue
    ) -> None:
        created = catalogue.assignment(status="InProgress", assignmentType="RECOMMENDED")

        assert created["status"] == "inProgress"
        assert created["assignmentType"] == "recommended"

    def test_the_documentation_spelling_of_the_external_id_is_accepted_and_the_metadata_spelling_emitted(
        self, catalogue: Catalogue
    ) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id)
        external = body.pop("externalcourseActivityId")
        body["externalCourseActivityId"] = external

        created = catalogue.tenant.activity(catalogue.provider_id, body)

        assert created["externalcourseActivityId"] == external
        assert "externalCourseActivityId" not in created

    @pytest.mark.parametrize("second", [0, None, "", "x" * 300, "another-external-id"])
    def test_both_spellings_of_the_external_id_with_a_second_value_not_the_same_are_invalid(
        self, catalogue: Catalogue, second: object
    ) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id)
        body["externalCourseActivityId"] = second

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field externalcourseActivityId is invalid"

    def test_the_documentation_type_name_learning_self_initiated_is_an_alias(
        self, catalogue: Catalogue
    ) -> None:
        created = catalogue.self_initiated(**{"@odata.type": "#microsoft.graph.learningSelfInitiated"})

        assert created["@odata.type"] == "#microsoft.graph.learningSelfInitiatedCourse"

    def test_self_initiated_not_started_is_invalid_in_v1(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.self_initiated_body(catalogue.content_id, status="notStarted")

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field status is invalid"

    def test_self_initiated_not_started_is_accepted_in_beta(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        body = tenant.self_initiated_body(catalogue.content_id, status="notStarted")

        response = tenant.app().post(
            tenant.url(
                f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningCourseActivities",
                "beta",
            ),
            json=body,
        )

        assert response.status_code == 201
        assert response.json()["@odata.context"].startswith(f"{tenant.base_url}/beta/$metadata#")

    def test_date_times_with_offsets_are_stored_and_emitted_in_utc(self, catalogue: Catalogue) -> None:
        created = catalogue.assignment(completedDateTime="2024-03-10T01:30:00-05:00")

        assert created["completedDateTime"] == "2024-03-10T06:30:00Z"

    def test_naive_date_times_are_read_as_utc(self, catalogue: Catalogue) -> None:
        created = catalogue.assignment(completedDateTime="2024-03-10T01:30:00.25")

        assert created["completedDateTime"] == "2024-03-10T01:30:00.25Z"

    def test_a_date_time_that_is_not_iso_8601_is_invalid(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, completedDateTime="March 10th")

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.json()["error"]["message"] == "Input field completedDateTime is invalid"

    def test_a_duplicate_external_id_under_one_provider_is_409(self, catalogue: Catalogue) -> None:
        first = catalogue.assignment()
        body = catalogue.tenant.assignment_body(
            catalogue.content_id, externalcourseActivityId=first["externalcourseActivityId"]
        )

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"

    def test_peer_recommended_needs_the_include_unknown_enum_members_preference(
        self, catalogue: Catalogue
    ) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, assignmentType="peerRecommended")

        rejected = catalogue.tenant.app().post(catalogue.activities_url, json=body)
        accepted = catalogue.tenant.app().post(
            catalogue.activities_url, json=body, headers={"Prefer": "include-unknown-enum-members"}
        )

        assert rejected.status_code == 400
        assert accepted.status_code == 201
        assert accepted.json()["assignmentType"] == "peerRecommended"

    def test_peer_recommended_reads_as_unknown_future_value_without_the_preference(
        self, catalogue: Catalogue
    ) -> None:
        created = (
            catalogue.tenant.app()
            .post(
                catalogue.activities_url,
                json=catalogue.tenant.assignment_body(catalogue.content_id, assignmentType="peerRecommended"),
                headers={"Prefer": "include-unknown-enum-members"},
            )
            .json()
        )

        read = catalogue.tenant.app().get(f"{catalogue.activities_url}/{created['id']}").json()

        assert read["assignmentType"] == "unknownFutureValue"

    def test_an_unknown_property_is_invalid(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, completionPercentge=5)

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.json()["error"]["message"] == "Input field completionPercentge is invalid"

    def test_an_unknown_learner_is_invalid(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, learnerUserId="nobody")

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field learnerUserId is invalid"


class TestGet:
    @pytest.fixture
    def activity(self, catalogue: Catalogue) -> dict[str, str]:
        created = catalogue.assignment(externalcourseActivityId="a/b c'd&e?f#g")
        return {"id": created["id"], "external": created["externalcourseActivityId"]}

    def paths(self, catalogue: Catalogue, activity: dict[str, str]) -> list[str]:
        tenant = catalogue.tenant
        provider = f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningCourseActivities"
        return [
            f"{provider}/{activity['id']}",
            f"/employeeExperience/learningCourseActivities/{activity['id']}",
            f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities/{activity['id']}",
        ]

    def test_every_id_form_reads_the_same_activity(
        self, catalogue: Catalogue, activity: dict[str, str]
    ) -> None:
        client = catalogue.tenant.app()

        bodies = [client.get(catalogue.tenant.url(p)).json() for p in self.paths(catalogue, activity)]

        assert {b["id"] for b in bodies} == {activity["id"]}

    def test_me_reads_the_signed_in_learners_activity(
        self, catalogue: Catalogue, activity: dict[str, str]
    ) -> None:
        response = catalogue.tenant.user().get(
            catalogue.tenant.url(f"/me/employeeExperience/learningCourseActivities/{activity['id']}")
        )

        assert response.status_code == 200
        assert response.json()["id"] == activity["id"]

    @pytest.mark.parametrize(
        "segment",
        [
            "learningCourseActivities(externalcourseActivityId='{sdk}')",
            "learningCourseActivities(externalCourseActivityId='{sdk}')",
            "learningCourseActivities(externalcourseActivityId=%27{sdk}%27)",
            "learningCourseActivities(externalcourseActivityId='{odata}')",
        ],
        ids=["sdk-encoded", "documentation-casing", "encoded-quotes", "odata-doubled-quote"],
    )
    def test_the_alternate_key_is_read_in_every_form_a_client_sends(
        self, catalogue: Catalogue, activity: dict[str, str], segment: str
    ) -> None:
        sdk = quote(activity["external"], safe="")
        odata = quote(activity["external"].replace("'", "''"), safe="'")
        path = segment.format(sdk=sdk, odata=odata)
        provider = f"/employeeExperience/learningProviders/{catalogue.provider_id}/"

        response = catalogue.tenant.app().get(catalogue.tenant.url(provider + path))

        assert response.status_code == 200, response.text
        assert response.json()["id"] == activity["id"]

    def test_an_unquoted_alternate_key_is_read_as_older_pages_show(self, catalogue: Catalogue) -> None:
        created = catalogue.assignment(externalcourseActivityId="12a2228a-e020-11ec-9d64-0242ac120002")

        response = catalogue.tenant.app().get(
            catalogue.tenant.url(
                "/employeeExperience/learningCourseActivities(externalCourseActivityId=12a2228a-e020-11ec-9d64-0242ac120002)"
            )
        )

        assert response.json()["id"] == created["id"]

    def test_the_alternate_key_works_under_the_users_view(
        self, catalogue: Catalogue, activity: dict[str, str]
    ) -> None:
        tenant = catalogue.tenant
        key = quote(activity["external"], safe="")

        response = tenant.app().get(
            tenant.url(
                f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities(externalcourseActivityId='{key}')"
            )
        )

        assert response.json()["id"] == activity["id"]

    def test_select_narrows_the_properties_and_the_context(
        self, catalogue: Catalogue, activity: dict[str, str]
    ) -> None:
        response = catalogue.tenant.app().get(
            catalogue.tenant.url(
                f"/employeeExperience/learningCourseActivities/{activity['id']}?$select=status,id"
            )
        )

        body = response.json()
        assert set(body) == {"@odata.context", "@odata.type", "status", "id"}
        assert body["@odata.context"].endswith(
            "#employeeExperience/learningCourseActivities(status,id)/$entity"
        )

    def test_an_app_with_only_assignment_read_cannot_read_a_self_initiated_course(
        self, catalogue: Catalogue
    ) -> None:
        created = catalogue.self_initiated()

        response = catalogue.tenant.app(["LearningAssignedCourse.Read.All"]).get(
            f"{catalogue.activities_url}/{created['id']}"
        )

        assert response.status_code == 403

    def test_me_with_an_application_token_is_400(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(
            catalogue.tenant.url("/me/employeeExperience/learningCourseActivities")
        )

        assert response.status_code == 400
        assert (
            response.json()["error"]["message"]
            == "/me request is only valid with delegated authentication flow."
        )


class TestUpdate:
    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("learnerUserId", "someone-else"),
            ("learningContentId", "other-content"),
            ("learningProviderId", "other-provider"),
            ("externalcourseActivityId", "other-external"),
            ("@odata.type", "#microsoft.graph.learningSelfInitiatedCourse"),
        ],
    )
    def test_changing_a_property_that_identifies_the_activity_is_invalid(
        self, catalogue: Catalogue, name: str, value: str
    ) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={name: value}
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == f"Input field {name} is invalid"

    def test_annotations_and_the_id_in_a_body_are_ignored(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        body = {
            "@odata.context": "http://x/$metadata#e/$entity",
            "@odata.etag": 'W/"1"',
            "id": "ignored",
            "status": "completed",
        }

        response = catalogue.tenant.app().patch(f"{catalogue.activities_url}/{activity['id']}", json=body)

        assert response.status_code == 204

    def test_a_property_of_the_other_type_is_invalid(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"startedDateTime": "2024-01-01T00:00:00Z"}
        )

        assert response.json()["error"]["message"] == "Input field startedDateTime is invalid"

    def test_an_update_without_status_keeps_the_status(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment(status="inProgress")
        url = f"{catalogue.activities_url}/{activity['id']}"

        catalogue.tenant.app().patch(url, json={"completionPercentage": 40})

        assert catalogue.tenant.app().get(url).json()["status"] == "inProgress"

    def test_a_failed_update_changes_nothing(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        url = f"{catalogue.activities_url}/{activity['id']}"

        catalogue.tenant.app().patch(url, json={"completionPercentage": 50, "status": "bogus"})

        assert catalogue.tenant.app().get(url).json()["completionPercentage"] == 10

    def test_the_tenant_and_alternate_key_forms_update_too(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant
        root = tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}")
        by_key = tenant.url(
            f"/employeeExperience/learningCourseActivities(externalcourseActivityId='{activity['externalcourseActivityId']}')"
        )

        first = tenant.app().patch(root, json={"completionPercentage": 30})
        second = tenant.app().patch(by_key, json={"completionPercentage": 60})

        assert (first.status_code, second.status_code) == (204, 204)
        assert tenant.app().get(root).json()["completionPercentage"] == 60


class TestDelete:
    def test_each_writable_form_deletes(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        forms: list[Callable[[dict[str, Any]], str]] = [
            lambda a: f"{catalogue.activities_url}/{a['id']}",
            lambda a: tenant.url(f"/employeeExperience/learningCourseActivities/{a['id']}"),
            lambda a: (
                f"{catalogue.activities_url}(externalcourseActivityId='{a['externalcourseActivityId']}')"
            ),
        ]
        for form in forms:
            activity = catalogue.assignment()

            response = tenant.app().delete(form(activity))

            assert response.status_code == 204
            assert (
                tenant.app()
                .get(tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}"))
                .status_code
                == 404
            )


class TestCollections:
    def test_the_learners_view_lists_both_types_across_providers(self, tenant: Tenant) -> None:
        first = tenant.provider()
        second = tenant.provider()
        a = tenant.activity(first["id"], tenant.assignment_body(tenant.content(first["id"])["id"]))
        b = tenant.activity(second["id"], tenant.self_initiated_body(tenant.content(second["id"])["id"]))

        response = tenant.user().get(
            tenant.url(f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities")
        )

        types = {item["id"]: item["@odata.type"] for item in response.json()["value"]}
        assert types == {
            a["id"]: "#microsoft.graph.learningAssignment",
            b["id"]: "#microsoft.graph.learningSelfInitiatedCourse",
        }

    def test_me_lists_only_the_signed_in_learners_activities(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        mine = catalogue.assignment()
        other = tenant.new_user()
        catalogue.assignment(learnerUserId=other.id)

        response = tenant.user(scopes=["LearningAssignedCourse.Read"]).get(
            tenant.url("/me/employeeExperience/learningCourseActivities")
        )

        assert [item["id"] for item in response.json()["value"]] == [mine["id"]]

    def test_a_learner_with_read_only_cannot_list_another_learner(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        other = tenant.new_user()

        response = tenant.user(scopes=["LearningAssignedCourse.Read"]).get(
            tenant.url(f"/users/{other.id}/employeeExperience/learningCourseActivities")
        )

        assert response.status_code == 403

    def test_listing_a_users_view_with_an_application_token_is_not_supported(
        self, catalogue: Catalogue
    ) -> None:
        tenant = catalogue.tenant

        response = tenant.app().get(
            tenant.url(f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities")
        )

        assert response.status_code == 403

    def test_the_provider_and_tenant_collections_list_what_the_provider_synced(
        self, catalogue: Catalogue
    ) -> None:
        created = {catalogue.assignment()["id"], catalogue.self_initiated()["id"]}
        tenant = catalogue.tenant

        by_provider = tenant.app().get(catalogue.activities_url).json()["value"]
        by_tenant = (
            tenant.app().get(tenant.url("/employeeExperience/learningCourseActivities")).json()["value"]
        )

        assert {a["id"] for a in by_provider} == created
        assert {a["id"] for a in by_tenant} == created

    def test_an_app_sees_only_the_types_it_may_read(self, catalogue: Catalogue) -> None:
        assignment = catalogue.assignment()
        catalogue.self_initiated()

        listed = (
            catalogue.tenant.app(["LearningAssignedCourse.Read.All"]).get(catalogue.activities_url).json()
        )

        assert [a["id"] for a in listed["value"]] == [assignment["id"]]

    def test_count_and_filter_work_on_the_collection(self, catalogue: Catalogue) -> None:
        for status in ("notStarted", "inProgress", "completed"):
            catalogue.assignment(status=status)

        filtered = (
            catalogue.tenant.app()
            .get(catalogue.activities_url, params={"$filter": "status eq 'completed'", "$count": "true"})
            .json()
        )
        counted = catalogue.tenant.app().get(
            f"{catalogue.activities_url}/$count", params={"$filter": "status ne 'completed'"}
        )

        assert filtered["@odata.count"] == 1
        assert [a["status"] for a in filtered["value"]] == ["completed"]
        assert counted.text == "2"
        assert counted.headers["content-type"].startswith("text/plain")


class TestEvolvableEnums:
    def test_the_sentinel_read_without_the_preference_is_treated_as_absent_when_sent_back(
        self, catalogue: Catalogue
    ) -> None:
        created = (
            catalogue.tenant.app()
            .post(
                catalogue.activities_url,
                json=catalogue.tenant.assignment_body(catalogue.content_id, assignmentType="peerRecommended"),
                headers={"Prefer": "include-unknown-enum-members"},
            )
            .json()
        )
        url = f"{catalogue.activities_url}/{created['id']}"
        read = catalogue.tenant.app().get(url).json()

        response = catalogue.tenant.app().patch(
            url, json={"assignmentType": read["assignmentType"], "status": "completed"}
        )
        stored = catalogue.tenant.app().get(url, headers={"Prefer": "include-unknown-enum-members"}).json()

        assert read["assignmentType"] == "unknownFutureValue"
        assert response.status_code == 204
        assert (stored["assignmentType"], stored["status"]) == ("peerRecommended", "completed")
