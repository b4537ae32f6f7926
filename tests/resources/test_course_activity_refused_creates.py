"""A create runs as one INSERT whose conditions are the rules' checks on stored values: what each check refuses
stores nothing and is answered with the create's own error, and what it accepts is stored as answered."""

from __future__ import annotations

from typing import Any

import pytest

from learninggraph.storage.database import Database
from tests.builders import Catalogue

ASSIGNMENTS_ONLY = ["LearningAssignedCourse.ReadWrite.All", "LearningAssignedCourse.Read.All"]
COLUMNS = (
    "id, odata_type, provider_id, learner_user_id, learning_content_id, external_id, status,"
    " completion_percentage, completed_date_time, assigned_date_time, assigner_user_id, assignment_type,"
    " due_date_time, notes, started_date_time"
)


def stored(database: Database, tenant_id: str, external_id: str) -> list[tuple[Any, ...]]:
    with database.snapshot() as conn:
        rows = conn.fetch_all(
            f"SELECT {COLUMNS} FROM learning_course_activities WHERE tenant_id = ? AND external_id = ?",
            (tenant_id, external_id),
        )
    return [tuple(row) for row in rows]


def error_of(response: Any) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


class TestWhatTheCreateRefusesStoresNothing:
    def test_a_learner_without_a_licence_is_refused_with_the_licence_error(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id, learnerUserId=tenant.new_user(licensed=False).id)

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert error_of(response) == (
            403,
            "Forbidden",
            "The user license isn't valid to perform the operation",
        )
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_an_unknown_learner_is_refused_as_an_invalid_learner_user_id(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.self_initiated_body(catalogue.content_id, learnerUserId="no-such-learner")

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert error_of(response) == (400, "badRequest", "Input field learnerUserId is invalid")
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_an_unknown_content_is_refused_as_an_invalid_learning_content_id(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body("no-such-content")

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert error_of(response) == (400, "badRequest", "Input field learningContentId is invalid")
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_a_content_of_another_provider_is_refused_with_the_providers_error(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        foreign = tenant.content(tenant.provider()["id"])
        body = tenant.assignment_body(foreign["id"])

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert error_of(response) == (
            403,
            "Forbidden",
            "The provider isn't valid to create course activity for the given learning content",
        )
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_a_provider_whose_sync_is_off_is_refused_before_the_body_is_judged(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        tenant.user(scopes=["LearningProvider.ReadWrite"]).patch(
            tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}"),
            json={"isCourseActivitySyncEnabled": False},
        )
        body = tenant.assignment_body(catalogue.content_id)

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "This provider isn't enabled for the given tenant."
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_an_unknown_provider_is_refused_as_an_unknown_registration_id(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id)
        url = tenant.url("/employeeExperience/learningProviders/no-such-provider/learningCourseActivities")

        response = tenant.app().post(url, json=body)

        assert response.status_code == 400
        assert "registrationId" in response.json()["error"]["message"]
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_a_second_activity_with_the_same_external_id_is_a_conflict_and_the_first_stays(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        first = catalogue.assignment(externalcourseActivityId="twice")
        body = tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId="twice")

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert error_of(response) == (
            409,
            "conflict",
            "A course activity with externalcourseActivityId 'twice' already exists for this provider.",
        )
        assert [row[0] for row in stored(database, tenant.tenant_id, "twice")] == [first["id"]]

    def test_an_app_allowed_only_assignments_cannot_create_a_self_initiated_course(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.self_initiated_body(catalogue.content_id)

        response = tenant.app(ASSIGNMENTS_ONLY).post(catalogue.activities_url, json=body)

        assert response.status_code == 403
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_a_status_a_self_initiated_course_cannot_take_on_v1_is_refused(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.self_initiated_body(catalogue.content_id, status="notStarted")

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["target"] == "status"
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []

    def test_a_provider_in_the_body_other_than_the_paths_is_refused(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        other = tenant.provider()
        body = tenant.assignment_body(catalogue.content_id, learningProviderId=other["id"])

        response = tenant.app().post(catalogue.activities_url, json=body)

        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["target"] == "learningProviderId"
        assert stored(database, tenant.tenant_id, body["externalcourseActivityId"]) == []


class TestWhatTheCreateAcceptsIsStoredAsAnswered:
    @pytest.mark.parametrize("kind", ["assignment", "self_initiated"])
    def test_an_activity_of_either_type_is_stored_with_the_values_answered(
        self, catalogue: Catalogue, database: Database, kind: str
    ) -> None:
        created = catalogue.assignment() if kind == "assignment" else catalogue.self_initiated()

        rows = stored(database, catalogue.tenant.tenant_id, created["externalcourseActivityId"])

        assert len(rows) == 1
        row = dict(zip([c.strip() for c in COLUMNS.split(",")], rows[0], strict=True))
        assert (row["id"], row["provider_id"], row["learner_user_id"], row["learning_content_id"]) == (
            created["id"],
            catalogue.provider_id,
            created["learnerUserId"],
            created["learningContentId"],
        )
        assert (row["status"], row["completion_percentage"]) == (
            created["status"],
            created["completionPercentage"],
        )

    def test_an_activity_naming_its_provider_in_the_body_is_created_under_the_tenants_path(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.self_initiated_body(catalogue.content_id, learningProviderId=catalogue.provider_id)

        response = tenant.app().post(tenant.url("/employeeExperience/learningCourseActivities"), json=body)

        assert response.status_code == 201, response.text
        rows = stored(database, tenant.tenant_id, body["externalcourseActivityId"])
        assert [(row[0], row[2]) for row in rows] == [(response.json()["id"], catalogue.provider_id)]

    def test_a_null_completion_percentage_is_stored_as_null(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        created = catalogue.self_initiated(completionPercentage=None)

        rows = stored(database, catalogue.tenant.tenant_id, created["externalcourseActivityId"])

        assert created["completionPercentage"] is None
        assert [row[7] for row in rows] == [None]

    def test_an_app_allowed_only_assignments_creates_an_assignment(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id)

        response = tenant.app(ASSIGNMENTS_ONLY).post(catalogue.activities_url, json=body)

        assert response.status_code == 201, response.text
        assert len(stored(database, tenant.tenant_id, body["externalcourseActivityId"])) == 1
