"""Graph JSON bodies: entities and collections with @odata.context, @odata.count and @odata.nextLink."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any
from urllib.parse import quote

import msgspec

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import emit_datetime
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import JSON_CONTENT_TYPE, Request, Response
from learninggraph.storage.database import Row
from learninggraph.storage.rows import Record

_encode = msgspec.json.Encoder().encode

RenderRecord = Callable[[Any, bool], dict[str, Any]]
# The same object as a struct of its own type (a collection's item, encoded without a dict built for it), and
# with ``@odata.context`` (the third argument) first (an entity answer's body).
RenderObject = Callable[[Any, bool], msgspec.Struct]
RenderEntity = Callable[[Any, bool, str], msgspec.Struct]
# The last: the struct from a stored row (a tuple in the selection's field order) with no record made for it.
Plan = tuple[RenderRecord, RenderObject, RenderEntity, RenderObject]
# At most this many distinct ``$select`` plans are kept per renderer; clients choose them, so it is bounded.
_PLANS_KEPT = 64
_JSON_TEXT = frozenset({Kind.STRING_LIST, Kind.DATETIME_TIME_ZONE, Kind.ITEM_BODY})


def _value(prop: Property, index: int, names: dict[str, Any], at: Mapping[str, int] | None = None) -> str:
    """The expression that turns record ``r``'s attribute for ``prop`` into its JSON value; with ``at`` (the
    position of each column in a row), row ``r``'s item instead."""
    column = prop.column
    if not column.isidentifier() or keyword.iskeyword(column):
        raise ValueError(f"column {column!r} of {prop.name} is not an attribute name")
    if at is not None:
        return _value(prop, index, names).replace(f"r.{column}", f"r[{at[column]}]")
    if prop.kind is Kind.DATETIME:
        # ``emit_datetime`` inline for a whole second (most stored date-times: clients send whole seconds), a
        # call only for a fraction: UTC with ``Z``, the fraction only when not zero.
        return (
            f"(None if (d := r.{column}) is None else d[:19] + 'Z' if d[20:26] == '000000' else _datetime(d))"
        )
    if prop.kind is Kind.ENUM:
        assert prop.enum is not None
        if not prop.enum.evolvable:
            return f"r.{column}"
        # EnumType.emit, inline: an evolvable member is the sentinel unless the client asked for it.
        names[f"_late{index}"] = frozenset(prop.enum.evolvable)
        return f"(r.{column} if u or r.{column} not in _late{index} else 'unknownFutureValue')"
    if prop.kind in _JSON_TEXT:
        # Stored as JSON text already: embedded without decoding.
        return f"(None if r.{column} is None else _raw(r.{column}.encode()))"
    # Strings, numbers, durations and booleans (records decode 0/1 to bool) are JSON as they are.
    return f"r.{column}"


def _object_type(entity: EntityType, names: list[str]) -> type[msgspec.Struct]:
    """A struct whose JSON is the object of those member names, in that order: every field given, none left
    out (no defaults), each encoded by its value's own type as a dict's value is. No cycles: not tracked by
    the collector."""
    fields = [(f"f{i}", Any) for i in range(len(names))]
    rename = {f"f{i}": name for i, name in enumerate(names)}
    return msgspec.defstruct(f"{entity.name}Object", fields, rename=rename, gc=False)


def _compile(
    entity: EntityType, props: Sequence[Property], *, with_odata_type: bool, at: Mapping[str, int]
) -> Plan:
    """Three functions that build the JSON object of a record, read by attribute: the object as a dict (a
    single dict display), the same as a struct of its own type (a collection's item: a struct is made and
    encoded for a fraction of a dict's cost), and the struct of an entity answer, ``@odata.context`` first.

    And a fourth, the struct read from a row by position (``at``: each column's), when the rows a selection
    reads are already the fields' values.

    Generated once per entity (and per ``$select``) from the declaration alone, as ``dataclasses`` does
    for ``__init__``: property names enter as string literals (``repr``), columns only as identifiers.
    """
    names: dict[str, Any] = {"_raw": msgspec.Raw, "_datetime": emit_datetime}
    members = [prop.name for prop in props]
    values = [_value(prop, i, names) for i, prop in enumerate(props)]
    by_position = [_value(prop, i, names, at) for i, prop in enumerate(props)] if at else values
    if with_odata_type:
        members.insert(0, "@odata.type")
        values.insert(0, repr(entity.odata_type))
        by_position = [repr(entity.odata_type), *by_position]
    names["_Object"] = _object_type(entity, members)
    names["_Entity"] = _object_type(entity, ["@odata.context", *members])
    listed = ", ".join(f"{member!r}: {value}" for member, value in zip(members, values, strict=True))
    arguments = ", ".join(values)
    source = (
        f"def render(r, u):\n    return {{{listed}}}\n"
        f"def render_object(r, u):\n    return _Object({arguments})\n"
        f"def render_at(r, u, c):\n    return _Entity(c, {arguments})\n"
        f"def render_row(r, u):\n    return _Object({', '.join(by_position)})\n"
    )
    exec(compile(source, f"<renderer of {entity.name}>", "exec"), names)
    return names["render"], names["render_object"], names["render_at"], names["render_row"]


class Renderer:
    """Stored records → Graph JSON objects: each property read from the record's attribute of its column."""

    def __init__(self, entity: EntityType, *, with_odata_type: bool, row_fields: Sequence[str] = ()) -> None:
        """``row_fields``: the fields of the rows ``render_rows`` reads, in order (a positional ``Selection``'s)."""
        self.entity = entity
        self.with_odata_type = with_odata_type
        self._at = {field: i for i, field in enumerate(row_fields)}
        self._all = _compile(entity, entity.properties, with_odata_type=with_odata_type, at=self._at)
        self._plans: dict[tuple[Property, ...], Plan] = {}
        # The last selection asked for: every record of a page asks with the same object.
        self._last: tuple[object, Plan] = ((), self._all)

    def _plan(self, select: Sequence[Property]) -> Plan:
        last_select, last_plan = self._last
        if select is last_select:
            return last_plan
        key = tuple(select)
        plan = self._plans.get(key)
        if plan is None:
            wanted = set(key)
            props = [p for p in self.entity.properties if p in wanted]
            plan = _compile(self.entity, props, with_odata_type=self.with_odata_type, at=self._at)
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[key] = plan
        self._last = (select, plan)
        return plan

    def render(
        self, record: Record, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> dict[str, Any]:
        """The JSON object of ``record``; ``select`` limits it to those properties (in declaration order)."""
        return (self._plan(select) if select else self._all)[0](record, include_unknown)

    def render_all(
        self, records: Iterable[Record], *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> list[msgspec.Struct]:
        """The JSON objects of a page of records (structs encoding as ``render``'s dicts), the plan chosen
        once for the page."""
        plan = (self._plan(select) if select else self._all)[1]
        return [plan(record, include_unknown) for record in records]

    def render_entity(
        self, record: Record, context: str, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> msgspec.Struct:
        """The body of an entity answer: ``{"@odata.context": context, ...}`` and the record's object (a
        struct encoding as that dict)."""
        return (self._plan(select) if select else self._all)[2](record, include_unknown, context)


class PolymorphicRenderer:
    """Records of a polymorphic set: each rendered as the type its ``odata_type`` field names."""

    def __init__(self, *entities: EntityType, row_fields: Sequence[str] = ()) -> None:
        """``row_fields``: as ``Renderer``'s, ``odata_type`` among them."""
        self._by_type = {
            entity.name: Renderer(entity, with_odata_type=True, row_fields=row_fields) for entity in entities
        }
        # Each type's whole-object functions, for pages without ``$select`` (most of them).
        self._unselected = {name: renderer._all[1] for name, renderer in self._by_type.items()}
        self._unselected_rows = {name: renderer._all[3] for name, renderer in self._by_type.items()}
        self._type_of_row = itemgetter(row_fields.index("odata_type")) if row_fields else None

    def render(
        self, record: Record, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> dict[str, Any]:
        renderer = self._by_type[_odata_type(record)]
        return renderer.render(record, select=select, include_unknown=include_unknown)

    def render_all(
        self, records: Iterable[Record], *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> list[msgspec.Struct]:
        """The JSON objects of a page of records, each type's plan chosen once for the page."""
        if not select:
            plans = self._unselected
        else:
            plans = {name: renderer._plan(select)[1] for name, renderer in self._by_type.items()}
        return [plans[_odata_type(record)](record, include_unknown) for record in records]

    def render_rows(
        self, rows: Iterable[Row], *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> list[msgspec.Struct]:
        """``render_all`` of the records these rows (of ``row_fields``) are, without making the records."""
        type_of = self._type_of_row
        assert type_of is not None, "rendering rows needs the rows' fields"
        if not select:
            plans = self._unselected_rows
        else:
            plans = {name: renderer._plan(select)[3] for name, renderer in self._by_type.items()}
        return [plans[type_of(row)](row, include_unknown) for row in rows]

    def render_entity(
        self, record: Record, context: str, *, select: Sequence[Property] = (), include_unknown: bool = False
    ) -> msgspec.Struct:
        renderer = self._by_type[_odata_type(record)]
        return (renderer._plan(select) if select else renderer._all)[2](record, include_unknown, context)


_odata_type = attrgetter("odata_type")


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
    if _UNRESERVED.fullmatch(value) is not None:
        return value  # what ``quote`` leaves as it is (a GUID, say): no quote and no copy
    return quote(value.replace("'", "''"), safe="")


# The characters ``quote(..., safe="")`` never encodes.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def entity_response(
    context: str,
    item: dict[str, Any],
    *,
    status: int = 200,
    headers: Sequence[tuple[str, str]] = (),
) -> Response:
    body = {"@odata.context": context, **item}
    return Response(status, _encode(body), JSON_CONTENT_TYPE, list(headers))


def entity_body_response(
    body: msgspec.Struct, *, status: int = 200, headers: Sequence[tuple[str, str]] = ()
) -> Response:
    """An entity answer whose body already starts with its ``@odata.context`` (``Renderer.render_entity``)."""
    return Response(status, _encode(body), JSON_CONTENT_TYPE, list(headers))


def collection_response(
    request: Request,
    context: str,
    items: Sequence[msgspec.Struct | dict[str, Any]],
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
