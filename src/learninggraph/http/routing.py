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


def _match(pattern: tuple[Part, ...], segments: Sequence[Segment]) -> Params | None:
    params: Params = {}
    for part, segment in zip(pattern, segments, strict=True):
        if isinstance(part, str):
            if segment.key_name is not None or segment.name.lower() != part.lower():
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


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self._by_length: dict[int, list[Route]] = {}
        for route in routes:
            self._by_length.setdefault(len(route.pattern), []).append(route)

    def resolve(self, method: str, segments: Sequence[Segment]) -> tuple[Handler, Params]:
        allowed_elsewhere = False
        for route in self._by_length.get(len(segments), ()):
            params = _match(route.pattern, segments)
            if params is None:
                continue
            handler = route.methods.get(method)
            if handler is not None:
                return handler, params
            allowed_elsewhere = True
        if allowed_elsewhere:
            raise MethodNotAllowed(METHOD_NOT_ALLOWED)
        path = "/".join(_describe(s) for s in segments)
        raise NotFound(f"Resource not found for the segment '{path}'.")


def _describe(segment: Segment) -> str:
    if segment.key_name is None:
        return segment.name
    return f"{segment.name}({segment.key_name}='{segment.key_value}')"
