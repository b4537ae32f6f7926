"""The edge's access checks, the same for every route: what its declaration says the caller must be and hold.

A route about "me" refuses an application's token first (Graph's 400), then every route refuses a caller
that holds none of the permissions its declaration accepts (403). Rules that depend on stored data (an
activity's type, another learner's records) stay in the resource's service.

``me_needs_delegation`` and ``permissions_missing`` build each refusal with its explanation, in one place.
"""

from __future__ import annotations

from learninggraph.domain.errors import ME_NEEDS_DELEGATION, NO_ACCESS, BadRequest, Explanation, Forbidden
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.context import RequestContext


def require_signed_in_user(context: RequestContext) -> None:
    """A route declared for a signed-in user: 400 for an application's token, before its permissions."""
    operation = context.operation
    if operation is not None and operation.signed_in_user and context.caller.user_id is None:
        raise me_needs_delegation(operation.name)


def require_permissions(context: RequestContext) -> None:
    """403 unless the caller holds one of the permissions the route accepts for its kind of caller."""
    operation = context.operation
    if operation is None or operation.permissions is None:
        return
    # The principal read as it is: ``context.caller`` (the refusal's) raises for a request without one.
    principal = context.principal
    if principal is None or not operation.permissions.granted_to(principal):
        raise permissions_missing(operation.permissions, context.caller, operation.name)


def me_needs_delegation(operation: str) -> BadRequest:
    return BadRequest(
        ME_NEEDS_DELEGATION,
        explanation=Explanation(
            "me.applicationToken",
            f"{operation} is about the signed-in user (/me): call it with a delegated token (a user signed in), "
            "or use /users/{id}/... with an application token.",
            {"operation": operation},
        ),
    )


def permissions_missing(accepted: Permissions, caller: Principal, operation: str | None = None) -> Forbidden:
    """The 403 of a caller holding none of what the operation accepts from its kind of caller; also for the
    checks a service makes once it knows the entity (an activity's type decides its permission)."""
    return Forbidden(
        NO_ACCESS, explanation=permission_explanation(operation or "This call", accepted, caller)
    )


def permission_explanation(operation: str, accepted: Permissions, caller: Principal) -> Explanation:
    held = sorted(caller.permissions)
    kind = "application" if caller.is_application else "delegated"
    wanted = sorted(accepted.application if caller.is_application else accepted.delegated)
    other = sorted(accepted.delegated if caller.is_application else accepted.application)
    facts: dict[str, object] = {
        "operation": operation,
        "caller_kind": kind,
        "accepted_permissions": wanted,
        "held_permissions": held,
    }
    held_text = ", ".join(held) or "no permissions"
    if not wanted:
        other_kind = "delegated" if caller.is_application else "application"
        return Explanation(
            "permissions.callerKind",
            f"{operation} does not accept {kind} tokens; call it with a {other_kind} token holding one of "
            f"{', '.join(other) or '(none)'}.",
            facts,
        )
    if not caller.is_application and caller.holds_any(accepted.delegated) and accepted.delegated_roles:
        roles = sorted(accepted.delegated_roles)
        facts["accepted_directory_roles"] = roles
        facts["held_directory_roles"] = sorted(caller.directory_roles)
        return Explanation(
            "permissions.directoryRole",
            f"{operation} needs the signed-in user to hold one of the directory roles {', '.join(roles)} "
            "(template ids); the user holds none of them.",
            facts,
        )
    from learninggraph.journal.minimal_permissions import privilege  # only a refusal's explanation needs it

    where = (
        "an application permission (app role)" if caller.is_application else "a delegated permission (scope)"
    )
    return Explanation(
        "permissions.missing",
        f"{operation} accepts {' or '.join(wanted)} as {where}; the token held {held_text}. "
        f"Grant one (least privileged: {min(wanted, key=lambda name: (privilege(name), name))}) and get a "
        "new token.",
        facts,
    )
