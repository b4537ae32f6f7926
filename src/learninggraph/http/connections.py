"""The connection layer under the edge: uvicorn's httptools protocol with guards, and the server's configuration.

Guards, each applied before any request reaches the application:
- header bytes: a request whose request line and headers exceed ``max_header_bytes`` is answered 431 and the
  connection closed, counted as the bytes arrive (nothing past the limit is buffered or parsed);
- header read timeout: a connection that has not sent a complete request line and headers within
  ``header_timeout`` seconds of connecting (or of starting its next request) is answered 408 and closed;
- connection cap: past ``max_connections`` open connections, the connection that has waited longest for its
  headers is closed to make room; when every connection is busy with a request, the newcomer gets 503.

And one way out for the application: the scope's ``learninggraph.drop_connection`` extension closes the
connection without an answer (an injected fault).
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from learninggraph.http.fault_step import DROP_CONNECTION
from learninggraph.settings import Settings

log = logging.getLogger("learninggraph")

# File descriptors kept for everything but client connections: database, logs, key fetches, the listener.
_RESERVED_FILES = 64


def _plain(status: bytes, code: bytes, message: bytes) -> bytes:
    """A minimal Graph error response, sent by the connection layer when the application is never reached."""
    body = b'{"error":{"code":"' + code + b'","message":"' + message + b'"}}'
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


HEADERS_TOO_LARGE = _plain(
    b"431 Request Header Fields Too Large",
    b"requestHeaderFieldsTooLarge",
    b"The request line and headers are larger than the server accepts.",
)
READ_TIMED_OUT = _plain(
    b"408 Request Timeout", b"requestTimeout", b"The request headers were not received in time."
)
TOO_MANY_CONNECTIONS = _plain(
    b"503 Service Unavailable",
    b"serviceNotAvailable",
    b"The server has too many open connections; try again later.",
)


class ServerConfig(Config):
    """uvicorn's configuration plus the guards' own limits (picklable, so workers receive it too)."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout: float = 10.0,
        max_header_bytes: int = 65_536,
        max_connections: int | None = 1000,
        **options: Any,
    ) -> None:
        super().__init__(
            app,
            http=GuardedProtocol,
            h11_max_incomplete_event_size=max_header_bytes,
            # X-Forwarded-* are the edge's to trust or not (--trust-forwarded-headers), never uvicorn's.
            proxy_headers=False,
            **options,
        )
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.max_connections = max_connections


def server_config(app: Any, settings: Settings, **options: Any) -> ServerConfig:
    """The uvicorn configuration for ``app`` with the limits of ``settings``; ``options`` go to uvicorn."""
    return ServerConfig(
        app,
        header_timeout=settings.header_timeout_seconds,
        max_header_bytes=settings.max_header_bytes,
        max_connections=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        **options,
    )


def fit_connection_cap(max_connections: int | None) -> int | None:
    """Raises the open-file limit toward what the cap needs; lowers the cap if the system allows fewer files.

    Past the open-file limit the server cannot accept at all, so that limit must never be what stops clients.
    """
    if max_connections is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + _RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        fitted = max(1, soft - _RESERVED_FILES)
        log.warning(
            "only %d open files are allowed: serving at most %d connections instead of %d",
            soft,
            fitted,
            max_connections,
        )
        return fitted
    return max_connections


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the header-size, header-timeout and connection-count guards."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_timeout: float = getattr(config, "header_timeout", 10.0)
        self._max_header_bytes: int = getattr(config, "max_header_bytes", 65_536)
        self._max_connections: int | None = getattr(config, "max_connections", None)
        # From the end of one request's bytes (or the connection's start) until the next request's headers are
        # complete: what arrives is counted against the header limit, and timed once it starts arriving.
        self.reading_head = True
        self.waiting_since = 0.0
        self._header_bytes = 0
        self._tail = b""
        self._header_timer: asyncio.TimerHandle | None = None
        # A pipelined head past the limit while the previous answer is still being written: refused after it.
        self._refuse_when_answered = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        over_cap = self._max_connections is not None and len(self.connections) > self._max_connections
        if over_cap and not self._evict_one():
            self._refuse(TOO_MANY_CONNECTIONS)
            return
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    @property
    def evictable(self) -> bool:
        """Waiting for a request's headers with no answer under way: closing it loses no work."""
        serving = self.cycle is not None and not self.cycle.response_complete
        return self.reading_head and not serving and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        if self._refuse_when_answered:
            return
        if self.reading_head and not self.transport.is_closing():
            if self._header_timer is None:
                self._start_waiting()
            if self._header_bytes + len(data) <= self._max_header_bytes:
                # Within the limit even if all of it is head: where the head ends does not matter, so the
                # chunk (a whole request, 1.5 KB of it a bearer token) is neither copied nor searched. Counting
                # a body's bytes in too changes nothing: the head ends in this chunk, and the count with it.
                self._header_bytes += len(data)
                self._tail = data[-3:] if len(data) >= 3 else (self._tail + data)[-3:]
            else:
                window = self._tail + data
                end = window.find(b"\r\n\r\n")
                self._header_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
                self._tail = window[-3:]
            if self._header_bytes > self._max_header_bytes:
                if self.cycle is not None and not self.cycle.response_complete:
                    # Answers go out in order: the request being served first, then the refusal.
                    self._refuse_when_answered = True
                    self.transport.pause_reading()
                    return
                self._refuse(HEADERS_TOO_LARGE)
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self._stop_timer()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:
            # The application's one way to drop this connection without an answer (an injected fault).
            extensions: dict[str, Any] = dict(self.scope.get("extensions") or {})
            extensions[DROP_CONNECTION] = lambda: self._drop(cycle)
            self.scope["extensions"] = extensions

    def _drop(self, cycle: RequestResponseCycle) -> None:
        """Closes the connection with no answer; uvicorn then neither answers 500 nor logs the request."""
        cycle.disconnected = True
        self._stop_timer()
        self.transport.close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # Whatever follows is the head of a pipelined request, even while this one is being answered.
        self.reading_head = True
        self._header_bytes = 0
        self._tail = b""

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refuse_when_answered:
            self._refuse(HEADERS_TOO_LARGE)
            return
        # Until the next request starts, uvicorn's keep-alive timeout applies.
        self.waiting_since = self.loop.time()

    def _start_waiting(self) -> None:
        self.reading_head = True
        self.waiting_since = self.loop.time()
        self._stop_timer()
        self._header_timer = self.loop.call_later(self._header_timeout, self._timed_out)

    def _stop_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _timed_out(self) -> None:
        self._header_timer = None
        if not self.reading_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request's head waits behind an answer still being written: not the client's fault.
            self._header_timer = self.loop.call_later(self._header_timeout, self._timed_out)
            return
        self._refuse(READ_TIMED_OUT if self._header_bytes else b"")

    def _refuse(self, response: bytes) -> None:
        self._stop_timer()
        self._unset_keepalive_if_required()
        if response:
            self.transport.write(response)
        self.transport.close()

    def _evict_one(self) -> bool:
        """Closes the connection that has waited longest for a request's headers; False if none waits."""
        waiting = [
            other
            for other in self.connections
            if isinstance(other, GuardedProtocol) and other is not self and other.evictable
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda other: other.waiting_since)
        oldest._refuse(READ_TIMED_OUT if oldest._header_bytes else b"")
        self.connections.discard(oldest)
        return True
