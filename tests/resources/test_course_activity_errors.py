"""Every row of seed 001's error table that the service can produce, with its exact status, code and message."""

from __future__ import annotations

from typing import Any

import httpx

from learninggraph.storage.database import Database
from tests.builders import Catalogue, Tenant


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


class TestMethodNotSupported:
    def test_patch_on_the_users_view_is_405_method_not_allowed(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant
        url = tenant.url(
            f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities/{activity['id']}"
        )

        response = tenant.app().patch(url, json={"status": "completed"})

        assert response.status_code == 405
        assert error_of(response) == {
            **error_of(response),
            "code": "methodNotAllowed",
            "message": "This method isn't supported for this entity type. "
            "See the Microsoft Graph documentation for the methods applicable to this entity.",
        }

    def test_put_on_an_activity_is_405(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().put(f"{catalogue.activities_url}/{activity['id']}", json={})

        assert response.status_code == 405
        assert error_of(response)["code"] == "methodNotAllowed"


class TestPermissionScope:
    NO_ACCESS = "Your account doesn't have access to this report or data. Contact your administrator to request access."

    def test_an_app_without_a_course_permission_cannot_update(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app(["LearningContent.Read.All"]).patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert response.status_code == 403
        assert error_of(response)["code"] == "Forbidden"
        assert error_of(response)["message"] == self.NO_ACCESS

    def test_an_app_with_only_self_initiated_permission_cannot_update_an_assignment(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app(["LearningSelfInitiatedCourse.ReadWrite.All"]).patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert response.status_code == 403

    def test_a_signed_in_user_cannot_update_because_delegated_is_not_supported(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.user().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert response.status_code == 403
        assert error_of(response)["message"] == self.NO_ACCESS


class TestServicePlan:
    def test_a_tenant_without_a_learning_plan_is_403(self, tenant: Tenant, database: Database) -> None:
        provider = tenant.provider()
        content = tenant.content(provider["id"])
        with database.transaction() as conn:
            conn.execute("UPDATE tenants SET has_learning_plan = 0 WHERE id = ?", (tenant.tenant_id,))

        response = tenant.app().post(
            tenant.url(f"/employeeExperience/learningProviders/{provider['id']}/learningCourseActivities"),
            json=tenant.assignment_body(content["id"]),
        )

        assert response.status_code == 403
        assert error_of(response)["code"] == "Forbidden"
        assert error_of(response)["message"] == "You don't have an adequate service plan for this request."


class TestProvider:
    def test_a_provider_with_sync_disabled_cannot_create(self, tenant: Tenant) -> None:
        provider = tenant.provider(isCourseActivitySyncEnabled=False)
        content = tenant.content(provider["id"])

        response = tenant.app().post(
            tenant.url(f"/employeeExperience/learningProviders/{provider['id']}/learningCourseActivities"),
            json=tenant.assignment_body(content["id"]),
        )

        assert response.status_code == 400
        assert error_of(response)["code"] == "badRequest"
        assert error_of(response)["message"] == "This provider isn't enabled for the given tenant."

    def test_a_provider_whose_sync_was_turned_off_cannot_update(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant
        tenant.user(scopes=["LearningProvider.ReadWrite"]).patch(
            tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}"),
            json={"isCourseActivitySyncEnabled": False},
        )

        response = tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert response.status_code == 400
        assert error_of(response)["message"] == "This provider isn't enabled for the given tenant."

    def test_an_unknown_registration_id_is_400(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant

        response = tenant.app().post(
            tenant.url(
                "/employeeExperience/learningProviders/00000000-0000-0000-0000-000000000000/learningCourseActivities"
            ),
            json=tenant.assignment_body(catalogue.content_id),
        )

        assert response.status_code == 400
        assert error_of(response)["message"] == (
            "There was an issue with your request. "
            "Make sure the registrationId you entered is valid or registered for your tenant."
        )

    def test_another_tenants_registration_id_is_the_same_400(
        self, catalogue: Catalogue, other_tenant: Tenant
    ) -> None:
        path = f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningCourseActivities"

        other = other_tenant.app().post(
            other_tenant.url(path), json=other_tenant.assignment_body(catalogue.content_id)
        )

        assert other.status_code == 400
        assert "registrationId" in error_of(other)["message"]


class TestNotFound:
    def test_updating_an_unknown_activity_is_404_with_the_update_message(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/nope", json={"status": "completed"}
        )

        assert response.status_code == 404
        assert error_of(response)["code"] == "notFound"
        assert error_of(response)["message"] == "The assignment ID requested doesn’t exist."

    def test_getting_an_unknown_activity_is_404_with_the_read_message(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(
            catalogue.tenant.url("/employeeExperience/learningCourseActivities/nope")
        )

        assert response.status_code == 404
        assert error_of(response)["message"] == "The requested assignment ID doesn’t exist."

    def test_deleting_an_unknown_activity_is_404(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().delete(f"{catalogue.activities_url}/nope")

        assert response.status_code == 404

    def test_an_activity_of_another_provider_is_not_found_under_this_one(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        other = catalogue.tenant.provider()

        response = catalogue.tenant.app().get(
            catalogue.tenant.url(
                f"/employeeExperience/learningProviders/{other['id']}/learningCourseActivities/{activity['id']}"
            )
        )

        assert response.status_code == 404


class TestInputFields:
    def test_every_missing_required_field_is_reported_at_once(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().post(
            catalogue.activities_url, json={"@odata.type": "#microsoft.graph.learningAssignment"}
        )

        error = error_of(response)
        assert response.status_code == 400
        assert error["code"] == "badRequest"
        targets = {d["target"] for d in error["details"]}
        assert targets == {"learnerUserId", "learningContentId", "status", "assignmentType"}
        assert "Input field learnerUserId is required" in error["message"]
        assert "Input field assignmentType is required" in error["message"]

    def test_a_single_failing_field_gives_exactly_the_documented_message(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 101}
        )

        assert response.status_code == 400
        assert error_of(response)["message"] == "Input field completionPercentage is invalid"

    def test_an_empty_learner_is_reported_as_empty(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id, learnerUserId="")

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert error_of(response)["message"] == "Input field learnerUserId shouldn't be empty"

    def test_invalid_and_missing_fields_are_reported_together(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(
            catalogue.content_id, status="started", completionPercentage=-1
        )
        del body["learnerUserId"]

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        messages = {d["message"] for d in error_of(response)["details"]}
        assert messages == {
            "Input field status is invalid",
            "Input field completionPercentage is invalid",
            "Input field learnerUserId is required",
        }

    def test_a_missing_odata_type_is_required(self, catalogue: Catalogue) -> None:
        body = catalogue.tenant.assignment_body(catalogue.content_id)
        del body["@odata.type"]

        response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert error_of(response)["message"] == "Input field @odata.type is required"


class TestContentProvider:
    def test_content_of_another_provider_is_403(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        other = tenant.provider()
        foreign = tenant.content(other["id"])

        response = tenant.app().post(catalogue.activities_url, json=tenant.assignment_body(foreign["id"]))

        assert response.status_code == 403
        assert error_of(response)["code"] == "Forbidden"
        assert error_of(response)["message"] == (
            "The provider isn't valid to create course activity for the given learning content"
        )


class TestLicence:
    def test_a_learner_without_a_premium_licence_cannot_be_assigned(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        unlicensed = tenant.new_user(licensed=False)

        response = tenant.app().post(
            catalogue.activities_url,
            json=tenant.assignment_body(catalogue.content_id, learnerUserId=unlicensed.id),
        )

        assert response.status_code == 403
        assert error_of(response)["message"] == "The user license isn't valid to perform the operation"

    def test_an_update_for_a_learner_who_lost_the_licence_is_403(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment()
        with database.transaction() as conn:
            conn.execute(
                "UPDATE users SET has_learning_license = 0 WHERE tenant_id = ? AND id = ?",
                (catalogue.tenant.tenant_id, catalogue.tenant.learner.id),
            )

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert response.status_code == 403
        assert error_of(response)["message"] == "The user license is not valid to perform the operation"
