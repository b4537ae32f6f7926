"""The request path's fault step (``InjectFaults``) and what the edge does for it: wait, or drop the connection.

The step runs after the caller is known and before throttling, for every Graph request and every ``$batch``
item on its own. A status fault raises its Graph error; latency and drop are recorded on the context, and the
edge carries them out (``delay_or_drop``), so no step ever sleeps on the event loop or inside a batch's
database group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from learninggraph.domain.errors import Explanation, GatewayTimeout
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.context import RequestContext

if TYPE_CHECKING:
    from learninggraph.faults.rules import Fault

# The ASGI scope extension the connection layer offers: a callable that closes the request's connection
# without an answer (``http.connections.GuardedProtocol``).
DROP_CONNECTION = "learninggraph.drop_connection"
# The status observers (access log, metrics, journal) are told for a request whose connection was dropped.
DROPPED = 0


class InjectFaults:
    """The first of the tenant's fault rules that matches the request: its error, delay or drop."""

    def __init__(self, matcher: FaultMatcher) -> None:
        self.matcher = matcher

    def __call__(self, context: RequestContext) -> None:
        principal = context.principal
        if principal is None:
            return
        fault = self.matcher.match(
            principal.tenant_id, principal.app_id, context.request.method, context.route or None
        )
        if fault is None:
            return
        explanation = explain(fault)
        context.explanation = explanation
        context.delay_seconds = max(context.delay_seconds, fault.latency_ms / 1000)
        if fault.drops:
            context.drop_connection = True
            # Only seen where a connection cannot be dropped (a server without the extension).
            raise GatewayTimeout("Gateway timeout.", explanation=explanation)
        if fault.error is not None:
            fault.error.explanation = explanation
            raise fault.error


def explain(fault: Fault) -> Explanation:
    """The journal's record of an injected fault: ``fault.injected``, the rule in words, and its facts."""
    from learninggraph.faults.rules import FAULT_RULE

    facts: dict[str, object] = {"fault": fault.rule_id, "action": str(fault.action)}
    if fault.error is not None:
        facts["status"] = fault.error.status
    if fault.latency_ms:
        facts["latency_ms"] = fault.latency_ms
    return Explanation(FAULT_RULE, fault.hint, facts)


async def delay_or_drop(context: RequestContext, scope: MutableMapping[str, Any]) -> bool:
    """Waits out the context's injected delay without blocking the loop; True when the connection was
    dropped (nothing may be sent), False when the answer goes out as usual."""
    if context.delay_seconds > 0:
        await asyncio.sleep(context.delay_seconds)
    if not context.drop_connection:
        return False
    drop: Callable[[], None] | None = scope.get("extensions", {}).get(DROP_CONNECTION)
    if drop is None:
        return False
    drop()
    return True
