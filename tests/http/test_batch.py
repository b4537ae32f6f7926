"""JSON batching over real HTTP: the envelope, item URLs, item requests, dependencies and the official SDK."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from learninggraph.domain.principal import CallerKind, Permissions, Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.edge import Edge
from learninggraph.http.messages import JSON_CONTENT_TYPE, Response
from learninggraph.http.pipeline import request_steps
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Operation, Router
from tests.builders import Catalogue, Tenant, content_body, provider_body
from tests.graph_sdk import graph_client
from tests.identity.conftest import serving

PROVIDERS = "/employeeExperience/learningProviders"
JSON = {"content-type": "application/json"}
WRITE_PROVIDERS = ["LearningProvider.ReadWrite"]


def get(request_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": request_id, "method": "GET", "url": url, **extra}


def send(request_id: str, method: str, url: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    """A request with a JSON body (and its Content-Type unless ``headers`` are given)."""
    item = {"id": request_id, "method": method, "url": url, "headers": JSON, **extra}
    return item if body is None else {**item, "body": body}


def post_batch(client: httpx.Client, tenant: Tenant, *items: Any, version: str = "v1.0") -> httpx.Response:
    return client.post(tenant.url("/$batch", version), json={"requests": list(items)})


def run(
    client: httpx.Client, tenant: Tenant, *items: Any, version: str = "v1.0"
) -> dict[str, dict[str, Any]]:
    """The batch's answers by id, after checking that the batch itself was accepted."""
    response = post_batch(client, tenant, *items, version=version)
    assert response.status_code == 200, response.text
    return {answer["id"]: answer for answer in response.json()["responses"]}


def contents_url(catalogue: Catalogue) -> str:
    return f"{PROVIDERS}/{catalogue.provider_id}/learningContents"


def activities_url(catalogue: Catalogue) -> str:
    return f"{PROVIDERS}/{catalogue.provider_id}/learningCourseActivities"


class TestEnvelope:
    def test_a_batch_without_a_token_is_401(self, tenant: Tenant) -> None:
        response = httpx.post(tenant.url("/$batch"), json={"requests": [get("1", PROVIDERS)]})

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"

    def test_the_answers_come_in_the_order_the_requests_were_sent(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        one = f"{contents_url(catalogue)}/{catalogue.content_id}"

        response = post_batch(tenant.app(), tenant, get("b", contents_url(catalogue)), get("a", one))

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert [(r["id"], r["status"]) for r in response.json()["responses"]] == [("b", 200), ("a", 200)]

    def test_json_bodies_are_inlined_as_json(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant

        answer = run(tenant.app(), tenant, get("1", contents_url(catalogue)))["1"]

        assert answer["headers"]["Content-Type"].startswith("application/json")
        assert [item["id"] for item in answer["body"]["value"]] == [catalogue.content_id]

    def test_malformed_json_is_400_in_the_graph_envelope(self, tenant: Tenant) -> None:
        response = tenant.app().post(tenant.url("/$batch"), content=b'{"requests": [', headers=JSON)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"
        assert "Invalid JSON" in response.json()["error"]["message"]

    def test_a_batch_without_requests_is_400(self, tenant: Tenant) -> None:
        response = post_batch(tenant.app(), tenant)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"

    def test_twenty_requests_are_accepted(self, tenant: Tenant) -> None:
        result = run(tenant.user(), tenant, *(get(str(n), PROVIDERS) for n in range(20)))

        assert [r["status"] for r in result.values()] == [200] * 20

    def test_twenty_one_requests_are_400(self, tenant: Tenant) -> None:
        response = post_batch(tenant.user(), tenant, *(get(str(n), PROVIDERS) for n in range(21)))

        assert response.status_code == 400
        assert "20" in response.json()["error"]["message"]

    def test_duplicate_ids_are_400(self, tenant: Tenant) -> None:
        response = post_batch(tenant.user(), tenant, get("1", PROVIDERS), get("1", PROVIDERS))

        assert response.status_code == 400
        assert "'1'" in response.json()["error"]["message"]

    def test_ids_that_differ_only_in_case_are_duplicates(self, tenant: Tenant) -> None:
        response = post_batch(tenant.user(), tenant, get("abc", PROVIDERS), get("ABC", PROVIDERS))

        assert response.status_code == 400

    @pytest.mark.parametrize(
        "request_",
        [
            {"method": "GET", "url": PROVIDERS},
            {"id": 1, "method": "GET", "url": PROVIDERS},
            {"id": "1", "url": PROVIDERS},
            {"id": "1", "method": "GET"},
            {"id": "1", "method": "GET", "url": PROVIDERS, "headers": ["accept"]},
            {"id": "1", "method": "GET", "url": PROVIDERS, "dependsOn": "2"},
            ["GET", PROVIDERS],
        ],
        ids=[
            "no id",
            "numeric id",
            "no method",
            "no url",
            "headers list",
            "dependsOn string",
            "not an object",
        ],
    )
    def test_a_malformed_request_makes_the_whole_batch_400(self, tenant: Tenant, request_: Any) -> None:
        response = post_batch(tenant.user(), tenant, request_, get("2", PROVIDERS))

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"

    def test_get_on_the_batch_endpoint_is_405(self, tenant: Tenant) -> None:
        assert tenant.user().get(tenant.url("/$batch")).status_code == 405

    def test_a_beta_batch_runs_its_requests_under_beta(self, tenant: Tenant) -> None:
        answer = run(tenant.user(), tenant, get("1", PROVIDERS), version="beta")["1"]

        assert answer["status"] == 200
        assert answer["body"]["@odata.context"].startswith(f"{tenant.base_url}/beta/$metadata#")


class TestItemUrls:
    def test_a_relative_url_without_the_version_runs_under_the_batchs_version(self, tenant: Tenant) -> None:
        answer = run(tenant.user(), tenant, get("1", PROVIDERS))["1"]

        assert answer["status"] == 200
        assert answer["body"]["@odata.context"].startswith(f"{tenant.base_url}/v1.0/$metadata#")

    @pytest.mark.parametrize(
        "url",
        ["/v1.0{path}", "v1.0{path}", "{path}", "{path_without_slash}", "{base}/v1.0{path}", "{base}{path}"],
        ids=[
            "with version",
            "with version, no slash",
            "without",
            "no slash",
            "absolute",
            "absolute, no version",
        ],
    )
    def test_every_url_form_a_client_sends_is_accepted(self, tenant: Tenant, url: str) -> None:
        provider = tenant.provider()
        path = f"{PROVIDERS}/{provider['id']}"

        answer = run(
            tenant.user(),
            tenant,
            get("1", url.format(path=path, path_without_slash=path.lstrip("/"), base=tenant.base_url)),
        )["1"]

        assert answer["status"] == 200
        assert answer["body"]["id"] == provider["id"]

    def test_a_url_naming_the_other_version_is_400_for_that_request_only(self, tenant: Tenant) -> None:
        result = run(tenant.user(), tenant, get("beta", f"/beta{PROVIDERS}"), get("v1", PROVIDERS))

        assert result["beta"]["status"] == 400
        assert "version" in result["beta"]["body"]["error"]["message"]
        assert result["v1"]["status"] == 200

    def test_a_nested_batch_is_400_for_that_request_only(self, tenant: Tenant) -> None:
        nested = send("n", "POST", "/$batch", {"requests": [get("1", PROVIDERS)]})

        result = run(tenant.user(), tenant, nested, get("1", PROVIDERS))

        assert result["n"]["status"] == 400
        assert "nested" in result["n"]["body"]["error"]["message"]
        assert result["1"]["status"] == 200

    def test_query_options_in_the_url_apply(self, tenant: Tenant) -> None:
        tenant.provider(displayName="Alpha")
        tenant.provider(displayName="Beta")

        answer = run(tenant.user(), tenant, get("1", f"{PROVIDERS}?$select=displayName&$top=1"))["1"]

        assert [set(item) for item in answer["body"]["value"]] == [{"displayName"}]
        assert "@odata.nextLink" in answer["body"]

    def test_an_unknown_path_is_404_for_that_request_only(self, tenant: Tenant) -> None:
        result = run(tenant.user(), tenant, get("1", "/nothing/here"), get("2", PROVIDERS))

        assert (result["1"]["status"], result["2"]["status"]) == (404, 200)


class TestItemRequests:
    def test_providers_are_created_read_updated_and_deleted_in_one_batch(self, tenant: Tenant) -> None:
        item = f"{PROVIDERS}/{tenant.provider()['id']}"

        result = run(
            tenant.user(scopes=WRITE_PROVIDERS),
            tenant,
            send("create", "POST", PROVIDERS, provider_body()),
            send("rename", "PATCH", item, {"displayName": "New"}),
            get("read", item, dependsOn=["rename"]),
            send("delete", "DELETE", item, dependsOn=["read"]),
        )

        assert result["create"]["status"] == 201
        assert result["create"]["headers"]["Location"].endswith(result["create"]["body"]["id"])
        assert result["rename"]["status"] == 204
        assert result["read"]["body"]["displayName"] == "New"
        assert result["delete"]["status"] == 204
        assert tenant.user().get(tenant.url(item)).status_code == 404

    def test_contents_and_activities_are_upserted_created_updated_read_and_deleted(
        self, catalogue: Catalogue
    ) -> None:
        tenant = catalogue.tenant
        content = f"{contents_url(catalogue)}(externalId='batch-course')"
        body = tenant.assignment_body(catalogue.content_id, externalcourseActivityId="batch-activity")
        activity = f"{activities_url(catalogue)}(externalcourseActivityId='batch-activity')"

        result = run(
            tenant.app(),
            tenant,
            send("upsert", "PATCH", content, content_body()),
            send("assign", "POST", activities_url(catalogue), body),
            send("progress", "PATCH", activity, {"status": "inProgress"}, dependsOn=["assign"]),
            get("check", activity, dependsOn=["progress"]),
            send("remove", "DELETE", activity, dependsOn=["check"]),
            get("gone", activity, dependsOn=["remove"]),
        )

        assert result["upsert"]["status"] == 202
        assert result["upsert"]["body"]["externalId"] == "batch-course"
        assert result["assign"]["status"] == 201
        assert result["progress"]["status"] == 204
        assert result["check"]["body"]["status"] == "inProgress"
        assert result["remove"]["status"] == 204
        assert result["gone"]["status"] == 404

    def test_header_names_are_read_in_any_case(self, tenant: Tenant) -> None:
        item = f"{PROVIDERS}/{tenant.provider()['id']}"
        headers = {"CONTENT-TYPE": "application/json", "Prefer": "return=representation"}

        answer = run(
            tenant.user(scopes=WRITE_PROVIDERS),
            tenant,
            send("1", "PATCH", item, {"displayName": "Renamed"}, headers=headers),
        )["1"]

        assert answer["status"] == 200
        assert answer["headers"]["Preference-Applied"] == "return=representation"
        assert answer["body"]["displayName"] == "Renamed"

    def test_a_method_is_read_in_any_case(self, tenant: Tenant) -> None:
        assert run(tenant.user(), tenant, send("1", "get", PROVIDERS))["1"]["status"] == 200

    def test_an_unsupported_method_is_400_for_that_request_only(self, tenant: Tenant) -> None:
        result = run(tenant.user(), tenant, send("1", "HEAD", PROVIDERS), get("2", PROVIDERS))

        assert result["1"]["status"] == 400
        assert "HEAD" in result["1"]["body"]["error"]["message"]
        assert result["2"]["status"] == 200

    def test_a_json_body_without_a_content_type_is_read_as_json(self, tenant: Tenant) -> None:
        request = send("1", "POST", PROVIDERS, provider_body(), headers={})

        assert run(tenant.user(scopes=WRITE_PROVIDERS), tenant, request)["1"]["status"] == 201

    def test_a_body_of_another_media_type_is_decoded_from_base64(self, tenant: Tenant) -> None:
        encoded = base64.b64encode(b"displayName=x").decode()
        headers = {"content-type": "application/x-www-form-urlencoded"}

        answer = run(
            tenant.user(scopes=WRITE_PROVIDERS),
            tenant,
            send("1", "POST", PROVIDERS, encoded, headers=headers),
        )["1"]

        assert answer["status"] == 415
        assert answer["body"]["error"]["code"] == "unsupportedMediaType"

    def test_a_body_of_another_media_type_that_is_not_base64_is_400(self, tenant: Tenant) -> None:
        request = send("1", "POST", PROVIDERS, "not base64!", headers={"content-type": "text/plain"})

        answer = run(tenant.user(scopes=WRITE_PROVIDERS), tenant, request)["1"]

        assert answer["status"] == 400
        assert "base64" in answer["body"]["error"]["message"]

    def test_a_request_without_permission_is_403_while_the_others_succeed(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        contents_only = tenant.app(["LearningContent.Read.All"])

        result = run(
            contents_only,
            tenant,
            get("contents", contents_url(catalogue)),
            get("acts", activities_url(catalogue)),
        )

        assert result["contents"]["status"] == 200
        assert result["acts"]["status"] == 403
        assert result["acts"]["body"]["error"]["code"] == "Forbidden"

    def test_a_count_answers_with_a_text_body(self, tenant: Tenant) -> None:
        tenant.provider()
        tenant.provider()

        answer = run(tenant.user(), tenant, get("1", f"{PROVIDERS}/$count"))["1"]

        assert answer["status"] == 200
        assert answer["headers"]["Content-Type"].startswith("text/plain")
        assert answer["body"] == "2"

    def test_a_reply_without_content_has_no_body(self, tenant: Tenant) -> None:
        item = f"{PROVIDERS}/{tenant.provider()['id']}"

        answer = run(tenant.user(scopes=WRITE_PROVIDERS), tenant, send("1", "DELETE", item))["1"]

        assert answer["status"] == 204
        assert "body" not in answer

    def test_each_request_has_its_own_request_id_shown_in_its_error(self, tenant: Tenant) -> None:
        response = post_batch(tenant.user(), tenant, get("1", f"{PROVIDERS}/missing"), get("2", PROVIDERS))
        first, second = (answer["headers"]["request-id"] for answer in response.json()["responses"])

        assert re.fullmatch(r"[0-9a-f-]{36}", first)
        assert len({first, second, response.headers["request-id"]}) == 3
        assert response.json()["responses"][0]["body"]["error"]["innerError"]["request-id"] == first

    def test_a_request_echoes_its_own_client_request_id_or_else_the_batchs(self, tenant: Tenant) -> None:
        own = get("own", PROVIDERS, headers={"client-request-id": "mine"})

        response = tenant.user().post(
            tenant.url("/$batch"),
            json={"requests": [own, get("other", PROVIDERS)]},
            headers={"client-request-id": "outer"},
        )

        own_answer, other_answer = response.json()["responses"]
        assert own_answer["headers"]["client-request-id"] == "mine"
        assert other_answer["headers"]["client-request-id"] == "outer"


class TestDependencies:
    def test_a_request_runs_after_the_one_it_depends_on_even_when_listed_first(
        self, catalogue: Catalogue
    ) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id, externalcourseActivityId="later")
        by_key = f"{activities_url(catalogue)}(externalcourseActivityId='later')"

        result = run(
            tenant.app(),
            tenant,
            get("read", by_key, dependsOn=["create"]),
            send("create", "POST", activities_url(catalogue), body),
        )

        assert (result["create"]["status"], result["read"]["status"]) == (201, 200)

    def test_the_sdk_spelling_depends_on_is_honoured_with_ids_in_any_case(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        body = tenant.assignment_body(catalogue.content_id, externalcourseActivityId="snake")
        by_key = f"{activities_url(catalogue)}(externalcourseActivityId='snake')"

        result = run(
            tenant.app(),
            tenant,
            get("read", by_key, depends_on=["CREATE"]),
            send("create", "POST", activities_url(catalogue), body, depends_on=[]),
        )

        assert result["read"]["status"] == 200

    def test_a_request_whose_dependency_failed_is_424_and_not_run(self, tenant: Tenant) -> None:
        client = tenant.user(scopes=WRITE_PROVIDERS)

        result = run(
            client,
            tenant,
            send("bad", "POST", PROVIDERS, {"displayName": ""}),
            send("good", "POST", PROVIDERS, provider_body(), dependsOn=["bad"]),
        )

        assert result["bad"]["status"] == 400
        assert result["good"]["status"] == 424
        assert result["good"]["body"]["error"]["code"] == "failedDependency"
        assert client.get(tenant.url(PROVIDERS)).json()["value"] == []

    def test_a_failed_dependency_fails_the_whole_chain(self, tenant: Tenant) -> None:
        result = run(
            tenant.user(),
            tenant,
            get("1", f"{PROVIDERS}/missing"),
            get("2", PROVIDERS, dependsOn=["1"]),
            get("3", PROVIDERS, dependsOn=["2"]),
            get("4", PROVIDERS),
        )

        assert [result[i]["status"] for i in "1234"] == [404, 424, 424, 200]

    def test_an_unknown_dependency_is_400(self, tenant: Tenant) -> None:
        response = post_batch(tenant.user(), tenant, get("1", PROVIDERS, dependsOn=["9"]))

        assert response.status_code == 400
        assert "'9'" in response.json()["error"]["message"]

    def test_a_dependency_cycle_is_400(self, tenant: Tenant) -> None:
        response = post_batch(
            tenant.user(), tenant, get("1", PROVIDERS, dependsOn=["2"]), get("2", PROVIDERS, dependsOn=["1"])
        )

        assert response.status_code == 400
        assert "cycle" in response.json()["error"]["message"]


class _AnyCaller:
    def authenticate(self, authorization: str | None) -> Principal:
        return Principal("t", "a", CallerKind.APPLICATION, frozenset({"Any"}))


def _explode(context: RequestContext) -> Response:
    raise RuntimeError("secret internal detail")


def _fine(context: RequestContext) -> Response:
    return Response(200, b"{}", JSON_CONTENT_TYPE)


ANYONE = Permissions(application=frozenset({"Any"}))


@pytest.fixture(scope="module")
def fragile_server() -> Iterator[str]:
    """An edge with a route that fails unexpectedly beside one that works."""
    operations = [
        Operation("boom", "GET", ("boom",), _explode, ANYONE),
        Operation("fine", "GET", ("fine",), _fine, ANYONE),
    ]
    edge = Edge(
        pipeline=request_steps(graph=Router(operations), public=Router([]), authenticator=_AnyCaller()),
        reading=Reading(max_body_bytes=65536),
    )
    with serving(edge) as base_url:
        yield base_url


class TestUnexpectedErrors:
    def test_an_unexpected_error_is_that_requests_500_without_details(self, fragile_server: str) -> None:
        response = httpx.post(
            f"{fragile_server}/v1.0/$batch", json={"requests": [get("1", "/boom"), get("2", "/fine")]}
        )
        result = {answer["id"]: answer for answer in response.json()["responses"]}

        assert result["1"]["status"] == 500
        assert result["1"]["body"]["error"]["code"] == "internalServerError"
        assert "secret internal detail" not in response.text
        assert "Traceback" not in response.text
        assert result["2"]["status"] == 200


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
class TestWithTheSdk:
    def test_batch_request_content_from_request_builders_gets_every_status(
        self, catalogue: Catalogue
    ) -> None:
        from msgraph.generated.models.assignment_type import AssignmentType
        from msgraph.generated.models.course_status import CourseStatus
        from msgraph.generated.models.learning_assignment import LearningAssignment
        from msgraph_core.requests.batch_request_content import BatchRequestContent
        from msgraph_core.requests.batch_request_item import BatchRequestItem

        tenant = catalogue.tenant

        async def send() -> dict[str, int]:
            async with graph_client(tenant.base_url, tenant.app_token()) as client:
                provider = client.employee_experience.learning_providers.by_learning_provider_id(
                    catalogue.provider_id
                )
                assignment = LearningAssignment(
                    odata_type="#microsoft.graph.learningAssignment",
                    learner_user_id=tenant.learner.id,
                    learning_content_id=catalogue.content_id,
                    status=CourseStatus.NotStarted,
                    assignment_type=AssignmentType.Required,
                )
                missing = client.employee_experience.learning_providers.by_learning_provider_id("missing")
                items = {
                    "contents": provider.learning_contents.to_get_request_information(),
                    "assign": provider.learning_course_activities.to_post_request_information(assignment),
                    "missing": missing.learning_contents.to_get_request_information(),
                }
                content = BatchRequestContent(
                    {
                        "contents": BatchRequestItem(request_information=items["contents"], id="contents"),
                        "assign": BatchRequestItem(
                            request_information=items["assign"], id="assign", depends_on=["contents"]
                        ),
                        "missing": BatchRequestItem(request_information=items["missing"], id="missing"),
                        "after": BatchRequestItem(
                            request_information=items["contents"], id="after", depends_on=["missing"]
                        ),
                    }
                )
                response = await client.batch.post(batch_request_content=content)
                codes: dict[str, int] = response.get_response_status_codes()
                return codes

        assert asyncio.run(send()) == {"contents": 200, "assign": 201, "missing": 400, "after": 424}
