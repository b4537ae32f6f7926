"""The ASGI application: raw HTTP in, a Request through the pipeline, raw HTTP out.

Pipeline, in order:
1. headers counted and measured (431), repeated ones joined; correlation ids (``request-id`` minted,
   ``client-request-id`` echoed or minted);
2. body read with the size limit (413) and the body timeout (408);
3. path split on the raw bytes, repeated slashes collapsed, key segments parsed;
4. Graph paths (``/v1.0``, ``/beta``): bearer token → Principal (401), throttling (429);
   other paths: the public routes (token service, discovery, health);
5. the route's handler, inline or in a worker thread (permissions, OData options, the resource's rules, storage); ``$batch`` instead
   runs each of its requests through steps 4 to 6 as the batch's caller, each throttled on its own;
6. any GraphError → the Graph error envelope; anything else → 500, logged, never shown.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, Protocol

from learninggraph.domain.errors import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    BadRequest,
    GraphError,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from learninggraph.domain.principal import Principal
from learninggraph.http.access_log import Exchange, exchange_of
from learninggraph.http.batch import Batch, Group, is_batch
from learninggraph.http.errors import render_error
from learninggraph.http.messages import Request, Response, Segment, parse_path, parse_prefer, parse_query
from learninggraph.http.routing import Handler, Params, Router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("learninggraph")

GRAPH_VERSIONS = ("v1.0", "beta")
SIGN_IN_THREADS = 2


class RequestHeaderFieldsTooLarge(GraphError):
    status = 431
    code = "requestHeaderFieldsTooLarge"


class RequestTimeout(GraphError):
    status = 408
    code = "requestTimeout"


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> Principal: ...


class Limiter(Protocol):
    def check(self, request: Request) -> None: ...


class Edge:
    def __init__(
        self,
        *,
        graph: Router,
        public: Router,
        authenticator: Authenticator,
        max_body_bytes: int,
        limiter: Limiter | None = None,
        trust_forwarded_headers: bool = False,
        on_shutdown: Callable[[], None] | None = None,
        metadata: Handler | None = None,
        batch_group: Group = nullcontext,
        executor: Executor | None = None,
        max_header_count: int = 200,
        max_header_bytes: int = 65_536,
        body_timeout_seconds: float = 30.0,
        max_batch_response_bytes: int = 16 * 1024 * 1024,
        observers: Sequence[Callable[[Exchange], None]] = (),
        mounted: Callable[[Scope], App | None] | None = None,
    ) -> None:
        self.graph = graph
        self.metadata = metadata
        self.public = public
        self.authenticator = authenticator
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.trust_forwarded_headers = trust_forwarded_headers
        self.on_shutdown = on_shutdown
        self.max_header_count = max_header_count
        self.max_header_bytes = max_header_bytes
        self.body_timeout_seconds = body_timeout_seconds
        # Told about every answered request (access log, metrics), after its answer is sent.
        self.observers = tuple(observers)
        self.mounted = mounted  # another ASGI app (the dashboard), for the requests it claims
        self._batch = Batch(self.dispatch, batch_group, max_response_bytes=max_batch_response_bytes)
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            mounted = None if self.mounted is None else self.mounted(scope)
            await (self._http if mounted is None else mounted)(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

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

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request: Request | None = None
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        headers = self._headers(raw_headers) if self._headers_fit(raw_headers) else None
        request_id = new_request_id()
        if headers is None:
            error = RequestHeaderFieldsTooLarge(
                f"The request has more than {self.max_header_count} headers or more than "
                f"{self.max_header_bytes} bytes of them."
            )
            response = render_error(error, request_id=request_id, client_request_id=request_id)
            await self._send(send, response, request_id, request_id, is_https=False)
            self._observe(scope, None, response.status, started, request_id)
            return
        client_request_id = headers.get("client-request-id", "")[:200] or request_id
        try:
            body = await self._read_body(headers, receive)
            request = self._build_request(scope, headers, body, request_id, client_request_id)
            executor = self._executor_for(request)
            if executor is None:
                response = self.dispatch(request)
            else:
                response = await asyncio.get_running_loop().run_in_executor(executor, self.dispatch, request)
        except GraphError as error:
            response = render_error(error, request_id=request_id, client_request_id=client_request_id)
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            response = render_error(
                InternalServerError(INTERNAL_ERROR),
                request_id=request_id,
                client_request_id=client_request_id,
            )
        await self._send(send, response, request_id, client_request_id, _wants_hsts(scope, headers))
        if self.observers:
            self._observe(scope, request, response.status, started, request_id)

    def _observe(
        self, scope: Scope, request: Request | None, status: int, started: float, request_id: str
    ) -> None:
        exchange = exchange_of(
            request,
            method=scope["method"].upper(),
            path=scope.get("path", ""),
            status=status,
            duration_seconds=time.perf_counter() - started,
            request_id=request_id,
        )
        for observer in self.observers:
            try:
                observer(exchange)
            except Exception:
                log.exception("an observer failed on request %s", request_id)

    def _executor_for(self, request: Request) -> Executor | None:
        """Where ``request`` runs: None for inline on the event loop."""
        if _is_sign_in(request):
            return self._sign_in_lane
        if self.executor is None and _is_graph_batch(request):
            return self._batch_lane
        return self.executor

    def _headers_fit(self, raw_headers: Sequence[tuple[bytes, bytes]]) -> bool:
        if len(raw_headers) > self.max_header_count:
            return False
        return sum(len(name) + len(value) + 4 for name, value in raw_headers) <= self.max_header_bytes

    @staticmethod
    def _headers(raw_headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
        """Headers by lower-case name; repeated ones joined with ``, `` in one pass."""
        values: dict[str, list[str]] = {}
        for raw_name, raw_value in raw_headers:
            # ASGI servers hand header names over in lower case already.
            values.setdefault(raw_name.decode("latin-1"), []).append(raw_value.decode("latin-1"))
        return {name: ", ".join(parts) for name, parts in values.items()}

    def dispatch(self, request: Request) -> Response:
        """Routes one request; also used for the items of a JSON batch."""
        segments = request.segments
        if segments and segments[0].key_name is None and segments[0].name in GRAPH_VERSIONS:
            request.version = segments[0].name
            request.segments = segments[1:]
            if self.metadata is not None and _is_metadata(request.segments):
                # Like Graph's, the service document needs no token.
                request.route = f"/{request.version}/$metadata"
                if request.method != "GET":
                    raise MethodNotAllowed(METHOD_NOT_ALLOWED)
                return self.metadata(request, {})
            batch = is_batch(request.segments)
            resolved: tuple[Handler, Params] | GraphError
            if batch:
                request.route = f"/{request.version}/$batch"
            else:
                # Resolved first so even a refused request is labelled with its route; a 404 or 405 still
                # comes after the token and throttling checks, as before.
                try:
                    handler, params, route = self.graph.resolve_route(request.method, request.segments)
                    request.route = f"/{request.version}{route}"
                    resolved = (handler, params)
                except GraphError as error:
                    resolved = error
            if request.principal is None:
                request.principal = self.authenticator.authenticate(request.headers.get("authorization"))
            if batch:
                # The envelope itself is not throttled: each of its requests is, on its own.
                if request.method != "POST":
                    raise MethodNotAllowed(METHOD_NOT_ALLOWED)
                return self._batch.run(request)
            if self.limiter is not None:
                self.limiter.check(request)
            if isinstance(resolved, GraphError):
                raise resolved
            handler, params = resolved
        else:
            handler, params, request.route = self.public.resolve_route(request.method, segments)
        return handler(request, params)

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise BadRequest("The Content-Length header is not a number.") from None
            if length > self.max_body_bytes:
                raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout_seconds):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise self._too_large()
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise RequestTimeout(
                f"The request body was not received within {self.body_timeout_seconds:g} seconds.",
                headers={"Connection": "close"},
            ) from None
        return b"".join(chunks)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than the limit of {self.max_body_bytes} bytes.")

    def _build_request(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
        client_request_id: str,
    ) -> Request:
        raw_path_bytes: bytes | None = scope.get("raw_path")
        raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope["path"]
        raw_path = raw_path.split("?", 1)[0]
        try:
            query = parse_query(scope.get("query_string", b"").decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest("The query string is not valid UTF-8.") from None
        segments = parse_path(raw_path)
        if len(raw_path) > 8192:
            raise NotFound("The request URL is too long.")
        scheme: str = scope.get("scheme") or "http"
        host = headers.get("host")
        if self.trust_forwarded_headers:
            scheme = headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
            host = headers.get("x-forwarded-host", host or "").split(",")[0].strip() or host
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        client = scope.get("client")
        client_address: str = client[0] if client else ""
        if self.trust_forwarded_headers and "x-forwarded-for" in headers:
            # The last entry is the one our own proxy added; earlier ones are whatever the caller claimed.
            client_address = headers["x-forwarded-for"].rsplit(",", 1)[-1].strip() or client_address
        return Request(
            method=scope["method"].upper(),
            path="/" + "/".join(part for part in raw_path.split("/") if part),
            segments=segments,
            query=query,
            headers=headers,
            body=body,
            base_url=f"{scheme}://{host}",
            request_id=request_id,
            client_request_id=client_request_id,
            prefer=parse_prefer(headers.get("prefer", "")),
            client_address=client_address,
        )

    async def _send(
        self, send: Send, response: Response, request_id: str, client_request_id: str, is_https: bool
    ) -> None:
        """Writes the response with the headers every Graph reply carries."""
        raw_headers: list[tuple[bytes, bytes]] = [
            (b"request-id", request_id.encode()),
            (b"client-request-id", client_request_id.encode("latin-1", "replace")),
            *_FIXED_HEADERS,
            (b"content-length", str(len(response.body)).encode()),
        ]
        if is_https:
            raw_headers.append(_HSTS)
        if response.content_type is not None:
            raw_headers.append((b"content-type", response.content_type.encode()))
        for name, value in response.headers:
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1", "replace")))
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def _is_graph_batch(request: Request) -> bool:
    segments = request.segments
    return (
        len(segments) == 2
        and segments[0].key_name is None
        and segments[0].name in GRAPH_VERSIONS
        and (is_batch(segments[1:]))
    )


def _is_sign_in(request: Request) -> bool:
    """``POST /{tenant}/oauth2/v2.0/token``."""
    names = [segment.name.lower() for segment in request.segments]
    return request.method == "POST" and len(names) == 4 and names[1:] == ["oauth2", "v2.0", "token"]


def _is_metadata(segments: Sequence[Segment]) -> bool:
    return len(segments) == 1 and segments[0].key_name is None and segments[0].name == "$metadata"


_FIXED_HEADERS = (
    (b"odata-version", b"4.0"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def new_request_id() -> str:
    """A random version-4 GUID; request ids need to be unique, not unguessable."""
    # The module's generator is reseeded in every forked worker, so workers never repeat each other.
    value = f"{random.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-{'89ab'[int(value[16], 16) & 3]}{value[17:20]}-{value[20:]}"


def _wants_hsts(scope: Scope, headers: dict[str, str]) -> bool:
    """HSTS over HTTPS, but not for loopback: it would pin every localhost port to https in browsers."""
    if scope.get("scheme") != "https":
        return False
    host = headers.get("host", "")
    host = host[: host.find("]") + 1] if host.startswith("[") else host.rsplit(":", 1)[0]
    return host not in _LOOPBACK_HOSTS
