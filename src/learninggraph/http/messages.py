"""The request as read and the response to send, and how raw HTTP becomes them.

A ``Request`` is what the client sent, read once and never changed; what the request path learns about it
(version, route, caller, options) goes into its ``http.context.RequestContext``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote, unquote_plus

import msgspec

from learninggraph.domain.errors import BadRequest, UnsupportedMediaType

# The API versions a Graph path starts with.
JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)


class Segment(NamedTuple):
    """One path segment: ``name`` alone, or ``name(key=value)`` for an alternate-key lookup."""

    name: str
    key_name: str | None = None
    key_value: str | None = None


# Not frozen, though nothing changes it once read: a frozen dataclass's __init__ costs several times as much,
# once per request and once per $batch item.
@dataclass(slots=True)
class Request:
    method: str
    path: str
    segments: tuple[Segment, ...]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str
    request_id: str
    client_request_id: str
    prefer: frozenset[str] = frozenset()
    client_address: str = ""

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object; 415 for another media type, 400 saying where bad JSON breaks."""
        content_type = self.headers.get("content-type", "")
        if content_type == "application/json":  # what the SDKs send: nothing to take apart
            return decode_json_object(self.body)
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != "application/json" and not (
            media_type.startswith("application/") and media_type.endswith("+json")
        ):
            raise UnsupportedMediaType(
                f"Content-Type '{content_type or '(none)'}' is not supported; send application/json."
            )
        return decode_json_object(self.body)

    @property
    def wants_representation(self) -> bool:
        return "return=representation" in self.prefer

    @property
    def includes_unknown_enum_members(self) -> bool:
        return "include-unknown-enum-members" in self.prefer


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class BatchResponse(Response):
    """A batch's answer, with what the journal keeps of the envelope: its requests and responses without their
    bodies, which the items' own entries hold (each tied to the batch by ``batch_request_id``)."""

    journal_bodies: tuple[bytes, bytes] = (b"", b"")


_json_decoder = msgspec.json.Decoder()


def decode_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise BadRequest("Empty Payload. JSON content expected.")
    try:
        value = _json_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"Invalid JSON in request body: {_locate(str(exc), body)}") from exc
    except RecursionError:
        raise BadRequest("Invalid JSON in request body: it is nested too deeply.") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"Invalid JSON in request body: it is not UTF-8 (byte {exc.start}).") from None
    if not isinstance(value, dict):
        raise BadRequest("Invalid JSON in request body: the top-level value must be an object.")
    return value


def _locate(message: str, body: bytes) -> str:
    """msgspec reports a byte offset; people read lines and columns."""
    detail = message.removeprefix("JSON is malformed: ")
    marker = "(byte "
    if marker in detail and detail.endswith(")"):
        reason, _, offset_text = detail.rpartition(marker)
        try:
            offset = int(offset_text[:-1])
        except ValueError:
            return detail
        before = body[:offset]
        line = before.count(b"\n") + 1
        column = offset - (before.rfind(b"\n") + 1) + 1
        return f"{reason.strip()} at line {line}, column {column} (byte {offset})"
    return detail


def parse_path(raw_path: str) -> tuple[Segment, ...]:
    """Splits the raw (still percent-encoded) path, collapsing repeated slashes.

    Splitting happens before decoding, so an encoded ``%2F`` inside a key stays inside its segment.
    """
    return path_segments(raw_path, [part for part in raw_path.split("/") if part])


def path_segments(raw_path: str, parts: list[str]) -> tuple[Segment, ...]:
    """The segments of ``raw_path``, given its non-empty parts between slashes (as ``parse_path`` splits)."""
    if "(" not in raw_path and "%" not in raw_path:
        # The common case: plain names and ids, nothing to decode, no key segments. Built as tuples straight
        # (``Segment(name)`` runs the named tuple's ``__new__`` in Python, for defaults it does not need).
        # A name the routes declare is taken from the table of them: a ``Segment`` made and freed again costs
        # about 2,000 instructions (a tuple subclass), and a path is mostly such names.
        known = _declared
        return tuple([known.get(part) or _new_tuple(Segment, (part, None, None)) for part in parts])
    return tuple(map(_parse_segment, parts))


_new_tuple = tuple.__new__
# The plain segments of the names routes declare (``declare_names``), as they are spelled there; bounded by the
# routes, never by what clients send.
_declared: dict[str, Segment] = {}


def declare_names(names: Iterable[str]) -> None:
    """Makes the plain segment of each of ``names`` once, for ``path_segments`` to hand out again."""
    for name in names:
        if name not in _declared:
            _declared[name] = _new_tuple(Segment, (name, None, None))


def _parse_segment(raw: str) -> Segment:
    open_at = raw.find("(")
    if open_at < 0:
        open_at = raw.find("%28")
        if open_at >= 0 and raw.upper().endswith("%29"):
            return _parse_key(raw[:open_at], raw[open_at + 3 : -3], raw)
        return Segment(unquote(raw))
    if not raw.endswith(")") and not raw.upper().endswith("%29"):
        raise BadRequest(f"Unclosed parenthesis in path segment '{unquote(raw)}'.")
    inner = raw[open_at + 1 : -1] if raw.endswith(")") else raw[open_at + 1 : -3]
    return _parse_key(raw[:open_at], inner, raw)


def _parse_key(raw_name: str, raw_inner: str, raw: str) -> Segment:
    name = unquote(raw_name)
    equals = raw_inner.find("=")
    if equals < 0:
        equals = raw_inner.upper().find("%3D")
        if equals < 0:
            # learningProviders('id') — the plain key in parentheses.
            return Segment(name, "id", _key_value(raw_inner, raw))
        key_name, raw_value = raw_inner[:equals], raw_inner[equals + 3 :]
    else:
        key_name, raw_value = raw_inner[:equals], raw_inner[equals + 1 :]
    return Segment(name, unquote(key_name).strip(), _key_value(raw_value.strip(), raw))


def _key_value(raw_value: str, raw: str) -> str:
    """A key literal in any form a real client sends.

    - ``'a''b'`` (OData quoting): literal quotes delimit, ``''`` is one quote, and ``%27`` inside is a
      quote too (the Graph SDKs percent-encode the value but not the delimiting quotes);
    - ``%27a%27`` (delimiters percent-encoded as well): decoded first, then unquoted the same way;
    - ``a`` (unquoted, as older documentation pages show).
    """
    if len(raw_value) >= 2 and raw_value[0] == "'" and raw_value[-1] == "'":
        inner = raw_value[1:-1]
        if _has_lone_quote(inner):
            raise BadRequest(f"Malformed key literal in path segment '{unquote(raw)}'.")
        return unquote(inner.replace("''", "'"))
    decoded = unquote(raw_value)
    if len(decoded) >= 2 and decoded[0] == "'" and decoded[-1] == "'":
        return decoded[1:-1].replace("''", "'")
    if "'" in decoded:
        raise BadRequest(f"Malformed key literal in path segment '{unquote(raw)}'.")
    return decoded


def _has_lone_quote(text: str) -> bool:
    index = 0
    while index < len(text):
        if text[index] == "'":
            if index + 1 < len(text) and text[index + 1] == "'":
                index += 2
                continue
            return True
        index += 1
    return False


def parse_query(raw_query: str) -> dict[str, str]:
    """Query options by name; ``+`` is a space (as form-encoding clients send it), repeats are a 400."""
    if not raw_query:
        return {}
    known = _parsed_queries.get(raw_query)
    if known is not None:
        return dict(known)
    options: dict[str, str] = {}
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        key = unquote_plus(name).strip()
        if key in options:
            raise BadRequest(f"Query option '{key}' was specified more than once.")
        options[key] = unquote_plus(value)
    if len(_parsed_queries) >= _QUERIES_KEPT:
        _parsed_queries.clear()
    _parsed_queries[raw_query] = options
    return dict(options)


# Clients send the same few query strings again and again (a sync job's filter, a page size): decoded once.
# Bounded; each caller gets its own copy of the dict.
_QUERIES_KEPT = 512
_parsed_queries: dict[str, dict[str, str]] = {}


def parse_prefer(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
