"""The compact stored record of a journal entry (SQLite): a MessagePack array written straight from what the
request path captured, its bodies the bytes that were sent.

Most answers have nothing to redact but the ``Authorization`` header. For them the writer skips building a
``JournalEntry``, decoding each body into text and encoding that text again as an escaped JSON string: the
record is the captured values in a fixed order (no field names), the caller's part encoded once per caller, and
reading turns the body bytes into text exactly as capturing them would have (``capture_body``). It is about
two thirds the size of the JSON record, and a third of the writer's time to make.

An entry with anything more to redact is not stored this way (``compact_record`` gives None; the writer then
builds, redacts and stores it as JSON, which ``decode_record`` also reads): a decision with a hint or details,
a body past the journal's bound or not UTF-8, a request body (or an answer not rendered by a Graph route) that
holds a suspect word (``may_hold_a_secret``), an answer holding ``eyJ`` or a ``\\u`` escape. The URL and the
headers are redacted here, by the same functions as every entry. A Graph route's successful JSON answer is a
resource, a collection of them, or a ``$batch`` answer's item, rendered by the server with the names of the
schema, none of which is a secret field's: the one thing in it that redaction could change is text that looks
like a JWT (``eyJ``, or an escape that could spell it), so only that is looked for, not the suspect words
(a test holds the schema's names to this).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from learninggraph.journal.captured import Captured, response_headers
from learninggraph.journal.entry import (
    BODY_LIMIT_BYTES,
    Caller,
    Decision,
    Headers,
    JournalEntry,
    capture_body,
)
from learninggraph.journal.redaction import may_hold_a_secret, redact_headers, redact_url

# The record's first element, telling it from a JSON record (``{``) and from later layouts.
FORMAT = 2
_GRAPH_ROUTES = ("/v1.0/", "/beta/")
_JSON = "application/json"
_CALLERS_KEPT = 4096


class CompactEntry(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=FORMAT):
    """The record as stored, in this order (the tag first); bodies as sent, at most ``BODY_LIMIT_BYTES``."""

    at: datetime
    tenant_id: str
    caller: Caller
    method: str
    url: str
    status: int
    duration_ms: float
    request_id: str
    decision: Decision
    route: str | None
    operation: str | None
    client_request_id: str | None
    request_headers: Headers
    request_body: bytes
    response_headers: Headers
    response_body: bytes
    batch_request_id: str | None


_encode = msgspec.msgpack.Encoder().encode
_decoder = msgspec.msgpack.Decoder(CompactEntry)
# Each caller's encoded form, by identity (the recorder hands out one Caller per token): its permissions are
# most of an entry's caller, the same for every request of the token.
_callers: dict[int, tuple[Caller, msgspec.Raw]] = {}


def is_compact(record: bytes | str) -> bool:
    """Whether a stored record is compact (else JSON, which starts with ``{``)."""
    return isinstance(record, bytes) and record[:1] != b"{"


def compact_record(captured: Captured) -> bytes | None:
    """The compact record of ``captured``, redacted; None when it may hold more to redact than its URL and
    headers (then it is stored as a redacted JSON entry)."""
    decision = captured.decision
    if decision.hint is not None or decision.details:
        return None
    request_body = captured.request_body
    if request_body and not _plain(request_body):
        return None
    response_body = captured.response_body
    if response_body:
        if _rendered_by_graph(captured):
            if len(response_body) > BODY_LIMIT_BYTES or b"eyJ" in response_body or b"\\u" in response_body:
                return None
            try:
                response_body.decode("utf-8")
            except UnicodeDecodeError:
                return None
        elif not _plain(response_body):
            return None
    return _encode(
        (
            FORMAT,
            captured.started_at,
            captured.tenant,
            _caller(captured.caller),
            captured.method,
            redact_url(captured.url),
            captured.status,
            captured.duration_ms,
            captured.request_id,
            decision,
            captured.route,
            captured.operation,
            captured.client_request_id,
            redact_headers(tuple(captured.request_headers.items())),
            request_body,
            redact_headers(
                response_headers(
                    captured.request_id,
                    captured.client_request_id,
                    captured.content_type,
                    captured.extra_headers,
                )
            ),
            response_body,
            captured.batch_request_id,
        )
    )


def decode_compact(entry_id: int, record: bytes) -> JournalEntry:
    """The entry a compact record holds, as the JSON record of the same answer would give it."""
    stored = _decoder.decode(record)
    return JournalEntry(
        stored.at,
        stored.tenant_id,
        stored.caller,
        stored.method,
        stored.url,
        stored.status,
        stored.duration_ms,
        stored.request_id,
        stored.decision,
        stored.route,
        stored.operation,
        stored.client_request_id,
        stored.request_headers,
        capture_body(stored.request_body),
        stored.response_headers,
        capture_body(stored.response_body),
        stored.batch_request_id,
        entry_id,
    )


def _plain(body: bytes) -> bool:
    """Whether ``body`` is within the bound, UTF-8, and holds no suspect word: redaction leaves it as it is."""
    if len(body) > BODY_LIMIT_BYTES:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not may_hold_a_secret(text)


def _rendered_by_graph(captured: Captured) -> bool:
    """A successful JSON answer of a Graph route other than ``$batch``: a resource or a collection of them."""
    route = captured.route
    content_type = captured.content_type
    return (
        200 <= captured.status < 300
        and route is not None
        and route.startswith(_GRAPH_ROUTES)
        and not route.endswith("/$batch")
        and content_type is not None
        and content_type.startswith(_JSON)
    )


def _caller(caller: Caller) -> msgspec.Raw:
    known = _callers.get(id(caller))
    if known is not None and known[0] is caller:
        return known[1]
    if len(_callers) >= _CALLERS_KEPT:
        _callers.clear()
    encoded = msgspec.Raw(_encode(caller))
    _callers[id(caller)] = (caller, encoded)
    return encoded
