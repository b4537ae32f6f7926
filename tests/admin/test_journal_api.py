"""The admin API's journal: listings filtered and paged, one answer explained, minimal permissions; every
read sees the requests just made, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.admin.conftest import ADMIN, Admin, graph_error, new_app
from tests.builders import Catalogue, Tenant

PROVIDERS = "/employeeExperience/learningProviders"
ALL_ACTIVITIES = "/employeeExperience/learningCourseActivities"
ACTIVITIES = "/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"


def test_a_request_just_made_is_listed_newest_first(tenant: Tenant, as_app: Admin) -> None:
    client_id, app = new_app(tenant, ["LearningAssignedCourse.Read.All"])
    first = app.get(tenant.url(ALL_ACTIVITIES))
    second = app.get(tenant.url(f"{ALL_ACTIVITIES}/no-such-activity"))

    entries = as_app(tenant).get(f"{ADMIN}/journal", params={"app": client_id}).json()["value"]

    assert [e["request_id"] for e in entries[:2]] == [
        second.headers["request-id"],
        first.headers["request-id"],
    ]
    newest = entries[0]
    assert (newest["method"], newest["status"]) == ("GET", second.status_code)
    assert newest["url"].endswith("/learningCourseActivities/no-such-activity")
    assert newest["route"] == f"/v1.0{ALL_ACTIVITIES}/{{activity}}"
    assert newest["caller"]["kind"] == "application"
    assert entries[0]["id"] > entries[1]["id"]


def test_the_listing_filters_by_status_method_route_and_rule(catalogue: Catalogue, as_app: Admin) -> None:
    tenant = catalogue.tenant
    tenant.app().get(tenant.url(ALL_ACTIVITIES))
    refused = tenant.app(["LearningContent.Read.All"]).get(catalogue.activities_url)
    activity = catalogue.assignment()
    admin = as_app(tenant)

    def listed(**params: str) -> list[dict[str, Any]]:
        response = admin.get(f"{ADMIN}/journal", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["value"])

    assert [e["request_id"] for e in listed(status="403")] == [refused.headers["request-id"]]
    assert {e["status"] for e in listed(status="4xx")} == {403}
    assert [e["status"] for e in listed(method="post", route=ACTIVITIES)] == [201]
    forbidden = listed(status="403")[0]
    assert [e["request_id"] for e in listed(rule=str(forbidden["decision"]["rule"]))] == [
        refused.headers["request-id"]
    ]
    created = listed(method="POST", route=ACTIVITIES)[0]
    assert listed(operation=str(created["operation"]))[0]["request_id"] == created["request_id"]
    assert activity["id"] in str(created["response_body"])


def test_the_listing_filters_by_time(tenant: Tenant, as_app: Admin) -> None:
    tenant.app().get(tenant.url(ALL_ACTIVITIES))
    admin = as_app(tenant)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

    assert admin.get(f"{ADMIN}/journal", params={"since": later}).json()["value"] == []
    assert admin.get(f"{ADMIN}/journal", params={"until": earlier}).json()["value"] == []
    assert admin.get(f"{ADMIN}/journal", params={"since": earlier, "until": later}).json()["value"]


def test_pages_follow_next_links_back_in_time_and_forward_after_an_id(tenant: Tenant, as_app: Admin) -> None:
    app = tenant.app()
    sent = [app.get(tenant.url(f"{ALL_ACTIVITIES}/a{n}")).headers["request-id"] for n in range(5)]
    admin = as_app(tenant)

    seen: list[str] = []
    url = f"{ADMIN}/journal?limit=2&method=GET"
    while url:
        page = admin.get(url).json()
        assert len(page["value"]) <= 2
        seen += [entry["request_id"] for entry in page["value"]]
        url = page.get("nextLink", "")

    assert [r for r in seen if r in sent] == list(reversed(sent))
    forward = admin.get(f"{ADMIN}/journal", params={"after": 0, "limit": 2, "method": "GET"}).json()
    assert [e["request_id"] for e in forward["value"]] == sent[:2]
    assert "after=" in forward["nextLink"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "4x"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"before": "-1"}, "before"),
        ({"before": "3", "after": "1"}, "not both"),
        ({"since": "yesterday"}, "since"),
        ({"app": " "}, "shouldn't be empty"),
        ({"colour": "red"}, "Unknown query parameter 'colour'"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(
    tenant: Tenant, as_app: Admin, params: dict[str, str], words: str
) -> None:
    response = as_app(tenant).get(f"{ADMIN}/journal", params=params)

    assert response.status_code == 400
    assert words in graph_error(response)["message"]


def test_one_answer_is_explained_by_its_request_id(catalogue: Catalogue, as_app: Admin) -> None:
    tenant = catalogue.tenant
    refused = tenant.app(["LearningContent.Read.All"]).get(catalogue.activities_url)

    response = as_app(tenant).get(f"{ADMIN}/journal/{refused.headers['request-id']}")

    assert response.status_code == 200
    entry = response.json()
    assert entry["status"] == 403 and entry["request_id"] == refused.headers["request-id"]
    assert entry["decision"]["rule"] and entry["decision"]["hint"]
    assert entry["decision"]["details"]["held_permissions"] == ["LearningContent.Read.All"]
    assert f"request-id:   {refused.headers['request-id']}" in entry["explanation"]
    assert entry["decision"]["hint"] in entry["explanation"]


def test_an_unknown_request_id_is_404(tenant: Tenant, as_app: Admin) -> None:
    response = as_app(tenant).get(f"{ADMIN}/journal/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert "request-id" in graph_error(response)["message"]


def test_minimal_permissions_of_an_app_name_what_it_needed_and_did_not(
    catalogue: Catalogue, as_app: Admin
) -> None:
    tenant = catalogue.tenant
    client_id, reader = new_app(
        tenant,
        ["LearningContent.Read.All", "LearningAssignedCourse.Read.All", "LearningContent.ReadWrite.All"],
    )
    reader.get(tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents"))

    response = as_app(tenant).get(f"{ADMIN}/permissions", params={"app": client_id})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["app"] == client_id and body["entries"] == 1
    (report,) = body["reports"]
    assert report["kind"] == "application"
    assert report["least_privileged"] == ["LearningContent.Read.All"]
    assert set(report["unneeded"]) == {"LearningAssignedCourse.Read.All", "LearningContent.ReadWrite.All"}


def test_minimal_permissions_need_exactly_one_of_app_or_user(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)

    assert admin.get(f"{ADMIN}/permissions").status_code == 400
    assert admin.get(f"{ADMIN}/permissions", params={"app": "a", "user": "b"}).status_code == 400


def test_minimal_permissions_of_a_user(tenant: Tenant, as_app: Admin) -> None:
    user = tenant.new_user(name="Reporter")
    tenant.user(user, scopes=["LearningProvider.Read", "LearningContent.Read.All"]).get(tenant.url(PROVIDERS))

    body = as_app(tenant).get(f"{ADMIN}/permissions", params={"user": user.id}).json()

    (report,) = body["reports"]
    assert report["kind"] == "delegated"
    assert report["least_privileged"] == ["LearningProvider.Read"]
    assert report["unneeded"] == ["LearningContent.Read.All"]
