"""The admin API's fault rules: added, listed in order, read, cleared one or all, and refused when invalid."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.conftest import ADMIN, Admin, graph_error
from tests.builders import Tenant


def test_an_added_rule_is_answered_201_with_its_location_and_listed(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)

    response = admin.post(f"{ADMIN}/faults", json={"status": 429, "method": "patch", "count": "twice"})

    assert response.status_code == 201, response.text
    rule = response.json()
    assert rule["status"] == 429 and rule["method"] == "PATCH" and rule["remaining"] == 2
    assert rule["retry_after"] == 1  # a 429 always says when to retry
    assert rule["description"] == "answer 429 to PATCH any route (2 left)"
    assert response.headers["location"].endswith(f"{ADMIN}/faults/{rule['id']}")
    assert admin.get(response.headers["location"]).json() == rule
    assert admin.get(f"{ADMIN}/faults").json() == {"value": [rule]}


def test_rules_are_listed_in_the_order_they_are_tried(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)
    first = admin.post(f"{ADMIN}/faults", json={"status": 503, "route": "*learningContents*"}).json()
    second = admin.post(f"{ADMIN}/faults", json={"latency_ms": 50, "probability": 0.5}).json()
    third = admin.post(f"{ADMIN}/faults", json={"drop": True, "app": "some-client"}).json()

    listed = admin.get(f"{ADMIN}/faults").json()["value"]

    assert [rule["id"] for rule in listed] == [first["id"], second["id"], third["id"]]
    assert [rule["action"] for rule in listed] == ["status", "latency", "drop"]


def test_a_window_is_given_as_date_times_or_a_duration(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)

    fixed = admin.post(
        f"{ADMIN}/faults",
        json={"status": 500, "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"},
    ).json()
    lasting = admin.post(f"{ADMIN}/faults", json={"status": 502, "duration_seconds": 60}).json()

    assert (fixed["start"], fixed["end"]) == ("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z")
    assert lasting["start"] is not None and lasting["end"] > lasting["start"]


def test_one_rule_is_cleared_and_the_others_stay(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)
    gone = admin.post(f"{ADMIN}/faults", json={"status": 503}).json()
    kept = admin.post(f"{ADMIN}/faults", json={"status": 504}).json()

    response = admin.delete(f"{ADMIN}/faults/{gone['id']}")

    assert response.status_code == 204 and response.content == b""
    assert [rule["id"] for rule in admin.get(f"{ADMIN}/faults").json()["value"]] == [kept["id"]]
    assert admin.delete(f"{ADMIN}/faults/{gone['id']}").status_code == 404


def test_clearing_a_rule_whose_id_holds_a_nul_character_is_404(tenant: Tenant, as_app: Admin) -> None:
    response = as_app(tenant).delete(f"{ADMIN}/faults/a%00b")

    assert response.status_code == 404
    assert graph_error(response) == {"code": "notFound", "message": "This tenant has no fault rule 'a\x00b'."}


def test_every_rule_is_cleared_at_once(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)
    for status in (500, 502):
        admin.post(f"{ADMIN}/faults", json={"status": status})

    assert admin.delete(f"{ADMIN}/faults").json() == {"removed": 2}
    assert admin.get(f"{ADMIN}/faults").json() == {"value": []}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"status": 404}, "status 404 is not one of"),
        ({}, "needs a status, a latency or drop"),
        ({"status": 503, "drop": True}, "not both"),
        ({"status": 500, "retry_after": 3}, "retry_after"),
        ({"status": 503, "probability": 0}, "probability"),
        ({"status": 503, "count": "sometimes"}, "count"),
        ({"status": 503, "count": 0}, "count 0 must be at least 1"),
        ({"status": 503, "count": 10**20}, "count must be at most"),
        ({"status": 503, "method": "TRACE"}, "method"),
        ({"status": "503"}, "status must be int"),
        ({"status": 503, "route": "a\u0000b"}, "without NUL"),
        ({"status": 503, "start": "tomorrow"}, "ISO 8601"),
        ({"status": 503, "start": "2030-01-01T00:00:00"}, "time zone"),
        ({"status": 503, "end": "2030-01-01T00:00:00Z", "duration_seconds": 5}, "not both"),
        ({"status": 503, "tenant": "another"}, "Unknown fault rule field 'tenant'"),
    ],
)
def test_an_invalid_rule_is_400_saying_what_is_wrong(
    tenant: Tenant, as_app: Admin, body: dict[str, Any], words: str
) -> None:
    response = as_app(tenant).post(f"{ADMIN}/faults", json=body)

    assert response.status_code == 400, response.text
    assert words in graph_error(response)["message"]


def test_a_body_that_is_not_json_is_refused_in_graphs_envelope(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)

    not_json = admin.post(f"{ADMIN}/faults", content=b"{", headers={"content-type": "application/json"})
    form = admin.post(f"{ADMIN}/faults", data={"status": "503"})

    assert not_json.status_code == 400 and graph_error(not_json)["code"] == "badRequest"
    assert form.status_code == 415


def test_reset_clears_the_rules_and_the_journal(tenant: Tenant, as_app: Admin) -> None:
    admin = as_app(tenant)
    admin.post(f"{ADMIN}/faults", json={"status": 503, "count": 1})
    tenant.app().get(tenant.url("/employeeExperience/learningCourseActivities"))
    assert admin.get(f"{ADMIN}/journal").json()["value"]

    response = admin.post(f"{ADMIN}/reset")

    assert response.status_code == 200
    counts = response.json()
    assert counts["fault_rules"] == 1 and counts["journal_entries"] >= 1
    assert admin.get(f"{ADMIN}/faults").json() == {"value": []}
    assert admin.get(f"{ADMIN}/journal").json()["value"] == []
