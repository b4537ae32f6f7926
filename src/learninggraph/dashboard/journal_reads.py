"""The dashboard's reads of the request journal, always inside the viewer's tenant: a page of entries (newest
first), the entries after one already shown (the live view), one request's entry, and the minimal-permissions
report of an app or a user. Entries become plain dicts here, as ``reads`` does for resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from learninggraph.dashboard.viewer import Viewer
from learninggraph.domain.values import datetime_to_stored, emit_datetime
from learninggraph.journal.entry import Body, JournalEntry
from learninggraph.journal.minimal_permissions import OperationTable, PermissionReport, minimal_permissions
from learninggraph.journal.queries import (
    JournalFilter,
    entries_after,
    entries_before,
    explain,
    last_id,
    parse_status,
    search,
)
from learninggraph.journal.redaction import redact
from learninggraph.storage.database import Database

PAGE_SIZE = 25
# New entries one poll of the live view brings at most; the next poll brings the rest.
LIVE_BATCH = 50
# Each body is shown up to this many characters in the list; the entry's own page shows all that is kept.
LIST_BODY_CHARS = 4096
# Entries a minimal-permissions report reads, newest first.
REPORT_ENTRIES = 10_000
# Recent entries whose callers the report page offers to choose from.
RECENT_CALLERS = 500
_FIELDS = ("status", "app", "user", "route", "rule")


@dataclass(frozen=True, slots=True)
class JournalSearch:
    """The journal's filter fields as typed (``status`` a code or class: 403, 4xx), and the first error."""

    fields: dict[str, str]
    status: tuple[int, int] | None
    error: str | None

    @classmethod
    def of(cls, query: dict[str, str]) -> JournalSearch:
        fields = {name: query.get(name, "").strip() for name in _FIELDS}
        status, error = None, None
        if fields["status"]:
            try:
                status = parse_status(fields["status"])
            except ValueError as exc:
                error = str(exc)
        return cls(fields, status, error)

    def where(self, tenant_id: str, user_id: str | None) -> JournalFilter:
        return JournalFilter(
            tenant_id=tenant_id,
            app_id=self.fields["app"] or None,
            user_id=user_id,
            status=self.status,
            route=self.fields["route"] or None,
            rule=self.fields["rule"] or None,
        )


@dataclass(frozen=True, slots=True)
class JournalPage:
    """One page of entries, newest first; ``next_page``: the token of the older page; ``cursor``: the id after
    which the live view asks for new entries."""

    entries: list[dict[str, Any]]
    next_page: str | None
    cursor: int


class JournalReads:
    def __init__(
        self, database: Database, operations: OperationTable, user_named: Callable[[Viewer, str], str | None]
    ) -> None:
        self._database = database
        self._operations = operations
        self._user_named = user_named

    def _where(self, viewer: Viewer, search: JournalSearch) -> JournalFilter:
        user = search.fields["user"]
        user_id = (self._user_named(viewer, user) or user) if user else None
        return search.where(viewer.tenant.id, user_id)

    def page(self, viewer: Viewer, search: JournalSearch, token: str | None) -> JournalPage:
        where = self._where(viewer, search)
        # Read before the page: an entry stored in between is either on the page or after the cursor.
        newest_before = last_id(self._database)
        found = search_page(self._database, where, _page_token(token))
        shown = found[:PAGE_SIZE]
        next_page = str(shown[-1].id) if len(found) > PAGE_SIZE and shown[-1].id is not None else None
        cursor = max([newest_before, *(entry.id or 0 for entry in shown)])
        return JournalPage([as_view(entry) for entry in shown], next_page, cursor)

    def after(self, viewer: Viewer, search: JournalSearch, cursor: int) -> list[dict[str, Any]]:
        """Entries stored after ``cursor`` that match, newest first."""
        found = entries_after(self._database, self._where(viewer, search), cursor, limit=LIVE_BATCH)
        return [as_view(entry) for entry in reversed(found)]

    def entry(self, viewer: Viewer, request_id: str) -> dict[str, Any] | None:
        found = explain(self._database, request_id, tenant_id=viewer.tenant.id)
        return None if found is None else as_view(found, body_chars=None)

    def callers(self, viewer: Viewer) -> tuple[list[str], list[str]]:
        """The app ids and user ids among the tenant's recent entries, for choosing a report."""
        recent = search(self._database, JournalFilter(tenant_id=viewer.tenant.id), limit=RECENT_CALLERS)
        apps = sorted({e.caller.app_id for e in recent if e.caller.app_id and e.caller.kind == "application"})
        users = sorted({e.caller.user_id for e in recent if e.caller.user_id})
        return apps, users

    def permissions(self, viewer: Viewer, *, app: str, user: str) -> list[PermissionReport]:
        """The minimal-permissions reports of the app (or the user: an id or user name) from the journal."""
        user_id = (self._user_named(viewer, user) or user) if user else None
        where = JournalFilter(tenant_id=viewer.tenant.id, app_id=app or None, user_id=user_id)
        return minimal_permissions(search(self._database, where, limit=REPORT_ENTRIES), self._operations)


def search_page(database: Database, where: JournalFilter, before: int | None) -> list[JournalEntry]:
    """One more entry than a page holds: whether there is an older page is known without counting."""
    if before is None:
        return search(database, where, limit=PAGE_SIZE + 1)
    return entries_before(database, where, before, limit=PAGE_SIZE + 1)


def _page_token(token: str | None) -> int | None:
    if token is None or not token.isdigit() or len(token) > 18:
        return None
    return int(token)


def as_view(entry: JournalEntry, *, body_chars: int | None = LIST_BODY_CHARS) -> dict[str, Any]:
    """An entry as the templates show it; redacted again, whatever the store did."""
    entry = redact(entry)
    caller = entry.caller
    return {
        "id": entry.id,
        "requestId": entry.request_id,
        "clientRequestId": entry.client_request_id,
        "at": emit_datetime(datetime_to_stored(entry.at)),
        "status": entry.status,
        "method": entry.method,
        "url": entry.url,
        "route": entry.route,
        "operation": entry.operation,
        "durationMs": round(entry.duration_ms, 1),
        "caller": {
            "kind": caller.kind,
            "appId": caller.app_id,
            "userId": caller.user_id,
            "permissions": list(caller.permissions),
            "directoryRoles": list(caller.directory_roles),
        },
        "rule": entry.decision.rule,
        "hint": entry.decision.hint,
        "details": [
            (key, json.dumps(value, ensure_ascii=False))
            for key, value in sorted(entry.decision.details.items())
        ],
        "fault": entry.fault,
        "request": _message(entry.request_headers, entry.request_body, body_chars),
        "response": _message(entry.response_headers, entry.response_body, body_chars),
    }


def _message(headers: tuple[tuple[str, str], ...], body: Body, chars: int | None) -> dict[str, Any]:
    text = body.text if chars is None else body.text[:chars]
    return {
        "headers": list(headers),
        "body": text,
        "size": body.size,
        # Some of the body is not shown: cut when stored, or here for the list.
        "cut": body.cut or len(text) < len(body.text),
    }
