"""odata-query's parse tree of a ``$filter`` expression, and its conversion into our own AST (``filter``).

Imported on the first expression parsed: building the grammar's tables costs a noticeable part of a second.
"""

from __future__ import annotations

import copy
from typing import Protocol

from odata_query import ast as oq
from odata_query.exceptions import ODataException, ParsingException, TokenizingException
from odata_query.grammar import ODataLexer, ODataParser

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import InvalidValue, parse_datetime
from learninggraph.odata.filter_ast import (
    MAX_DEPTH,
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

_OPS: dict[type[oq._Comparator], CompareOp] = {
    oq.Eq: "eq",
    oq.NotEq: "ne",
    oq.Gt: "gt",
    oq.GtE: "ge",
    oq.Lt: "lt",
    oq.LtE: "le",
}
_FLIPPED: dict[CompareOp, CompareOp] = {
    "gt": "lt",
    "ge": "le",
    "lt": "gt",
    "le": "ge",
    "eq": "eq",
    "ne": "ne",
}
_MATCH_KINDS: tuple[MatchKind, ...] = ("startswith", "endswith", "contains")
_LITERALS = (
    oq.Null,
    oq.Integer,
    oq.Float,
    oq.Boolean,
    oq.String,
    oq.Date,
    oq.Time,
    oq.DateTime,
    oq.Duration,
    oq.GUID,
    oq.Geography,
)
_LITERAL_TOKENS = frozenset(
    {"NULL", "STRING", "GUID", "DATETIME", "DATE", "TIME", "DURATION", "DECIMAL", "INTEGER", "BOOLEAN"}
)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


class _Token(Protocol):  # the part of sly's Token that we read and write
    type: str
    value: object
    index: int


def convert(tree: oq._Node, entity: EntityType) -> Expr:
    """The tree as our AST, each property checked against ``entity``."""
    return _Converter(entity).condition(tree, depth=1)


def parse_tree(text: str, *, offset: int) -> oq._Node:
    # Lexer and parser keep per-parse state on the instance; both are cheap to build (the grammar
    # tables live on the class), so each call gets its own and concurrent requests never share one.
    try:
        tree: oq._Node | None = ODataParser().parse(iter(_tokens(text)))
    except (TokenizingException, ParsingException) as exc:
        token: _Token | None = exc.token
        if token is None or getattr(token, "index", None) is None:
            end = offset + len(text)
            raise invalid_filter(f"syntax error at position {end}: unexpected end of input.") from None
        near = text[token.index : token.index + 20]
        raise invalid_filter(f"syntax error at position {offset + token.index} near '{near}'.") from None
    except ODataException as exc:
        raise invalid_filter(str(exc).rstrip(".") + ".") from None
    except RecursionError:
        raise invalid_filter("the expression is nested too deeply.") from None
    except Exception:  # odata-query has rules that crash on some inputs (named parameters, paths)
        raise invalid_filter("the expression could not be parsed.") from None
    if tree is None:
        raise invalid_filter("the expression is empty.")
    return tree


def _tokens(text: str) -> list[_Token]:
    """The lexer's tokens, with a comma added to each ``in ('a')``: odata-query only parses ``('a',)``."""
    tokens: list[_Token] = []
    recent: list[str] = []  # the types of the last few tokens that are not whitespace
    for token in ODataLexer().tokenize(text):
        if token.type == ")" and recent[-3:-1] == ["IN", "("] and recent[-1] in _LITERAL_TOKENS:
            comma = copy.copy(token)  # same position as the ")", so errors still point into `text`
            comma.type = comma.value = ","
            tokens.append(comma)
        tokens.append(token)
        if token.type != "WS":
            recent = [*recent[-2:], token.type]
    return tokens


def _flatten(node: oq.BoolOp) -> list[oq._Node]:
    """``a and b and c`` → ``[a, b, c]``, iteratively, so long chains never count as nesting."""
    kind = type(node.op)
    operands: list[oq._Node] = []
    stack: list[oq._Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, oq.BoolOp) and type(current.op) is kind:
            stack.append(current.right)
            stack.append(current.left)
        else:
            operands.append(current)
    return operands


def _full_name(identifier: oq.Identifier) -> str:
    return ".".join((*identifier.namespace, identifier.name))


def _describe(node: oq._Node) -> str:
    if isinstance(node, oq.Null):
        return "null"
    if isinstance(node, oq.String):
        shown = node.val if len(node.val) <= 60 else node.val[:60] + "…"
        return f"the string '{shown}'"
    if isinstance(node, oq.Integer | oq.Float):
        return f"the number {node.val[:40]}"
    if isinstance(node, oq.Boolean):
        return str(node.val).lower()
    if isinstance(node, oq.DateTime | oq.Date | oq.Time | oq.Duration | oq.GUID | oq.Geography):
        return f"the {type(node).__name__.lower()} {node.val[:60]}"
    if isinstance(node, oq.Identifier):
        return f"'{_full_name(node)}'"
    if isinstance(node, oq.Attribute):
        return "a property path"
    if isinstance(node, oq.Call):
        return f"a call to {_full_name(node.func)}()"
    if isinstance(node, oq.List):
        return "a list"
    if isinstance(node, oq.BinOp | oq.UnaryOp):
        return "an arithmetic expression"
    if isinstance(node, oq.CollectionLambda):
        return "a lambda (any/all) expression"
    return "this expression"


class _Converter:
    def __init__(self, entity: EntityType) -> None:
        self._entity = entity

    def condition(self, node: oq._Node, *, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise invalid_filter(f"the expression is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(node, oq.BoolOp):
            operands = tuple(self.condition(child, depth=depth + 1) for child in _flatten(node))
            return And(operands) if isinstance(node.op, oq.And) else Or(operands)
        if isinstance(node, oq.UnaryOp) and isinstance(node.op, oq.Not):
            return Not(self.condition(node.operand, depth=depth + 1))
        if isinstance(node, oq.Compare):
            return self.comparison(node)
        if isinstance(node, oq.Call):
            return self.string_match(node)
        if isinstance(node, oq.Identifier):
            prop = self.prop(node)
            if prop.kind is Kind.BOOLEAN:
                return Comparison(prop, "eq", True)
            raise invalid_filter(f"the property '{prop.name}' is not Boolean, so it is not a condition.")
        raise invalid_filter(f"{_describe(node)} is not a supported condition.")

    def comparison(self, node: oq.Compare) -> Expr:
        if isinstance(node.comparator, oq.In):
            return self.in_list(node.left, node.right)
        op = _OPS[type(node.comparator)]
        left, right = node.left, node.right
        if isinstance(left, _LITERALS) and not isinstance(right, _LITERALS):
            left, right, op = right, left, _FLIPPED[op]
        if isinstance(left, oq.Call) and isinstance(right, oq.Boolean) and op in ("eq", "ne"):
            match = self.string_match(left)
            return match if right.py_val == (op == "eq") else Not(match)
        prop = self.prop(left)
        if not isinstance(right, _LITERALS):
            raise invalid_filter(
                f"'{prop.name}' can only be compared with a literal value, not {_describe(right)}."
            )
        if prop.kind is Kind.BOOLEAN and op not in ("eq", "ne"):
            raise invalid_filter(f"the Boolean property '{prop.name}' can only be compared with eq or ne.")
        if isinstance(right, oq.Null) and op not in ("eq", "ne"):
            raise invalid_filter(f"null can only be compared with eq or ne, not with {op}.")
        return Comparison(prop, op, self.value(prop, right))

    def in_list(self, left: oq._Node, right: oq._Node) -> Expr:
        prop = self.prop(left)
        if not isinstance(right, oq.List):
            raise invalid_filter(f"the right side of 'in' must be a list, not {_describe(right)}.")
        if len(right.val) > MAX_IN_ITEMS:
            raise invalid_filter(f"an 'in' list may hold at most {MAX_IN_ITEMS} values.")
        values: list[Value] = []
        for item in right.val:
            if not isinstance(item, _LITERALS) or isinstance(item, oq.Null):
                raise invalid_filter(f"the 'in' list for '{prop.name}' may not contain {_describe(item)}.")
            value = self.value(prop, item)
            if value not in values:
                values.append(value)
        return InList(prop, tuple(values))

    def string_match(self, node: oq.Call) -> Expr:
        name = _full_name(node.func)
        if name not in _MATCH_KINDS:
            raise invalid_filter(f"the function '{name}' is not supported.")
        kind = _MATCH_KINDS[_MATCH_KINDS.index(name)]
        if len(node.args) != 2:
            raise invalid_filter(f"{name} takes exactly two arguments.")
        target, pattern = node.args
        prop = self.prop(target)
        if prop.kind is not Kind.STRING:
            raise invalid_filter(f"{name} needs a string property, and '{prop.name}' is {prop.edm_type}.")
        if not isinstance(pattern, oq.String):
            raise invalid_filter(f"the second argument of {name} must be a string, not {_describe(pattern)}.")
        return StringMatch(prop, kind, _text(pattern))

    def prop(self, node: oq._Node) -> Property:
        if isinstance(node, oq.Identifier):
            prop = self._entity.property_named(_full_name(node))
            if prop is None:
                raise invalid_filter(
                    f"Could not find a property named '{_full_name(node)}' "
                    f"on type 'microsoft.graph.{self._entity.name}'."
                )
            if not prop.is_filterable:
                raise invalid_filter(f"the property '{prop.name}' cannot be used in a filter.")
            return prop
        if isinstance(node, oq.Call) and _full_name(node.func) not in _MATCH_KINDS:
            raise invalid_filter(f"the function '{_full_name(node.func)}' is not supported.")
        raise invalid_filter(f"expected a property name but found {_describe(node)}.")

    def value(self, prop: Property, node: oq._Node) -> Value:
        if isinstance(node, oq.Null):
            return None
        kind = prop.kind
        if kind is Kind.STRING and isinstance(node, oq.String):
            return _text(node)
        if kind is Kind.BOOLEAN and isinstance(node, oq.Boolean):
            return bool(node.py_val)
        if kind is Kind.INT32 and isinstance(node, oq.Integer):
            number = int(node.val) if len(node.val) <= 12 else _INT32_MAX + 1
            if not _INT32_MIN <= number <= _INT32_MAX:
                raise invalid_filter(f"{_describe(node)} is outside the Int32 range of '{prop.name}'.")
            return number
        if kind is Kind.ENUM and isinstance(node, oq.String):
            assert prop.enum is not None
            try:
                return prop.enum.lookup(node.val)
            except InvalidValue:
                raise invalid_filter(
                    f"'{node.val[:60]}' is not a member of the enum 'microsoft.graph.{prop.enum.name}' "
                    f"(valid members: {', '.join(prop.enum.members)})."
                ) from None
        if kind is Kind.DATETIME and isinstance(node, oq.DateTime | oq.String | oq.Date):
            text = f"{node.val}T00:00:00Z" if isinstance(node, oq.Date) else node.val
            try:
                return parse_datetime(text)
            except InvalidValue:
                raise invalid_filter(
                    f"{_describe(node)} is not a valid date-time for '{prop.name}'."
                ) from None
        raise invalid_filter(
            f"{_describe(node)} cannot be compared with '{prop.name}', which is {prop.edm_type}."
        )


def _text(node: oq.String) -> str:
    """A string literal compared with a string property: a NUL character is not text (no backend stores one,
    and PostgreSQL cannot be asked about one), so a literal holding one is refused, as a body's value is."""
    text = str(node.val)
    if "\x00" in text:
        raise invalid_filter("a string holds a NUL character, which is not text.")
    return text
