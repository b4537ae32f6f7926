"""Route tables over parsed path segments.

A pattern is a tuple of parts: a literal segment name (matched without regard to case), a
``Param`` capturing a plain segment, or a ``Key`` matching ``name(keyName='value')``. A path that
matches a pattern but not its method is a 405; a path that matches nothing is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from learninggraph.domain.errors import METHOD_NOT_ALLOWED, MethodNotAllowed, NotFound
from learninggraph.http.messages import Request, Response, Segment

Params = dict[str, str]
Handler = Callable[[Request, Params], Response]


@dataclass(frozen=True, slots=True)
class Param:
    name: str


@dataclass(frozen=True, slots=True)
class Key:
    """``segment(keyName='value')``; the value is captured as ``param``."""

    segment: str
    key_names: tuple[str, ...]
    param: str


Part = str | Param | Key


@dataclass(frozen=True, slots=True)
class Route:
    pattern: tuple[Part, ...]
    methods: Mapping[str, Handler]


def _match(route: _Compiled, segments: Sequence[Segment]) -> Params | None:
    """The route's parameters from the path, or None; literal names were already compared."""
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
    methods: Mapping[str, Handler]
    literals: tuple[tuple[int, str], ...]
    template: str


class Router:
    """Routes indexed by path length and first two segments, so a request meets one or two candidates."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._index: dict[tuple[int, str | None, str | None], list[_Compiled]] = {}
        for route in routes:
            literals = tuple(
                (i, part.lower()) for i, part in enumerate(route.pattern) if isinstance(part, str)
            )
            key = (len(route.pattern), _literal(route.pattern, 0), _literal(route.pattern, 1))
            compiled = _Compiled(route.pattern, route.methods, literals, template(route.pattern))
            self._index.setdefault(key, []).append(compiled)

    def resolve(self, method: str, segments: Sequence[Segment]) -> tuple[Handler, Params]:
        handler, params, _ = self.resolve_route(method, segments)
        return handler, params

    def resolve_route(self, method: str, segments: Sequence[Segment]) -> tuple[Handler, Params, str]:
        """The handler, its parameters and the matched route's template (``/learningProviders/{provider}``)."""
        lowered = [segment.name.lower() for segment in segments]
        length = len(lowered)
        first = lowered[0] if length > 0 else None
        second = lowered[1] if length > 1 else None
        index = self._index
        candidates = [
            *index.get((length, first, second), ()),
            *index.get((length, first, None), ()),
            *index.get((length, None, second), ()),
            *index.get((length, None, None), ()),
        ]
        allowed_elsewhere = False
        for route in candidates:
            for position, name in route.literals:
                if lowered[position] != name:
                    break
            else:
                params = _match(route, segments)
                if params is None:
                    continue
                handler = route.methods.get(method)
                if handler is not None:
                    return handler, params, route.template
                allowed_elsewhere = True
        if allowed_elsewhere:
            raise MethodNotAllowed(METHOD_NOT_ALLOWED)
        path = "/".join(_describe(s) for s in segments)
        raise NotFound(f"Resource not found for the segment '{path}'.")


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
