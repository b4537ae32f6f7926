"""The get, update and delete pages' error rows, each with its status, code and message exactly as printed.

Rows tested elsewhere: 405 and the update page's scope, input-field and create rows in
test_course_activity_errors.py; 429 in tests/http/test_throttling.py; 503 in tests/storage
(test_sqlite_disk_full.py, test_postgres_outage.py); 500 in tests/http/test_internal_error.py.
"""

from __future__ import annotations

from typing import Any

import httpx

from learninggraph.storage.database import Database
from tests.builders import Catalogue

NOT_ENABLED = "This provider isn't enabled for the given tenant."
BAD_REGISTRATION = (
    "There was an issue with your request. "
    "Make sure the registrationId you entered is valid or registered for your tenant."
)
NO_ACCESS = (
    "Your account doesn't have access to this report or data. Contact your administrator to request access."
)
NO_PLAN = "You don't have an adequate service plan for this request."
UNKNOWN_PROVIDER = "00000000-0000-0000-0000-000000000000"


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error: dict[str, Any] = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def turn_sync_off(catalogue: Catalogue) -> None:
    response = catalogue.tenant.user(scopes=["LearningProvider.ReadWrite"]).patch(
        catalogue.tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}"),
        json={"isCourseActivitySyncEnabled": False},
    )
    assert response.status_code == 204


def withdraw_plan(catalogue: Catalogue, database: Database) -> None:
    with database.transaction() as conn:
        conn.execute("UPDATE tenants SET has_learning_plan = 0 WHERE id = ?", (catalogue.tenant.tenant_id,))


class TestProviderNotEnabled:
    def test_getting_an_activity_of_a_provider_whose_sync_is_off_is_400(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        turn_sync_off(catalogue)

        response = catalogue.tenant.app().get(f"{catalogue.activities_url}/{activity['id']}")

        assert error_of(response) == (400, "badRequest", NOT_ENABLED)

    def test_every_get_form_answers_the_same_400(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant
        turn_sync_off(catalogue)

        by_root = tenant.app().get(
            tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}")
        )
        by_key = tenant.app().get(
            f"{catalogue.activities_url}(externalCourseActivityId='{activity['externalcourseActivityId']}')"
        )
        by_me = tenant.user().get(
            tenant.url(f"/me/employeeExperience/learningCourseActivities/{activity['id']}")
        )

        assert {error_of(r) for r in (by_root, by_key, by_me)} == {(400, "badRequest", NOT_ENABLED)}

    def test_the_learners_list_still_shows_an_activity_of_a_provider_whose_sync_is_off(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()
        turn_sync_off(catalogue)

        response = catalogue.tenant.user().get(
            catalogue.tenant.url("/me/employeeExperience/learningCourseActivities")
        )

        assert [item["id"] for item in response.json()["value"]] == [activity["id"]]

    def test_deleting_an_activity_of_a_provider_whose_sync_is_off_is_400_and_keeps_it(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()
        turn_sync_off(catalogue)

        response = catalogue.tenant.app().delete(f"{catalogue.activities_url}/{activity['id']}")

        assert error_of(response) == (400, "badRequest", NOT_ENABLED)
        assert (
            catalogue.tenant.user()
            .get(catalogue.tenant.url("/me/employeeExperience/learningCourseActivities"))
            .json()["value"]
        )


class TestRegistrationId:
    def test_getting_under_an_unknown_registration_id_is_400(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        url = catalogue.tenant.url(
            f"/employeeExperience/learningProviders/{UNKNOWN_PROVIDER}/learningCourseActivities/{activity['id']}"
        )

        assert error_of(catalogue.tenant.app().get(url)) == (400, "badRequest", BAD_REGISTRATION)

    def test_updating_under_an_unknown_registration_id_is_400(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        url = catalogue.tenant.url(
            f"/employeeExperience/learningProviders/{UNKNOWN_PROVIDER}/learningCourseActivities/{activity['id']}"
        )

        response = catalogue.tenant.app().patch(url, json={"status": "completed"})

        assert error_of(response) == (400, "badRequest", BAD_REGISTRATION)

    def test_deleting_under_an_unknown_registration_id_is_400(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        url = catalogue.tenant.url(
            f"/employeeExperience/learningProviders/{UNKNOWN_PROVIDER}/learningCourseActivities/{activity['id']}"
        )

        assert error_of(catalogue.tenant.app().delete(url)) == (400, "badRequest", BAD_REGISTRATION)


class TestNotFoundWording:
    def test_the_get_page_prints_a_typographic_apostrophe(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().get(f"{catalogue.activities_url}/no-such-activity")

        assert error_of(response) == (404, "notFound", "The requested assignment ID doesn\u2019t exist.")

    def test_the_update_page_prints_its_own_order_and_a_typographic_apostrophe(
        self, catalogue: Catalogue
    ) -> None:
        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/no-such-activity", json={"status": "completed"}
        )

        assert error_of(response) == (404, "notFound", "The assignment ID requested doesn\u2019t exist.")

    def test_the_delete_page_prints_a_straight_apostrophe(self, catalogue: Catalogue) -> None:
        response = catalogue.tenant.app().delete(f"{catalogue.activities_url}/no-such-activity")

        assert error_of(response) == (404, "notFound", "The requested assignment ID doesn't exist.")


class TestPermissionScope:
    def test_getting_without_a_read_permission_is_403(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app(["LearningContent.Read.All"]).get(
            f"{catalogue.activities_url}/{activity['id']}"
        )

        assert error_of(response) == (403, "Forbidden", NO_ACCESS)

    def test_deleting_with_only_a_read_permission_is_403(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app(["LearningAssignedCourse.Read.All"]).delete(
            f"{catalogue.activities_url}/{activity['id']}"
        )

        assert error_of(response) == (403, "Forbidden", NO_ACCESS)


class TestServicePlan:
    def test_getting_in_a_tenant_without_a_learning_plan_is_403(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment()
        withdraw_plan(catalogue, database)

        response = catalogue.tenant.app().get(f"{catalogue.activities_url}/{activity['id']}")

        assert error_of(response) == (403, "Forbidden", NO_PLAN)

    def test_updating_in_a_tenant_without_a_learning_plan_is_403(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment()
        withdraw_plan(catalogue, database)

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert error_of(response) == (403, "Forbidden", NO_PLAN)

    def test_deleting_in_a_tenant_without_a_learning_plan_is_403(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment()
        withdraw_plan(catalogue, database)

        response = catalogue.tenant.app().delete(f"{catalogue.activities_url}/{activity['id']}")

        assert error_of(response) == (403, "Forbidden", NO_PLAN)


class TestUpdateRows:
    def test_a_null_status_is_required(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": None}
        )

        assert error_of(response) == (400, "badRequest", "Input field status is required")

    def test_an_empty_learning_content_id_should_not_be_empty(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"learningContentId": " "}
        )

        assert error_of(response) == (400, "badRequest", "Input field learningContentId shouldn't be empty")

    def test_the_content_of_another_provider_is_403_provider_not_valid(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant
        foreign = tenant.content(tenant.provider()["id"])

        response = tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}",
            json={"learningContentId": foreign["id"], "status": "completed"},
        )

        assert error_of(response) == (
            403,
            "Forbidden",
            "The provider isn't valid to create course activity for the given learning content",
        )
        assert (
            tenant.app().get(f"{catalogue.activities_url}/{activity['id']}").json()["status"] == "notStarted"
        )

    def test_another_content_of_the_same_provider_is_still_invalid(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        sibling = catalogue.tenant.content(catalogue.provider_id)

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"learningContentId": sibling["id"]}
        )

        assert error_of(response) == (400, "badRequest", "Input field learningContentId is invalid")

    def test_an_unlicensed_learner_makes_the_update_403_license_not_valid(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        learner = tenant.new_user(licensed=True)
        activity = tenant.activity(
            catalogue.provider_id, tenant.self_initiated_body(catalogue.content_id, learnerUserId=learner.id)
        )
        with database.transaction() as conn:
            conn.execute(
                "UPDATE users SET has_learning_license = 0 WHERE tenant_id = ? AND id = ?",
                (tenant.tenant_id, learner.id),
            )

        response = tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"status": "completed"}
        )

        assert error_of(response) == (
            403,
            "Forbidden",
            "The user license is not valid to perform the operation",
        )

    def test_a_learner_created_without_a_licence_cannot_be_given_an_activity(
        self, catalogue: Catalogue
    ) -> None:
        tenant = catalogue.tenant
        unlicensed = tenant.directory.create_user(
            tenant_id=tenant.tenant_id, display_name="No licence", licensed=False
        )

        response = tenant.app().post(
            catalogue.activities_url,
            json=tenant.self_initiated_body(catalogue.content_id, learnerUserId=unlicensed.id),
        )

        assert error_of(response) == (
            403,
            "Forbidden",
            "The user license isn't valid to perform the operation",
        )


class TestMethodNotSupported:
    METHOD_NOT_ALLOWED = (
        "This method isn't supported for this entity type. "
        "See the Microsoft Graph documentation for the methods applicable to this entity."
    )

    def test_deleting_through_the_learners_read_only_view_is_405(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        tenant = catalogue.tenant

        response = tenant.app().delete(
            tenant.url(
                f"/users/{tenant.learner.id}/employeeExperience/learningCourseActivities/{activity['id']}"
            )
        )

        assert error_of(response) == (405, "methodNotAllowed", self.METHOD_NOT_ALLOWED)

    def test_posting_to_one_activity_is_405(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().post(f"{catalogue.activities_url}/{activity['id']}", json={})

        assert error_of(response) == (405, "methodNotAllowed", self.METHOD_NOT_ALLOWED)
