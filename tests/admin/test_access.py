"""Who may call the admin API: a token of the tenant's app or of an administrator; nobody else, and never
another tenant's records."""

from __future__ import annotations

import httpx
import pytest

from tests.admin.conftest import ADMIN, Admin, graph_error
from tests.builders import Tenant

ACTIVITIES = "/employeeExperience/learningCourseActivities"
READS = ["/journal", "/faults", "/permissions?app=x", "/journal/no-such-request"]


@pytest.mark.parametrize("path", READS)
def test_a_request_without_a_token_is_401_in_graphs_envelope(tenant: Tenant, path: str) -> None:
    response = tenant.client(None).get(f"{ADMIN}{path}")

    assert response.status_code == 401
    assert graph_error(response)["code"] == "InvalidAuthenticationToken"


def test_a_forged_token_is_401(tenant: Tenant) -> None:
    response = tenant.client("eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.").get(f"{ADMIN}/journal")

    assert response.status_code == 401


def test_a_learner_without_an_administrators_role_is_refused(tenant: Tenant, as_learner: Admin) -> None:
    response = as_learner(tenant).get(f"{ADMIN}/journal")

    assert response.status_code == 403
    assert "Knowledge Administrator" in graph_error(response)["message"]


def test_a_global_reader_is_refused_too(tenant: Tenant, as_global_reader: Admin) -> None:
    assert as_global_reader(tenant).get(f"{ADMIN}/faults").status_code == 403


def test_a_learner_cannot_add_a_fault_rule(tenant: Tenant, as_learner: Admin, as_app: Admin) -> None:
    response = as_learner(tenant).post(f"{ADMIN}/faults", json={"status": 503})

    assert response.status_code == 403
    assert as_app(tenant).get(f"{ADMIN}/faults").json()["value"] == []


@pytest.mark.parametrize("caller", ["as_app", "as_administrator", "as_global_administrator"])
def test_the_tenants_app_and_administrators_may_read(
    tenant: Tenant, caller: str, request: pytest.FixtureRequest
) -> None:
    client: httpx.Client = request.getfixturevalue(caller)(tenant)

    response = client.get(f"{ADMIN}/journal")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")


def test_the_token_is_checked_before_the_query(tenant: Tenant) -> None:
    response = tenant.client(None).get(f"{ADMIN}/journal?limit=oops")

    assert response.status_code == 401


def test_an_unknown_admin_path_is_404_in_graphs_envelope(tenant: Tenant, as_app: Admin) -> None:
    response = as_app(tenant).get(f"{ADMIN}/nothing-here")

    assert response.status_code == 404
    assert graph_error(response)["code"] == "notFound"


def test_a_wrong_method_is_405(tenant: Tenant, as_app: Admin) -> None:
    assert as_app(tenant).put(f"{ADMIN}/journal").status_code == 405


# Tenant scoping: the token's tenant is the only one an answer may come from.


def test_another_tenants_request_cannot_be_explained(
    tenant: Tenant, other_tenant: Tenant, as_app: Admin
) -> None:
    theirs = other_tenant.app().get(other_tenant.url(ACTIVITIES))
    request_id = theirs.headers["request-id"]
    assert as_app(other_tenant).get(f"{ADMIN}/journal/{request_id}").status_code == 200

    response = as_app(tenant).get(f"{ADMIN}/journal/{request_id}")

    assert response.status_code == 404
    assert graph_error(response)["code"] == "notFound"


def test_the_journal_lists_only_the_tokens_tenant(
    tenant: Tenant, other_tenant: Tenant, as_app: Admin
) -> None:
    other_tenant.app().get(other_tenant.url(ACTIVITIES))
    tenant.app().get(tenant.url(ACTIVITIES))

    entries = as_app(tenant).get(f"{ADMIN}/journal").json()["value"]

    assert entries
    assert {entry["tenant_id"] for entry in entries} == {tenant.tenant_id}


def test_a_tenant_cannot_widen_its_journal_to_another_by_parameter(tenant: Tenant, as_app: Admin) -> None:
    response = as_app(tenant).get(f"{ADMIN}/journal", params={"tenant": "anything"})

    assert response.status_code == 400
    assert "tenant" in graph_error(response)["message"]


def test_another_tenants_fault_rules_are_neither_listed_nor_cleared(
    tenant: Tenant, other_tenant: Tenant, as_app: Admin
) -> None:
    theirs = as_app(other_tenant).post(f"{ADMIN}/faults", json={"status": 503, "count": 1}).json()
    mine = as_app(tenant)

    assert mine.get(f"{ADMIN}/faults").json()["value"] == []
    assert mine.get(f"{ADMIN}/faults/{theirs['id']}").status_code == 404
    assert mine.delete(f"{ADMIN}/faults/{theirs['id']}").status_code == 404
    assert mine.delete(f"{ADMIN}/faults").json() == {"removed": 0}
    assert mine.post(f"{ADMIN}/reset").json()["fault_rules"] == 0
    assert [rule["id"] for rule in as_app(other_tenant).get(f"{ADMIN}/faults").json()["value"]] == [
        theirs["id"]
    ]
