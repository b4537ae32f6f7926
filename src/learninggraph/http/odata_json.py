"""Graph JSON bodies: entities and collections with @odata.context, @odata.count and @odata.nextLink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any
from urllib.parse import quote

import msgspec

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import emit_datetime
from learninggraph.http.messages import JSON_CONTENT_TYPE, Request, Response
from learninggraph.storage.rows import Record

_encode = msgspec.json.Encoder().encode

Emit = Callable[[Any, bool], Any]
# At most this many distinct ``$select`` plans are kept per renderer; clients choose them, so it is bounded.
_PLANS_KEPT = 64


def _emit_for(prop: Property) -> Emit | None:
    """How a stored value becomes its JSON value; None: it is already (str, int, bool, None)."""
    kind = prop.kind
    if kind is Kind.DATETIME:
        return lambda v, _u: None if v is None else emit_datetime(v)
    if kind is Kind.ENUM:
        enum = prop.enum
        assert enum is not None
        return lambda v, u: None if v is None else enum.emit(v, include_unknown_members=u)
    if kind in (Kind.STRING_LIST, Kind.DATETIME_TIME_ZONE, Kind.ITEM_BODY):
        # Stored as JSON text already: embedded without decoding.
        return lambda v, _u: None if v is None else msgspec.Raw(v.encode())
    return None


def _getter(columns: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """Reads the named attributes of a record as one tuple, in order."""
    if not columns:
        return lambda _record: ()
    if len(columns) == 1:
        single = attrgetter(columns[0])
        return lambda record: (single(record),)
    return attrgetter(*columns)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The properties one response shows: their names, a getter of their values, and the values to convert."""

    names: tuple[str, ...]
    get: Callable[[Any], tuple[Any, ...]]
    emits: tuple[tuple[str, Emit], ...]

    @classmethod
    def of(cls, props: Sequence[Property]) -> _Plan:
        emits = ((p.name, _emit_for(p)) for p in props)
        return cls(
            tuple(p.name for p in props),
            _getter([p.column for p in props]),
            tuple((name, emit) for name, emit in emits if emit is not None),
        )


class Renderer:
    """Stored records → Graph JSON objects: each property read from the record's attribute of its column."""

    def __init__(self, entity: EntityType, *, with_odata_type: bool) -> None:
        self.entity = entity
        self.with_odata_type = with_odata_type
        self._all = _Plan.of(entity.properties)
        self._plans: dict[tuple[Property, ...], _Plan] = {}
        # The last selection asked for: every record of a page asks with the same object.
        self._last: tuple[object, _Plan] = ((), self._all)

    def _plan(self, select: Sequence[Property]) -> _Plan:
        last_select, last_plan = self._last
        if select is last_select:
            return last_plan
        key = tuple(select)
        plan = self._plans.get(key)
        if plan is None:
            wanted = set(key)
            plan = _Plan.of([p for p in self.entity.properties if p in wanted])
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[key] = plan
        self._last = (select, plan)
        return plan

    def render(
        self, record: Record, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> dict[str, Any]:
        """The JSON object of ``record``; ``select`` limits it to those properties (in declaration order)."""
        plan = self._plan(select) if select else self._all
        out: dict[str, Any] = {"@odata.type": self.entity.odata_type} if self.with_odata_type else {}
        out.update(zip(plan.names, plan.get(record), strict=True))
        for name, emit in plan.emits:
            # Replacing a value keeps its key's place: the order stays the declaration's.
            out[name] = emit(out[name], include_unknown)
        return out


class PolymorphicRenderer:
    """Records of a polymorphic set: each rendered as the type its ``odata_type`` field names."""

    def __init__(self, *entities: EntityType) -> None:
        self._by_type = {entity.name: Renderer(entity, with_odata_type=True) for entity in entities}

    def render(
        self, record: Record, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> dict[str, Any]:
        renderer = self._by_type[_odata_type(record)]
        return renderer.render(record, select=select, include_unknown=include_unknown)


_odata_type = attrgetter("odata_type")


def context_url(request: Request, fragment: str, *, select: Sequence[Property] = (), entity: bool) -> str:
    if select:
        fragment += "(" + ",".join(p.name for p in select) + ")"
    if entity:
        fragment += "/$entity"
    return f"{request.base_url}/{request.version}/$metadata#{fragment}"


def quote_key(value: str) -> str:
    """A key as it appears inside ``('...')`` of a context or Location URL."""
    return quote(value.replace("'", "''"), safe="")


def entity_response(
    request: Request,
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
