"""Graph JSON bodies: entities and collections with @odata.context, @odata.count and @odata.nextLink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import emit_datetime
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import JSON_CONTENT_TYPE, Request, Response

_encode = msgspec.json.Encoder().encode

Emit = Callable[[Any, bool], Any]


def _emit_for(prop: Property) -> Emit:
    kind = prop.kind
    if kind is Kind.BOOLEAN:
        return lambda v, _u: None if v is None else bool(v)
    if kind is Kind.DATETIME:
        return lambda v, _u: None if v is None else emit_datetime(v)
    if kind is Kind.ENUM:
        enum = prop.enum
        assert enum is not None
        return lambda v, u: None if v is None else enum.emit(v, include_unknown_members=u)
    if kind in (Kind.STRING_LIST, Kind.DATETIME_TIME_ZONE, Kind.ITEM_BODY):
        # Stored as JSON text already: embedded without decoding.
        return lambda v, _u: None if v is None else msgspec.Raw(v.encode())
    return lambda v, _u: v


class Renderer:
    """Stored rows (columns in the entity's property order) → Graph JSON objects."""

    def __init__(
        self, entity: EntityType, *, with_odata_type: bool, layout: EntityType | None = None, offset: int = 0
    ) -> None:
        """``layout`` is the entity whose property order the row follows (a union for polymorphic sets)."""
        self.entity = entity
        self.with_odata_type = with_odata_type
        order = list((layout or entity).properties)
        self._fields = [
            (prop, prop.name, order.index(prop) + offset, _emit_for(prop)) for prop in entity.properties
        ]

    def render(
        self, row: Sequence[Any], *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.with_odata_type:
            out["@odata.type"] = self.entity.odata_type
        if not select:
            for _, name, index, emit in self._fields:
                out[name] = emit(row[index], include_unknown)
            return out
        wanted = set(select)
        for prop, name, index, emit in self._fields:
            if prop in wanted:
                out[name] = emit(row[index], include_unknown)
        return out


def context_url(
    context: RequestContext, fragment: str, *, select: Sequence[Property] = (), entity: bool
) -> str:
    if select:
        fragment += "(" + ",".join(p.name for p in select) + ")"
    if entity:
        fragment += "/$entity"
    return f"{context.request.base_url}/{context.version}/$metadata#{fragment}"


def quote_key(value: str) -> str:
    """A key as it appears inside ``('...')`` of a context or Location URL."""
    return quote(value.replace("'", "''"), safe="")


def entity_response(
    context: str,
    item: dict[str, Any],
    *,
    status: int = 200,
    headers: Sequence[tuple[str, str]] = (),
) -> Response:
    body = {"@odata.context": context, **item}
    return Response(status, _encode(body), JSON_CONTENT_TYPE, list(headers))


def collection_response(
    request: Request,
    context: str,
    items: list[dict[str, Any]],
    *,
    next_token: str | None,
    count: int | None,
) -> Response:
    body: dict[str, Any] = {"@odata.context": context}
    if count is not None:
        body["@odata.count"] = count
    body["value"] = items
    if next_token is not None:
        body["@odata.nextLink"] = next_link(request, next_token)
    return Response(200, _encode(body), JSON_CONTENT_TYPE)


def count_response(count: int) -> Response:
    return Response(200, str(count).encode(), "text/plain;charset=utf-8")


def no_content() -> Response:
    return Response(204)


def next_link(request: Request, token: str) -> str:
    """The absolute URL of the next page, with the client's scheme, host and options."""
    parts = [
        f"{quote(name, safe='$')}={quote(value, safe=_SAFE_IN_VALUE)}"
        for name, value in request.query.items()
        if name.lstrip("$").lower() not in ("skip", "skiptoken")
    ]
    parts.append(f"$skiptoken={quote(token, safe='')}")
    return f"{request.base_url}{request.path}?{'&'.join(parts)}"


_SAFE_IN_VALUE = "$,'()=:@/"
