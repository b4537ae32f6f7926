"""One journal entry: what a request asked, what it got, who asked, and the decision that produced the answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from learninggraph.domain.principal import Principal

# Each body is kept up to this many bytes (UTF-8); past it the text is cut and ``Body.cut`` says so.
BODY_LIMIT_BYTES = 16 * 1024

Headers = tuple[tuple[str, str], ...]


class Caller(msgspec.Struct, frozen=True, gc=False):
    """Who called, as the token said: an application (its roles) or a signed-in user (their scopes)."""

    kind: str  # "application", "delegated" or "anonymous" (no valid token)
    app_id: str | None = None
    user_id: str | None = None
    # The roles (application) or scopes (delegated) the token held.
    permissions: tuple[str, ...] = ()
    # Template ids of the signed-in user's directory roles (the token's ``wids``).
    directory_roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal | None) -> Caller:
        if principal is None:
            return ANONYMOUS
        return cls(
            kind=str(principal.kind),
            app_id=principal.app_id,
            user_id=principal.user_id,
            permissions=tuple(sorted(principal.permissions)),
            directory_roles=tuple(sorted(principal.directory_roles)),
        )


ANONYMOUS = Caller(kind="anonymous")


class Body(msgspec.Struct, frozen=True, gc=False):
    """A request or response body as text, bounded: ``size`` is the whole body's length in bytes."""

    text: str = ""
    size: int = 0
    cut: bool = False


EMPTY_BODY = Body()


def bounded(text: str, *, size: int | None = None, limit: int = BODY_LIMIT_BYTES) -> Body:
    """``text`` kept to ``limit`` UTF-8 bytes (cut on a character boundary); ``size``: the original size."""
    encoded = text.encode("utf-8", "surrogatepass")
    whole = len(encoded) if size is None else size
    if len(encoded) <= limit:
        return Body(text, whole, cut=whole > len(encoded))
    kept = encoded[:limit].decode("utf-8", "ignore")
    return Body(kept, whole, cut=True)


def capture_body(raw: bytes, *, limit: int = BODY_LIMIT_BYTES) -> Body:
    """A body as the request path holds it (bytes) → the journal's bounded text; only ``limit`` bytes are
    decoded, so a large body costs no more than a small one. Non-UTF-8 bytes become U+FFFD."""
    if not raw:
        return EMPTY_BODY
    if len(raw) <= limit:
        # The common case: a small UTF-8 body is its own text, with nothing to count or cut.
        try:
            return Body(raw.decode("utf-8"), len(raw))
        except UnicodeDecodeError:
            pass
    return bounded(raw[:limit].decode("utf-8", "replace"), size=len(raw), limit=limit)


class Decision(msgspec.Struct, frozen=True, gc=False):
    """Which rule produced the answer, a hint a vendor can act on, and structured details.

    Details are JSON values; the request path uses these keys where they apply: ``accepted_permissions``
    and ``held_permissions`` (lists of names) for a permission refusal, ``fault`` (the rule id) for an
    injected fault, ``field``/``allowed`` for a validation failure.
    """

    rule: str
    hint: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class JournalEntry(msgspec.Struct, frozen=True, gc=False):
    """One request and its answer. ``id`` is given by the store (None until stored), increasing with time within
    a tenant (across tenants, the entries of one stored batch are numbered one tenant after another).

    A msgspec struct rather than a dataclass: one is built, redacted and encoded for every request. Neither it
    nor its parts are tracked by the garbage collector (``gc=False``: they hold text, numbers and tuples of
    them, never a cycle): hundreds wait in the writer's batch at any time, and as tracked objects they set off
    collections that the request path paid for.
    """

    at: datetime
    tenant_id: str
    caller: Caller
    method: str
    url: str
    status: int
    duration_ms: float
    request_id: str
    decision: Decision
    route: str | None = None
    operation: str | None = None
    client_request_id: str | None = None
    request_headers: Headers = ()
    request_body: Body = EMPTY_BODY
    response_headers: Headers = ()
    response_body: Body = EMPTY_BODY
    # For a ``$batch`` item: the request-id of the batch that carried it.
    batch_request_id: str | None = None
    id: int | None = None

    @property
    def fault(self) -> str | None:
        """The id of the fault rule that produced this answer, if one was injected."""
        value = self.decision.details.get("fault")
        return None if value is None else str(value)

    @property
    def refused(self) -> bool:
        """Whether the caller was refused (401 or 403)."""
        return self.status in (401, 403)


def headers_of(pairs: Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]) -> Headers:
    """Header pairs as text (ASGI gives bytes, as latin-1)."""
    result: list[tuple[str, str]] = []
    for name, value in pairs:
        result.append(
            (
                name.decode("latin-1") if isinstance(name, bytes) else name,
                value.decode("latin-1") if isinstance(value, bytes) else value,
            )
        )
    return tuple(result)
