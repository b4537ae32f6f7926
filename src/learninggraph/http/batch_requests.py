"""A ``$batch`` body read: its requests checked for shape, ordered by their dependencies, and each made a
``Request`` of its own (path under the batch's version, headers, body decoded). ``http.batch`` runs them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

from learninggraph.domain.errors import BadRequest
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.http.messages import Request, Segment, parse_path, parse_prefer, parse_query

MAX_REQUESTS = 20
METHODS = frozenset({"GET", "POST", "PATCH", "DELETE", "PUT"})

_encode = msgspec.json.Encoder().encode
_NO_PREFERENCES: frozenset[str] = frozenset()


def is_batch(segments: Sequence[Segment]) -> bool:
    """Whether the path after the version is ``$batch``."""
    return len(segments) == 1 and segments[0].key_name is None and segments[0].name.lower() == "$batch"


# Not frozen: a frozen dataclass's __init__ costs several times as much, once per item; nothing changes one.
@dataclass(slots=True)
class BatchItem:
    """One request of the batch, as sent; checked for shape, not yet for meaning."""

    id: str
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    depends_on: tuple[str, ...]
    # Ids are compared without regard to case: the item's id and its dependencies', folded once.
    key: str = field(init=False)
    dependency_keys: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.key = self.id.casefold()
        depends_on = self.depends_on
        self.dependency_keys = tuple(dict.fromkeys([d.casefold() for d in depends_on])) if depends_on else ()


# An item's URL as a path: the raw path under the batch's version, its segments, and the raw query.
Target = tuple[str, tuple[Segment, ...], str]


def parse_requests(document: dict[str, Any]) -> list[BatchItem]:
    """The batch's requests; a malformed envelope is 400 for the whole batch."""
    requests = document.get("requests")
    if not isinstance(requests, list):
        raise BadRequest("The batch body must have a 'requests' array.")
    if not requests:
        raise BadRequest("The batch must contain at least one request.")
    if len(requests) > MAX_REQUESTS:
        raise BadRequest(
            f"The batch contains {len(requests)} requests; at most {MAX_REQUESTS} are allowed in one batch."
        )
    items = [_item(raw, position) for position, raw in enumerate(requests, start=1)]
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise BadRequest(f"The batch contains more than one request with the id '{item.id}'.")
        seen.add(item.key)
    for item in items:
        for dependency in item.depends_on:
            if dependency.casefold() not in seen:
                raise BadRequest(
                    f"Request '{item.id}' depends on '{dependency}', which is not a request of this batch."
                )
    return items


def _item(raw: Any, position: int) -> BatchItem:
    if not isinstance(raw, dict):
        raise BadRequest(f"Request {position} of the batch must be a JSON object.")
    request_id = raw.get("id")
    if not isinstance(request_id, str) or not request_id.strip():
        raise BadRequest(f"Request {position} of the batch must have an 'id' string.")
    method, url = raw.get("method"), raw.get("url")
    if not isinstance(method, str) or not method:
        raise BadRequest(f"Request '{request_id}' must have a 'method' string.")
    if not isinstance(url, str) or not url.strip():
        raise BadRequest(f"Request '{request_id}' must have a 'url' string.")
    headers = raw.get("headers")
    if headers is None:
        headers = {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise BadRequest(f"The 'headers' of request '{request_id}' must be an object of strings.")
    depends_on: list[str] = []
    # Graph spells it dependsOn; msgraph-core sends depends_on (msgraph-sdk-python-core#996).
    for name in ("dependsOn", "depends_on"):
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"The '{name}' of request '{request_id}' must be an array of request ids.")
        depends_on.extend(value)
    return BatchItem(
        id=request_id,
        method=method.upper(),
        url=url.strip(),
        headers={name.lower(): value for name, value in headers.items()},
        body=raw.get("body"),
        depends_on=tuple(depends_on),
    )


def execution_order(items: list[BatchItem], by_key: dict[str, BatchItem]) -> list[BatchItem]:
    """The items, each after everything it depends on, otherwise in the order sent; a cycle is 400."""
    if not any(item.dependency_keys for item in items):
        return items  # a bulk write's: nothing to order
    order: list[BatchItem] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(item: BatchItem) -> None:
        if item.key in done:
            return
        if item.key in visiting:
            raise BadRequest(f"The dependencies of request '{item.id}' form a cycle.")
        visiting.add(item.key)
        for dependency in item.dependency_keys:
            visit(by_key[dependency])
        visiting.discard(item.key)
        done.add(item.key)
        order.append(item)

    for item in items:
        visit(item)
    return order


def sub_request(
    outer: Request,
    item: BatchItem,
    version: str,
    request_id: str,
    client_request_id: str,
    targets: dict[str, Target] | None = None,
    siblings: Siblings | None = None,
) -> Request:
    """The item as a request of its own; 400 (for this item only) when it cannot be one.

    ``targets``: the URLs already read in this batch (items of a bulk write often share theirs); ``siblings``:
    the batch's items, when they all send the item's method to its URL.
    """
    if item.method not in METHODS:
        raise BadRequest(f"The method '{item.method}' of request '{item.id}' is not supported in a batch.")
    target = None if targets is None else targets.get(item.url)
    if target is None:
        target = _read_target(item, version)
        if targets is not None:
            targets[item.url] = target
    path, segments, raw_query = target
    if is_batch(segments[1:]):
        raise BadRequest(f"Request '{item.id}' is a batch; batches cannot be nested.")
    headers = dict(item.headers)
    prefer = headers.get("prefer")
    body = _body(item, headers)
    return ItemRequest(
        item.method,
        path,
        segments,
        parse_query(raw_query),
        headers,
        body,
        outer.base_url,
        request_id,
        client_request_id,
        parse_prefer(prefer) if prefer else _NO_PREFERENCES,
        outer.client_address,
        # A JSON object sent as the item's body is the handler's as the envelope's parser read it.
        item.body if body and isinstance(item.body, dict) and is_json(headers["content-type"]) else None,
        siblings,
    )


def siblings_of(items: list[BatchItem]) -> Siblings | None:
    """The batch's items as ``Siblings`` when there are several and they all write with one method to one URL."""
    if len(items) < 2:
        return None
    first = items[0]
    if first.method == "GET" or any(i.method != first.method or i.url != first.url for i in items):
        return None
    return Siblings([item.body for item in items])


@dataclass(slots=True)
class Siblings:
    """The items of one batch that all send one method to one URL (a bulk write's twenty creates): their bodies,
    in order, and what the handler read once for all of them (``reads``, by the handler's own key), for it to
    take instead of reading each item's part on its own. A handler may use ``reads`` only for what the other
    items cannot change: they all run its one operation."""

    bodies: list[Any]
    reads: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ItemRequest(Request):
    """A batch item's request: a JSON object body is also kept as decoded with the envelope, so the handler
    does not decode the bytes made from it again (``body`` holds them, for the journal)."""

    decoded: dict[str, Any] | None = None
    siblings: Siblings | None = None

    def json_body(self) -> dict[str, Any]:
        if self.decoded is not None:
            return self.decoded
        return Request.json_body(self)


def _read_target(item: BatchItem, version: str) -> Target:
    raw_path, raw_query = _target(item, version)
    path = "/" + "/".join(part for part in raw_path.split("/") if part)
    return path, parse_path(raw_path), raw_query


def _target(item: BatchItem, version: str) -> tuple[str, str]:
    """The raw path (always under the batch's version) and raw query of the item's URL.

    Accepted: ``/path``, ``path``, ``/v1.0/path`` and ``http(s)://host/v1.0/path`` (msgraph-core sends
    absolute URLs once a request builder has been used); scheme and host are not checked.
    """
    url = item.url.split("#", 1)[0]
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise BadRequest(f"The URL of request '{item.id}' must be relative or use http(s).")
        path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
    parts_of_path = [part for part in path.split("/") if part]
    if parts_of_path and parts_of_path[0].lower() in GRAPH_VERSIONS:
        named = parts_of_path.pop(0)
        if named.lower() != version.lower():
            raise BadRequest(
                f"The URL of request '{item.id}' names version '{named}', but the batch was sent to "
                f"'{version}'; all requests of a batch use the batch's version."
            )
    return "/" + "/".join([version, *parts_of_path]), query


def _body(item: BatchItem, headers: dict[str, str]) -> bytes:
    """The item's body as bytes: JSON re-encoded, any other media type decoded from base64."""
    if item.body is None:
        return b""
    content_type = headers.get("content-type")
    if content_type is None:
        # Graph asks for a Content-Type beside every body; a JSON value without one can only be JSON.
        headers["content-type"] = "application/json"
        return _encode(item.body)
    if is_json(content_type):
        return _encode(item.body)
    if not isinstance(item.body, str):
        raise BadRequest(
            f"The body of request '{item.id}' has Content-Type '{content_type}', so it must be a "
            "base64-encoded string."
        )
    try:
        return base64.b64decode(item.body, validate=True)
    except binascii.Error:
        raise BadRequest(f"The body of request '{item.id}' is not valid base64.") from None


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
