"""The ``$filter`` language: our own AST of an expression, checked against a type, and its cache.

The parsing itself (odata-query's grammar, whose tables take a noticeable part of a second to build) lives in
``filter_tree`` and is imported on the first expression parsed, not with the server; so is the AST
(``filter_ast``, whose names this module gives too), which only a parsed expression needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from learninggraph.domain.entity import EntityType

if TYPE_CHECKING:
    from learninggraph.odata.filter_ast import (
        MAX_DEPTH,
        MAX_FILTER_LENGTH,
        MAX_IN_ITEMS,
        And,
        CompareOp,
        Comparison,
        Expr,
        InList,
        MatchKind,
        Not,
        Or,
        StringMatch,
        Value,
        invalid_filter,
    )

__all__ = [
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_IN_ITEMS",
    "And",
    "CompareOp",
    "Comparison",
    "Expr",
    "FilterCache",
    "InList",
    "MatchKind",
    "Not",
    "Or",
    "StringMatch",
    "Value",
    "invalid_filter",
    "parse_filter",
]
_OF_THE_AST = frozenset(__all__) - {"FilterCache", "parse_filter"}


def __getattr__(name: str) -> Any:
    if name in _OF_THE_AST:
        from learninggraph.odata import filter_ast

        return getattr(filter_ast, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class FilterCache:
    """Expressions already parsed, by entity and text: sync clients send the same few filters again and
    again, and parsing one costs far more than the query it becomes. Bounded; the ASTs are immutable."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._parsed: dict[tuple[int, str], tuple[EntityType, Expr]] = {}

    def __len__(self) -> int:
        return len(self._parsed)

    def parse(self, text: str, entity: EntityType) -> Expr:
        key = (id(entity), text)
        hit = self._parsed.get(key)
        if hit is not None and hit[0] is entity:
            return hit[1]
        expr = parse_filter(text, entity)
        if len(self._parsed) >= self._size:
            self._parsed.clear()
        self._parsed[key] = (entity, expr)
        return expr


def parse_filter(text: str, entity: EntityType) -> Expr:
    """Parse and validate a ``$filter`` expression; any problem with it raises ``BadRequest``."""
    from learninggraph.odata.filter_ast import MAX_DEPTH, MAX_FILTER_LENGTH, invalid_filter

    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"the expression is longer than {MAX_FILTER_LENGTH} characters.")
    stripped = text.strip()
    if not stripped:
        raise invalid_filter("the expression is empty.")
    if _parenthesis_depth(stripped) > MAX_DEPTH:
        raise invalid_filter(f"the expression is nested more than {MAX_DEPTH} levels deep.")
    from learninggraph.odata.filter_tree import convert, parse_tree

    tree = parse_tree(stripped, offset=len(text) - len(text.lstrip()))
    try:
        return convert(tree, entity)
    except RecursionError:
        raise invalid_filter("the expression is nested too deeply.") from None


def _parenthesis_depth(text: str) -> int:
    """The deepest parenthesis nesting outside string literals (the parser is slow on deep ones)."""
    depth = deepest = 0
    in_string = False
    for char in text:
        if char == "'":
            in_string = not in_string  # a doubled quote flips twice, staying inside
        elif not in_string and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not in_string and char == ")":
            depth -= 1
    return deepest
