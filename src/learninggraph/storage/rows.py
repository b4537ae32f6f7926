"""Typed records in and out of tables: the SELECT list a record type reads, and INSERT/UPDATE by property.

A record type derives from ``Record`` (a frozen, array-like ``msgspec.Struct`` with the primary key
``id``); its field names are column names, in the order a SELECT lists them: ``Selection`` derives that
list from the fields, so a column's name and its position in a row cannot drift apart. Rows are decoded once, in C, by ``msgspec.convert``; booleans
stored as 0/1 arrive as ``bool``. A record whose fields are all text, integers, floats or null (what both drivers
hand over as they are) is built from the row by position instead, without a conversion to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import starmap
from typing import Any, Generic, TypeVar

import msgspec

from learninggraph.storage.database import Connection, Row


class Record(msgspec.Struct, frozen=True, array_like=True):
    """A stored entity as read: one field per column, ``id`` first."""

    id: str


R = TypeVar("R", bound=Record)


class Selection(Generic[R]):
    """The columns one record type reads, and how rows of them become records.

    ``computed`` gives a field an SQL expression instead of a column of the table (read in the same
    statement, e.g. a correlated subquery); ``covers`` lists columns the record must carry (an entity
    declaration's), checked once here so a record that misses one fails at import, not at request time.
    """

    __slots__ = ("_many", "_positional", "columns", "fields", "record")

    def __init__(
        self, record: type[R], *, computed: Mapping[str, str] | None = None, covers: Iterable[str] = ()
    ) -> None:
        fields: tuple[str, ...] = record.__struct_fields__
        missing = [column for column in covers if column not in fields]
        unknown = [name for name in computed or {} if name not in fields]
        if missing or unknown:
            raise TypeError(f"{record.__name__}: no field for {missing}, no such field {unknown}")
        self.record = record
        self.fields = fields
        extra = computed or {}
        self.columns = ", ".join(f"({extra[f]}) AS {f}" if f in extra else f for f in fields)
        self._many: Any = list[record]  # type: ignore[valid-type]
        # Built by position (the struct's constructor, 5 to 6 times cheaper than ``convert``) when no field
        # needs a conversion: a row's values are then already of the fields' types.
        info = msgspec.inspect.type_info(record)
        assert isinstance(info, msgspec.inspect.StructType)
        self._positional = all(_as_read(field.type) for field in info.fields)

    @property
    def positional(self) -> bool:
        """Whether rows become records by position (no field needs a conversion or a check)."""
        return self._positional

    def one(self, row: Row | None) -> R | None:
        if row is None:
            return None
        if self._positional:
            return self.record(*row)
        return msgspec.convert(row, self.record, strict=False)

    def all(self, rows: list[Row]) -> list[R]:
        if self._positional:
            return list(starmap(self.record, rows))
        records: list[R] = msgspec.convert(rows, self._many, strict=False)
        return records


# What the drivers hand over as it is stored (a boolean is 0/1 on SQLite: it needs ``convert``).
_READ_AS_IS = (
    msgspec.inspect.StrType,
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.NoneType,
)


def _as_read(kind: msgspec.inspect.Type) -> bool:
    """Whether a field of this type takes a column's value as the driver reads it, with no constraint to check."""
    if isinstance(kind, msgspec.inspect.UnionType):
        return all(_as_read(member) for member in kind.types)
    if isinstance(kind, msgspec.inspect.StrType):
        return kind.min_length is None and kind.max_length is None and kind.pattern is None
    if isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return (kind.gt, kind.ge, kind.lt, kind.le, kind.multiple_of) == (None,) * 5
    return isinstance(kind, _READ_AS_IS)


def insert_row(
    conn: Connection,
    table: str,
    column_of: Mapping[str, str],
    *,
    fixed: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Inserts ``fixed`` (by column) and ``values`` (by property name) as one row."""
    # The statement's text kept per table and names, as for ``update_row``: every create runs this ("" marks
    # where the fixed columns end, so a name cannot move between the two unseen).
    key = (table, *fixed, "", *values)
    sql = _INSERTS.get(key)
    if sql is None:
        names = [*fixed, *[column_of[name] for name in values]]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['?'] * len(names))})"
        if len(_INSERTS) >= _STATEMENTS_KEPT:
            _INSERTS.clear()
        _INSERTS[key] = sql
    conn.execute(sql, (*fixed.values(), *values.values()))


def update_row(
    conn: Connection,
    table: str,
    column_of: Mapping[str, str],
    *,
    tenant_id: str,
    row_id: str,
    values: Mapping[str, Any],
) -> None:
    """Sets ``values`` (by property name) on one row of a tenant; nothing to set is no statement."""
    if not values:
        return
    # The statement's text kept per table and properties set: the same object each time, so neither the text
    # nor its hash (the driver's statement cache looks statements up by text) is made again per request.
    key = (table, *values)
    sql = _UPDATES.get(key)
    if sql is None:
        assignments = ", ".join([f"{column_of[name]} = ?" for name in values])
        sql = f"UPDATE {table} SET {assignments} WHERE tenant_id = ? AND id = ?"
        if len(_UPDATES) >= _STATEMENTS_KEPT:
            _UPDATES.clear()
        _UPDATES[key] = sql
    conn.execute(sql, (*values.values(), tenant_id, row_id))


# UPDATE statements by (table, *property names), INSERT statements by (table, *fixed columns, "", *property
# names); bounded (the names are the entities' own, in the order sent).
_UPDATES: dict[tuple[str, ...], str] = {}
_INSERTS: dict[tuple[str, ...], str] = {}
_STATEMENTS_KEPT = 256
