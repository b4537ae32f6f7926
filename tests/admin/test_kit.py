"""The test kit's additions, as a vendor's test uses them: ``journal``, ``explain``, ``faults`` (with a rule
scoped to a block), ``minimal_permissions`` and ``reset``, all through the admin API over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from learninggraph.testing import AdminError, LearningGraph

LOGO = "https://contoso.example/logo.png"
PROVIDERS = "/employeeExperience/learningProviders"
ACTIVITIES = "/employeeExperience/learningCourseActivities"


class Integration:
    """A vendor's integration in miniature: registers a provider, publishes a course, syncs an activity."""

    def __init__(self, graph: LearningGraph) -> None:
        self.graph = graph
        self.app = httpx.Client(
            base_url=graph.graph_url, headers={"Authorization": f"Bearer {graph.app_token()}"}, timeout=30
        )
        self.admin = httpx.Client(
            base_url=graph.graph_url, headers={"Authorization": f"Bearer {graph.user_token()}"}, timeout=30
        )

    def close(self) -> None:
        self.app.close()
        self.admin.close()

    def provider(self, *, sync: bool = True) -> str:
        body = {
            "displayName": "Contoso Academy",
            "isCourseActivitySyncEnabled": sync,
            **{
                f"{shape}LogoWebUrlFor{theme}Theme": LOGO
                for shape in ("long", "square")
                for theme in ("Dark", "Light")
            },
        }
        response = self.admin.post(PROVIDERS, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def content(self, provider: str) -> str:
        response = self.app.patch(
            f"{PROVIDERS}/{provider}/learningContents(externalId='python-101')",
            json={
                "title": "Python 101",
                "contentWebUrl": "https://contoso.example/c",
                "languageTag": "en-us",
            },
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def assign(self, provider: str, content: str) -> httpx.Response:
        return self.app.post(
            f"{PROVIDERS}/{provider}/learningCourseActivities",
            json={
                "@odata.type": "#microsoft.graph.learningAssignment",
                "learnerUserId": self.graph.user_id,
                "learningContentId": content,
                "assignmentType": "required",
                "status": "notStarted",
                "externalcourseActivityId": "ext-1",
            },
        )

    def complete(self, provider: str, activity: str) -> httpx.Response:
        return self.app.patch(
            f"{PROVIDERS}/{provider}/learningCourseActivities/{activity}",
            json={"status": "completed", "completionPercentage": 100},
        )


@pytest.fixture
def integration(kit: LearningGraph) -> Iterator[Integration]:
    made = Integration(kit)
    yield made
    made.close()


def test_the_journal_shows_exactly_one_patch_to_the_activity_with_status_completed(
    kit: LearningGraph, integration: Integration
) -> None:
    provider = integration.provider()
    activity = integration.assign(provider, integration.content(provider)).json()["id"]
    integration.complete(provider, activity)

    patches = [entry for entry in kit.journal(method="PATCH") if activity in entry.url]

    assert len(patches) == 1
    assert patches[0].status == 204
    assert patches[0].request_json()["status"] == "completed"


def test_the_journal_is_oldest_first_or_newest_first_and_filtered(
    kit: LearningGraph, integration: Integration
) -> None:
    provider = integration.provider()
    integration.content(provider)
    missing = integration.app.get(f"{ACTIVITIES}/no-such-activity")

    oldest_first = kit.journal()
    newest_first = kit.journal(newest_first=True)

    assert [entry.id for entry in newest_first] == [entry.id for entry in reversed(oldest_first)]
    assert [entry.request_id for entry in kit.journal(status=404)] == [missing.headers["request-id"]]
    assert [entry.method for entry in kit.journal(status="2xx", route=f"/v1.0{PROVIDERS}")] == ["POST"]
    assert len(kit.journal(limit=1)) == 1
    assert kit.journal(app=kit.client_id, method="PATCH")[0].caller.kind == "application"


def test_explain_gives_the_rule_and_hint_of_a_refused_request(
    kit: LearningGraph, integration: Integration
) -> None:
    provider = integration.provider(sync=False)
    refused = integration.assign(provider, integration.content(provider))
    assert refused.status_code == 400

    explained = kit.explain(refused.headers["request-id"])

    assert explained.status == 400
    assert explained.decision.rule
    assert explained.decision.hint and "isCourseActivitySyncEnabled" in explained.decision.hint
    assert explained.decision.hint in explained.explanation


def test_explain_of_an_unknown_request_id_raises_lookup_error(kit: LearningGraph) -> None:
    with pytest.raises(LookupError, match="request-id"):
        kit.explain("00000000-0000-4000-8000-000000000000")


def test_faults_are_added_listed_and_cleared(kit: LearningGraph) -> None:
    first = kit.faults.add(status=503, times=1, method="PATCH")
    second = kit.faults.add(latency_ms=20, route="*learningContents*")

    assert [rule.id for rule in kit.faults.list()] == [first.id, second.id]
    assert first.remaining == 1 and first.description == "answer 503 to PATCH any route (1 left)"
    assert kit.faults.clear(first) == 1
    assert kit.faults.clear(first.id) == 0
    assert kit.faults.clear() == 1
    assert kit.faults.list() == []


def test_an_invalid_fault_rule_raises_the_admin_apis_refusal(kit: LearningGraph) -> None:
    with pytest.raises(AdminError, match="status 418") as refused:
        kit.faults.add(status=418)

    assert refused.value.status == 400


def test_inject_scopes_a_rule_to_its_block(kit: LearningGraph, integration: Integration) -> None:
    with kit.faults.inject(status=503, retry_after=2, method="GET") as rule:
        inside = integration.app.get(ACTIVITIES)
        assert [r.id for r in kit.faults.list()] == [rule.id]
    after = integration.app.get(ACTIVITIES)

    assert inside.status_code == 503 and inside.headers["retry-after"] == "2"
    assert inside.json()["error"]["code"] == "serviceUnavailable"
    assert after.status_code == 200
    assert kit.faults.list() == []
    assert kit.explain(inside.headers["request-id"]).fault == rule.id


def test_inject_clears_its_rule_when_the_block_fails(kit: LearningGraph) -> None:
    with pytest.raises(RuntimeError), kit.faults.inject(status=500):
        raise RuntimeError("the test failed inside the block")

    assert kit.faults.list() == []


def test_a_counted_fault_fires_only_as_many_times(kit: LearningGraph, integration: Integration) -> None:
    with kit.faults.inject(status=429, times=1):
        statuses = [integration.app.get(ACTIVITIES).status_code for _ in range(3)]

    assert statuses == [429, 200, 200]


def test_minimal_permissions_of_the_kits_app(kit: LearningGraph, integration: Integration) -> None:
    integration.content(integration.provider())

    reports = kit.minimal_permissions()

    assert reports["application"].least_privileged == ("LearningContent.ReadWrite.All",)
    assert "LearningAssignedCourse.ReadWrite.All" in reports["application"].unneeded
    assert reports["application"].refused == ()
    assert reports["delegated"].least_privileged == ("LearningProvider.ReadWrite",)


def test_minimal_permissions_of_the_kits_user(kit: LearningGraph, integration: Integration) -> None:
    integration.provider()

    report = kit.minimal_permissions(user=kit.user_id)["delegated"]

    assert report.least_privileged == ("LearningProvider.ReadWrite",)


def test_reset_forgets_the_journal_and_the_fault_rules(kit: LearningGraph, integration: Integration) -> None:
    integration.app.get(ACTIVITIES)
    kit.faults.add(status=500, method="DELETE")
    assert kit.journal(route=f"/v1.0{ACTIVITIES}")

    kit.reset()

    assert kit.journal(route=f"/v1.0{ACTIVITIES}") == []
    assert kit.faults.list() == []


def test_a_tenant_costs_no_round_trip_until_the_journal_is_read() -> None:
    unreachable: dict[str, Any] = {
        "base_url": "http://127.0.0.1:9",
        "tenant_id": "t",
        "client_id": "c",
        "client_secret": "s",
        "user_id": "u",
        "user_principal_name": "u@t",
        "password": "p",
    }

    graph = LearningGraph(**unreachable)  # nothing listens on port 9: any call at set-up would fail

    with pytest.raises(OSError):
        graph.journal()


@pytest.mark.backend_independent  # the fixture's own server is SQLite
def test_the_learninggraph_fixture_has_the_kit(learninggraph: LearningGraph) -> None:
    response = httpx.get(
        f"{learninggraph.graph_url}{ACTIVITIES}",
        headers={"Authorization": f"Bearer {learninggraph.app_token()}"},
    )

    (entry,) = learninggraph.journal(route=f"/v1.0{ACTIVITIES}")

    assert entry.request_id == response.headers["request-id"]
    assert entry.response_json() == response.json()
