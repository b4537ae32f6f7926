"""An administrator's pages: the overview charts, providers, a provider's contents and activities, learners."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from learninggraph.dashboard import exports
from learninggraph.dashboard.figures import DAYS, Figures
from learninggraph.dashboard.reads import STATUSES, ActivitySearch, Reads
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import Web, secured, signed_in
from learninggraph.domain.errors import GraphError

ViewerPage = Callable[[Request, Viewer], Response]


def routes(web: Web, reads: Reads, figures: Figures) -> list[Route]:
    pages = _TenantPages(web, reads, figures)
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
        *exports.routes(web, reads, admin, guarded),
    ]


class _TenantPages:
    def __init__(self, web: Web, reads: Reads, figures: Figures) -> None:
        self.web = web
        self.reads = reads
        self.figures = figures

    def overview(self, request: Request, viewer: Viewer) -> Response:
        return self.web.render("overview.html", viewer=viewer, title="Organisation", days=DAYS)

    def chart_data(self, request: Request, viewer: Viewer) -> Response:
        figures = self.figures.of(viewer.tenant.id)
        if figures is None:
            return secured(JSONResponse({"ready": False}, status_code=202, headers={"Retry-After": "1"}))
        return secured(JSONResponse({"ready": True, **figures}))

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
        listed = self.reads.provider_activities(
            viewer, provider["id"], ActivitySearch.of(query), query.get("page")
        )
        return self.web.render(
            "activities.html", viewer=viewer, title=f"Activities of {provider['displayName']}",
            provider=provider, listed=listed, query=query, statuses=STATUSES,
        )  # fmt: skip

    def learners(self, request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        listed = self.reads.learners(viewer, query.get("q", ""), query.get("page"))
        return self.web.render("learners.html", viewer=viewer, title="Learners", listed=listed, query=query)
