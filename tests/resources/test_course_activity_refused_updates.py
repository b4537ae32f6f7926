"""A PATCH runs as one UPDATE whose conditions are the rules' checks: what each check refuses stores nothing, and
what it accepts is stored, whichever of the stored values, the path or the caller decides."""

from __future__ import annotations

from typing import Any

import pytest

from learninggraph.storage.database import Database
from tests.builders import Catalogue

ASSIGNMENTS_ONLY = ["LearningAssignedCourse.ReadWrite.All", "LearningAssignedCourse.Read.All"]
SELF_INITIATED_ONLY = ["LearningSelfInitiatedCourse.ReadWrite.All", "LearningSelfInitiatedCourse.Read.All"]


def stored_percentage(database: Database, activity: dict[str, Any]) -> Any:
    with database.snapshot() as conn:
        row = conn.fetch_one(
            "SELECT completion_percentage FROM learning_course_activities WHERE id = ?", (activity["id"],)
        )
    assert row is not None
    return row[0]


class TestWhatTheUpdateRefusesStoresNothing:
    def test_an_update_for_a_learner_who_lost_the_licence_keeps_the_stored_values(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        with database.transaction() as conn:
            conn.execute(
                "UPDATE users SET has_learning_license = 0 WHERE tenant_id = ? AND id = ?",
                (catalogue.tenant.tenant_id, catalogue.tenant.learner.id),
            )

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 50}
        )

        assert response.status_code == 403
        assert stored_percentage(database, activity) == 10

    def test_an_update_of_a_provider_whose_sync_is_off_keeps_the_stored_values(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        tenant = catalogue.tenant
        tenant.user(scopes=["LearningProvider.ReadWrite"]).patch(
            tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}"),
            json={"isCourseActivitySyncEnabled": False},
        )

        response = tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 50}
        )

        assert response.status_code == 400
        assert stored_percentage(database, activity) == 10

    def test_an_update_that_changes_an_identifying_property_keeps_the_stored_values(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}",
            json={"learnerUserId": "someone-else", "completionPercentage": 50},
        )

        assert response.status_code == 400
        assert stored_percentage(database, activity) == 10

    def test_an_update_under_another_provider_is_404_and_keeps_the_stored_values(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        other = catalogue.tenant.provider()
        url = catalogue.tenant.url(
            f"/employeeExperience/learningProviders/{other['id']}/learningCourseActivities/{activity['id']}"
        )

        response = catalogue.tenant.app().patch(url, json={"completionPercentage": 50})

        assert response.status_code == 404
        assert stored_percentage(database, activity) == 10

    def test_an_app_allowed_only_assignments_cannot_update_a_self_initiated_course(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.self_initiated(completionPercentage=10)

        response = catalogue.tenant.app(ASSIGNMENTS_ONLY).patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 50}
        )

        assert response.status_code == 403
        assert stored_percentage(database, activity) == 10

    def test_a_status_a_self_initiated_course_cannot_take_on_v1_keeps_its_stored_values(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.self_initiated(completionPercentage=10)

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}",
            json={"status": "notStarted", "completionPercentage": 50},
        )

        assert response.status_code == 400
        assert stored_percentage(database, activity) == 10


class TestWhatTheUpdateAcceptsIsStored:
    @pytest.mark.parametrize("permissions", [ASSIGNMENTS_ONLY, None], ids=["assignments only", "both types"])
    def test_an_assignment_is_updated_by_an_app_allowed_to_write_it(
        self, catalogue: Catalogue, database: Database, permissions: list[str] | None
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        app = catalogue.tenant.app() if permissions is None else catalogue.tenant.app(permissions)

        response = app.patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 50}
        )

        assert response.status_code == 204
        assert stored_percentage(database, activity) == 50

    def test_a_self_initiated_course_is_updated_by_an_app_allowed_only_self_initiated_courses(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.self_initiated(completionPercentage=10)

        response = catalogue.tenant.app(SELF_INITIATED_ONLY).patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 50}
        )

        assert response.status_code == 204
        assert stored_percentage(database, activity) == 50

    def test_an_update_resending_every_identifying_property_unchanged_is_stored(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        names = ("learnerUserId", "learningContentId", "learningProviderId", "externalcourseActivityId")

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}",
            json={**{name: activity[name] for name in names}, "completionPercentage": 50},
        )

        assert response.status_code == 204
        assert stored_percentage(database, activity) == 50

    def test_an_update_under_the_learners_own_provider_and_tenant_paths_is_stored(
        self, catalogue: Catalogue, database: Database
    ) -> None:
        activity = catalogue.assignment(completionPercentage=10)
        tenant = catalogue.tenant

        by_tenant = tenant.app().patch(
            tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}"),
            json={"completionPercentage": 30},
        )
        by_provider = tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 60}
        )

        assert (by_tenant.status_code, by_provider.status_code) == (204, 204)
        assert stored_percentage(database, activity) == 60
