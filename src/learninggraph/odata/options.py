"""OData system query options of a request: which are allowed, and their validated values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from learninggraph.domain.entity import EntityType, Property
from learninggraph.domain.errors import BadRequest, ErrorDetail
from learninggraph.odata.filter import FilterCache, parse_filter

if TYPE_CHECKING:
    from learninggraph.odata.filter_ast import Expr

ALL_COLLECTION_OPTIONS = frozenset(
    {"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$format"}
)
# What a route may declare: a collection takes them all, one entity its selection, a $count its filter;
# ``$format=json`` is accepted wherever a JSON body is answered.
COLLECTION_OPTIONS = ALL_COLLECTION_OPTIONS
ITEM_OPTIONS = frozenset({"$select", "$format"})
COUNT_OPTIONS = frozenset({"$filter"})
UNSUPPORTED_OPTIONS = frozenset({"$expand", "$search"})
KNOWN_OPTIONS = ALL_COLLECTION_OPTIONS | UNSUPPORTED_OPTIONS

MAX_SKIP = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,18}")
_JSON_FORMATS = frozenset({"json", "application/json"})


@dataclass(frozen=True, slots=True)
class OrderBy:
    prop: Property
    descending: bool


@dataclass(frozen=True, slots=True)
class QueryOptions:
    filter: Expr | None = None
    select: tuple[Property, ...] = ()
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str | None = None


def _bad(option: str, message: str) -> BadRequest:
    return BadRequest(message, details=(ErrorDetail("badRequest", message, option),))


def _shown(value: str) -> str:
    return value if len(value) <= 100 else value[:100] + "…"


def _canonical_name(name: str) -> str:
    return name.lower() if name.startswith("$") else "$" + name.lower()


def parse_query_options(
    raw: Mapping[str, str],
    entity: EntityType,
    *,
    max_top: int,
    allowed: frozenset[str] = ALL_COLLECTION_OPTIONS,
    filters: FilterCache | None = None,
) -> QueryOptions:
    """Validate the query options of a request; every problem with them raises ``BadRequest``.

    Names match with or without ``$`` and in any letter case; names without ``$`` that are not
    options are left alone, since they may be other parameters.
    """
    given: dict[str, str] = {}
    for name, value in raw.items():
        option = _canonical_name(name)
        if option not in KNOWN_OPTIONS:
            if name.startswith("$"):
                raise _bad(name, f"The query option '{_shown(name)}' is not a known OData query option.")
            continue
        if option in given:
            raise _bad(option, f"The query option '{option}' is specified more than once.")
        given[option] = value
    for option in given:
        if option in UNSUPPORTED_OPTIONS:
            raise _bad(option, f"The query option '{option}' is not supported on this resource.")
        if option not in allowed:
            raise _bad(option, f"The query option '{option}' is not allowed for this request.")

    if "$format" in given:
        _check_format(given["$format"])
    return QueryOptions(
        filter=_filter(given["$filter"], entity, filters) if "$filter" in given else None,
        select=_parse_select(given["$select"], entity) if "$select" in given else (),
        orderby=_parse_orderby(given["$orderby"], entity) if "$orderby" in given else (),
        top=_parse_top(given["$top"], max_top) if "$top" in given else None,
        skip=_parse_skip(given["$skip"]) if "$skip" in given else 0,
        count=_parse_count(given["$count"]) if "$count" in given else False,
        skiptoken=_parse_skiptoken(given["$skiptoken"]) if "$skiptoken" in given else None,
    )


def _filter(text: str, entity: EntityType, filters: FilterCache | None) -> Expr:
    return parse_filter(text, entity) if filters is None else filters.parse(text, entity)


def _check_format(value: str) -> None:
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type not in _JSON_FORMATS:
        raise _bad(
            "$format",
            f"Invalid $format value '{_shown(value)}'; the only supported format is 'json'.",
        )


def _parse_top(value: str, max_top: int) -> int:
    text = value.strip()
    if _DIGITS.fullmatch(text) is None or int(text) > max_top:
        raise _bad(
            "$top",
            f"Invalid $top value '{_shown(value)}'; it must be an integer between 0 and {max_top}.",
        )
    return int(text)


def _parse_skip(value: str) -> int:
    text = value.strip()
    if _DIGITS.fullmatch(text) is None or int(text) > MAX_SKIP:
        raise _bad(
            "$skip",
            f"Invalid $skip value '{_shown(value)}'; it must be an integer between 0 and {MAX_SKIP}.",
        )
    return int(text)


def _parse_count(value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise _bad("$count", f"Invalid $count value '{_shown(value)}'; it must be 'true' or 'false'.")
    return text == "true"


def _parse_skiptoken(value: str) -> str:
    if not value.strip():
        raise _bad("$skiptoken", "Invalid $skiptoken value ''; it must not be empty.")
    return value


def _split_list(option: str, value: str) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise _bad(
            option,
            f"Invalid {option} value '{_shown(value)}'; it must be a comma-separated list of "
            "property names, with no empty entries.",
        )
    return items


def _not_found(option: str, name: str, entity: EntityType) -> BadRequest:
    return _bad(
        option,
        f"Could not find a property named '{_shown(name)}' on type 'microsoft.graph.{entity.name}'.",
    )


def _parse_select(value: str, entity: EntityType) -> tuple[Property, ...]:
    selected: list[Property] = []
    names = _split_list("$select", value)
    for name in names:
        if name == "*":
            continue
        prop = entity.property_named(name)
        if prop is None:
            raise _not_found("$select", name, entity)
        if prop not in selected:
            selected.append(prop)
    if "*" in names:
        return ()
    return tuple(selected)


def _parse_orderby(value: str, entity: EntityType) -> tuple[OrderBy, ...]:
    orderby: list[OrderBy] = []
    for item in _split_list("$orderby", value):
        parts = item.split()
        direction = parts[1].lower() if len(parts) == 2 else "asc"
        if len(parts) > 2 or direction not in ("asc", "desc"):
            raise _bad(
                "$orderby",
                f"Invalid $orderby value '{_shown(value)}'; each entry must be a property name "
                f"optionally followed by 'asc' or 'desc', not '{_shown(item)}'.",
            )
        prop = entity.property_named(parts[0])
        if prop is None:
            raise _not_found("$orderby", parts[0], entity)
        if not prop.is_sortable:
            raise _bad(
                "$orderby",
                f"Invalid $orderby value '{_shown(value)}'; the property '{prop.name}' cannot be sorted on.",
            )
        if any(existing.prop == prop for existing in orderby):
            raise _bad(
                "$orderby",
                f"Invalid $orderby value '{_shown(value)}'; "
                f"the property '{prop.name}' appears more than once.",
            )
        orderby.append(OrderBy(prop, descending=direction == "desc"))
    return tuple(orderby)
