"""Error rows the get, update and delete pages share, proven on each of those operations, and the rest of the
field-validation family (empty on update, length on create)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from learninggraph.storage.database import Database
from tests.builders import Catalogue

UNKNOWN_PROVIDER = "00000000-0000-0000-0000-000000000000"
OPERATIONS = ["GET", "PATCH", "DELETE"]


def send(client: httpx.Client, method: str, url: str) -> httpx.Response:
    body = {"status": "completed"} if method == "PATCH" else None
    return client.request(method, url, json=body)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


@pytest.mark.parametrize("method", OPERATIONS)
def test_a_tenant_without_a_learning_plan_is_refused_on_every_operation(
    catalogue: Catalogue, database: Database, method: str
) -> None:
    activity = catalogue.assignment()
    client = catalogue.tenant.app()  # its first call comes after the plan is withdrawn
    with database.transaction() as conn:
        conn.execute("UPDATE tenants SET has_learning_plan = 0 WHERE id = ?", (catalogue.tenant.tenant_id,))

    response = send(client, method, f"{catalogue.activities_url}/{activity['id']}")

    assert response.status_code == 403
    assert error_of(response)["code"] == "Forbidden"
    assert error_of(response)["message"] == "You don't have an adequate service plan for this request."


@pytest.mark.parametrize("method", OPERATIONS)
def test_an_unknown_registration_id_is_400_on_every_operation(catalogue: Catalogue, method: str) -> None:
    activity = catalogue.assignment()
    url = catalogue.tenant.url(
        f"/employeeExperience/learningProviders/{UNKNOWN_PROVIDER}/learningCourseActivities/{activity['id']}"
    )

    response = send(catalogue.tenant.app(), method, url)

    assert response.status_code == 400
    assert error_of(response)["code"] == "badRequest"
    assert error_of(response)["message"] == (
        "There was an issue with your request. "
        "Make sure the registrationId you entered is valid or registered for your tenant."
    )


def test_deleting_an_unknown_activity_is_404_with_the_delete_pages_message(catalogue: Catalogue) -> None:
    response = catalogue.tenant.app().delete(f"{catalogue.activities_url}/nope")

    assert response.status_code == 404
    assert error_of(response)["code"] == "notFound"
    assert error_of(response)["message"] == "The requested assignment ID doesn't exist."


def test_an_empty_field_in_an_update_is_reported_as_empty(catalogue: Catalogue) -> None:
    activity = catalogue.assignment()

    response = catalogue.tenant.app().patch(
        f"{catalogue.activities_url}/{activity['id']}", json={"learnerUserId": ""}
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "badRequest"
    assert error_of(response)["message"] == "Input field learnerUserId shouldn't be empty"


def test_a_field_longer_than_its_limit_is_reported_with_the_limit(catalogue: Catalogue) -> None:
    body = catalogue.tenant.assignment_body(catalogue.content_id, externalcourseActivityId="x" * 257)

    response = catalogue.tenant.app().post(catalogue.activities_url, json=body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "badRequest"
    assert error_of(response)["message"] == "Input field externalcourseActivityId length exceeded than 256"
