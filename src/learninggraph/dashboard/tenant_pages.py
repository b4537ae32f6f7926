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
    admin = signed_in(web, admin=True)

    def guarded(page: Callable[[Request, Viewer], Response]) -> Callable[[Request, Viewer], Response]:
        def run(request: Request, viewer: Viewer) -> Response:
            try:
                return page(request, viewer)
            except GraphError as error:
                return web.refused(viewer, error.status, error.message)

        return run

    def overview(request: Request, viewer: Viewer) -> Response:
        return web.render("overview.html", viewer=viewer, title="Organisation", days=CHART_DAYS)

    def chart_data(request: Request, viewer: Viewer) -> Response:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return secured(JSONResponse(reads.charts(viewer, now=now, days=CHART_DAYS)))

    def providers(request: Request, viewer: Viewer) -> Response:
        listed = reads.providers(viewer, request.query_params.get("page"))
        return web.render(
            "providers.html",
            viewer=viewer,
            title="Providers",
            listed=listed,
            query=dict(request.query_params),
        )

    def contents(request: Request, viewer: Viewer) -> Response:
        provider = reads.provider(viewer, request.path_params["provider"])
        query = dict(request.query_params)
        listed = reads.contents(viewer, provider["id"], query.get("q", ""), query.get("page"))
        return web.render(
            "contents.html", viewer=viewer, title=f"Contents of {provider['displayName']}",
            provider=provider, listed=listed, query=query,
        )  # fmt: skip

    def activities(request: Request, viewer: Viewer) -> Response:
        provider = reads.provider(viewer, request.path_params["provider"])
        query = dict(request.query_params)
        listed = reads.activities(
            viewer, filter_text=activity_filter(reads, viewer, query), page=query.get("page"),
            provider_id=provider["id"],
        )  # fmt: skip
        return web.render(
            "activities.html", viewer=viewer, title=f"Activities of {provider['displayName']}",
            provider=provider, listed=listed, query=query, statuses=STATUSES,
        )  # fmt: skip

    def learners(request: Request, viewer: Viewer) -> Response:
        query = dict(request.query_params)
        listed = reads.learners(viewer, query.get("q", ""), query.get("page"))
        return web.render("learners.html", viewer=viewer, title="Learners", listed=listed, query=query)

    return [
        Route("/overview", admin(guarded(overview))),
        Route("/overview/data.json", admin(guarded(chart_data))),
        Route("/providers", admin(guarded(providers))),
        Route("/providers/{provider}/contents", admin(guarded(contents))),
        Route("/providers/{provider}/activities", admin(guarded(activities))),
        Route("/learners", admin(guarded(learners))),
        *exports.routes(web, reads, admin, guarded, activity_filter),
    ]
