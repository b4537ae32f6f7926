"""What an update may change on a learningAssignment, and what it may only resend unchanged."""

from __future__ import annotations

import pytest

from tests.builders import Catalogue


class TestUpdatableAssignmentProperties:
    def test_the_assignment_type_changes(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment(assignmentType="required")
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(url, json={"assignmentType": "recommended"})

        assert response.status_code == 204
        assert catalogue.tenant.app().get(url).json()["assignmentType"] == "recommended"

    def test_an_assigner_is_set_on_an_assignment_created_without_one(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(
            url, json={"assignerUserId": "cea1684d-57dc-438d-a9d1-e666ec1a7f3d"}
        )

        assert response.status_code == 204
        assert (
            catalogue.tenant.app().get(url).json()["assignerUserId"] == "cea1684d-57dc-438d-a9d1-e666ec1a7f3d"
        )

    def test_an_assigner_is_cleared_with_null(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment(assignerUserId="someone")
        url = f"{catalogue.activities_url}/{activity['id']}"

        catalogue.tenant.app().patch(url, json={"assignerUserId": None})

        assert catalogue.tenant.app().get(url).json()["assignerUserId"] is None

    def test_a_null_assignment_type_is_required(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"assignmentType": None}
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field assignmentType is required"

    def test_a_member_after_unknown_future_value_needs_the_prefer_header_to_be_written(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"assignmentType": "peerRecommended"}
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field assignmentType is invalid"

    def test_a_member_after_unknown_future_value_is_written_with_the_prefer_header(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()
        url = f"{catalogue.activities_url}/{activity['id']}"
        prefer = {"Prefer": "include-unknown-enum-members"}

        response = catalogue.tenant.app().patch(
            url, json={"assignmentType": "peerRecommended"}, headers=prefer
        )

        assert response.status_code == 204
        assert catalogue.tenant.app().get(url, headers=prefer).json()["assignmentType"] == "peerRecommended"

    def test_a_member_after_unknown_future_value_may_be_resent_unchanged_without_the_header(
        self, catalogue: Catalogue
    ) -> None:
        prefer = {"Prefer": "include-unknown-enum-members"}
        created = catalogue.tenant.app().post(
            catalogue.activities_url,
            json=catalogue.tenant.assignment_body(catalogue.content_id, assignmentType="peerRecommended"),
            headers=prefer,
        )

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{created.json()['id']}",
            json={"assignmentType": "peerRecommended", "status": "completed"},
        )

        assert response.status_code == 204


class TestIdentifyingProperties:
    @pytest.mark.parametrize(
        "name", ["learnerUserId", "learningContentId", "learningProviderId", "externalcourseActivityId"]
    )
    def test_an_identifying_property_may_be_resent_unchanged(self, catalogue: Catalogue, name: str) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={name: activity[name], "status": "completed"}
        )

        assert response.status_code == 204

    def test_the_odata_type_may_be_resent_unchanged(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}",
            json={"@odata.type": "#microsoft.graph.learningAssignment", "status": "completed"},
        )

        assert response.status_code == 204

    def test_a_self_initiated_course_has_no_assignment_type_to_change(self, catalogue: Catalogue) -> None:
        activity = catalogue.self_initiated()

        response = catalogue.tenant.app().patch(
            f"{catalogue.activities_url}/{activity['id']}", json={"assignmentType": "required"}
        )

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Input field assignmentType is invalid"
