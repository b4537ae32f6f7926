"""The admin API's query strings: each parameter checked, unknown ones refused (a typo must not widen a read)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from learninggraph.domain.errors import BadRequest
from learninggraph.journal.queries import JournalFilter, parse_status

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
JOURNAL_PARAMETERS = (
    "app",
    "user",
    "status",
    "method",
    "route",
    "operation",
    "rule",
    "since",
    "until",
    "limit",
    "before",
    "after",
)


@dataclass(frozen=True, slots=True)
class JournalQuery:
    """A journal listing: the filter, the page's size and where it starts.

    Without ``after`` the page is newest first, below ``before`` if given; with ``after`` it is oldest first,
    above that id (to read on from the last entry seen).
    """

    where: JournalFilter
    method: str | None = None
    operation: str | None = None
    limit: int = DEFAULT_LIMIT
    before: int | None = None
    after: int | None = None

    @property
    def oldest_first(self) -> bool:
        return self.after is not None


def refuse_unknown(query: Mapping[str, str], known: tuple[str, ...]) -> None:
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise BadRequest(
            f"Unknown query parameter '{unknown[0]}'; this endpoint takes: {', '.join(known) or 'none'}."
        )


def journal_query(tenant_id: str, query: Mapping[str, str]) -> JournalQuery:
    refuse_unknown(query, JOURNAL_PARAMETERS)
    before = _id(query, "before")
    after = _id(query, "after")
    if before is not None and after is not None:
        raise BadRequest("Give 'before' (newer pages first) or 'after' (older pages first), not both.")
    status = None
    if "status" in query:
        try:
            status = parse_status(query["status"])
        except ValueError:
            raise BadRequest(
                f"Query parameter 'status' is invalid: '{query['status']}'; give a status (403) or a class (4xx)."
            ) from None
    method = _text(query, "method")
    return JournalQuery(
        where=JournalFilter(
            tenant_id=tenant_id,
            app_id=_text(query, "app"),
            user_id=_text(query, "user"),
            status=status,
            route=_text(query, "route"),
            rule=_text(query, "rule"),
            since=moment(query, "since"),
            until=moment(query, "until"),
        ),
        method=method.upper() if method else None,
        operation=_text(query, "operation"),
        limit=limit(query),
        before=before,
        after=after,
    )


def limit(query: Mapping[str, str]) -> int:
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest(f"Query parameter 'limit' is invalid: '{text}'; give 1 to {MAX_LIMIT}.")
    return int(text)


def moment(query: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 date-time; without a zone it is UTC."""
    text = query.get(name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"Query parameter '{name}' is invalid: '{text}'; give an ISO 8601 date-time such as "
            "2026-11-26T10:00:00Z."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _id(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadRequest(f"Query parameter '{name}' is invalid: '{text}'; give a journal entry id.")
    return int(text)


def _text(query: Mapping[str, str], name: str) -> str | None:
    text = query.get(name)
    if text is None:
        return None
    if not text.strip():
        raise BadRequest(f"Query parameter '{name}' shouldn't be empty.")
    return text
