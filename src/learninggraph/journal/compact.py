"""The compact stored record of a journal entry (SQLite): a MessagePack array written straight from what the
request path captured, its bodies the bytes that were sent.

Most answers have nothing to redact but the ``Authorization`` header. For them the writer skips building a
``JournalEntry``, decoding each body into text and encoding that text again as an escaped JSON string: the
record is the captured values in a fixed order (no field names), the caller's part encoded once per caller, and
reading turns the body bytes into text exactly as capturing them would have (``capture_body``). The answer's
headers are not stored whole (layout 3): its request-id and client-request-id are the entry's own (the latter
left out when the server minted it), its content type is stored by an index when it is a known one, and
reading puts them back together. Layout 4 also stores the start as captured (seconds since the epoch), the
decision as its rule, and the caller's permissions by their index in ``PERMISSIONS``. It is about half the size
of the JSON record. Records of layouts 2 (the answer's headers whole) and 3 are still read.

An entry with anything more to redact is not stored this way (``compact_record`` gives None; the writer then
builds, redacts and stores it as JSON, which ``decode_record`` also reads): a decision with a hint or details,
a body past the journal's bound or not UTF-8, a request body (or an answer not rendered by a Graph route) that
holds a suspect word (``may_hold_a_secret``), an answer holding ``eyJ`` or a ``\\u`` escape, a client
request-id holding ``eyJ``. The URL and the headers are redacted here, by the same functions as every entry.
A Graph route's successful JSON answer is a resource, a collection of them, or a ``$batch`` answer's item,
rendered by the server with the names of the schema, none of which is a secret field's: the one thing in it
that redaction could change is text that looks like a JWT (``eyJ``, or an escape that could spell it), so only
that is looked for, not the suspect words (a test holds the schema's names to this).
"""

from __future__ import annotations

from datetime import UTC, datetime

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
from learninggraph.journal.redaction import may_hold_a_secret, redact_header_map, redact_headers, redact_url

# The record's first element, telling it from a JSON record (``{``) and from other layouts: 2 stored the
# answer's headers whole; 3 stores its content type and further headers, the rest being the ids it already holds;
# 4 stores the start as the request path took it (seconds since the epoch) and the decision as its rule alone.
FORMAT = 4
LAYOUT_3 = 3
EARLIER_FORMAT = 2
# Single bytes, searched for as ints: ``b"J" in body`` first tries the operand as an int, and formats and drops
# a TypeError before searching (about 2,000 instructions a search), where an int goes straight to ``memchr``.
_J = ord("J")
_BACKSLASH = ord("\\")
_GRAPH_ROUTES = ("/v1.0/", "/beta/")
_JSON = "application/json"
_CALLERS_KEPT = 4096
_ROUTES_KEPT = 1024
# Content types a layout-3 record stores by their index here (the Graph JSON answer's is a twentieth of a
# record): append only, since stored records keep the indexes; any other content type is stored as text.
CONTENT_TYPES = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    "application/json",
)
_CONTENT_TYPE_INDEXES = {content_type: index for index, content_type in enumerate(CONTENT_TYPES)}
# Permissions a layout-4 record stores by their index here (a caller's names were a fifth of a record): append
# only, as stored records keep the indexes; a name not here (none the server grants) is stored as text.
PERMISSIONS = (
    "LearningProvider.Read",
    "LearningProvider.ReadWrite",
    "LearningContent.Read.All",
    "LearningContent.ReadWrite.All",
    "LearningAssignedCourse.Read",
    "LearningAssignedCourse.Read.All",
    "LearningAssignedCourse.ReadWrite.All",
    "LearningSelfInitiatedCourse.Read",
    "LearningSelfInitiatedCourse.Read.All",
    "LearningSelfInitiatedCourse.ReadWrite.All",
)
_PERMISSION_INDEXES = {permission: index for index, permission in enumerate(PERMISSIONS)}


class StoredCaller(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """A layout-4 record's caller: ``Caller``'s fields by position, each permission by its index in
    ``PERMISSIONS`` (or its name, when not there)."""

    kind: str
    app_id: str | None
    user_id: str | None
    permissions: tuple[int | str, ...]
    directory_roles: tuple[str, ...]

    @classmethod
    def of(cls, caller: Caller) -> StoredCaller:
        indexes = _PERMISSION_INDEXES
        permissions = tuple(indexes.get(name, name) for name in caller.permissions)
        return cls(caller.kind, caller.app_id, caller.user_id, permissions, caller.directory_roles)

    def caller(self) -> Caller:
        names = tuple(PERMISSIONS[name] if isinstance(name, int) else name for name in self.permissions)
        return Caller(self.kind, self.app_id, self.user_id, names, self.directory_roles)


class EarlierCompactEntry(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=EARLIER_FORMAT):
    """The record of layout 2 (files written before layout 3), read as it was stored."""

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


class Layout3Entry(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=LAYOUT_3):
    """The record of layout 3, read as it was stored: layout 4 but for ``at`` and ``decision``."""

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
    content_type: str | int | None
    further_headers: Headers
    response_body: bytes
    batch_request_id: str | None


class CompactEntry(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=FORMAT):
    """The record as stored, in this order (the tag first); bodies as sent, at most ``BODY_LIMIT_BYTES``.

    ``at`` is the start as captured: seconds since the epoch (read as that UTC time) or a time. The decision is
    its rule alone (a compact record's decision has no hint and no details). The answer's headers are not
    stored whole: they are its request-id, its client-request-id and its content type, then
    ``further_headers`` (lower-case names, redacted), which ``response_headers`` puts back together;
    ``client_request_id`` is None when it is the request-id (the server minted it)."""

    at: datetime | float
    tenant_id: str
    caller: StoredCaller
    method: str
    url: str
    status: int
    duration_ms: float
    request_id: str
    rule: str
    route: str | None
    operation: str | None
    client_request_id: str | None
    request_headers: Headers
    request_body: bytes
    content_type: str | int | None  # an int: its index in ``CONTENT_TYPES``
    further_headers: Headers
    response_body: bytes
    batch_request_id: str | None


_encode = msgspec.msgpack.Encoder().encode
_decoder = msgspec.msgpack.Decoder(CompactEntry | Layout3Entry | EarlierCompactEntry)
# Each caller's encoded form, by identity (the recorder hands out one Caller per token): its permissions are
# most of an entry's caller, the same for every request of the token.
_callers: dict[int, tuple[Caller, msgspec.Raw]] = {}
# Whether a route template is a Graph route other than ``$batch`` (see ``_rendered_by_graph``), by template.
_graph_routes: dict[str, bool] = {}


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
            # One byte first (``memchr``, a quarter of the time of a search for three): most answers hold neither.
            if (
                len(response_body) > BODY_LIMIT_BYTES
                or (_J in response_body and response_body.find(b"eyJ") >= 0)
                or (_BACKSLASH in response_body and response_body.find(b"\\u") >= 0)
            ):
                return None
            # ASCII is UTF-8: checked at memory speed, where decoding builds a string only to drop it.
            if not response_body.isascii():
                try:
                    response_body.decode("utf-8")
                except UnicodeDecodeError:
                    return None
        elif not _plain(response_body):
            return None
    request_id = captured.request_id
    client_request_id = captured.client_request_id
    content_type = captured.content_type
    # The answer's own headers are redacted as every entry's are: its ids and content type hold nothing to
    # redact unless one is text holding a JWT (the client's request-id; then the entry is stored as JSON).
    minted = client_request_id == request_id
    if (not minted and "eyJ" in client_request_id) or (content_type is not None and "eyJ" in content_type):
        return None
    extra = captured.extra_headers
    further = redact_headers(tuple((name.lower(), value) for name, value in extra)) if extra else ()
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
            request_id,
            decision.rule,
            captured.route,
            captured.operation,
            None if minted else client_request_id,
            redact_header_map(captured.request_headers),
            request_body,
            content_type if content_type is None else _CONTENT_TYPE_INDEXES.get(content_type, content_type),
            further,
            response_body,
            captured.batch_request_id,
        )
    )


def decode_compact(entry_id: int, record: bytes) -> JournalEntry:
    """The entry a compact record holds, as the JSON record of the same answer would give it."""
    stored = _decoder.decode(record)
    at = stored.at
    if isinstance(at, float):
        at = datetime.fromtimestamp(at, UTC)
    if isinstance(stored, CompactEntry):
        caller = stored.caller.caller()
        decision = Decision(stored.rule)
    else:
        caller = stored.caller
        decision = stored.decision
    if isinstance(stored, (CompactEntry, Layout3Entry)):
        request_id = stored.request_id
        client_request_id = request_id if stored.client_request_id is None else stored.client_request_id
        content_type = stored.content_type
        if isinstance(content_type, int):
            content_type = CONTENT_TYPES[content_type]
        answer_headers = response_headers(request_id, client_request_id, content_type, stored.further_headers)
    else:
        client_request_id = stored.client_request_id
        answer_headers = stored.response_headers
    return JournalEntry(
        at,
        stored.tenant_id,
        caller,
        stored.method,
        stored.url,
        stored.status,
        stored.duration_ms,
        stored.request_id,
        decision,
        stored.route,
        stored.operation,
        client_request_id,
        stored.request_headers,
        capture_body(stored.request_body),
        answer_headers,
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
    if route is None or content_type is None or not 200 <= captured.status < 300:
        return False
    graph = _graph_routes.get(route)
    if graph is None:
        graph = route.startswith(_GRAPH_ROUTES) and not route.endswith("/$batch")
        if len(_graph_routes) < _ROUTES_KEPT:
            _graph_routes[route] = graph
    return graph and content_type.startswith(_JSON)


def _caller(caller: Caller) -> msgspec.Raw:
    known = _callers.get(id(caller))
    if known is not None and known[0] is caller:
        return known[1]
    if len(_callers) >= _CALLERS_KEPT:
        _callers.clear()
    encoded = msgspec.Raw(_encode(StoredCaller.of(caller)))
    _callers[id(caller)] = (caller, encoded)
    return encoded
