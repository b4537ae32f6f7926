"""What every dashboard page shares: templates, the signed-in viewer, CSRF checks and security headers."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from learninggraph.dashboard.sessions import COOKIE, SessionCodec
from learninggraph.dashboard.signin import SignIn
from learninggraph.dashboard.viewer import Viewer
from learninggraph.identity.directory import Directory

PREFIX = "/_learninggraph/dashboard"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Page = Callable[..., Response]
Change = Callable[[Request, Viewer, dict[str, str]], Awaitable[Response]]


class Web:
    def __init__(self, directory: Directory, sign_in: SignIn, sessions: SessionCodec) -> None:
        self.directory = directory
        self.sign_in = sign_in
        self.sessions = sessions
        self.templates = Environment(
            loader=PackageLoader("learninggraph.dashboard", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals["prefix"] = PREFIX
        self.templates.filters["without_page"] = lambda query: _with(query, "page", None)
        self.templates.filters["with_page"] = lambda query, token: _with(query, "page", token)
        self.templates.filters["with_key"] = lambda query, key, token: _with(query, key, token)

    def viewer(self, request: Request) -> Viewer | None:
        session = self.sessions.read(request.cookies.get(COOKIE))
        if session is None:
            return None
        user = self.sign_in.user(session.tenant_id, session.user_id)
        tenant = self.directory.tenant(session.tenant_id)
        if user is None or tenant is None:
            return None
        return Viewer(tenant, user, session.csrf)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(**context)
        response = HTMLResponse(html, status_code=status)
        secured(response)
        return response

    def refused(self, viewer: Viewer, status: int, message: str) -> HTMLResponse:
        return self.render("message.html", status=status, viewer=viewer, title=message, message=message)


def _with(query: dict[str, str], key: str, value: str | None) -> dict[str, str]:
    """The query with ``key`` set to ``value`` (removed for None)."""
    changed = {name: text for name, text in query.items() if name != key}
    if value is not None:
        changed[key] = value
    return changed


def secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def signed_in(web: Web, *, admin: bool = False) -> Callable[[Page], Callable[[Request], Response]]:
    """Runs the page with the viewer; without a session, sends the browser to the sign-in page."""

    def decorate(page: Page) -> Callable[[Request], Response]:
        @wraps(page)
        def handler(request: Request) -> Response:
            viewer = web.viewer(request)
            if viewer is None:
                return secured(RedirectResponse(f"{PREFIX}/sign-in", status_code=303))
            if admin and not viewer.is_admin:
                return web.refused(viewer, 403, "Only an administrator of the tenant may open this page.")
            return page(request, viewer)

        return handler

    return decorate


def changes(web: Web) -> Callable[[Change], Callable[[Request], Awaitable[Response]]]:
    """Runs a change (a POSTed form) for an administrator who may change the tenant, only when the form
    carries the session's CSRF token and comes from the dashboard's own origin."""

    def decorate(change: Change) -> Callable[[Request], Awaitable[Response]]:
        @wraps(change)
        async def handler(request: Request) -> Response:
            form = await read_form(request)
            viewer = await run_in_threadpool(web.viewer, request)
            if viewer is None:
                return secured(RedirectResponse(f"{PREFIX}/sign-in", status_code=303))
            if not viewer.may_change:
                return web.refused(viewer, 403, "Only an administrator of the tenant may change this.")
            if not same_origin(request) or not same_token(form.get("csrf"), viewer.csrf):
                return web.refused(
                    viewer, 403, "The form was stale or came from another site: reload the page."
                )
            return await change(request, viewer, form)

        return handler

    return decorate


# A sign-in or sign-out form is a few hundred bytes; a larger body is not read past this.
MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The request's urlencoded form, empty when its body is larger than ``MAX_FORM_BYTES``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    return form_of(bytes(body))


def form_of(body: bytes) -> dict[str, str]:
    """An urlencoded form; a repeated or undecodable field is dropped."""
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=20, keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in parsed.items() if len(values) == 1}


def same_token(sent: str | None, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def same_origin(request: Request) -> bool:
    """A change must come from the dashboard's own pages: an Origin header, if sent, names this server."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def is_loopback_exchange(request: Request) -> bool:
    """The server is bound to a loopback address and the browser talks to it from this machine."""
    server, client = request.scope.get("server"), request.scope.get("client")
    if not server or not client:
        return False
    try:
        return bool(
            ipaddress.ip_address(server[0]).is_loopback and ipaddress.ip_address(client[0]).is_loopback
        )
    except ValueError:
        return False


def set_session_cookie(response: Response, request: Request, value: str, max_age: int | None) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
