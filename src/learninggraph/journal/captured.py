"""What the request path hands the journal for one answer: plain values, queued as they are, from which the
writer's thread builds the entry (``Captured.__call__``) or, on SQLite, its compact stored record directly
(``journal.compact``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import msgspec

from learninggraph.journal.entry import Caller, Decision, JournalEntry, capture_body


class Captured(msgspec.Struct, frozen=True, gc=False):
    """What one answer's entry is built from, queued by the request path; called in the writer's thread."""

    tenant: str
    caller: Caller
    route: str | None
    operation: str | None
    decision: Decision
    # When the request started: a time, or seconds since the epoch (``time.time()``), which the request path
    # gets for a tenth of what building a time costs; the writer's thread turns it into one (``at``).
    started_at: datetime | float
    duration_ms: float
    request_id: str
    client_request_id: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    response_body: bytes
    content_type: str | None
    extra_headers: Sequence[tuple[str, str]]
    batch_request_id: str | None

    def at(self) -> datetime:
        """When the request started, as the entry's time (UTC)."""
        started = self.started_at
        return started if isinstance(started, datetime) else datetime.fromtimestamp(started, UTC)

    def __call__(self) -> JournalEntry:
        # Positional, in ``JournalEntry``'s field order: a third cheaper than by keyword, for every request.
        return JournalEntry(
            self.at(),
            self.tenant,
            self.caller,
            self.method,
            self.url,
            self.status,
            self.duration_ms,
            self.request_id,
            self.decision,
            self.route,
            self.operation,
            self.client_request_id,
            tuple(self.request_headers.items()),
            capture_body(self.request_body),
            response_headers(self.request_id, self.client_request_id, self.content_type, self.extra_headers),
            capture_body(self.response_body),
            self.batch_request_id,
        )


def response_headers(
    request_id: str, client_request_id: str, content_type: str | None, extra: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """The headers of an answer that say something about it (as text); the ones every answer carries
    alike (``OData-Version``, ``Cache-Control``, ``X-Content-Type-Options``, ``Content-Length``) are left out."""
    headers = [("request-id", request_id), ("client-request-id", client_request_id)]
    if content_type is not None:
        headers.append(("content-type", content_type))
    if extra:
        headers.extend((name.lower(), value) for name, value in extra)
    return tuple(headers)
