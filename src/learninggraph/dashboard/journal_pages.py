"""An administrator's view of the request journal: the entries (paged, filtered, new ones polled in), one
request's entry, and the minimal-permissions report of an app or a user."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learninggraph.dashboard.journal_reads import JournalReads, JournalSearch
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import Web, secured, signed_in

# How often an open journal page asks for new entries (htmx polling; see docs/decisions.md).
POLL_SECONDS = 2


def routes(web: Web, journal: JournalReads, *, recording: bool = True) -> list[Route]:
    """``recording``: whether this server records requests in the journal (the page says so when not)."""
    pages = _JournalPages(web, journal, recording)
    admin = signed_in(web, admin=True)
    return [
        Route("/journal", admin(pages.journal)),
        Route("/journal/live", admin(pages.live)),
        Route("/journal/{request_id}", admin(pages.entry)),
        Route("/permissions", admin(pages.permissions)),
    ]


class _JournalPages:
    def __init__(self, web: Web, journal: JournalReads, recording: bool) -> None:
        self.web = web
        self.reads = journal
        self.recording = recording

    def journal(self, request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        search = JournalSearch.of(query)
        if search.error is not None:
            return self.web.render(
                "journal.html", status=400, viewer=viewer, title="Request journal", query=query,
                search=search, listed=None, poll=POLL_SECONDS, recording=self.recording,
            )  # fmt: skip
        listed = self.reads.page(viewer, search, query.get("page"))
        return self.web.render(
            "journal.html", viewer=viewer, title="Request journal", query=query, search=search,
            listed=listed, live_query=_live_query(query, listed.cursor), poll=POLL_SECONDS,
            recording=self.recording,
        )  # fmt: skip

    def live(self, request: Request, viewer: Viewer) -> Response:
        """The entries stored after ``after``, newest first, and the poller asking after the newest of them;
        204 (htmx leaves the page as it is) when there is none."""
        query = dict(request.query_params)
        search = JournalSearch.of(query)
        after = query.get("after", "")
        if search.error is not None or not after.isdigit() or len(after) > 18:
            return secured(Response(status_code=400))
        entries = self.reads.after(viewer, search, int(after))
        if not entries:
            return secured(Response(status_code=204))
        return self.web.render(
            "journal_live.html", entries=entries, live_query=_live_query(query, int(entries[0]["id"])),
            poll=POLL_SECONDS,
        )  # fmt: skip

    def entry(self, request: Request, viewer: Viewer) -> Response:
        request_id = request.path_params["request_id"]
        found = self.reads.entry(viewer, request_id) if len(request_id) <= 200 else None
        if found is None:
            return self.web.refused(viewer, 404, "No journal entry of this tenant has that request-id.")
        return self.web.render(
            "journal_entry.html", viewer=viewer, title=f"Request {request_id}", entry=found
        )

    def permissions(self, request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        app, user = query.get("app", "").strip(), query.get("user", "").strip()
        apps, users = self.reads.callers(viewer)
        reports = self.reads.permissions(viewer, app=app, user=user) if app or user else None
        return self.web.render(
            "permissions.html", viewer=viewer, title="Minimal permissions", query=query, app=app, user=user,
            apps=apps, users=users, reports=reports,
        )  # fmt: skip


def _live_query(query: dict[str, str], cursor: int) -> dict[str, str]:
    """The page's filters and the id after which new entries are asked for."""
    kept = {
        name: value for name, value in query.items() if name in ("status", "app", "user", "route", "rule")
    }
    kept["after"] = str(cursor)
    return kept
