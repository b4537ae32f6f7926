"""An administrator's fault rules: listed, added from a form and cleared (one or all), each change a POST with
the session's CSRF token; the request path applies them (the first matching rule of the tenant wins)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from learninggraph.dashboard.fault_rules import ACTIONS, FORM_METHODS, FORM_STATUSES, FaultRules
from learninggraph.dashboard.viewer import Viewer
from learninggraph.dashboard.web import PREFIX, Web, changes, secured, signed_in
from learninggraph.faults.rules import FaultRuleError


def routes(web: Web, faults: FaultRules) -> list[Route]:
    pages = _FaultPages(web, faults)
    change = changes(web)
    return [
        Route("/faults", signed_in(web, admin=True)(pages.listed), methods=["GET"]),
        Route("/faults", change(pages.add), methods=["POST"]),
        Route("/faults/clear", change(pages.clear), methods=["POST"]),
    ]


class _FaultPages:
    def __init__(self, web: Web, faults: FaultRules) -> None:
        self.web = web
        self.faults = faults

    def listed(
        self, request: Request, viewer: Viewer, *, status: int = 200, error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:  # fmt: skip
        notice = request.query_params.get("done", "") if error is None else ""
        return self.web.render(
            "faults.html", status=status, viewer=viewer, title="Fault rules", rules=self.faults.rules(viewer),
            error=error, form=form or {"action": "status", "status": "503"}, notice=_NOTICES.get(notice),
            actions=ACTIONS, methods=FORM_METHODS, statuses=FORM_STATUSES,
        )  # fmt: skip

    async def add(self, request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
        try:
            await run_in_threadpool(self.faults.add, viewer, form)
        except FaultRuleError as error:
            message = str(error)
            return await run_in_threadpool(
                lambda: self.listed(request, viewer, status=400, error=message, form=form)
            )
        return secured(RedirectResponse(f"{PREFIX}/faults?done=added", status_code=303))

    async def clear(self, request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
        rule_id = form.get("rule") or None
        await run_in_threadpool(self.faults.clear, viewer, rule_id)
        return secured(RedirectResponse(f"{PREFIX}/faults?done=cleared", status_code=303))


_NOTICES = {"added": "The rule was added.", "cleared": "Cleared."}
