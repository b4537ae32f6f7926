"""JSON batching: a ``$batch`` body parsed (``http.batch_requests``), its requests run one by one in dependency order, answers collected."""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec

from learninggraph.domain.errors import (
    INTERNAL_ERROR,
    Explanation,
    GraphError,
    InternalServerError,
)
from learninggraph.http.batch_requests import (
    BatchItem,
    Siblings,
    Target,
    execution_order,
    is_json,
    parse_requests,
    siblings_of,
    sub_request,
)
from learninggraph.http.context import Operation, RequestContext
from learninggraph.http.errors import render_error
from learninggraph.http.messages import (
    JSON_CONTENT_TYPE,
    BatchResponse,
    Request,
    Response,
)
from learninggraph.http.recording import Recorder, now

log = logging.getLogger("learninggraph")

Dispatch = Callable[[RequestContext], Response]
# A resolved route: its template (as the context's ``route``), the operation, and the path's parameters.
_Route = tuple[str, Operation, Mapping[str, str]]
Group = Callable[[], AbstractContextManager[object]]

_encode = msgspec.json.Encoder().encode


class FailedDependency(GraphError):
    status = 424
    code = "failedDependency"


class BatchOutputSpent(GraphError):
    """An item not run (or, for a read, not kept) because the batch's responses reached their size budget."""

    status = 503
    code = "serviceNotAvailable"


# Not frozen: a frozen dataclass's __init__ costs several times as much, once per item.
@dataclass(slots=True)
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
        document = context.request.json_body()
        items = parse_requests(document)
        by_key = {item.key: item for item in items}
        outcomes: dict[str, _Outcome] = {}
        writes = any(item.method != "GET" for item in items)
        spent = 0
        targets: dict[str, Target] = {}
        routes: dict[tuple[str, str], _Route] = {}
        recording = self.recorder is not None
        siblings = siblings_of(items)
        with self._group() if writes else nullcontext():
            for item in execution_order(items, by_key):
                started = time.perf_counter() if recording else 0.0
                failed = (
                    next((d for d in item.dependency_keys if outcomes[d].response.status >= 400), None)
                    if item.dependency_keys
                    else None
                )
                if failed is not None:
                    outcome = self._not_run(context.request, item, by_key[failed], outcomes[failed])
                elif spent >= self._max_response_bytes:
                    outcome = self._over_budget(context.request, item)
                else:
                    outcome = self._run(context, item, targets, routes, siblings)
                    size = len(outcome.response.body)
                    if spent and spent + size > self._max_response_bytes and item.method == "GET":
                        outcome = self._over_budget(context.request, item, outcome.context)
                spent += len(outcome.response.body)
                outcomes[item.key] = outcome
                if recording:
                    self._record(context, item, outcome, started)
        answers = [_answer(item, outcomes[item.key]) for item in items]
        body = _encode({"responses": answers})
        if not recording:
            return Response(200, body, JSON_CONTENT_TYPE)
        return BatchResponse(200, body, JSON_CONTENT_TYPE, journal_bodies=_journal_bodies(document, answers))

    def _run(
        self,
        batch: RequestContext,
        item: BatchItem,
        targets: dict[str, Target],
        routes: dict[tuple[str, str], _Route],
        siblings: Siblings | None,
    ) -> _Outcome:
        outer = batch.request
        request_id, client_request_id = _correlation_ids(outer, item)
        context: RequestContext | None = None
        failure: Exception | None = None
        try:
            request = sub_request(
                outer, item, batch.version, request_id, client_request_id, targets, siblings
            )
            context = RequestContext(request, principal=batch.principal)
            # Items of one batch that share a method and URL (a bulk write's do) share its route: the
            # router's match, found for the first of them, is handed to the others (``ResolveRoute`` skips).
            known = routes.get((item.method, item.url))
            if known is None:
                response = self._dispatch(context)
                if context.operation is not None:
                    routes[item.method, item.url] = (context.route, context.operation, context.params)
            else:
                context.route, context.operation, context.params = known
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

    def _record(self, batch: RequestContext, item: BatchItem, outcome: _Outcome, started: float) -> None:
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

    def _not_run(self, outer: Request, item: BatchItem, dependency: BatchItem, outcome: _Outcome) -> _Outcome:
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

    def _over_budget(
        self, outer: Request, item: BatchItem, context: RequestContext | None = None
    ) -> _Outcome:
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


def _correlation_ids(outer: Request, item: BatchItem) -> tuple[str, str]:
    """A fresh request id; the item's own client-request-id, else the batch's."""
    client_request_id = item.headers.get("client-request-id")
    return _new_request_id(), client_request_id[:200] if client_request_id else outer.client_request_id


def _new_request_id() -> str:
    """A random version-4 GUID, as the edge makes one for a request: unique, not unguessable."""
    # The module's generator is reseeded in every forked worker, so workers never repeat each other.
    value = f"{random.getrandbits(128) & _V4_MASK | _V4_BITS:032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


# Version 4 in bits 76-79 and the RFC 4122 variant (binary 10) in bits 62-63 of the 128.
_V4_MASK = ~((0xF << 76) | (0x3 << 62))
_V4_BITS = (0x4 << 76) | (0x2 << 62)


def _journal_bodies(document: dict[str, Any], answers: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    """The envelope's request and answer as the journal keeps them: every member as sent but the bodies."""
    requests = [{k: v for k, v in raw.items() if k != "body"} for raw in document["requests"]]
    responses = [{k: v for k, v in answer.items() if k != "body"} for answer in answers]
    return _encode({"requests": requests}), _encode({"responses": responses})


def _answer(item: BatchItem, outcome: _Outcome) -> dict[str, Any]:
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
        if content_type == JSON_CONTENT_TYPE or is_json(content_type):
            answer["body"] = msgspec.Raw(response.body)
        elif content_type.lower().startswith("text/"):
            answer["body"] = response.body.decode("utf-8", "replace")
        else:
            answer["body"] = base64.b64encode(response.body).decode("ascii")
    return answer
