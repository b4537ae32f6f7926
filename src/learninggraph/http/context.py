"""What a route declares (``Operation``) and what its handler reads (``RequestContext``).

The request context is what the steps of the request path have learned so far, read and extended in order.

The raw ``Request`` (method, path, query, headers, body) never changes once read; each step adds what it
found here instead: the API version and the path below it, the matched operation and its parameters, the
caller, the parsed query options. Handlers read the context and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from learninggraph.domain.entity import EntityType
from learninggraph.domain.errors import NO_ACCESS, Explanation, Forbidden, GraphError
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.messages import Request, Response, Segment
from learninggraph.odata.options import QueryOptions

NO_OPTIONS = QueryOptions()

Params = dict[str, str]
Handler = Callable[["RequestContext"], Response]


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
class Operation:
    """One route, declared: what it is called, what it matches, what it needs, and who does the work.

    - ``name``: stable across releases (``learningProviders.get``); logs and the request journal record it.
    - ``permissions``: what a caller must hold (application roles, delegated scopes, directory roles); None
      only for the public routes outside Graph (token service, discovery, probes), which take no token.
    - ``signed_in_user``: the route is about "me", so an application's token is a 400 before permissions.
    - ``entity`` and ``options``: the OData query options the route takes, parsed for that entity before the
      handler runs; ``options`` None leaves the query string alone (as writes do).
    """

    name: str
    method: str
    pattern: tuple[Part, ...]
    handler: Handler
    permissions: Permissions | None = None
    signed_in_user: bool = False
    entity: EntityType | None = None
    options: frozenset[str] | None = None


@dataclass(slots=True)
class RequestContext:
    request: Request
    # The path below the API version (the whole path outside Graph).
    segments: tuple[Segment, ...] = ()
    # ``v1.0`` or ``beta`` for Graph requests; "" for the public routes.
    version: str = ""
    # The matched route's template (``/v1.0/employeeExperience/learningProviders/{provider}``), for logs and
    # metrics; set as soon as the route is known, so even a refused request is labelled with it.
    route: str = ""
    operation: Operation | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    # Why no operation matched (404 or 405), kept until after the token and throttling checks.
    unmatched: GraphError | None = None
    principal: Principal | None = None
    options: QueryOptions = NO_OPTIONS
    # Why the answer is what it is when no GraphError says so (a delayed or dropped answer, a fault); the
    # request journal records it. A refusal's explanation travels on the GraphError instead.
    explanation: Explanation | None = None
    # An injected fault's doing, carried out by the edge: wait this long before answering (a $batch waits for
    # the longest of its items'), or close the connection without an answer.
    delay_seconds: float = 0.0
    drop_connection: bool = False

    @property
    def caller(self) -> Principal:
        """The authenticated caller; every Graph request is authenticated before its operation runs."""
        principal = self.principal
        if principal is None:
            raise Forbidden(NO_ACCESS)
        return principal

    @property
    def base_url(self) -> str:
        return self.request.base_url
