"""What one answered request was, as one record, and the access log's line of it (readable text or JSON).

The edge builds an ``Exchange`` for every request and hands it to its observers (this log, the metrics);
the line names the operation and the rule that produced the answer, as the request journal records it. Only the path is recorded, never the query string, headers or body, so tokens,
secrets and passwords cannot reach a log line.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

import msgspec

from learninggraph.http.console import Console
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Request

ACCESS_LOGGER = "learninggraph.access"
# The route label of a request no route matched, so arbitrary paths never become labels.
UNMATCHED = "unmatched"
SIGN_IN_GRANTS = ("client_credentials", "password", "refresh_token", "authorization_code")


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    path: str
    route: str
    status: int
    duration_seconds: float
    request_id: str
    tenant: str
    caller: str
    # For a sign-in at the token endpoint, its grant type (``other`` for an unknown one); else "".
    grant: str = ""
    # The operation's stable name ("" when no route matched) and the rule that produced the answer.
    operation: str = ""
    rule: str = ""


def exchange_of(
    context: RequestContext | None,
    *,
    method: str,
    path: str,
    status: int,
    duration_seconds: float,
    request_id: str,
    rule: str = "",
) -> Exchange:
    """The record of one answer; ``context`` is None when it was refused before a request could be read."""
    if context is None:
        return Exchange(method, path, UNMATCHED, status, duration_seconds, request_id, "", "", rule=rule)
    request = context.request
    principal = context.principal
    tenant = caller = grant = ""
    if principal is not None:
        tenant = principal.tenant_id
        caller = principal.user_id or principal.app_id
    if is_sign_in(request):
        tenant = request.segments[0].name
        grant = _grant(request.body)
    return Exchange(
        request.method,
        request.path,
        context.route or UNMATCHED,
        status,
        duration_seconds,
        request_id,
        tenant,
        caller,
        grant,
        "" if context.operation is None else context.operation.name,
        rule,
    )


def is_sign_in(request: Request) -> bool:
    """``POST /{tenant}/oauth2/v2.0/token``."""
    segments = request.segments
    return (
        request.method == "POST"
        and len(segments) == 4
        and segments[3].name.lower() == "token"
        and segments[2].name.lower() == "v2.0"
        and segments[1].name.lower() == "oauth2"
    )


def _grant(body: bytes) -> str:
    try:
        values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=50).get("grant_type", [""])
    except ValueError:
        return "other"
    return values[0] if values[0] in SIGN_IN_GRANTS else "other"


class AccessLog:
    """Writes one line per request to the ``learninggraph.access`` logger at INFO, as text or JSON.

    Once ``configure_logging`` has set up the console, a line goes straight into its buffer, stamped as the
    logging module would have; otherwise (an embedding application, a test's log capture) through the logger.
    """

    def __init__(self, *, json_lines: bool = False, logger: logging.Logger | None = None) -> None:
        self.json_lines = json_lines
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)
        self._parent = logging.getLogger("learninggraph")

    def writes(self) -> bool:
        """Whether a line would be written now (the logger's level lets INFO through)."""
        return self.logger.isEnabledFor(logging.INFO)

    def __call__(self, exchange: Exchange) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        console = self._parent.handlers[0] if len(self._parent.handlers) == 1 else None
        if type(console) is Console and not self.logger.handlers:
            when = console.stamp(time.time())
            if self.json_lines:
                console.append(f'{{"time":"{when}",{self.line(exchange)[1:]}')
            else:
                console.append(f"{when} INFO {self.line(exchange)}")
            return
        self.logger.info("%s", self.line(exchange))

    def line(self, exchange: Exchange) -> str:
        duration_ms = round(exchange.duration_seconds * 1000, 1)
        if self.json_lines:
            entry = {
                "method": exchange.method,
                "path": exchange.path,
                "status": exchange.status,
                "durationMs": duration_ms,
                "requestId": exchange.request_id,
                "tenant": exchange.tenant or None,
                "caller": exchange.caller or None,
                "route": exchange.route,
                "operation": exchange.operation or None,
                "rule": exchange.rule or None,
            }
            encoded = _encode(entry)
            # json.dumps escapes every non-ASCII character; msgspec writes UTF-8, so only ASCII takes the fast way.
            return encoded.decode() if encoded.isascii() else json.dumps(entry, separators=(",", ":"))
        return (
            f"{exchange.method} {exchange.path} {exchange.status} {duration_ms}ms "
            f"{exchange.operation or exchange.route} rule={exchange.rule or '-'} "
            f"request-id={exchange.request_id} tenant={exchange.tenant or '-'} "
            f"caller={exchange.caller or '-'} route={exchange.route}"
        )


_encode = msgspec.json.Encoder().encode


def configure_logging(*, level: str = "info", json_lines: bool = False) -> AccessLog:
    """Console logging for ``serve``: every learninggraph logger to stderr at ``level``; returns the access log."""
    handler = Console(sys.stderr, json_lines=json_lines)
    root = logging.getLogger("learninggraph")
    for previous in root.handlers:
        previous.flush()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    return AccessLog(json_lines=json_lines)


def flush_console() -> None:
    """Writes out whatever the console holds (the server calls it as it shuts down)."""
    for handler in logging.getLogger("learninggraph").handlers:
        handler.flush()
