"""An administrator's pages: the overview charts, providers, a provider's contents and activities, learners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from learninggraph.dashboard import exports
from learninggraph.dashboard.reads import Reads, literal
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import Web, secured, signed_in
from learninggraph.domain.errors import GraphError

CHART_DAYS = 30
ViewerPage = Callable[[Request, Viewer], Response]
STATUSES = ("notStarted", "inProgress", "completed")


def activity_filter(reads: Reads, viewer: Viewer, query: dict[str, str]) -> str:
    """The activities table's search fields as one $filter: learner (id or user name), status, external id."""
    parts = []
    learner = query.get("learner", "").strip()
    if learner:
        found = reads.learner_named(viewer, learner)
        parts.append(f"learnerUserId eq {literal(found or learner)}")
    if query.get("status") in STATUSES:
        parts.append(f"status eq {literal(query['status'])}")
    external = query.get("external", "").strip()
    if external:
        parts.append(f"externalcourseActivityId eq {literal(external)}")
    return " and ".join(parts)


def routes(web: Web, reads: Reads) -> list[Route]:
    pages = _TenantPages(web, reads)
    admin = signed_in(web, admin=True)

    def guarded(page: ViewerPage) -> ViewerPage:
        """A read the services refuse (an unknown provider, a bad search) is shown as its Graph message."""

        def run(request: Request, viewer: Viewer) -> Response:
            try:
                return page(request, viewer)
            except GraphError as error:
                return web.refused(viewer, error.status, error.message)

        return run

    return [
        Route("/overview", admin(guarded(pages.overview))),
        Route("/overview/data.json", admin(guarded(pages.chart_data))),
        Route("/providers", admin(guarded(pages.providers))),
        Route("/providers/{provider}/contents", admin(guarded(pages.contents))),
        Route("/providers/{provider}/activities", admin(guarded(pages.activities))),
        Route("/learners", admin(guarded(pages.learners))),
        *exports.routes(web, reads, admin, guarded, activity_filter),
    ]


class _TenantPages:
    def __init__(self, web: Web, reads: Reads) -> None:
        self.web = web
        self.reads = reads

    def overview(self, request: Request, viewer: Viewer) -> Response:
        return self.web.render("overview.html", viewer=viewer, title="Organisation", days=CHART_DAYS)

    def chart_data(self, request: Request, viewer: Viewer) -> Response:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return secured(JSONResponse(self.reads.charts(viewer, now=now, days=CHART_DAYS)))

    def providers(self, request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        listed = self.reads.providers(viewer, query.get("page"))
        return self.web.render("providers.html", viewer=viewer, title="Providers", listed=listed, query=query)

    def contents(self, request: Request, viewer: Viewer) -> Response:
        provider = self.reads.provider(viewer, request.path_params["provider"])
        query = dict(request.query_params)
        listed = self.reads.contents(viewer, provider["id"], query.get("q", ""), query.get("page"))
        return self.web.render(
            "contents.html", viewer=viewer, title=f"Contents of {provider['displayName']}",
            provider=provider, listed=listed, query=query,
        )  # fmt: skip

    def activities(self, request: Request, viewer: Viewer) -> Response:
        provider = self.reads.provider(viewer, request.path_params["provider"])
        query = dict(request.query_params)
        listed = self.reads.activities(
            viewer, filter_text=activity_filter(self.reads, viewer, query), page=query.get("page"),
            provider_id=provider["id"],
        )  # fmt: skip
        return self.web.render(
            "activities.html", viewer=viewer, title=f"Activities of {provider['displayName']}",
            provider=provider, listed=listed, query=query, statuses=STATUSES,
        )  # fmt: skip

    def learners(self, request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        listed = self.reads.learners(viewer, query.get("q", ""), query.get("page"))
        return self.web.render("learners.html", viewer=viewer, title="Learners", listed=listed, query=query)
