"""JSON batching: a ``$batch`` body parsed, its requests run one by one in dependency order, answers collected."""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec

from learninggraph.domain.errors import (
    INTERNAL_ERROR,
    BadRequest,
    Explanation,
    GraphError,
    InternalServerError,
)
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.http.context import RequestContext
from learninggraph.http.errors import render_error
from learninggraph.http.messages import (
    JSON_CONTENT_TYPE,
    Request,
    Response,
    Segment,
    parse_path,
    parse_prefer,
    parse_query,
)
from learninggraph.http.recording import Recorder, now

log = logging.getLogger("learninggraph")

MAX_REQUESTS = 20
METHODS = frozenset({"GET", "POST", "PATCH", "DELETE", "PUT"})
Dispatch = Callable[[RequestContext], Response]
Group = Callable[[], AbstractContextManager[object]]

_encode = msgspec.json.Encoder().encode


class FailedDependency(GraphError):
    status = 424
    code = "failedDependency"


class BatchOutputSpent(GraphError):
    """An item not run (or, for a read, not kept) because the batch's responses reached their size budget."""

    status = 503
    code = "serviceNotAvailable"


def is_batch(segments: Sequence[Segment]) -> bool:
    """Whether the path after the version is ``$batch``."""
    return len(segments) == 1 and segments[0].key_name is None and segments[0].name.lower() == "$batch"


@dataclass(frozen=True, slots=True)
class _Item:
    """One request of the batch, as sent; checked for shape, not yet for meaning."""

    id: str
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    depends_on: tuple[str, ...]

    @property
    def key(self) -> str:
        """Ids are compared without regard to case."""
        return self.id.casefold()

    @property
    def dependency_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.casefold() for d in self.depends_on))


@dataclass(frozen=True, slots=True)
class _Outcome:
    response: Response
    request_id: str
    client_request_id: str
    # For the journal: the item's context once it became a request, and the error it was answered with.
    context: RequestContext | None = None
    error: Exception | None = None


class Batch:
    """Runs the requests of one ``$batch`` through ``dispatch`` (the request's steps), as the batch's caller.

    A batch that writes runs inside ``group`` (``Database.grouped``): its items still succeed or fail
    one by one, but their writes may be committed together, once, before the answer is sent. If that
    commit fails, the whole batch is answered with the error, so no item is reported as done that is not.

    The items' response bodies may add up to ``max_response_bytes``: once they have, the remaining items
    are not run, and a read whose answer would go past the budget is dropped (a write's answer is always
    kept, since the write happened); either is answered 503 with ``Retry-After``, to be sent again alone or
    in a later batch. The first item's answer is always kept, as it would be outside a batch.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        group: Group = nullcontext,
        *,
        max_response_bytes: int = 16 * 1024 * 1024,
        recorder: Recorder | None = None,
    ) -> None:
        self._dispatch = dispatch
        self._group = group
        self._max_response_bytes = max_response_bytes
        # The request journal: each item is an entry of its own, tied to the batch's request-id.
        self.recorder = recorder

    def run(self, context: RequestContext) -> Response:
        items = _parse(context.request.json_body())
        by_key = {item.key: item for item in items}
        outcomes: dict[str, _Outcome] = {}
        writes = any(item.method != "GET" for item in items)
        spent = 0
        with self._group() if writes else nullcontext():
            for item in _execution_order(items, by_key):
                started = time.perf_counter()
                failed = next((d for d in item.dependency_keys if outcomes[d].response.status >= 400), None)
                if failed is not None:
                    outcome = self._not_run(context.request, item, by_key[failed], outcomes[failed])
                elif spent >= self._max_response_bytes:
                    outcome = self._over_budget(context.request, item)
                else:
                    outcome = self._run(context, item)
                    size = len(outcome.response.body)
                    if spent and spent + size > self._max_response_bytes and item.method == "GET":
                        outcome = self._over_budget(context.request, item, outcome.context)
                spent += len(outcome.response.body)
                outcomes[item.key] = outcome
                if self.recorder is not None:
                    self._record(context, item, outcome, started)
        answers = [_answer(item, outcomes[item.key]) for item in items]
        return Response(200, _encode({"responses": answers}), JSON_CONTENT_TYPE)

    def _run(self, batch: RequestContext, item: _Item) -> _Outcome:
        outer = batch.request
        request_id, client_request_id = _correlation_ids(outer, item)
        context: RequestContext | None = None
        failure: Exception | None = None
        try:
            request = _sub_request(outer, item, batch.version, request_id, client_request_id)
            context = RequestContext(request, principal=batch.principal)
            response = self._dispatch(context)
        except GraphError as error:
            failure = error
            response = render_error(error, request_id=request_id, client_request_id=client_request_id)
        except Exception as error:
            failure = error
            log.exception("unhandled error in item %r of batch %s", item.id, outer.request_id)
            response = render_error(
                InternalServerError(INTERNAL_ERROR),
                request_id=request_id,
                client_request_id=client_request_id,
            )
        if context is not None:
            # An item's injected fault: the batch's answer waits for its slowest item, or is dropped.
            batch.delay_seconds = max(batch.delay_seconds, context.delay_seconds)
            batch.drop_connection = batch.drop_connection or context.drop_connection
        return _Outcome(response, request_id, client_request_id, context, failure)

    def _record(self, batch: RequestContext, item: _Item, outcome: _Outcome, started: float) -> None:
        assert self.recorder is not None
        duration = time.perf_counter() - started
        try:
            self.recorder.record_item(
                batch,
                outcome.context,
                outcome.response,
                error=outcome.error,
                started_at=now() - timedelta(seconds=duration),
                duration_ms=duration * 1000,
                request_id=outcome.request_id,
                client_request_id=outcome.client_request_id,
                method=item.method,
                url=item.url,
                headers=item.headers,
            )
        except Exception:
            log.exception(
                "the journal could not record item %r of batch %s", item.id, batch.request.request_id
            )

    def _not_run(self, outer: Request, item: _Item, dependency: _Item, outcome: _Outcome) -> _Outcome:
        request_id, client_request_id = _correlation_ids(outer, item)
        error = FailedDependency(
            f"Request '{item.id}' was not run because request '{dependency.id}', which it depends on, "
            f"failed with status {outcome.response.status}.",
            explanation=Explanation(
                "batch.dependencyFailed",
                f"Request '{item.id}' depends on '{dependency.id}', which failed; fix that one first.",
                {"dependsOn": dependency.id, "dependencyStatus": outcome.response.status},
            ),
        )
        response = render_error(error, request_id=request_id, client_request_id=client_request_id)
        return _Outcome(response, request_id, client_request_id, error=error)

    def _over_budget(self, outer: Request, item: _Item, context: RequestContext | None = None) -> _Outcome:
        request_id, client_request_id = _correlation_ids(outer, item)
        error = BatchOutputSpent(
            f"Request '{item.id}' was not answered because the responses of this batch reached the limit "
            f"of {self._max_response_bytes} bytes; send it again in another request.",
            headers={"Retry-After": "1"},
            explanation=Explanation(
                "batch.responseBudget",
                f"The responses of this batch reached {self._max_response_bytes} bytes; send request "
                f"'{item.id}' again in another batch.",
                {"maxResponseBytes": self._max_response_bytes},
            ),
        )
        response = render_error(error, request_id=request_id, client_request_id=client_request_id)
        return _Outcome(response, request_id, client_request_id, context, error)


def _correlation_ids(outer: Request, item: _Item) -> tuple[str, str]:
    """A fresh request id; the item's own client-request-id, else the batch's."""
    return str(uuid.uuid4()), item.headers.get("client-request-id", "")[:200] or outer.client_request_id


def _parse(document: dict[str, Any]) -> list[_Item]:
    """The batch's requests; a malformed envelope is 400 for the whole batch."""
    requests = document.get("requests")
    if not isinstance(requests, list):
        raise BadRequest("The batch body must have a 'requests' array.")
    if not requests:
        raise BadRequest("The batch must contain at least one request.")
    if len(requests) > MAX_REQUESTS:
        raise BadRequest(
            f"The batch contains {len(requests)} requests; at most {MAX_REQUESTS} are allowed in one batch."
        )
    items = [_item(raw, position) for position, raw in enumerate(requests, start=1)]
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise BadRequest(f"The batch contains more than one request with the id '{item.id}'.")
        seen.add(item.key)
    for item in items:
        for dependency in item.depends_on:
            if dependency.casefold() not in seen:
                raise BadRequest(
                    f"Request '{item.id}' depends on '{dependency}', which is not a request of this batch."
                )
    return items


def _item(raw: Any, position: int) -> _Item:
    if not isinstance(raw, dict):
        raise BadRequest(f"Request {position} of the batch must be a JSON object.")
    request_id = raw.get("id")
    if not isinstance(request_id, str) or not request_id.strip():
        raise BadRequest(f"Request {position} of the batch must have an 'id' string.")
    method, url = raw.get("method"), raw.get("url")
    if not isinstance(method, str) or not method:
        raise BadRequest(f"Request '{request_id}' must have a 'method' string.")
    if not isinstance(url, str) or not url.strip():
        raise BadRequest(f"Request '{request_id}' must have a 'url' string.")
    headers = raw.get("headers")
    if headers is None:
        headers = {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise BadRequest(f"The 'headers' of request '{request_id}' must be an object of strings.")
    depends_on: list[str] = []
    # Graph spells it dependsOn; msgraph-core sends depends_on (msgraph-sdk-python-core#996).
    for name in ("dependsOn", "depends_on"):
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"The '{name}' of request '{request_id}' must be an array of request ids.")
        depends_on.extend(value)
    return _Item(
        id=request_id,
        method=method.upper(),
        url=url.strip(),
        headers={name.lower(): value for name, value in headers.items()},
        body=raw.get("body"),
        depends_on=tuple(depends_on),
    )


def _execution_order(items: list[_Item], by_key: dict[str, _Item]) -> list[_Item]:
    """The items, each after everything it depends on, otherwise in the order sent; a cycle is 400."""
    order: list[_Item] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(item: _Item) -> None:
        if item.key in done:
            return
        if item.key in visiting:
            raise BadRequest(f"The dependencies of request '{item.id}' form a cycle.")
        visiting.add(item.key)
        for dependency in item.dependency_keys:
            visit(by_key[dependency])
        visiting.discard(item.key)
        done.add(item.key)
        order.append(item)

    for item in items:
        visit(item)
    return order


def _sub_request(
    outer: Request, item: _Item, version: str, request_id: str, client_request_id: str
) -> Request:
    """The item as a request of its own; 400 (for this item only) when it cannot be one."""
    if item.method not in METHODS:
        raise BadRequest(f"The method '{item.method}' of request '{item.id}' is not supported in a batch.")
    raw_path, raw_query = _target(item, version)
    segments = parse_path(raw_path)
    if is_batch(segments[1:]):
        raise BadRequest(f"Request '{item.id}' is a batch; batches cannot be nested.")
    headers = dict(item.headers)
    return Request(
        method=item.method,
        path="/" + "/".join(part for part in raw_path.split("/") if part),
        segments=segments,
        query=parse_query(raw_query),
        headers=headers,
        body=_body(item, headers),
        base_url=outer.base_url,
        request_id=request_id,
        client_request_id=client_request_id,
        prefer=parse_prefer(headers.get("prefer", "")),
        client_address=outer.client_address,
    )


def _target(item: _Item, version: str) -> tuple[str, str]:
    """The raw path (always under the batch's version) and raw query of the item's URL.

    Accepted: ``/path``, ``path``, ``/v1.0/path`` and ``http(s)://host/v1.0/path`` (msgraph-core sends
    absolute URLs once a request builder has been used); scheme and host are not checked.
    """
    url = item.url.split("#", 1)[0]
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise BadRequest(f"The URL of request '{item.id}' must be relative or use http(s).")
        path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
    parts_of_path = [part for part in path.split("/") if part]
    if parts_of_path and parts_of_path[0].lower() in GRAPH_VERSIONS:
        named = parts_of_path.pop(0)
        if named.lower() != version.lower():
            raise BadRequest(
                f"The URL of request '{item.id}' names version '{named}', but the batch was sent to "
                f"'{version}'; all requests of a batch use the batch's version."
            )
    return "/" + "/".join([version, *parts_of_path]), query


def _body(item: _Item, headers: dict[str, str]) -> bytes:
    """The item's body as bytes: JSON re-encoded, any other media type decoded from base64."""
    if item.body is None:
        return b""
    content_type = headers.get("content-type")
    if content_type is None:
        # Graph asks for a Content-Type beside every body; a JSON value without one can only be JSON.
        headers["content-type"] = "application/json"
        return _encode(item.body)
    if _is_json(content_type):
        return _encode(item.body)
    if not isinstance(item.body, str):
        raise BadRequest(
            f"The body of request '{item.id}' has Content-Type '{content_type}', so it must be a "
            "base64-encoded string."
        )
    try:
        return base64.b64decode(item.body, validate=True)
    except binascii.Error:
        raise BadRequest(f"The body of request '{item.id}' is not valid base64.") from None


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _answer(item: _Item, outcome: _Outcome) -> dict[str, Any]:
    """One entry of ``responses``: JSON bodies inline, text as a string, other bytes as base64."""
    response = outcome.response
    headers: dict[str, str] = {
        "request-id": outcome.request_id,
        "client-request-id": outcome.client_request_id,
        "OData-Version": "4.0",
    }
    if response.content_type is not None:
        headers["Content-Type"] = response.content_type
    for name, value in response.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    answer: dict[str, Any] = {"id": item.id, "status": response.status, "headers": headers}
    if response.body:
        content_type = response.content_type or ""
        if _is_json(content_type):
            answer["body"] = msgspec.Raw(response.body)
        elif content_type.lower().startswith("text/"):
            answer["body"] = response.body.decode("utf-8", "replace")
        else:
            answer["body"] = base64.b64encode(response.body).decode("ascii")
    return answer
