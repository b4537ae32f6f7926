"""A ``$batch`` skips work it can: a URL its items share is read and routed once, request ids are made without
``uuid4``, an item's JSON body is not decoded twice;
and a bulk batch of twenty creates still answers each of them on its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import pytest

from learninggraph.domain.errors import BadRequest
from learninggraph.domain.principal import CallerKind, Permissions, Principal
from learninggraph.http.batch_requests import Target, parse_requests, sub_request
from learninggraph.http.context import Operation, Param, RequestContext
from learninggraph.http.messages import JSON_CONTENT_TYPE, Request, Response, Segment, parse_path
from learninggraph.http.pipeline import request_steps
from learninggraph.http.routing import Match, Router
from tests.builders import Catalogue

PROVIDERS = "/employeeExperience/learningProviders"


def _outer() -> Request:
    return Request(
        method="POST",
        path="/v1.0/$batch",
        segments=(),
        query={},
        headers={},
        body=b"",
        base_url="http://localhost",
        request_id="outer",
        client_request_id="outer-client",
    )


def test_items_sharing_a_url_read_it_once_and_each_become_a_request_of_their_own() -> None:
    items = parse_requests(
        {
            "requests": [
                {"id": "1", "method": "POST", "url": f"{PROVIDERS}/p/learningContents", "body": {"a": 1}},
                {"id": "2", "method": "POST", "url": f"{PROVIDERS}/p/learningContents", "body": {"a": 2}},
            ]
        }
    )
    targets: dict[str, Target] = {}

    first, second = (sub_request(_outer(), item, "v1.0", item.id, "c", targets) for item in items)

    assert list(targets) == [f"{PROVIDERS}/p/learningContents"]
    assert first.path == second.path == f"/v1.0{PROVIDERS}/p/learningContents"
    assert first.segments == second.segments
    assert (first.body, second.body) == (b'{"a":1}', b'{"a":2}')
    assert first.headers is not second.headers


def test_an_items_json_body_reaches_its_handler_as_read_with_the_envelope_not_decoded_again() -> None:
    (item,) = parse_requests(
        {
            "requests": [
                {"id": "1", "method": "POST", "url": f"{PROVIDERS}/p/learningContents", "body": {"a": 1}}
            ]
        }
    )

    request = sub_request(_outer(), item, "v1.0", item.id, "c")

    assert request.json_body() is item.body
    assert request.body == b'{"a":1}'


def test_an_items_body_that_is_no_json_object_is_still_refused_by_its_handler() -> None:
    (item,) = parse_requests(
        {"requests": [{"id": "1", "method": "POST", "url": f"{PROVIDERS}/p/learningContents", "body": [1]}]}
    )

    request = sub_request(_outer(), item, "v1.0", item.id, "c")

    with pytest.raises(BadRequest, match="top-level value must be an object"):
        request.json_body()


def test_an_items_ids_are_folded_once_when_it_is_read() -> None:
    _, item = parse_requests(
        {
            "requests": [
                {"id": "A", "method": "GET", "url": "/me"},
                {"id": "Straße", "method": "GET", "url": "/me", "dependsOn": ["A", "a"]},
            ]
        }
    )

    assert item.key == "strasse"
    assert item.dependency_keys == ("a",)


def test_twenty_creates_sharing_one_url_each_get_their_own_answer_and_version_4_request_id(
    catalogue: Catalogue,
) -> None:
    tenant = catalogue.tenant
    url = f"{PROVIDERS}/{catalogue.provider_id}/learningCourseActivities"
    requests = [
        {
            "id": str(n),
            "method": "POST",
            "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId=f"bulk-{n}"),
        }
        for n in range(20)
    ]

    response = tenant.app().post(tenant.url("/$batch"), json={"requests": requests})

    answers = response.json()["responses"]
    assert [answer["status"] for answer in answers] == [201] * 20
    assert [answer["body"]["externalcourseActivityId"] for answer in answers] == [
        f"bulk-{n}" for n in range(20)
    ]
    assert len({answer["body"]["id"] for answer in answers}) == 20
    request_ids = [uuid.UUID(answer["headers"]["request-id"]) for answer in answers]
    assert len(set(request_ids)) == 20
    assert all(rid.version == 4 and rid.variant == uuid.RFC_4122 for rid in request_ids)


THINGS = Permissions(application=frozenset({"Things.ReadWrite"}))


class _CountingRouter(Router):
    """The router, counting the paths it is asked to resolve."""

    resolved = 0

    def resolve(self, method: str, segments: Sequence[Segment]) -> Match:
        self.resolved += 1
        return super().resolve(method, segments)


class _AnApplication:
    def authenticate(self, authorization: str | None) -> Principal:
        return Principal("t", "a", CallerKind.APPLICATION, frozenset({"Things.ReadWrite"}))


def _echo(context: RequestContext) -> Response:
    assert context.operation is not None
    answer = {"operation": context.operation.name, "route": context.route, "params": dict(context.params)}
    return Response(200, json.dumps(answer).encode(), JSON_CONTENT_TYPE)


def test_items_sharing_a_method_and_url_are_routed_once_and_each_answered_for_its_own_route() -> None:
    router = _CountingRouter(
        [
            Operation("things.get", "GET", ("things", Param("thing")), _echo, THINGS),
            Operation("things.update", "PATCH", ("things", Param("thing")), _echo, THINGS),
        ]
    )
    pipeline = request_steps(graph=router, public=Router([]), authenticator=_AnApplication())
    sent = [("1", "GET", "/things/a"), ("2", "GET", "/things/a"), ("3", "PATCH", "/things/a")]
    sent += [("4", "GET", "/things/b"), ("5", "GET", "/things/a")]
    body = {"requests": [{"id": key, "method": method, "url": url} for key, method, url in sent]}
    batch = Request(
        method="POST",
        path="/v1.0/$batch",
        segments=parse_path("/v1.0/$batch"),
        query={},
        headers={"content-type": "application/json", "authorization": "Bearer token"},
        body=json.dumps(body).encode(),
        base_url="http://localhost",
        request_id="outer",
        client_request_id="outer-client",
    )

    response = pipeline.run(RequestContext(batch))

    answers = {answer["id"]: answer["body"] for answer in json.loads(response.body)["responses"]}
    assert router.resolved == 3
    assert [answers[key]["operation"] for key, _, _ in sent] == ["things.get"] * 2 + [
        "things.update",
        "things.get",
        "things.get",
    ]
    assert [answers[key]["params"]["thing"] for key, _, _ in sent] == ["a", "a", "a", "b", "a"]
    assert {answer["route"] for answer in answers.values()} == {"/v1.0/things/{thing}"}


def test_in_a_bulk_of_creates_a_taken_external_id_is_409_for_that_create_alone(catalogue: Catalogue) -> None:
    tenant = catalogue.tenant
    url = f"{PROVIDERS}/{catalogue.provider_id}/learningCourseActivities"
    external_ids = ["kept-1", "kept-2", "kept-1", "kept-3"]
    requests = [
        {
            "id": str(n),
            "method": "POST",
            "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId=external_id),
        }
        for n, external_id in enumerate(external_ids)
    ]
    app = tenant.app()

    response = app.post(tenant.url("/$batch"), json={"requests": requests})

    answers = response.json()["responses"]
    assert [answer["status"] for answer in answers] == [201, 201, 409, 201]
    for answer in answers:
        if answer["status"] == 201:
            read = app.get(f"{catalogue.activities_url}/{answer['body']['id']}")
            assert read.status_code == 200
            assert read.json()["externalcourseActivityId"] == answer["body"]["externalcourseActivityId"]
