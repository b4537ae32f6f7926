"""The request's steps after it has been read, as an ordered list; each step reads and extends the context.

A step returns None to hand the request on, or the response that ends it; a refusal is a ``GraphError``,
rendered in one place (``http.errors.render_error``) by whoever runs the steps: the edge for a request, the
batch for each of its items. ``request_steps`` writes the list, in order:

1. ``pick_version``: ``/v1.0`` or ``/beta`` → the context's version and the path below it;
2. ``ServePublic``: any other path is a public route (token service, discovery, probes), answered here;
3. ``ServeServiceDocument``: ``$metadata``, which like Graph's needs no token;
4. ``ResolveRoute``: the operation and its parameters (a 404 or 405 is kept for step 8, so the token and
   the budget are checked first, as Graph does);
5. ``Authenticate``: the bearer token → the caller (401); a batch item keeps its batch's caller;
6. ``ServeBatch``: ``$batch`` runs each of its requests through these same steps as the batch's caller;
7. ``InjectFaults``: the tenant's first matching fault rule (``http.fault_step``): its error (429, 500, 502, 503,
   504), or a delay or dropped connection the edge carries out; each ``$batch`` item on its own;
8. ``Throttle``: one request of the caller's budget (429);
9. ``refuse_unmatched``: the 404 or 405 of step 4;
10. ``require_signed_in_user``: a route about "me" refuses an application (400);
11. ``require_permissions``: the permissions the route declares (403);
12. ``ParseOptions``: the OData query options the route declares, parsed for its entity (400);
13. ``run_operation``: the handler (the resource's service, then storage) and its rendered answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from typing import Protocol

from learninggraph.domain.errors import METHOD_NOT_ALLOWED, Explanation, GraphError, MethodNotAllowed
from learninggraph.domain.principal import Principal
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.access import require_permissions, require_signed_in_user
from learninggraph.http.batch import Batch, Group
from learninggraph.http.batch_requests import is_batch
from learninggraph.http.context import Operation, RequestContext
from learninggraph.http.fault_step import InjectFaults
from learninggraph.http.messages import Response
from learninggraph.http.recording import Recorder
from learninggraph.http.routing import Router
from learninggraph.odata.filter import FilterCache
from learninggraph.odata.options import QueryOptions, parse_query_options

CSDL_CONTENT_TYPE = "application/xml;charset=utf-8"

Step = Callable[[RequestContext], Response | None]


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> Principal: ...


class Limiter(Protocol):
    def check(self, caller: Principal) -> None: ...


class Pipeline:
    """Runs the steps in order until one answers."""

    def __init__(self, steps: Sequence[Step] = ()) -> None:
        self.steps = tuple(steps)

    def run(self, context: RequestContext) -> Response:
        for step in self.steps:
            response = step(context)
            if response is not None:
                return response
        raise RuntimeError("no step answered the request")  # the last step always answers


def pick_version(context: RequestContext) -> None:
    segments = context.request.segments
    if segments and segments[0].key_name is None and segments[0].name in GRAPH_VERSIONS:
        context.version = segments[0].name
        context.segments = segments[1:]
    else:
        context.segments = segments


class ServePublic:
    """Paths outside the Graph versions: matched against the public routes and answered, with no token."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def __call__(self, context: RequestContext) -> Response | None:
        if context.version:
            return None
        match = self.router.resolve(context.request.method, context.segments)
        context.route, context.operation, context.params = match.template, match.operation, match.params
        return match.operation.handler(context)


class ServeServiceDocument:
    """``/{version}/$metadata``: the CSDL document of that version."""

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        self.documents = documents

    def __call__(self, context: RequestContext) -> Response | None:
        segments = context.segments
        if len(segments) != 1 or segments[0].key_name is not None or segments[0].name != "$metadata":
            return None
        context.route = f"/{context.version}/$metadata"
        if context.request.method != "GET":
            raise MethodNotAllowed(METHOD_NOT_ALLOWED)
        return Response(200, self.documents[context.version], CSDL_CONTENT_TYPE)


class ResolveRoute:
    """The operation the method and path name; a 404 or 405 is kept in the context for later."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def __call__(self, context: RequestContext) -> None:
        if context.operation is not None:  # a $batch item whose URL an earlier item of the batch resolved
            return
        if len(context.segments) == 1 and is_batch(context.segments):
            context.route = f"/{context.version}/$batch"
            return
        try:
            match = self.router.resolve(context.request.method, context.segments)
        except GraphError as error:
            context.unmatched = error
            return
        context.route = f"/{context.version}{match.template}"
        context.operation, context.params = match.operation, match.params


class Authenticate:
    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def __call__(self, context: RequestContext) -> None:
        if context.principal is None:
            context.principal = self.authenticator.authenticate(context.request.headers.get("authorization"))


class ServeBatch:
    """``POST /{version}/$batch``; the envelope itself is not throttled, each of its requests is."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def __call__(self, context: RequestContext) -> Response | None:
        # ``ResolveRoute`` left both unset only for ``$batch``: any other path skips the check.
        if context.operation is not None or context.unmatched is not None or not is_batch(context.segments):
            return None
        if context.request.method != "POST":
            raise MethodNotAllowed(METHOD_NOT_ALLOWED)
        return self.batch.run(context)


class Throttle:
    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    def __call__(self, context: RequestContext) -> None:
        self.limiter.check(context.caller)


def refuse_unmatched(context: RequestContext) -> None:
    if context.unmatched is not None:
        raise context.unmatched


class ParseOptions:
    """The query options the route declares, validated for its entity; other routes leave the query alone."""

    def __init__(self, *, max_top: int, filters: FilterCache | None = None) -> None:
        self.max_top = max_top
        self.filters = filters
        # The options already parsed, by operation and query (immutable; a client repeats its few queries).
        self._parsed: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[Operation, QueryOptions]] = {}

    def __call__(self, context: RequestContext) -> None:
        operation = context.operation
        if operation is None or operation.options is None or operation.entity is None:
            return
        key = (id(operation), tuple(context.request.query.items()))
        hit = self._parsed.get(key)
        if hit is not None and hit[0] is operation:
            context.options = hit[1]
            return
        try:
            context.options = parse_query_options(
                context.request.query,
                operation.entity,
                max_top=self.max_top,
                allowed=operation.options,
                filters=self.filters,
            )
        except GraphError as error:
            if error.explanation is None:
                error.explanation = query_option_explanation(error, operation)
            raise
        if len(self._parsed) >= _OPTIONS_KEPT:
            self._parsed.clear()
        self._parsed[key] = (operation, context.options)


_OPTIONS_KEPT = 1024


def query_option_explanation(error: GraphError, operation: Operation) -> Explanation:
    """Why the query options were refused: the parser's own message, and what this route takes."""
    allowed = sorted(operation.options or ())
    return Explanation(
        "odata.invalidOption",
        f"{error.message} {operation.name} takes {', '.join(allowed) or 'no query options'}.",
        {"allowed_options": allowed},
    )


def run_operation(context: RequestContext) -> Response:
    operation = context.operation
    assert operation is not None  # refuse_unmatched ran
    return operation.handler(context)


def request_steps(
    *,
    graph: Router,
    public: Router,
    authenticator: Authenticator,
    max_top: int = 999,
    filters: FilterCache | None = None,
    limiter: Limiter | None = None,
    service_documents: Mapping[str, bytes] | None = None,
    batch_group: Group = nullcontext,
    max_batch_response_bytes: int = 16 * 1024 * 1024,
    recorder: Recorder | None = None,
    faults: FaultMatcher | None = None,
) -> Pipeline:
    """The steps of every request and every ``$batch`` item, in order (see the module's docstring);
    ``recorder``: the request journal's, which records each ``$batch`` item as an entry of its own."""
    pipeline = Pipeline()
    batch = Batch(pipeline.run, batch_group, max_response_bytes=max_batch_response_bytes, recorder=recorder)
    steps: list[Step | None] = [
        pick_version,
        ServePublic(public),
        None if service_documents is None else ServeServiceDocument(service_documents),
        ResolveRoute(graph),
        Authenticate(authenticator),
        ServeBatch(batch),
        None if faults is None else InjectFaults(faults),
        None if limiter is None else Throttle(limiter),
        refuse_unmatched,
        require_signed_in_user,
        require_permissions,
        ParseOptions(max_top=max_top, filters=filters),
        run_operation,
    ]
    pipeline.steps = tuple(step for step in steps if step is not None)
    return pipeline
