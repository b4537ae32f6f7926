"""The request context: what the steps of the request path have learned so far, read and extended in order.

The raw ``Request`` (method, path, query, headers, body) never changes once read; each step adds what it
found here instead: the API version and the path below it, the matched operation and its parameters, the
caller, the parsed query options. Handlers read the context and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from learninggraph.domain.errors import NO_ACCESS, Forbidden, GraphError
from learninggraph.domain.principal import Principal
from learninggraph.http.messages import Request, Segment
from learninggraph.http.routing import Operation
from learninggraph.odata.options import QueryOptions

NO_OPTIONS = QueryOptions()


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
