"""Code that runs on every request reads no enum member through its class.

On Python 3.11 ``Kind.STRING`` goes through the enum metaclass's attribute hook, which costs several times the
comparison it feeds; these functions run once per request (or per field of a write), so they compare with
module constants instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest

from learninggraph.domain import entity, fields, principal
from learninggraph.resources.learning_course_activities import routes, rules

ENUM_CLASSES = {
    name
    for module in (entity, principal, routes)
    for name, value in vars(module).items()
    if isinstance(value, type) and issubclass(value, Enum) and value is not Enum
}

PER_REQUEST: list[Callable[..., Any]] = [
    fields.decode_value,
    rules.is_sentinel,
    routes._scope,
    principal.Principal.is_application.fget,  # type: ignore[attr-defined]
]


def _enum_member_reads(function: Callable[..., Any]) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ENUM_CLASSES
    ]


@pytest.mark.backend_independent
def test_the_enum_classes_are_found() -> None:
    assert {"Kind", "CallerKind", "View"} <= ENUM_CLASSES


@pytest.mark.backend_independent
@pytest.mark.parametrize("function", PER_REQUEST, ids=lambda f: f.__qualname__)
def test_a_per_request_function_reads_no_enum_member_through_its_class(function: Callable[..., Any]) -> None:
    assert _enum_member_reads(function) == []
