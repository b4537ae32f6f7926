"""The first steps of every request, on the event loop: raw ASGI headers, body and path into a ``Request``.

1. ``read_headers``: counted and measured (431), repeated ones joined;
2. ``read_body``: the size limit (413) and the body timeout (408), which a body already received whole needs not;
3. ``parse_request``: the path split on the raw bytes, repeated slashes collapsed, key segments parsed; the
   query options; the client's scheme, host and address (from the proxy's headers only when trusted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from learninggraph.domain.errors import BadRequest, GraphError, NotFound, PayloadTooLarge
from learninggraph.http.messages import Request, parse_prefer, parse_query, path_segments

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


_NO_PREFERENCES: frozenset[str] = frozenset()


class RequestHeaderFieldsTooLarge(GraphError):
    status = 431
    code = "requestHeaderFieldsTooLarge"


class RequestTimeout(GraphError):
    status = 408
    code = "requestTimeout"


def _already_received(receive: Receive) -> bool:
    """Whether the whole body has arrived, so ``receive`` answers at once: the server's request cycle (uvicorn's
    ``receive`` is its bound method) has read the message's end. Anything else counts as still arriving."""
    return getattr(getattr(receive, "__self__", None), "more_body", True) is False


@dataclass(frozen=True, slots=True)
class Reading:
    """The limits and trust the first steps apply."""

    max_body_bytes: int
    max_header_count: int = 200
    max_header_bytes: int = 65_536
    body_timeout_seconds: float = 30.0
    trust_forwarded_headers: bool = False

    def read_headers(self, raw_headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
        """Headers by lower-case name, repeated ones joined with ``, ``; 431 past the count or size limit."""
        if len(raw_headers) > self.max_header_count:
            raise self._too_many_header_bytes()
        headers: dict[str, str] = {}
        size = 0
        for raw_name, raw_value in raw_headers:
            size += len(raw_name) + len(raw_value) + 4
            # ASGI servers hand header names over in lower case already.
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            if name in headers:
                headers[name] = f"{headers[name]}, {value}"
            else:
                headers[name] = value
        if size > self.max_header_bytes:
            raise self._too_many_header_bytes()
        return headers

    def _too_many_header_bytes(self) -> RequestHeaderFieldsTooLarge:
        return RequestHeaderFieldsTooLarge(
            f"The request has more than {self.max_header_count} headers or more than "
            f"{self.max_header_bytes} bytes of them."
        )

    async def read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            # HTTP/1.1: a request with neither header has no body; nothing to wait for or time.
            return b""
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise BadRequest("The Content-Length header is not a number.") from None
            if length > self.max_body_bytes:
                raise self._too_large()
        if _already_received(receive):
            # Nothing left to wait for, so nothing to time (a timer costs more than the small body itself).
            return await self._collect(receive)
        try:
            async with asyncio.timeout(self.body_timeout_seconds):
                return await self._collect(receive)
        except TimeoutError:
            raise RequestTimeout(
                f"The request body was not received within {self.body_timeout_seconds:g} seconds.",
                headers={"Connection": "close"},
            ) from None

    async def _collect(self, receive: Receive) -> bytes:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk: bytes = message.get("body", b"")
        if len(chunk) > self.max_body_bytes:
            raise self._too_large()
        if not message.get("more_body", False):  # the whole body in one message (a small one always is)
            return chunk
        return await self._rest(receive, [chunk], len(chunk))

    async def _rest(self, receive: Receive, chunks: list[bytes], size: int) -> bytes:
        """The rest of a body that came in several messages, after ``chunks`` (``size`` bytes)."""
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
        return b"".join(chunks)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than the limit of {self.max_body_bytes} bytes.")

    def parse_request(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str, client_request_id: str
    ) -> Request:
        raw_path_bytes: bytes | None = scope.get("raw_path")
        raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope["path"]
        if "?" in raw_path:
            raw_path = raw_path.split("?", 1)[0]
        raw_query: bytes = scope.get("query_string", b"")
        try:
            query = parse_query(raw_query.decode("utf-8")) if raw_query else {}
        except UnicodeDecodeError:
            raise BadRequest("The query string is not valid UTF-8.") from None
        if raw_path.startswith("/") and "//" not in raw_path and not raw_path.endswith("/"):
            # The common case, no empty part to drop: split as it is, and the path is already its own join.
            parts = raw_path[1:].split("/")
            path = raw_path
        else:
            parts = [part for part in raw_path.split("/") if part]
            path = "/" + "/".join(parts)
        segments = path_segments(raw_path, parts)
        if len(raw_path) > 8192:
            raise NotFound("The request URL is too long.")
        prefer = headers.get("prefer")
        host = headers.get("host")
        if host and not self.trust_forwarded_headers:
            # ``_base_url`` and ``_client_address`` inline for the common case: the request's own host and peer.
            base_url = f"{scope.get('scheme') or 'http'}://{host}"
            client = scope.get("client")
            client_address: str = client[0] if client else ""
        else:
            base_url = self._base_url(scope, headers)
            client_address = self._client_address(scope, headers)
        # By position, in the fields' order (keywords cost twice as much, once per request).
        return Request(
            scope["method"].upper(),
            path,
            segments,
            query,
            headers,
            body,
            base_url,
            request_id,
            client_request_id,
            _NO_PREFERENCES if prefer is None else parse_prefer(prefer),
            client_address,
        )

    def _base_url(self, scope: Scope, headers: dict[str, str]) -> str:
        scheme: str = scope.get("scheme") or "http"
        host = headers.get("host")
        if self.trust_forwarded_headers:
            scheme = headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
            host = headers.get("x-forwarded-host", host or "").split(",")[0].strip() or host
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scheme}://{host}"

    def _client_address(self, scope: Scope, headers: dict[str, str]) -> str:
        client = scope.get("client")
        client_address: str = client[0] if client else ""
        if self.trust_forwarded_headers and "x-forwarded-for" in headers:
            # The last entry is the one our own proxy added; earlier ones are whatever the caller claimed.
            client_address = headers["x-forwarded-for"].rsplit(",", 1)[-1].strip() or client_address
        return client_address
