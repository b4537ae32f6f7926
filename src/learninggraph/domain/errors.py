"""Errors that carry their Graph status and code.

GraphError
 ├── BadRequest (400 badRequest)
 │    └── ValidationFailed (400 badRequest, one detail per failing field)
 ├── Unauthorized (401 InvalidAuthenticationToken)
 ├── Forbidden (403 Forbidden)
 ├── NotFound (404 notFound)
 ├── MethodNotAllowed (405 methodNotAllowed)
 ├── NotAcceptable (406 notAcceptable)
 ├── Conflict (409 conflict)
 ├── PayloadTooLarge (413 payloadTooLarge)
 ├── UnsupportedMediaType (415 unsupportedMediaType)
 ├── TooManyRequests (429 tooManyRequests)
 ├── InternalServerError (500 internalServerError)
 └── ServiceUnavailable (503 serviceUnavailable)

The domain raises these; only ``learninggraph.http.errors`` turns them into the Graph envelope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an answer is what it is, for the request journal and the console, never for the response body.

    - ``rule``: a stable name of the rule that decided (``permissions.missing``, ``provider.syncDisabled``,
      ``fault.injected``); the journal, the console line and the CLI filter on it.
    - ``hint``: one sentence a vendor can act on ("Grant LearningContent.ReadWrite.All; the token held ...").
    - ``facts``: structured details as JSON values (``accepted_permissions``, ``held_permissions``,
      ``field``, ``allowed``, ``fault`` ...).

    The code that raises a GraphError builds its explanation in the same place, so the two cannot drift.
    """

    rule: str
    hint: str | None = None
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One entry of ``error.details``: a single failing field or clause."""

    code: str
    message: str
    target: str | None = None
    # For the journal only, never rendered: what the field must be ("an integer from 0 to 100").
    expected: str | None = None


class GraphError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internalServerError"

    def __init__(
        self,
        message: str,
        *,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
        explanation: Explanation | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)
        self.headers: Mapping[str, str] = headers or {}
        # Journal and console only; never rendered into the Graph envelope.
        self.explanation = explanation


class BadRequest(GraphError):
    status = 400
    code = "badRequest"


class ValidationFailed(BadRequest):
    """Every failing input field at once, so a client fixes its payload in one round trip."""

    def __init__(self, details: Sequence[ErrorDetail]) -> None:
        super().__init__(
            "; ".join(d.message for d in details), details=details, explanation=fields_explanation(details)
        )


def fields_explanation(details: Sequence[ErrorDetail]) -> Explanation:
    """``field.required`` when every failing field is missing, else ``field.invalid``: each field, what is
    wrong with it and, where known, what it must be."""
    parts = []
    for detail in details:
        text = detail.message
        if detail.expected:
            text += f" (it must be {detail.expected})"
        parts.append(text)
    required = all(d.message.endswith(" is required") for d in details)
    return Explanation(
        "field.required" if required else "field.invalid",
        "; ".join(parts) + ".",
        {
            "fields": [
                {"field": d.target, "problem": d.message, **({"expected": d.expected} if d.expected else {})}
                for d in details
            ]
        },
    )


class Unauthorized(GraphError):
    status = 401
    code = "InvalidAuthenticationToken"


class Forbidden(GraphError):
    status = 403
    code = "Forbidden"


class NotFound(GraphError):
    status = 404
    code = "notFound"


class MethodNotAllowed(GraphError):
    status = 405
    code = "methodNotAllowed"


class NotAcceptable(GraphError):
    status = 406
    code = "notAcceptable"


class Conflict(GraphError):
    status = 409
    code = "conflict"


class PayloadTooLarge(GraphError):
    status = 413
    code = "payloadTooLarge"


class UnsupportedMediaType(GraphError):
    status = 415
    code = "unsupportedMediaType"


class TooManyRequests(GraphError):
    status = 429
    code = "tooManyRequests"


class InternalServerError(GraphError):
    status = 500
    code = "internalServerError"


class ServiceUnavailable(GraphError):
    status = 503
    code = "serviceUnavailable"


class BadGateway(GraphError):
    status = 502
    code = "badGateway"


class GatewayTimeout(GraphError):
    status = 504
    code = "gatewayTimeout"


# Messages fixed by the Graph documentation that no one resource owns; kept verbatim, typographic apostrophes
# included. Each resource folder keeps its own in its ``errors`` module.
METHOD_NOT_ALLOWED = (
    "This method isn't supported for this entity type. "
    "See the Microsoft Graph documentation for the methods applicable to this entity."
)
NO_ACCESS = (
    "Your account doesn't have access to this report or data. Contact your administrator to request access."
)
# Every /me path, asked with an application's token.
ME_NEEDS_DELEGATION = "/me request is only valid with delegated authentication flow."
# The tenant's learning plan, checked before any resource is looked at.
NO_SERVICE_PLAN = "You don't have an adequate service plan for this request."
INTERNAL_ERROR = "Internal server error."


def retry_after_message(seconds: int) -> str:
    """The 429 and 503 rows' template, ``Retry after {noOfMinutes} minutes``, for a Retry-After in seconds.

    The minutes are rounded up and at least 1, and the template is kept as printed ("1 minutes").
    """
    minutes = max(1, -(-seconds // 60))
    return f"Retry after {minutes} minutes"


def field_required(name: str) -> ErrorDetail:
    return ErrorDetail("badRequest", f"Input field {name} is required", name)


def field_invalid(name: str, expected: str | None = None) -> ErrorDetail:
    """``expected``: what the field must be, for the journal (never rendered)."""
    return ErrorDetail("badRequest", f"Input field {name} is invalid", name, expected)


def field_empty(name: str) -> ErrorDetail:
    return ErrorDetail("badRequest", f"Input field {name} shouldn't be empty", name)


def field_too_long(name: str, limit: int) -> ErrorDetail:
    return ErrorDetail(
        "badRequest", f"Input field {name} length exceeded than {limit}", name, f"at most {limit} characters"
    )
