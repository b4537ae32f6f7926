"""Permission checks at the edge of each operation."""

from __future__ import annotations

from learninggraph.domain.errors import NO_ACCESS, Forbidden
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.messages import Request


def caller_of(request: Request) -> Principal:
    principal = request.principal
    if principal is None:  # the edge authenticates every Graph request before routing
        raise Forbidden(NO_ACCESS)
    return principal


def require(request: Request, permissions: Permissions) -> Principal:
    """The caller, if it holds one of the permissions its kind (application or user) needs; else 403."""
    principal = caller_of(request)
    if not permissions.granted_to(principal):
        raise Forbidden(NO_ACCESS)
    return principal
