"""Pages of a collection: OData options → one parameterised SELECT of records, keyset paging if unordered."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from learninggraph.domain.errors import BadRequest
from learninggraph.odata.options import QueryOptions
from learninggraph.storage.database import Connection, Row
from learninggraph.storage.rows import Record, Selection

if TYPE_CHECKING:
    from learninggraph.odata.filter_ast import Expr

# Keyset paging and the tie-break of every order read the record's ``id``.
K = TypeVar("K", bound=Record)
T = TypeVar("T")


# Page and Listing are not frozen, though nothing changes them once built: a frozen dataclass's __init__ costs
# several times as much, and every list page builds one of each.
@dataclass(slots=True)
class Page(Generic[T]):
    """``records``: a page's records, or its rows as read (``fetch_rows``)."""

    records: list[T]
    next_token: str | None
    count: int | None


@dataclass(slots=True)
class Listing(Generic[K]):
    """What to select from where: ``scope`` is the fixed WHERE (tenant, parent) of the collection."""

    table: str
    selection: Selection[K]
    scope: str
    scope_params: Sequence[Any]


def _where(listing: Listing[Any], options: QueryOptions) -> tuple[list[str], list[Any]]:
    where = [listing.scope]
    params: list[Any] = list(listing.scope_params)
    if options.filter is not None:
        fragment, filter_params = _filter_sql(options.filter)
        where.append(fragment)
        params.extend(filter_params)
    return where, params


def _filter_sql(expr: Expr) -> tuple[str, tuple[object, ...]]:
    """``to_sql`` of a parsed ``$filter``, kept by the parsed object: parsed options are kept per query
    text (``http.pipeline.ParseOptions``), so a client repeating its filter brings the same object back."""
    kept = _filters.get(id(expr))
    if kept is not None and kept[0] is expr:
        return kept[1], kept[2]
    # With the filter's AST, imported by the first filter parsed: a test without $filter never loads either.
    from learninggraph.storage.sql_filter import to_sql

    fragment, params = to_sql(expr)
    if len(_filters) >= _FILTERS_KEPT:
        _filters.clear()
    _filters[id(expr)] = (expr, f"({fragment})", tuple(params))
    return f"({fragment})", tuple(params)


# Bounded; each entry holds its expression, so an id is never mistaken for a later object's.
_FILTERS_KEPT = 512
_filters: dict[int, tuple[Expr, str, tuple[object, ...]]] = {}


def count_rows(conn: Connection, listing: Listing[Any], options: QueryOptions) -> int:
    where, params = _where(listing, options)
    row = conn.fetch_one(f"SELECT COUNT(*) FROM {listing.table} WHERE {' AND '.join(where)}", params)
    return int(row[0]) if row else 0


def fetch_page(conn: Connection, listing: Listing[K], options: QueryOptions, *, page_size: int) -> Page[K]:
    rows, next_token, count = _fetch(conn, listing, options, page_size)
    return Page(listing.selection.all(rows), next_token, count)


def fetch_rows(
    conn: Connection, listing: Listing[Any], options: QueryOptions, *, page_size: int
) -> Page[Row]:
    """``fetch_page`` with the rows as read, no record made: for a selection whose rows are its records'
    fields already (``Selection.positional``), rendered by position."""
    assert listing.selection.positional
    return Page(*_fetch(conn, listing, options, page_size))


def _fetch(
    conn: Connection, listing: Listing[Any], options: QueryOptions, page_size: int
) -> tuple[list[Row], str | None, int | None]:
    where, params = _where(listing, options)
    count = count_rows(conn, listing, options) if options.count else None
    size = options.top if options.top is not None else page_size
    if size == 0:
        return [], None, count
    token = _decode_token(options.skiptoken) if options.skiptoken else None
    if options.orderby:
        if token is not None and "o" not in token:
            raise BadRequest(f"Invalid $skiptoken '{options.skiptoken}' for an ordered request.")
        offset = token["o"] if token is not None else options.skip
        from learninggraph.storage.sql_filter import order_by_sql  # see _filter_sql

        order = f"{order_by_sql(options.orderby)}, id"
    else:
        # Unordered: keyset paging on the primary key, so deep pages cost what the first one does.
        offset = options.skip if token is None else 0
        if token is not None:
            if "k" not in token:
                raise BadRequest(f"Invalid $skiptoken '{options.skiptoken}' for an unordered request.")
            where.append("id > ?")
            params.append(token["k"])
        order = "id"
    if offset:
        params.append(offset)
    rows = conn.fetch_all(_page_sql(listing, where, order, size + 1, bool(offset)), params)
    if len(rows) <= size:
        return rows, None, count
    del rows[size:]
    if options.orderby:
        return rows, _encode_token({"o": offset + size}), count
    # A record's ``id`` is its first field, so its row's first column.
    return rows, _encode_token({"k": rows[-1][0]}), count


def _page_sql(listing: Listing[Any], where: list[str], order: str, limit: int, offset: bool) -> str:
    """A page's SELECT, kept per table, columns, conditions, order and limit: the same text object each time,
    so neither the text nor its hash (the driver's statement cache looks statements up by text) is made again
    per request. The conditions are the listing's scope and the kept ``$filter`` fragments (their hashes
    kept by the strings themselves).

    The limit is in the text (a page size: at most ``$top``'s bound, so few texts) and an OFFSET only when
    there is one (a parameter). PostgreSQL plans a prepared statement once for all its parameters (a generic
    plan) only when that plan's estimate is near the plans made for each execution's values; a LIMIT or an
    OFFSET left as a parameter is estimated without its value, which put that plan above them, so a page's
    statement was planned anew at every execution: more of its backend's CPU than running it."""
    key = (listing.table, listing.selection.columns, order, limit, offset, *where)
    sql = _PAGES.get(key)
    if sql is None:
        sql = (
            f"SELECT {listing.selection.columns} FROM {listing.table} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {int(limit)}{' OFFSET ?' if offset else ''}"
        )
        if len(_PAGES) >= _FILTERS_KEPT:
            _PAGES.clear()
        _PAGES[key] = sql
    return sql


# Bounded like the filters' fragments, which the keys hold.
_PAGES: dict[tuple[object, ...], str] = {}


def _encode_token(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, RecursionError, msgspec.DecodeError):
        raise BadRequest(f"Invalid $skiptoken '{token[:100]}'.") from None
    if isinstance(value, dict):
        if isinstance(value.get("k"), str) and len(value) == 1:
            return value
        offset = value.get("o")
        if (
            isinstance(offset, int)
            and not isinstance(offset, bool)
            and 0 <= offset < 2**31
            and len(value) == 1
        ):
            return value
    raise BadRequest(f"Invalid $skiptoken '{token[:100]}'.")
