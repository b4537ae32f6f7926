"""Route declarations and the tables that match parsed path segments to them.

An ``Operation`` declares one route: its stable name, method, path pattern, handler, the permissions it accepts,
whether it needs a signed-in user, and the OData query options it takes. The edge enforces the declaration the
same way for every route (``http.access``, ``http.pipeline``); the handler only does the operation's work.

A pattern is a tuple of parts: a literal segment name (matched without regard to case), a ``Param`` capturing
a plain segment, or a ``Key`` matching ``name(keyName='value')``. A path that matches a pattern but not its
method is a 405; a path that matches nothing is a 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from learninggraph.domain.errors import METHOD_NOT_ALLOWED, Explanation, MethodNotAllowed, NotFound
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.http.context import Handler, Key, Operation, Param, Params, Part
from learninggraph.http.messages import Segment, declare_names


@dataclass(frozen=True, slots=True)
class Route:
    """The operations of one path pattern, by method (as the OpenAPI document describes them)."""

    pattern: tuple[Part, ...]
    methods: Mapping[str, Operation]


class Match(NamedTuple):
    """What a path resolved to: the operation, its path parameters and its route template (a tuple: one per
    request, so as cheap to build as one)."""

    operation: Operation
    params: Params
    template: str


_new_tuple = tuple.__new__


def _match(route: _Compiled, segments: Sequence[Segment]) -> Params | None:
    """The route's parameters from the path, or None; literal names were already compared."""
    if route.keys:
        return _match_keys(route, segments)
    # No key part: every segment must be plain; a parameter takes any name but an empty or ``$`` one.
    params: Params = {}
    for segment in segments:
        if segment.key_name is not None:
            return None
    for position, name in route.params:
        value = segments[position].name
        if not value or value[0] == "$":
            return None
        params[name] = value
    return params


def _match_keys(route: _Compiled, segments: Sequence[Segment]) -> Params | None:
    params: Params = {}
    for part, segment in zip(route.pattern, segments, strict=True):
        if isinstance(part, str):
            if segment.key_name is not None:
                return None
        elif isinstance(part, Param):
            if segment.key_name is not None or not segment.name or segment.name.startswith("$"):
                return None
            params[part.name] = segment.name
        else:
            if segment.key_name is None or segment.name.lower() != part.segment.lower():
                return None
            if segment.key_name.lower() not in part.key_names:
                return None
            assert segment.key_value is not None
            params[part.param] = segment.key_value
    return params


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A route with its literal segments lowered once: (position, name) pairs, checked first."""

    pattern: tuple[Part, ...]
    methods: Mapping[str, Operation]
    literals: tuple[tuple[int, str], ...]
    template: str
    # (position, name) of each ``Param``; whether any part is a ``Key`` (then matched part by part).
    params: tuple[tuple[int, str], ...]
    keys: bool


class Router:
    """Operations indexed by path length and first two segments, so a request meets one or two candidates.

    With ``require_permissions`` (the Graph router), an operation that declares none is refused when the
    table is built, so no route can be served without its permission check.
    """

    def __init__(self, operations: Sequence[Operation], *, require_permissions: bool = False) -> None:
        self.operations = tuple(operations)
        self.routes = group(self.operations)
        names = [operation.name for operation in self.operations]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"Operation names must be unique: {', '.join(repeated)}.")
        if require_permissions:
            undeclared = [operation.name for operation in self.operations if operation.permissions is None]
            if undeclared:
                raise ValueError(f"Operations without declared permissions: {', '.join(undeclared)}.")
        # The names the routes declare, and the API versions before them, as shared plain segments.
        declare_names([*GRAPH_VERSIONS, *(p for r in self.routes for p in r.pattern if isinstance(p, str))])
        self._index: dict[tuple[int, str | None, str | None], list[_Compiled]] = {}
        for route in self.routes:
            literals = tuple(
                (i, part.lower()) for i, part in enumerate(route.pattern) if isinstance(part, str)
            )
            key = (len(route.pattern), _literal(route.pattern, 0), _literal(route.pattern, 1))
            params = tuple((i, part.name) for i, part in enumerate(route.pattern) if isinstance(part, Param))
            keys = any(isinstance(part, Key) for part in route.pattern)
            compiled = _Compiled(
                route.pattern, route.methods, literals, template(route.pattern), params, keys
            )
            self._index.setdefault(key, []).append(compiled)
        # The literal names the index knows in first and second place: any other name looks up as None.
        self._firsts = frozenset(key[1] for key in self._index if key[1] is not None)
        self._seconds = frozenset(key[2] for key in self._index if key[2] is not None)
        self._longest = max((len(route.pattern) for route in self.routes), default=0)
        # The candidates of each (length, first, second) as looked up, in the order they are tried.
        self._candidates: dict[tuple[int, str | None, str | None], tuple[_Compiled, ...]] = {}

    def _candidates_of(self, length: int, first: str | None, second: str | None) -> tuple[_Compiled, ...]:
        """The routes to try for a path, in order: those naming its first and second segments, its first,
        its second, then neither. Kept by the names as looked up (the routes' own, else None) and lengths up to
        the longest route's: a bounded table."""
        if length > self._longest:
            return ()
        key = (length, first, second)
        known = self._candidates.get(key)
        if known is not None:
            return known
        index = self._index
        looked_up = dict.fromkeys([key, (length, first, None), (length, None, second), (length, None, None)])
        candidates = tuple(route for where in looked_up for route in index.get(where, ()))
        self._candidates[key] = candidates
        return candidates

    def resolve(self, method: str, segments: Sequence[Segment]) -> Match:
        """The operation for ``method`` on the path; 405 when the path is served for other methods, else 404."""
        lowered = [segment.name.lower() for segment in segments]
        length = len(lowered)
        first = lowered[0] if length > 0 else None
        second = lowered[1] if length > 1 else None
        key = (length, first if first in self._firsts else None, second if second in self._seconds else None)
        candidates = self._candidates.get(key)  # ``_candidates_of``'s lookup inline: nearly always there
        if candidates is None:
            candidates = self._candidates_of(*key)
        allowed_elsewhere = False
        for route in candidates:
            for position, name in route.literals:
                if lowered[position] != name:
                    break
            else:
                params = _match(route, segments)
                if params is None:
                    continue
                operation = route.methods.get(method)
                if operation is not None:
                    # ``tuple.__new__``: the named tuple's own ``__new__`` runs in Python, for nothing here.
                    return _new_tuple(Match, (operation, params, route.template))
                allowed_elsewhere = True
        if allowed_elsewhere:
            raise MethodNotAllowed(
                METHOD_NOT_ALLOWED,
                explanation=Explanation(
                    "route.methodNotAllowed",
                    f"The path exists, but not for {method}; /openapi.json lists each path's methods.",
                    {"method": method},
                ),
            )
        path = "/".join(_describe(s) for s in segments)
        raise NotFound(
            f"Resource not found for the segment '{path}'.",
            explanation=Explanation(
                "route.notFound",
                f"No route matches '{path}' (paths are case-insensitive; alternate keys are spelled as in "
                "the API, e.g. learningContents(externalId='...')); /openapi.json lists every route.",
                {"path": path},
            ),
        )


def group(operations: Sequence[Operation]) -> list[Route]:
    """The operations by path pattern, in the order their patterns first appear; one operation per method."""
    by_pattern: dict[tuple[Part, ...], dict[str, Operation]] = {}
    for operation in operations:
        methods = by_pattern.setdefault(operation.pattern, {})
        if operation.method in methods:
            raise ValueError(f"Two operations for {operation.method} {template(operation.pattern)}.")
        methods[operation.method] = operation
    return [Route(pattern, methods) for pattern, methods in by_pattern.items()]


def template(pattern: tuple[Part, ...]) -> str:
    """The pattern as a path template: literal names, ``{param}`` and ``name(key='{param}')``."""
    parts: list[str] = []
    for part in pattern:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, Param):
            parts.append("{" + part.name + "}")
        else:
            parts.append(f"{part.segment}({part.key_names[0]}='{{{part.param}}}')")
    return "/" + "/".join(parts)


def _literal(pattern: tuple[Part, ...], position: int) -> str | None:
    part = pattern[position] if position < len(pattern) else None
    return part.lower() if isinstance(part, str) else None


def _describe(segment: Segment) -> str:
    if segment.key_name is None:
        return segment.name
    return f"{segment.name}({segment.key_name}='{segment.key_value}')"


__all__ = [
    "Handler",
    "Key",
    "Match",
    "Operation",
    "Param",
    "Params",
    "Part",
    "Route",
    "Router",
    "group",
    "template",
]
