"""The seed pages' example requests, with their ids swapped for real ones."""

from __future__ import annotations

import json

from tests.builders import Catalogue

SEED_000_ASSIGNMENT = """{
  "@odata.type": "#microsoft.graph.learningAssignment",
  "assignmentType": "required",
  "learningProviderId": "%(provider)s",
  "notes":
  {
    "contentType": "text",
    "content": "required assignment added for user"
  },
  "dueDateTime": {
    "dateTime": "2022-09-22T16:05:00.0000000",
    "timeZone": "UTC"
  },
  "assignedDateTime": "2021-05-11T22:57:17+00:00",
  "learningContentId": "%(content)s",
  "assignerUserId": "cea1684d-57dc-438d-a9d1-e666ec1a7f3d",
  "learnerUserId":"%(learner)s",
  "status": "InProgress",
  "completedDateTime": null,
  "externalCourseActivityId": "%(external)s",
}
"""

SEED_000_SELF_INITIATED = """{
  "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
  "learningProviderId": "%(provider)s",
  "startedDateTime": "2021-05-11T22:57:17+00:00",
  "learningContentId": "%(content)s",
  "status": "InProgress",
  "completedDateTime": null,
  "externalCourseActivityId": "%(external)s",
}
"""


def _ids(catalogue: Catalogue, activity: dict[str, object]) -> dict[str, object]:
    return {
        "provider": catalogue.provider_id,
        "content": catalogue.content_id,
        "learner": catalogue.tenant.learner.id,
        "external": activity["externalcourseActivityId"],
    }


def _patch_raw(catalogue: Catalogue, url: str, text: str) -> tuple[int, str]:
    response = catalogue.tenant.app().patch(url, content=text, headers={"Content-Type": "application/json"})
    return response.status_code, response.text


class TestSeed000:
    def test_the_assignment_example_as_printed_is_rejected_as_malformed_json_at_the_trailing_comma(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment(assignerUserId="cea1684d-57dc-438d-a9d1-e666ec1a7f3d")
        url = catalogue.tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}")

        status, text = _patch_raw(catalogue, url, SEED_000_ASSIGNMENT % _ids(catalogue, activity))

        error = json.loads(text)["error"]
        assert status == 400
        assert error["code"] == "badRequest"
        assert "trailing comma" in error["message"]
        assert "line 21" in error["message"]

    def test_the_assignment_example_without_its_trailing_comma_updates_the_activity(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment(assignerUserId="cea1684d-57dc-438d-a9d1-e666ec1a7f3d")
        url = catalogue.tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}")
        text = (SEED_000_ASSIGNMENT % _ids(catalogue, activity)).replace('",\n}', '"\n}')

        status, _ = _patch_raw(catalogue, url, text)
        stored = catalogue.tenant.app().get(url).json()

        assert status == 204
        assert stored["status"] == "inProgress"

    def test_the_self_initiated_example_without_its_trailing_comma_updates_the_activity(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.self_initiated(startedDateTime="2021-05-11T22:57:17Z", status="completed")
        url = catalogue.tenant.url(f"/employeeExperience/learningCourseActivities/{activity['id']}")
        text = (SEED_000_SELF_INITIATED % _ids(catalogue, activity)).replace('",\n}', '"\n}')

        status, _ = _patch_raw(catalogue, url, text)
        stored = catalogue.tenant.app().get(url).json()

        assert status == 204
        assert stored["status"] == "inProgress"
        assert stored["completedDateTime"] is None


class TestSeed001:
    def test_example_1_updates_an_assignment_under_its_provider(self, catalogue: Catalogue) -> None:
        activity = catalogue.assignment(assignerUserId="cea1684d-57dc-438d-a9d1-e666ec1a7f3d")
        body = {
            "@odata.type": "#microsoft.graph.learningAssignment",
            "assignedDateTime": "2021-05-11T22:57:17+00:00",
            "assignmentType": "required",
            "assignerUserId": "cea1684d-57dc-438d-a9d1-e666ec1a7f3d",
            "completedDateTime": None,
            "completionPercentage": 20,
            "learningProviderId": catalogue.provider_id,
            "dueDateTime": {"dateTime": "2022-09-22T16:05:00.0000000", "timeZone": "UTC"},
            "externalcourseActivityId": activity["externalcourseActivityId"],
            "learningContentId": catalogue.content_id,
            "learnerUserId": catalogue.tenant.learner.id,
            "notes": {"contentType": "text", "content": "required assignment added for user"},
            "status": "inProgress",
        }
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(url, json=body)
        stored = catalogue.tenant.app().get(url).json()

        assert response.status_code == 204
        assert response.content == b""
        assert stored["completionPercentage"] == 20
        assert stored["status"] == "inProgress"

    def test_example_2_updates_a_self_initiated_course_under_its_provider(self, catalogue: Catalogue) -> None:
        activity = catalogue.self_initiated()
        body = {
            "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
            "completedDateTime": None,
            "completionPercentage": 30,
            "externalcourseActivityId": activity["externalcourseActivityId"],
            "learningContentId": catalogue.content_id,
            "learningProviderId": catalogue.provider_id,
            "startedDateTime": "2021-05-11T22:57:17+00:00",
            "status": "inProgress",
        }
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(url, json=body)

        assert response.status_code == 204
        assert catalogue.tenant.app().get(url).json()["completionPercentage"] == 30


class TestSeeds002And003:
    def test_an_assignment_update_with_return_representation_answers_200_with_the_entity(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.assignment()
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(
            url,
            json={
                "@odata.type": "#microsoft.graph.learningAssignment",
                "status": "completed",
                "completionPercentage": 100,
            },
            headers={"Prefer": "return=representation"},
        )

        assert response.status_code == 200
        assert response.headers["preference-applied"] == "return=representation"
        body = response.json()
        assert body["@odata.type"] == "#microsoft.graph.learningAssignment"
        assert body["status"] == "completed"
        assert body["completionPercentage"] == 100
        assert body["@odata.context"].endswith("/learningCourseActivities/$entity")

    def test_a_self_initiated_update_with_return_representation_answers_200_with_the_entity(
        self, catalogue: Catalogue
    ) -> None:
        activity = catalogue.self_initiated()
        url = f"{catalogue.activities_url}/{activity['id']}"

        response = catalogue.tenant.app().patch(
            url,
            json={
                "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                "startedDateTime": "2024-01-02T03:04:05+02:00",
            },
            headers={"Prefer": "return=representation"},
        )

        assert response.status_code == 200
        assert response.json()["startedDateTime"] == "2024-01-02T01:04:05Z"
