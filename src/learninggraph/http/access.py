"""The edge's access checks, the same for every route: what its declaration says the caller must be and hold.

A route about "me" refuses an application's token first (Graph's 400), then every route refuses a caller
that holds none of the permissions its declaration accepts (403). Rules that depend on stored data (an
activity's type, another learner's records) stay in the resource's service.
"""

from __future__ import annotations

from learninggraph.domain.errors import ME_NEEDS_DELEGATION, NO_ACCESS, BadRequest, Forbidden
from learninggraph.http.context import RequestContext


def require_signed_in_user(context: RequestContext) -> None:
    """A route declared for a signed-in user: 400 for an application's token, before its permissions."""
    operation = context.operation
    if operation is not None and operation.signed_in_user and context.caller.user_id is None:
        raise BadRequest(ME_NEEDS_DELEGATION)


def require_permissions(context: RequestContext) -> None:
    """403 unless the caller holds one of the permissions the route accepts for its kind of caller."""
    operation = context.operation
    if operation is None or operation.permissions is None:
        return
    if not operation.permissions.granted_to(context.caller):
        raise Forbidden(NO_ACCESS)
