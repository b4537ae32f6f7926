"""Checks every request used to make that only some requests need: each is skipped where it cannot apply."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from learninggraph.http import dashboard_mount, edge, pipeline
from learninggraph.http.context import Operation, RequestContext
from learninggraph.http.edge import Edge
from learninggraph.http.messages import Request, Response
from learninggraph.http.pipeline import Pipeline, ServeBatch
from learninggraph.http.reading import Reading
from learninggraph.identity import jws


def _request(method: str, path: str) -> Request:
    scope: dict[str, Any] = {"method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    return Reading(max_body_bytes=1024).parse_request(scope, {}, b"", "r", "c")


def _refuse(*_: Any) -> Any:
    raise AssertionError("called for a request it cannot apply to")


def test_a_graph_path_leaves_the_dashboard_hook_without_its_path_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = dashboard_mount.mounted_lazily(_refuse)
    monkeypatch.setattr(dashboard_mount, "handles", _refuse)
    assert hook({"type": "http", "method": "GET", "path": "/v1.0/employeeExperience"}) is None


def test_the_dashboard_hook_still_claims_the_dashboard_and_the_root() -> None:
    built: list[str] = []

    def dashboard(*_: Any) -> None:
        pass

    def build() -> Any:
        built.append("app")
        return dashboard

    hook = dashboard_mount.mounted_lazily(build)
    assert hook({"type": "http", "method": "GET", "path": f"{dashboard_mount.PREFIX}/"}) is dashboard
    assert hook({"type": "http", "method": "GET", "path": "/"}) is dashboard
    assert hook({"type": "http", "method": "GET", "path": "/_learninggraph/other"}) is None
    assert built == ["app"]


def test_a_request_other_than_a_post_is_not_looked_at_for_a_sign_in_or_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(edge, "is_sign_in", _refuse)
    monkeypatch.setattr(edge, "_is_graph_batch", _refuse)
    serving = Edge(pipeline=Pipeline(), reading=Reading(max_body_bytes=1024))
    assert serving._executor_for(_request("GET", "/contoso/oauth2/v2.0/token")) is None
    assert serving._executor_for(_request("PATCH", "/v1.0/$batch")) is None


def test_a_request_with_a_resolved_operation_is_not_looked_at_for_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline, "is_batch", _refuse)
    step = ServeBatch(batch=None)  # type: ignore[arg-type]
    context = RequestContext(_request("GET", "/v1.0/me"))
    context.operation = Operation("me.get", "GET", ("me",), lambda _: Response(200))
    assert step(context) is None


def test_tokens_of_one_signing_key_encode_its_header_once() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = "test-kid-header-once"
    before = jws._header_segment.cache_info()
    first = jws.sign({"n": 1}, key, kid)
    second = jws.sign({"n": 2}, key, kid)
    after = jws._header_segment.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert first.split(".")[0] == second.split(".")[0]
    assert jws.parse(first).header == {"alg": "RS256", "kid": kid, "typ": "JWT"}
