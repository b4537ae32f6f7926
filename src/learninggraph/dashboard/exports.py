"""CSV downloads of what a table shows: the same search, every page of it, streamed row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from learninggraph.dashboard.reads import ActivitySearch, Listed, Reads
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import Web, secured

# Rows fetched per query while streaming a download (keyset pages, so each costs what the first does).
EXPORT_PAGE = 500
ACTIVITY_COLUMNS = (
    "id", "@odata.type", "learnerUserId", "learnerName", "learningContentId", "contentTitle", "externalcourseActivityId",
    "status", "completionPercentage", "assignmentType", "assignedDateTime", "dueDateTime", "startedDateTime",
    "completedDateTime", "overdue",
)  # fmt: skip
CONTENT_COLUMNS = (
    "id", "externalId", "title", "description", "duration", "level", "languageTag", "sourceName",
    "skillTags", "contentWebUrl", "thumbnailWebUrl",
)  # fmt: skip
LEARNER_COLUMNS = ("id", "displayName", "userPrincipalName", "hasLearningLicense", "directoryRoles")

Guard = Callable[[Callable[[Request, Viewer], Response]], Callable[[Request], Response]]
Wrap = Callable[[Callable[[Request, Viewer], Response]], Callable[[Request, Viewer], Response]]


def cell(value: Any) -> str:
    """One CSV cell; text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("dateTime", "")
    elif isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows_of(columns: Sequence[str], fetch: Callable[[str | None], Listed]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    page: str | None = None
    while True:
        listed = fetch(page)
        for item in listed.items:
            writer.writerow([cell(item.get(column)) for column in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if listed.next_page is None:
            return
        page = listed.next_page


def download(name: str, chunks: Iterator[str]) -> Response:
    return secured(
        StreamingResponse(
            (chunk.encode("utf-8") for chunk in chunks),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )


def routes(web: Web, reads: Reads, admin: Guard, guarded: Wrap) -> list[Route]:
    def activities_csv(request: Request, viewer: Viewer) -> Response:
        provider = reads.provider(viewer, request.path_params["provider"])
        search = ActivitySearch.of(dict(request.query_params))
        first = reads.provider_activities(viewer, provider["id"], search, None, EXPORT_PAGE)

        def fetch(page: str | None) -> Listed:
            if page is None:
                return first
            return reads.provider_activities(viewer, provider["id"], search, page, EXPORT_PAGE)

        return download("activities.csv", rows_of(ACTIVITY_COLUMNS, fetch))

    def contents_csv(request: Request, viewer: Viewer) -> Response:
        provider = reads.provider(viewer, request.path_params["provider"])
        search = request.query_params.get("q", "")
        first = reads.contents(viewer, provider["id"], search, None, EXPORT_PAGE)
        return download(
            "contents.csv",
            rows_of(
                CONTENT_COLUMNS,
                lambda page: (
                    first
                    if page is None
                    else reads.contents(viewer, provider["id"], search, page, EXPORT_PAGE)
                ),
            ),
        )

    def learners_csv(request: Request, viewer: Viewer) -> Response:
        search = request.query_params.get("q", "")
        return download(
            "learners.csv",
            rows_of(LEARNER_COLUMNS, lambda page: reads.learners(viewer, search, page, EXPORT_PAGE)),
        )

    return [
        Route("/providers/{provider}/activities.csv", admin(guarded(activities_csv))),
        Route("/providers/{provider}/contents.csv", admin(guarded(contents_csv))),
        Route("/learners.csv", admin(guarded(learners_csv))),
    ]
