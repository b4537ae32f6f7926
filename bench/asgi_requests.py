"""The requests of each ``bench/run.py`` scenario as ASGI calls, sent straight to an app (ours or the minimal
handlers of ``bench/ceiling.py``) with no server: what the in-process benchmarks share."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

App = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]
Request = tuple[str, str, str, list[tuple[bytes, bytes]], bytes]


def requests(sample: dict[str, Any], rng: random.Random) -> dict[str, Callable[[], Request]]:
    tenants = sample["tenants"]

    def bearer(token: str, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
        return [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode()), *extra]

    json_type = (b"content-type", b"application/json")
    form_type = (b"content-type", b"application/x-www-form-urlencoded")
    counter = [0]

    def new_activity(learner: str, content: str) -> bytes:
        counter[0] += 1
        return json.dumps(
            {
                "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                "learnerUserId": learner,
                "learningContentId": content,
                "status": "inProgress",
                "externalcourseActivityId": f"inproc-{time.time_ns()}-{counter[0]}",
            }
        ).encode()

    def pick() -> tuple[dict[str, Any], str]:
        tenant = rng.choice(tenants)
        return tenant, rng.choice(tenant["activities"][:2000])

    def post_parts() -> tuple[dict[str, Any], str, str, str]:
        tenant = rng.choice(tenants)
        provider = rng.choice(list(tenant["contents"]))
        return (
            tenant,
            provider,
            rng.choice(tenant["contents"][provider][:50]),
            rng.choice(tenant["learners"][:50]),
        )

    def form(tenant: dict[str, Any]) -> bytes:
        return (
            f"grant_type=client_credentials&client_id={tenant['clientId']}&client_secret={tenant['clientSecret']}"
            "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        ).encode()

    activities = "/v1.0/employeeExperience/learningCourseActivities/"

    def get() -> Request:
        tenant, act = pick()
        return "GET", activities + act, "", bearer(tenant["appToken"]), b""

    def patch() -> Request:
        tenant, act = pick()
        body = json.dumps({"completionPercentage": rng.randint(0, 100)}).encode()
        return "PATCH", activities + act, "", bearer(tenant["appToken"], json_type), body

    def post() -> Request:
        tenant, provider, content, learner = post_parts()
        path = f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"
        return "POST", path, "", bearer(tenant["appToken"], json_type), new_activity(learner, content)

    def listing() -> Request:
        tenant = rng.choice(tenants)
        learner, token = rng.choice(tenant["learnerTokens"])
        path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities"
        return "GET", path, "$filter=status%20ne%20%27completed%27&$top=50", bearer(token), b""

    def batch() -> Request:
        tenant = rng.choice(tenants)
        items = [
            {
                "id": str(i),
                "method": "PATCH",
                "url": "/employeeExperience/learningCourseActivities/"
                + rng.choice(tenant["activities"][:400]),
                "headers": {"Content-Type": "application/json"},
                "body": {"completionPercentage": rng.randint(0, 100)},
            }
            for i in range(1, 21)
        ]
        body = json.dumps({"requests": items}).encode()
        return "POST", "/v1.0/$batch", "", bearer(tenant["appToken"], json_type), body

    def batch_post() -> Request:
        tenant, provider, content, learner = post_parts()
        url = f"/employeeExperience/learningProviders/{provider}/learningCourseActivities"
        items = [
            {
                "id": str(i),
                "method": "POST",
                "url": url,
                "headers": {"Content-Type": "application/json"},
                "body": json.loads(new_activity(learner, content)),
            }
            for i in range(1, 21)
        ]
        body = json.dumps({"requests": items}).encode()
        return "POST", "/v1.0/$batch", "", bearer(tenant["appToken"], json_type), body

    def token() -> Request:
        tenant = rng.choice(tenants)
        path = f"/{tenant['tenantId']}/oauth2/v2.0/token"
        return "POST", path, "", [(b"host", b"127.0.0.1"), form_type], form(tenant)

    def min_get() -> Request:
        tenant, act = pick()
        return "GET", f"/min/{tenant['tenantId']}/activities/{act}", "", [], b""

    def min_patch() -> Request:
        tenant, act = pick()
        body = json.dumps({"status": "inProgress", "completionPercentage": rng.randint(0, 100)}).encode()
        return "PATCH", f"/min/{tenant['tenantId']}/activities/{act}", "", [json_type], body

    def min_post() -> Request:
        tenant, provider, content, learner = post_parts()
        path = f"/min/{tenant['tenantId']}/activities/{provider}"
        return "POST", path, "", [json_type], new_activity(learner, content)

    def min_list() -> Request:
        tenant = rng.choice(tenants)
        learner, _ = rng.choice(tenant["learnerTokens"])
        return "GET", f"/min/{tenant['tenantId']}/learners/{learner}/page", "", [], b""

    def min_token() -> Request:
        tenant = rng.choice(tenants)
        return "POST", f"/min/{tenant['tenantId']}/token/x", "", [form_type], form(tenant)

    def hello() -> Request:
        return "GET", "/hello", "", [], b""

    return {
        "get": get,
        "patch": patch,
        "post": post,
        "list": listing,
        "batch": batch,
        "batch_post": batch_post,
        "token": token,
        "hello": hello,
        "min_get": min_get,
        "min_patch": min_patch,
        "min_post": min_post,
        "min_list": min_list,
        "min_token": min_token,
    }


class _Cycle:
    """As uvicorn hands a request over: ``receive`` bound to a cycle that holds the whole body (``more_body``
    False), so the app reads it without a timer, as it does behind the server."""

    __slots__ = ("body", "more_body", "sent")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.more_body = False
        self.sent = False

    async def receive(self) -> dict[str, Any]:
        if self.sent:
            await asyncio.sleep(3600)
        self.sent = True
        return {"type": "http.request", "body": self.body, "more_body": False}


async def call(app: App, request: Request) -> int:
    method, path, query, headers, body = request
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [*headers, (b"content-length", str(len(body)).encode())] if body else headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status = [0]
    receive = _Cycle(body).receive

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    await app(scope, receive, send)
    return status[0]
