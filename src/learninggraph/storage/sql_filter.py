"""Rendering of a validated ``$filter`` and ``$orderby`` as SQL that SQLite and PostgreSQL agree on.

Every fragment ``to_sql`` renders is two-valued: it is TRUE or FALSE, never NULL, even on rows whose
column is NULL. That is what makes ``NOT`` follow OData (``not (name eq 'x')`` holds for a null name)
rather than SQL's three-valued logic. Values always travel as ``?`` parameters; the only names written
into the SQL are the column names and enum members of our own declarations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from learninggraph.domain.entity import Kind, Property
from learninggraph.odata.filter import And, Comparison, Expr, InList, Not, Or, StringMatch, Value
from learninggraph.odata.options import OrderBy

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SQL_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_FALSE = "1 = 0"


def to_sql(expr: Expr) -> tuple[str, list[object]]:
    """A parameterised WHERE fragment (``?`` placeholders) and its parameters, in order."""
    params: list[object] = []
    return _render(expr, params), params


def order_by_sql(orderby: Sequence[OrderBy]) -> str:
    """An ORDER BY list (without the keywords); NULLs sort first ascending, last descending.

    Enums sort in the order of their members, as OData orders enums by their underlying values.
    """
    terms: list[str] = []
    for item in orderby:
        column = _column(item.prop)
        direction = "DESC" if item.descending else "ASC"
        if item.prop.nullable:
            terms.append(f"CASE WHEN {column} IS NULL THEN 0 ELSE 1 END {direction}")
        terms.append(f"{_sort_key(item.prop, column)} {direction}")
    return ", ".join(terms)


def _sort_key(prop: Property, column: str) -> str:
    if prop.kind is not Kind.ENUM or prop.enum is None:
        return column
    whens = " ".join(
        f"WHEN '{_member(member)}' THEN {index}" for index, member in enumerate(prop.enum.members)
    )
    return f"CASE {column} {whens} ELSE {len(prop.enum.members)} END"


def _column(prop: Property) -> str:
    if _IDENTIFIER.fullmatch(prop.column) is None:
        raise ValueError(f"property {prop.name!r} declares an unsafe column name {prop.column!r}")
    return prop.column


def _member(member: str) -> str:
    if _IDENTIFIER.fullmatch(member) is None:
        raise ValueError(f"enum member {member!r} cannot be written into SQL")
    return member


def _param(value: Value) -> object:
    return int(value) if isinstance(value, bool) else value


def _render(expr: Expr, params: list[object]) -> str:
    if isinstance(expr, And | Or):
        joiner = " AND " if isinstance(expr, And) else " OR "
        return "(" + joiner.join(_render(operand, params) for operand in expr.operands) + ")"
    if isinstance(expr, Not):
        return f"(NOT {_render(expr.operand, params)})"
    if isinstance(expr, Comparison):
        return _comparison(expr, params)
    if isinstance(expr, InList):
        return _in_list(_column(expr.prop), expr.values, params)
    return _string_match(expr, params)


def _comparison(expr: Comparison, params: list[object]) -> str:
    column = _column(expr.prop)
    if expr.value is None:
        return f"{column} IS NULL" if expr.op == "eq" else f"{column} IS NOT NULL"
    if expr.prop.kind is Kind.ENUM and expr.op not in ("eq", "ne"):
        return _in_list(column, _enum_range(expr), params)
    params.append(_param(expr.value))
    if expr.op == "ne":
        return f"({column} IS NULL OR {column} <> ?)"
    return f"({column} IS NOT NULL AND {column} {_SQL_OPS[expr.op]} ?)"


def _enum_range(expr: Comparison) -> tuple[Value, ...]:
    """The members an ordering comparison on an enum selects, by member order, not by spelling."""
    assert expr.prop.enum is not None and isinstance(expr.value, str)
    members = expr.prop.enum.members
    pivot = members.index(expr.value)
    chosen = {
        "gt": members[pivot + 1 :],
        "ge": members[pivot:],
        "lt": members[:pivot],
        "le": members[: pivot + 1],
    }[expr.op]
    return tuple(chosen)


def _in_list(column: str, values: Sequence[Value], params: list[object]) -> str:
    present = [value for value in values if value is not None]
    if not present:
        return f"{column} IS NULL" if None in values else _FALSE
    params.extend(_param(value) for value in present)
    placeholders = ", ".join("?" for _ in present)
    if None in values:
        return f"({column} IS NULL OR {column} IN ({placeholders}))"
    return f"({column} IS NOT NULL AND {column} IN ({placeholders}))"


def _string_match(expr: StringMatch, params: list[object]) -> str:
    # substr/length/replace compare exactly (case-sensitive) on both databases, unlike LIKE, which
    # SQLite folds for ASCII; they also need no escaping of % and _.
    column = _column(expr.prop)
    if expr.kind == "startswith":
        params.extend((len(expr.text), expr.text))
        return f"({column} IS NOT NULL AND substr({column}, 1, CAST(? AS INTEGER)) = ?)"
    if expr.kind == "endswith":
        params.extend((len(expr.text), expr.text))
        return f"({column} IS NOT NULL AND substr({column}, length({column}) - CAST(? AS INTEGER) + 1) = ?)"
    if not expr.text:
        return f"{column} IS NOT NULL"
    params.append(expr.text)
    return f"({column} IS NOT NULL AND length(replace({column}, ?, '')) < length({column}))"
