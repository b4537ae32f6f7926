"""What the journal keeps of a ``$batch``: each item an entry of its own with its bodies, and the envelope's
entry its requests and answers without those bodies (real HTTP)."""

from __future__ import annotations

import json

from learninggraph.journal.queries import JournalFilter
from learninggraph.storage.database import Database
from tests.builders import Catalogue
from tests.journal.recorded import entries_of, recorded

PROVIDERS = "/employeeExperience/learningProviders"


def _bulk(catalogue: Catalogue) -> dict[str, object]:
    url = f"{PROVIDERS}/{catalogue.provider_id}/learningCourseActivities"
    tenant = catalogue.tenant
    return {
        "requests": [
            {
                "id": "create",
                "method": "POST",
                "url": url,
                "headers": {"Content-Type": "application/json"},
                "body": tenant.self_initiated_body(
                    catalogue.content_id, externalcourseActivityId="journalled-1"
                ),
            },
            {
                "id": "read",
                "method": "GET",
                "url": f"{PROVIDERS}/{catalogue.provider_id}/learningCourseActivities?$top=1",
                "dependsOn": ["create"],
            },
        ]
    }


def test_a_batch_entry_keeps_its_requests_and_answers_but_leaves_the_bodies_to_the_items_entries(
    catalogue: Catalogue, database: Database
) -> None:
    tenant = catalogue.tenant
    sent = _bulk(catalogue)

    response = tenant.app().post(tenant.url("/$batch"), json=sent)

    envelope = recorded(database, tenant.tenant_id, response.headers["request-id"])
    answers = response.json()["responses"]
    assert [a["status"] for a in answers] == [201, 200]
    kept_requests = json.loads(envelope.request_body.text)["requests"]
    assert kept_requests == [{k: v for k, v in r.items() if k != "body"} for r in sent["requests"]]  # type: ignore[attr-defined]
    kept_answers = json.loads(envelope.response_body.text)["responses"]
    assert kept_answers == [{k: v for k, v in a.items() if k != "body"} for a in answers]
    assert not envelope.request_body.cut and not envelope.response_body.cut


def test_each_batch_item_entry_keeps_the_bodies_its_batch_entry_leaves_out(
    catalogue: Catalogue, database: Database
) -> None:
    tenant = catalogue.tenant

    response = tenant.app().post(tenant.url("/$batch"), json=_bulk(catalogue))

    batch_id = response.headers["request-id"]
    recorded(database, tenant.tenant_id, batch_id)
    items = entries_of(database, JournalFilter(tenant_id=tenant.tenant_id), count=3)
    by_request_id = {e.request_id: e for e in items if e.batch_request_id == batch_id}
    for answer in response.json()["responses"]:
        entry = by_request_id[answer["headers"]["request-id"]]
        assert json.loads(entry.response_body.text) == answer["body"]
    create = next(e for e in by_request_id.values() if e.method == "POST")
    assert json.loads(create.request_body.text)["externalcourseActivityId"] == "journalled-1"


def test_a_batch_refused_as_a_whole_is_journalled_with_its_body_as_sent(
    catalogue: Catalogue, database: Database
) -> None:
    tenant = catalogue.tenant
    sent = {"requests": [{"id": "1", "method": "GET", "url": "/me", "body": {"kept": "whole"}}, {"id": "1"}]}

    response = tenant.app().post(tenant.url("/$batch"), json=sent)

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert response.status_code == 400
    assert json.loads(entry.request_body.text) == sent
    assert entry.response_body.text == response.text
