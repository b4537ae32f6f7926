"""A learner's "My learning": assigned, in progress, completed and self-initiated, as Viva Learning groups them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from learninggraph.dashboard.reads import Listed, Reads
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import PREFIX, Web, secured, signed_in
from learninggraph.domain.errors import GraphError


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    filter_text: str


SECTIONS = (
    Section("assigned", "Assigned", "assignmentType ne null and status ne 'completed'"),
    Section("inProgress", "In progress", "status eq 'inProgress'"),
    Section("completed", "Completed", "status eq 'completed'"),
    Section("selfInitiated", "Self-initiated", "assignmentType eq null"),
)


def routes(web: Web, reads: Reads) -> list[Route]:
    def home(request: Request, viewer: Viewer) -> Response:
        target = "overview" if viewer.is_admin else "learning"
        return secured(RedirectResponse(f"{PREFIX}/{target}", status_code=303))

    def my_learning(request: Request, viewer: Viewer) -> Response:
        return _learning_page(web, reads, request, viewer, viewer.user.id)

    def learner_learning(request: Request, viewer: Viewer) -> Response:
        learner_id = request.path_params["learner"]
        if learner_id != viewer.user.id and not viewer.is_admin:
            return web.refused(viewer, 403, "You may only open your own learning.")
        return _learning_page(web, reads, request, viewer, learner_id)

    return [
        Route("/", signed_in(web)(home)),
        Route("/learning", signed_in(web)(my_learning)),
        Route("/learners/{learner}", signed_in(web)(learner_learning)),
    ]


def _learning_page(web: Web, reads: Reads, request: Request, viewer: Viewer, learner_id: str) -> Response:
    learner = reads.learner(viewer, learner_id)
    if learner is None:
        return web.refused(viewer, 404, "There is no such learner in this tenant.")
    sections: list[tuple[Section, Listed]] = []
    try:
        for section in SECTIONS:
            page = request.query_params.get(section.key) or None
            listed = reads.activities(
                viewer, filter_text=section.filter_text, page=page, learner_id=learner_id
            )
            sections.append((section, listed))
    except GraphError as error:
        return web.refused(viewer, error.status, error.message)
    return web.render(
        "learning.html",
        viewer=viewer,
        learner=learner,
        own=learner_id == viewer.user.id,
        sections=sections,
        query=dict(request.query_params),
        title="My learning" if learner_id == viewer.user.id else f"Learning of {learner['displayName']}",
    )
