"""Our own AST of a ``$filter`` expression (what the storage layer turns into SQL), its limits and its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from learninggraph.domain.entity import Property
from learninggraph.domain.errors import BadRequest, ErrorDetail

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 50
MAX_IN_ITEMS = 100

Value: TypeAlias = str | int | bool | None
CompareOp: TypeAlias = Literal["eq", "ne", "gt", "ge", "lt", "le"]
MatchKind: TypeAlias = Literal["startswith", "endswith", "contains"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """``prop op value``; ``value`` is already in the property's stored form."""

    prop: Property
    op: CompareOp
    value: Value


@dataclass(frozen=True, slots=True)
class InList:
    prop: Property
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class StringMatch:
    """``startswith``/``endswith``/``contains`` on a string property; case-sensitive."""

    prop: Property
    kind: MatchKind
    text: str


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


Expr: TypeAlias = Comparison | InList | StringMatch | And | Or | Not


def invalid_filter(reason: str) -> BadRequest:
    message = f"Invalid filter clause: {reason}"
    return BadRequest(message, details=(ErrorDetail("badRequest", message, "$filter"),))
