"""Every request the server answers is journalled, with its caller, route, bodies and decision (real HTTP)."""

from __future__ import annotations

import random
import string

import pytest

from learninggraph.domain.permissions import CONTENT_READ_ALL
from learninggraph.http.recording import ANONYMOUS_TENANT
from learninggraph.journal.queries import JournalFilter
from learninggraph.storage.database import Database
from tests.builders import Catalogue, Tenant, provider_body
from tests.journal.recorded import entries_of, recorded

PROVIDERS = "/employeeExperience/learningProviders"


def test_a_successful_read_is_journalled_with_its_caller_route_and_answer(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app([CONTENT_READ_ALL]).get(
        tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents?$top=1"),
        headers={"client-request-id": "mine-1"},
    )

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert response.status_code == 200
    assert entry.status == 200
    assert entry.method == "GET"
    assert entry.url == f"/v1.0{PROVIDERS}/{catalogue.provider_id}/learningContents?$top=1"
    assert entry.route == "/v1.0/employeeExperience/learningProviders/{provider}/learningContents"
    assert entry.operation is not None
    assert entry.client_request_id == "mine-1"
    assert entry.caller.kind == "application"
    assert entry.caller.permissions == (CONTENT_READ_ALL,)
    assert entry.decision.rule == "ok"
    assert entry.response_body.text == response.text
    assert ("request-id", response.headers["request-id"]) in entry.response_headers
    assert entry.duration_ms > 0


def test_a_write_is_journalled_with_its_request_body(tenant: Tenant, database: Database) -> None:
    response = tenant.user(scopes=["LearningProvider.ReadWrite"]).post(
        tenant.url(PROVIDERS), json=provider_body(displayName="Journalled provider")
    )

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert response.status_code == 201
    assert entry.method == "POST"
    assert entry.caller.kind == "delegated"
    assert entry.caller.user_id == tenant.learner.id
    assert "Journalled provider" in entry.request_body.text


def test_a_request_without_a_token_is_journalled_under_the_anonymous_tenant(
    tenant: Tenant, database: Database
) -> None:
    response = tenant.client(None).get(tenant.url(PROVIDERS))

    entry = recorded(database, "anonymous", response.headers["request-id"])
    assert response.status_code == 401
    assert entry.caller.kind == "anonymous"


def test_a_sign_in_is_journalled_under_the_tenant_its_path_names(tenant: Tenant, database: Database) -> None:
    response = tenant.client(None).post(
        f"/{tenant.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "s3cr3t-value"},
    )

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert response.status_code >= 400
    assert entry.operation == "identity.token"


@pytest.mark.parametrize(
    "named",
    ["a%00b", "".join(random.Random(7).choices(string.ascii_letters, k=3000))],
    ids=["a NUL character", "3,000 characters"],
)
def test_a_sign_in_naming_a_tenant_no_directory_could_hold_is_journalled_under_the_anonymous_tenant(
    tenant: Tenant, database: Database, named: str
) -> None:
    response = tenant.client(None).post(
        f"/{named}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "s3cr3t-value"},
    )

    entry = recorded(database, ANONYMOUS_TENANT, response.headers["request-id"])
    assert response.status_code == 400
    assert entry.operation == "identity.token"


def test_each_batch_item_is_journalled_as_its_own_entry_tied_to_the_batch(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    client = tenant.app([CONTENT_READ_ALL])
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"{PROVIDERS}/{catalogue.provider_id}"},
            {"id": "2", "method": "GET", "url": f"{PROVIDERS}/{catalogue.provider_id}/learningContents"},
        ]
    }

    response = client.post(tenant.url("/$batch"), json=batch)

    batch_id = response.headers["request-id"]
    recorded(database, tenant.tenant_id, batch_id)
    entries = entries_of(database, JournalFilter(tenant_id=tenant.tenant_id), count=3)
    items = [e for e in entries if e.batch_request_id == batch_id]
    answers = {a["headers"]["request-id"]: a for a in response.json()["responses"]}
    assert sorted(e.request_id for e in items) == sorted(answers)
    assert {e.request_id: e.status for e in items} == {k: a["status"] for k, a in answers.items()}
    assert all(e.caller.kind == "application" for e in items)


def test_a_batch_item_not_run_for_its_failed_dependency_is_explained(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "DELETE",
                "url": f"{PROVIDERS}/{catalogue.provider_id}/learningContents/none",
            },
            {"id": "2", "method": "GET", "url": f"{PROVIDERS}/{catalogue.provider_id}", "dependsOn": ["1"]},
        ]
    }

    response = tenant.app([CONTENT_READ_ALL]).post(tenant.url("/$batch"), json=batch)

    answers = {a["id"]: a for a in response.json()["responses"]}
    first = recorded(database, tenant.tenant_id, answers["1"]["headers"]["request-id"])
    second = recorded(database, tenant.tenant_id, answers["2"]["headers"]["request-id"])
    assert first.decision.rule == "permissions.missing"
    assert (second.status, second.decision.rule) == (424, "batch.dependencyFailed")
    assert second.decision.details["dependsOn"] == "1"
    assert second.batch_request_id == first.batch_request_id == response.headers["request-id"]
