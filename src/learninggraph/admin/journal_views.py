"""The admin API's journal reads: a filtered, paged listing, one request's explanation, minimal permissions.

Every read first stores what this process's journal writer still holds, so it sees the requests just made;
every entry goes through redaction again on its way out (stored entries already did).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec

from learninggraph.admin.queries import JournalQuery, journal_query, moment, refuse_unknown
from learninggraph.domain.errors import BadRequest, NotFound
from learninggraph.domain.principal import Permissions
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.journal.blocks import scan
from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.minimal_permissions import minimal_permissions
from learninggraph.journal.queries import JournalFilter, explain
from learninggraph.journal.redaction import redact
from learninggraph.journal.render import as_json, explained
from learninggraph.journal.store import decode_record
from learninggraph.storage.database import Database

JSON = "application/json; charset=utf-8"
# Entries a permissions report reads, at most (a tenant keeps 10,000 by default).
PERMISSION_ENTRIES = 10_000
_encode = msgspec.json.Encoder().encode


def json_response(status: int, value: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, _encode(value), JSON, headers or [])


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    return as_json(redact(entry))


class JournalViews:
    """Reads of one tenant's journal; ``flush`` stores what the writer holds before each read."""

    def __init__(
        self, database: Database, flush: Callable[[], None], operations: Mapping[str, Permissions]
    ) -> None:
        self.database = database
        self.flush = flush
        self.operations = operations

    def listing(self, context: RequestContext, tenant_id: str) -> Response:
        query = journal_query(tenant_id, context.request.query)
        self.flush()
        entries, more = read_page(self.database, query)
        body: dict[str, Any] = {"value": [entry_json(entry) for entry in entries]}
        if more and entries:
            last = entries[-1].id
            body["nextLink"] = _link(context, "after" if query.oldest_first else "before", str(last))
        return json_response(200, body)

    def entry(self, context: RequestContext, tenant_id: str) -> Response:
        refuse_unknown(context.request.query, ())
        request_id = context.params["request_id"]
        self.flush()
        found = explain(self.database, request_id, tenant_id=tenant_id)
        if found is None:
            raise NotFound(f"No journal entry of this tenant has request-id '{request_id}'.")
        clean = redact(found)
        return json_response(200, {**as_json(clean), "explanation": explained(clean)})

    def permissions(self, context: RequestContext, tenant_id: str) -> Response:
        query = context.request.query
        refuse_unknown(query, ("app", "user", "since", "until"))
        app, user = query.get("app"), query.get("user")
        if (app is None) == (user is None) or not (app or user or "").strip():
            raise BadRequest("Give one of 'app' (a client id) or 'user' (a user id).")
        where = JournalFilter(
            tenant_id=tenant_id,
            app_id=app,
            user_id=user,
            since=moment(query, "since"),
            until=moment(query, "until"),
        )
        self.flush()
        entries, _ = read_page(self.database, JournalQuery(where=where, limit=PERMISSION_ENTRIES))
        reports = minimal_permissions(entries, self.operations)
        subject = {"app": app} if app is not None else {"user": user}
        return json_response(
            200, {**subject, "entries": len(entries), "reports": msgspec.to_builtins(reports)}
        )


def read_page(database: Database, query: JournalQuery) -> tuple[list[JournalEntry], bool]:
    """Up to ``query.limit`` matching entries in the query's order, and whether more follow."""
    matching = query.where.matching(query.method)
    cursor = query.after if query.oldest_first else query.before
    wanted = query.limit + 1
    found: list[JournalEntry] = []
    with database.snapshot() as conn:
        scanned = scan(
            conn,
            matching,
            newest_first=not query.oldest_first,
            after=cursor if query.oldest_first else None,
            before=None if query.oldest_first else cursor,
        )
        for entry_id, record in scanned:
            entry = decode_record(entry_id, record)
            if query.operation is None or entry.operation == query.operation:
                found.append(entry)
                if len(found) == wanted:
                    break
    return found[: query.limit], len(found) > query.limit


def _link(context: RequestContext, name: str, value: str) -> str:
    query = {k: v for k, v in context.request.query.items() if k not in ("before", "after")}
    query[name] = value
    return f"{context.base_url}{context.request.path}?{urlencode(query)}"
