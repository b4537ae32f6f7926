"""The ASGI application: raw HTTP in, the request's steps, raw HTTP out.

For each request, in order:
1. ``Reading``: headers (431) and correlation ids (``request-id`` minted, ``client-request-id`` echoed or
   minted), the body (413, 408), the path and query (``http.reading``);
2. the lane it runs on: inline on the event loop, or a thread (sign-ins, ``$batch`` without handler threads,
   every request when storage is a network database);
3. the ``Pipeline``'s steps on a ``RequestContext`` (``http.pipeline``: version, public routes, ``$metadata``,
   route, token, ``$batch``, throttling, the route's declared access and options, its handler);
4. any GraphError → the Graph error envelope; anything else → 500, logged, never shown;
5. an injected fault's delay (awaited) or dropped connection (``http.fault_step.delay_or_drop``);
6. the answer with the headers every Graph reply carries; then the observers (access log, metrics).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from learninggraph.domain.errors import INTERNAL_ERROR, GraphError, InternalServerError
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.access_log import AccessLog, Exchange, exchange_of, is_sign_in
from learninggraph.http.batch_requests import is_batch
from learninggraph.http.context import RequestContext
from learninggraph.http.errors import render_error
from learninggraph.http.fault_step import DROPPED, delay_or_drop
from learninggraph.http.messages import JSON_CONTENT_TYPE, Request, Response
from learninggraph.http.pipeline import Pipeline
from learninggraph.http.reading import Reading, RequestHeaderFieldsTooLarge
from learninggraph.http.recording import Recorder, decision_of
from learninggraph.journal.journal import Journal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("learninggraph")

SIGN_IN_THREADS = 2


class Edge:
    def __init__(
        self,
        *,
        pipeline: Pipeline,
        reading: Reading,
        on_shutdown: Callable[[], None] | None = None,
        executor: Executor | None = None,
        observers: Sequence[Callable[[Exchange], None]] = (),
        mounted: Callable[[Scope], App | None] | None = None,
        recorder: Recorder | None = None,
        faults: FaultMatcher | None = None,
    ) -> None:
        self.pipeline = pipeline
        # The request journal's recorder: every answer becomes an entry (None: the journal is off).
        self.recorder = recorder
        # The journal itself, for the admin API and the test kit (``create_app`` sets it; None: off).
        self.journal: Journal | None = None
        self.reading = reading
        self.on_shutdown = on_shutdown
        # Told about every answered request (access log, metrics), after its answer is sent.
        self.observers = tuple(observers)
        self.mounted = mounted  # another ASGI app (the dashboard), for the requests it claims
        # The fault rules' matcher the pipeline consults (None: no fault step), for whoever adds or clears rules.
        self.faults = faults
        # Where handlers run: inline on the event loop, or in threads when storage waits on a network
        # database, so one request's round trips do not stall every other request of the worker.
        self.executor = executor
        # Requests that take long run in threads of their own, so they never hold the event loop nor every
        # handler thread: sign-ins at the token endpoint (a password hash; two at a time, always), and without
        # handler threads a $batch (up to its response budget; batches take turns).
        self._batch_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learninggraph-batch")
        self._sign_in_lane = ThreadPoolExecutor(
            max_workers=SIGN_IN_THREADS, thread_name_prefix="learninggraph-sign-in"
        )

    @property
    def observers(self) -> tuple[Callable[[Exchange], None], ...]:
        return self._observers

    @observers.setter
    def observers(self, observers: Sequence[Callable[[Exchange], None]]) -> None:
        self._observers = tuple(observers)
        # Whether an exchange is always wanted (an observer other than an access log), else the access logs
        # whose level decides it per request.
        self._always_listened = any(not isinstance(o, AccessLog) for o in self._observers)
        self._access_logs = tuple(o for o in self._observers if isinstance(o, AccessLog))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A request is answered in this call itself, with no coroutine under it for the dispatch, the lane or
        # the answer's start: each would be one more a request.
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        if self.mounted is not None:
            mounted = self.mounted(scope)
            if mounted is not None:
                await mounted(scope, receive, send)
                return
        started = time.perf_counter()
        request_id = new_request_id()
        try:
            headers = self.reading.read_headers(scope["headers"])
        except RequestHeaderFieldsTooLarge as error:
            response = render_error(error, request_id=request_id, client_request_id=request_id)
            await send(_start(response, request_id, request_id, is_https=False))
            await send({"type": "http.response.body", "body": response.body})
            self._observe(scope, None, response.status, started, request_id, error)
            return
        client_request_id = headers.get("client-request-id", "")[:200] or request_id
        context: RequestContext | None = None
        failure: Exception | None = None
        try:
            # HTTP/1.1: a request with neither header has no body (as ``read_body`` decides), so nothing to await.
            if "content-length" in headers or "transfer-encoding" in headers:
                body = await self.reading.read_body(headers, receive)
            else:
                body = b""
            request = self.reading.parse_request(scope, headers, body, request_id, client_request_id)
            context = RequestContext(request)
            # The pipeline's steps, on the request's lane (inline on the event loop when None).
            executor = self.executor if request.method != "POST" else self._executor_for(request)
            if executor is None:
                response = self.pipeline.run(context)
            else:
                response = await asyncio.get_running_loop().run_in_executor(
                    executor, self.pipeline.run, context
                )
        except GraphError as error:
            failure = error
            response = render_error(error, request_id=request_id, client_request_id=client_request_id)
        except Exception as error:
            failure = error
            log.exception("unhandled error in request %s", request_id)
            response = render_error(
                InternalServerError(INTERNAL_ERROR),
                request_id=request_id,
                client_request_id=client_request_id,
            )
        # An injected fault's delay, or its dropped connection: then nothing is sent, and whoever is told of
        # the answer (observers, journal) sees status 0.
        faulted = context is not None and (context.delay_seconds > 0 or context.drop_connection)
        if faulted and context is not None and await delay_or_drop(context, scope):
            response = Response(DROPPED)
        else:
            is_https = scope.get("scheme") == "https" and _wants_hsts(scope, headers)
            await send(_start(response, request_id, client_request_id, is_https))
            await send({"type": "http.response.body", "body": response.body})
        if self._observers and self._listened():
            self._observe(scope, context, response.status, started, request_id, failure)
        if self.recorder is not None:
            self._record(scope, headers, context, response, failure, started, request_id, client_request_id)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.executor is not None:
                    self.executor.shutdown(wait=True)
                self._batch_lane.shutdown(wait=True)
                self._sign_in_lane.shutdown(wait=True)
                if self.on_shutdown is not None:
                    self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _listened(self) -> bool:
        """Whether any observer would use the exchange: an access log at a level that drops its lines would
        not, so then no exchange is built (the common case with the access log off and no metrics)."""
        if self._always_listened:
            return True
        for access_log in self._access_logs:  # noqa: SIM110 (a loop: no generator per request)
            if access_log.writes():
                return True
        return False

    def _observe(
        self,
        scope: Scope,
        context: RequestContext | None,
        status: int,
        started: float,
        request_id: str,
        failure: Exception | None = None,
    ) -> None:
        exchange = exchange_of(
            context,
            method=scope["method"].upper(),
            path=scope.get("path", ""),
            status=status,
            duration_seconds=time.perf_counter() - started,
            request_id=request_id,
            rule=decision_of(failure, context, status).rule,
        )
        for observer in self.observers:
            try:
                observer(exchange)
            except Exception:
                log.exception("an observer failed on request %s", request_id)

    def _record(
        self,
        scope: Scope,
        headers: dict[str, str],
        context: RequestContext | None,
        response: Response,
        failure: Exception | None,
        started: float,
        request_id: str,
        client_request_id: str,
    ) -> None:
        assert self.recorder is not None
        duration = time.perf_counter() - started
        query = scope.get("query_string", b"")
        url = scope.get("path", "") + ("?" + query.decode("latin-1") if query else "")
        try:
            self.recorder.record(
                context,
                response,
                error=failure,
                started_at=time.time() - duration,
                duration_ms=duration * 1000,
                request_id=request_id,
                client_request_id=client_request_id,
                method=scope["method"].upper(),
                url=url,
                request_headers=headers,
                request_body=b"" if context is None else context.request.body,
            )
        except Exception:
            log.exception("the journal could not record a request")

    def _executor_for(self, request: Request) -> Executor | None:
        """Where ``request`` runs: None for inline on the event loop."""
        if request.method != "POST":  # neither a sign-in nor a $batch: no path to look at
            return self.executor
        if is_sign_in(request) and not is_client_credentials(request):
            return self._sign_in_lane
        if self.executor is None and _is_graph_batch(request):
            return self._batch_lane
        return self.executor


def is_client_credentials(request: Request) -> bool:
    """A sign-in with a client secret: a SHA-256 digest and a signature, cheap enough for the handlers' lane.

    Only a form with a single ``grant_type`` qualifies: the token endpoint refuses repeated fields, so such a
    request never reaches a password check (scrypt, which keeps the sign-in lane).
    """
    body = request.body
    if body.count(b"grant_type=") != 1:
        return False
    start = body.index(b"grant_type=") + len(b"grant_type=")
    end = body.find(b"&", start)
    value = body[start:] if end < 0 else body[start:end]
    return value.strip() == b"client_credentials" and (start == len(b"grant_type=") or body[start - 12] == 38)


def _is_graph_batch(request: Request) -> bool:
    segments = request.segments
    return (
        len(segments) == 2
        and segments[0].key_name is None
        and segments[0].name in GRAPH_VERSIONS
        and (is_batch(segments[1:]))
    )


_FIXED_HEADERS = (
    (b"odata-version", b"4.0"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
# The content types answers carry, encoded once (others are encoded per answer).
_CONTENT_TYPES = {name: (b"content-type", name.encode()) for name in (JSON_CONTENT_TYPE, "application/json")}
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _start(response: Response, request_id: str, client_request_id: str, is_https: bool) -> Message:
    """The answer's start: its status and the headers every Graph reply carries."""
    encoded_id = request_id.encode()
    raw_headers: list[tuple[bytes, bytes]] = [
        (b"request-id", encoded_id),
        (
            b"client-request-id",
            # The request's own id when the client sent none: the same string, encoded once.
            encoded_id if client_request_id is request_id else client_request_id.encode("latin-1", "replace"),
        ),
        *_FIXED_HEADERS,
        (b"content-length", b"%d" % len(response.body)),
    ]
    if is_https:
        raw_headers.append(_HSTS)
    content_type = response.content_type
    if content_type is not None:
        header = _CONTENT_TYPES.get(content_type)
        raw_headers.append((b"content-type", content_type.encode()) if header is None else header)
    for name, value in response.headers:
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1", "replace")))
    return {"type": "http.response.start", "status": response.status, "headers": raw_headers}


def new_request_id() -> str:
    """A random version-4 GUID; request ids need to be unique, not unguessable."""
    # The module's generator is reseeded in every forked worker, so workers never repeat each other.
    # %-formatting and a join of the five groups: a third cheaper than the same with f-strings (timeit).
    value = "%032x" % (random.getrandbits(128) & _V4_MASK | _V4_BITS)
    return "-".join((value[:8], value[8:12], value[12:16], value[16:20], value[20:]))


# Version 4 in bits 76-79 and the RFC 4122 variant (binary 10) in bits 62-63 of the 128.
_V4_MASK = ~((0xF << 76) | (0x3 << 62))
_V4_BITS = (0x4 << 76) | (0x2 << 62)


def _wants_hsts(scope: Scope, headers: dict[str, str]) -> bool:
    """HSTS over HTTPS, but not for loopback: it would pin every localhost port to https in browsers."""
    if scope.get("scheme") != "https":
        return False
    host = headers.get("host", "")
    host = host[: host.find("]") + 1] if host.startswith("[") else host.rsplit(":", 1)[0]
    return host not in _LOOPBACK_HOSTS
