"""Each kind of refusal is journalled with the rule that produced it and a hint a vendor can act on,
while the response stays Graph's own (real HTTP against the session's server)."""

from __future__ import annotations

import httpx

from learninggraph.domain.permissions import (
    ASSIGNED_READ_WRITE_ALL,
    CONTENT_READ_ALL,
    SELF_INITIATED_READ_WRITE_ALL,
)
from learninggraph.journal.entry import JournalEntry
from learninggraph.storage.database import Database
from tests.builders import Catalogue, Tenant
from tests.journal.recorded import recorded

PROVIDERS = "/employeeExperience/learningProviders"


def _explained(database: Database, tenant_id: str, response: httpx.Response) -> JournalEntry:
    return recorded(database, tenant_id, response.headers["request-id"])


def test_a_missing_permission_names_what_the_operation_accepts_and_what_the_token_held(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app([CONTENT_READ_ALL]).post(
        catalogue.activities_url, json=tenant.assignment_body(catalogue.content_id)
    )

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 403
    assert entry.decision.rule == "permissions.missing"
    assert entry.decision.details["accepted_permissions"] == [
        ASSIGNED_READ_WRITE_ALL,
        SELF_INITIATED_READ_WRITE_ALL,
    ]
    assert entry.decision.details["held_permissions"] == [CONTENT_READ_ALL]
    assert entry.decision.hint is not None and CONTENT_READ_ALL in entry.decision.hint


def test_an_explained_refusal_keeps_graphs_body_with_no_hint_in_it(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app([CONTENT_READ_ALL]).post(
        catalogue.activities_url, json=tenant.assignment_body(catalogue.content_id)
    )

    entry = _explained(database, tenant.tenant_id, response)
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert error["message"] == (
        "Your account doesn't have access to this report or data. Contact your administrator to request access."
    )
    assert entry.decision.hint is not None and entry.decision.hint not in response.text
    assert "permissions.missing" not in response.text and "accepted" not in response.text


def test_an_app_token_on_a_me_route_is_explained(tenant: Tenant, database: Database) -> None:
    response = tenant.app().get(tenant.url("/me/employeeExperience/learningCourseActivities"))

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 400
    assert entry.decision.rule == "me.applicationToken"
    assert "delegated" in (entry.decision.hint or "")


def test_a_request_without_a_token_is_told_to_send_one(tenant: Tenant, database: Database) -> None:
    response = tenant.client(None).get(tenant.url(PROVIDERS))

    entry = _explained(database, "anonymous", response)
    assert entry.decision.rule == "token.missing"
    assert "Authorization: Bearer" in (entry.decision.hint or "")


def test_a_tampered_token_is_filed_under_its_tenant_as_a_bad_signature(
    tenant: Tenant, database: Database
) -> None:
    token = tenant.app_token()
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"

    response = tenant.client(forged).get(tenant.url(PROVIDERS))

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 401
    assert entry.decision.rule == "token.badSignature"
    assert entry.caller.kind == "anonymous"


def test_a_provider_with_sync_off_names_the_provider_and_the_property(
    tenant: Tenant, database: Database
) -> None:
    provider = tenant.provider(isCourseActivitySyncEnabled=False)
    content = tenant.content(provider["id"])

    response = tenant.app().post(
        tenant.url(f"{PROVIDERS}/{provider['id']}/learningCourseActivities"),
        json=tenant.assignment_body(content["id"]),
    )

    entry = _explained(database, tenant.tenant_id, response)
    assert response.json()["error"]["message"] == "This provider isn't enabled for the given tenant."
    assert entry.decision.rule == "provider.syncDisabled"
    assert entry.decision.details["provider"] == provider["id"]
    assert "isCourseActivitySyncEnabled" in (entry.decision.hint or "")


def test_an_out_of_range_completion_percentage_is_explained_with_its_range(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    activity = catalogue.assignment()

    response = tenant.app().patch(
        f"{catalogue.activities_url}/{activity['id']}", json={"completionPercentage": 150}
    )

    entry = _explained(database, tenant.tenant_id, response)
    assert response.json()["error"]["message"] == "Input field completionPercentage is invalid"
    assert entry.decision.rule == "field.invalid"
    assert "0 to 100" in (entry.decision.hint or "")
    assert entry.decision.details["fields"][0]["field"] == "completionPercentage"


def test_an_unknown_enum_member_is_explained_with_the_allowed_values(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    activity = catalogue.assignment()

    response = tenant.app().patch(f"{catalogue.activities_url}/{activity['id']}", json={"status": "finished"})

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 400
    assert "completed" in (entry.decision.hint or "") and "notStarted" in (entry.decision.hint or "")


def test_a_learner_without_a_licence_is_explained(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    unlicensed = tenant.new_user(licensed=False)

    response = tenant.app().post(
        catalogue.activities_url,
        json=tenant.assignment_body(catalogue.content_id, learnerUserId=unlicensed.id),
    )

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 403
    assert entry.decision.rule == "learner.noLicence"
    assert entry.decision.details["learner"] == unlicensed.id


def test_an_alternate_key_that_matches_nothing_is_explained(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app().get(f"{catalogue.activities_url}(externalcourseActivityId='no-such-activity')")

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 404
    assert entry.decision.rule == "key.notFound"
    assert entry.decision.details["value"] == "no-such-activity"


def test_a_path_no_route_matches_is_explained(tenant: Tenant, database: Database) -> None:
    response = tenant.app().get(tenant.url("/employeeExperience/learningThings"))

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 404
    assert entry.decision.rule == "route.notFound"


def test_a_bad_query_option_is_explained_with_the_options_the_route_takes(
    tenant: Tenant, database: Database
) -> None:
    response = tenant.user().get(tenant.url(f"{PROVIDERS}?$top=lots"))

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 400
    assert entry.decision.rule == "odata.invalidOption"
    assert "$top" in entry.decision.details["allowed_options"]


def test_a_content_key_that_matches_nothing_names_the_nearby_external_ids(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    tenant.content(catalogue.provider_id, "course-alpha")
    tenant.content(catalogue.provider_id, "course-gamma")

    response = tenant.app([CONTENT_READ_ALL]).get(
        tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents(externalId='course-beta')")
    )

    entry = _explained(database, tenant.tenant_id, response)
    assert response.status_code == 404
    assert entry.decision.rule == "key.notFound"
    assert "course-alpha" in entry.decision.details["nearby"]
    assert "course-gamma" in entry.decision.details["nearby"]
    assert "course-alpha" not in response.text
