"""The request path's side of the journal: each answered request (and each ``$batch`` item) as a JournalEntry.

``Recorder`` hands the ``Journal`` what the edge or the batch already holds (from the context, the response,
the GraphError if the answer is one) as plain values (a ``journal.captured.Captured``); the journal's writer thread
builds the entry from them (or, on SQLite, its compact record), redacts and stores it, so the request path pays
for a queued call and no more. The decision is the error's explanation, else the context's, else ``ok`` for a success.

Whose journal an entry goes to: the caller's tenant; without a valid token, the tenant the token names (its
``tid``, read without verifying it) or the path names (the token service's ``/{tenant}/...``), else the
reserved ``ANONYMOUS_TENANT`` for a Graph request; a public route that names no tenant (probes, metrics,
``/openapi.json``) is not recorded.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from learninggraph.domain.errors import Explanation, GraphError
from learninggraph.domain.principal import Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import BatchResponse, Request, Response
from learninggraph.journal.captured import Captured
from learninggraph.journal.entry import ANONYMOUS, BODY_LIMIT_BYTES, Caller, Decision
from learninggraph.journal.journal import Journal
from learninggraph.storage.connection import storable

# The journal of Graph requests that name no tenant at all (no token, or one that is not a JWT).
ANONYMOUS_TENANT = "anonymous"
# The longest tenant name an entry is filed under: the directory's tenant ids are at most 128 characters, so a
# longer name is no tenant's; the bound keeps an unverified name within what every database's index holds.
TENANT_NAME_LIMIT = 256
OK = Decision("ok")
INTERNAL = Decision(
    "internal.error", "The server failed unexpectedly; its log has the details under this request-id."
)
_claims = msgspec.json.Decoder(dict[str, object])
_CALLERS_KEPT = 4096


def decision_of(error: BaseException | None, context: RequestContext | None, status: int) -> Decision:
    """The rule that produced the answer: the GraphError's explanation, the context's, or a default."""
    explanation: Explanation | None = None
    if isinstance(error, GraphError):
        explanation = error.explanation
        if explanation is None:
            return Decision(f"error.{error.code}")
    elif error is not None:
        return INTERNAL
    elif context is not None:
        explanation = context.explanation
    if explanation is None:
        return OK if status < 400 else Decision(f"status.{status}")
    facts = explanation.facts
    return Decision(explanation.rule, explanation.hint, dict(facts) if facts else {})


class Recorder:
    """Turns answers into journal entries; ``record`` only queues, costs about a microsecond and never raises."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        # The writer's queueing, called straight (a Python call fewer a request than through ``Journal.record``).
        self._append = journal.writer.record
        # The token check hands out one Principal per token: its Caller is built once (by identity).
        self._callers: dict[int, tuple[Principal, Caller]] = {}

    def caller_of(self, principal: Principal | None) -> Caller:
        if principal is None:
            return ANONYMOUS
        known = self._callers.get(id(principal))
        if known is not None and known[0] is principal:
            return known[1]
        if len(self._callers) >= _CALLERS_KEPT:
            self._callers.clear()
        caller = Caller.of(principal)
        self._callers[id(principal)] = (principal, caller)
        return caller

    def record(
        self,
        context: RequestContext | None,
        response: Response,
        *,
        error: BaseException | None,
        started_at: datetime | float,
        duration_ms: float,
        request_id: str,
        client_request_id: str,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        request_body: bytes = b"",
        batch_request_id: str | None = None,
    ) -> None:
        """Queues the entry of one answer. ``started_at``: a time, or seconds since the epoch (what the edge
        hands: building a time per request cost about as much as the rest of recording it)."""
        tenant = tenant_of(context)
        if tenant is None:
            return
        # Only what the entry is built from is taken now, as plain values (strings, bytes, the caller), in a
        # struct the garbage collector does not track: holding the context or the response until the writer's
        # batch kept every request's objects alive, and a tracked call object per request set off collections,
        # both paid for by the request path. The writer's thread builds the entry (``Captured.__call__``).
        # A body past the journal's bound is cut now instead: a queued call would hold all of it until stored.
        caller = ANONYMOUS
        route = operation = None
        if context is not None:
            if context.principal is not None:
                caller = self.caller_of(context.principal)
            route = context.route or None
            operation = None if context.operation is None else context.operation.name
        response_body = response.body
        # A ``$batch``'s answer says what of the envelope to keep: its items' bodies are in their own entries.
        if isinstance(response, BatchResponse):
            request_body, response_body = response.journal_bodies
        captured = Captured(
            tenant,
            caller,
            route,
            operation,
            decision_of(error, context, response.status),
            started_at,
            duration_ms,
            request_id,
            client_request_id,
            method,
            url,
            request_headers,
            request_body,
            response.status,
            response_body,
            response.content_type,
            response.headers or (),
            batch_request_id,
        )
        self._queue(captured)

    def record_item(
        self,
        batch: RequestContext,
        item: RequestContext | None,
        response: Response,
        *,
        error: BaseException | None,
        started_at: datetime,
        duration_ms: float,
        request_id: str,
        client_request_id: str,
        method: str,
        url: str,
        headers: Mapping[str, str],
    ) -> None:
        """One ``$batch`` item, as an entry of its own tied to the batch's request-id; ``item`` is None
        when the item was refused before it could become a request (then the batch's caller asked).

        The same entry as ``record`` would make, built here without its steps for any request: an item runs as
        the batch's caller, so its tenant and caller are the batch's."""
        tenant = tenant_of(batch)
        if tenant is None:
            return
        principal = batch.principal
        caller = ANONYMOUS if principal is None else self.caller_of(principal)
        if item is None:
            route = operation = None
            request_body = b""
        else:
            route = item.route or None
            operation = None if item.operation is None else item.operation.name
            request_body = item.request.body
        body = response.body
        captured = Captured(
            tenant,
            caller,
            route,
            operation,
            decision_of(error, item, response.status),
            started_at,
            duration_ms,
            request_id,
            client_request_id,
            method,
            url,
            headers,
            request_body,
            response.status,
            body,
            response.content_type,
            response.headers or (),
            batch.request.request_id,
        )
        self._queue(captured)

    def _queue(self, captured: Captured) -> None:
        """Hands ``captured`` to the journal; a body past the journal's bound is cut now (its entry built), as
        a queued capture would hold all of it until stored."""
        if len(captured.response_body) > BODY_LIMIT_BYTES or len(captured.request_body) > BODY_LIMIT_BYTES:
            self._append(captured())
        else:
            self._append(captured)


def now() -> datetime:
    return datetime.now(UTC)


def tenant_of(context: RequestContext | None) -> str | None:
    """Whose journal the request goes to (see the module's docstring); None: not recorded."""
    if context is None:
        return ANONYMOUS_TENANT
    principal = context.principal
    if principal is not None:
        return principal.tenant_id
    request = context.request
    if not context.version:
        # A public route: the tenant its path names, if it names one (the token service, discovery); one no
        # directory could hold, under the anonymous tenant.
        named = context.params.get("tenant")
        if named is None:
            return None
        return named if _could_be_tenant(named) else ANONYMOUS_TENANT
    return token_tenant(request) or ANONYMOUS_TENANT


def token_tenant(request: Request) -> str | None:
    """The ``tid`` claim of the request's bearer token, unverified (only to file the refusal)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    parts = token.strip().split(".")
    if len(parts) != 3 or len(parts[1]) > 16_384:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = _claims.decode(payload)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None
    tenant = claims.get("tid")
    return tenant if isinstance(tenant, str) and _could_be_tenant(tenant) else None


def _could_be_tenant(name: str) -> bool:
    """Whether a tenant named by a path or an unverified token could be one a journal files entries under:
    at most ``TENANT_NAME_LIMIT`` characters, none of them NUL (every database's text and index can hold it)."""
    return 0 < len(name) <= TENANT_NAME_LIMIT and storable(name)
