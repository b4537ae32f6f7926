"""Sign-in (a tenant user's password, or one click as the development administrator on loopback), sign-out."""

from __future__ import annotations

import secrets

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from learninggraph.dashboard.sessions import COOKIE, LIFETIME_SECONDS, SIGN_IN_COOKIE
from learninggraph.dashboard.signin import SignInRefused
from learninggraph.dashboard.web import (
    PREFIX,
    Web,
    is_loopback_exchange,
    read_form,
    same_origin,
    same_token,
    secured,
    set_session_cookie,
)
from learninggraph.http.edge import SIGN_IN_THREADS
from learninggraph.identity.dev import DEV_TENANT_ID, DEV_USER_ID, dev_credentials
from learninggraph.identity.directory import User


def routes(web: Web) -> list[Route]:
    pages = _AuthPages(web)
    return [
        Route("/sign-in", pages.sign_in_page, methods=["GET"]),
        Route("/sign-in", pages.sign_in, methods=["POST"]),
        Route("/sign-in/development", pages.sign_in_development, methods=["POST"]),
        Route("/sign-out", pages.sign_out, methods=["POST"]),
    ]


class _AuthPages:
    def __init__(self, web: Web) -> None:
        self.web = web
        self._lane: anyio.CapacityLimiter | None = None

    def _sign_in_lane(self) -> anyio.CapacityLimiter:
        """Password checks (scrypt) run two at a time, as the token endpoint's do, whatever the load."""
        if self._lane is None:
            self._lane = anyio.CapacityLimiter(SIGN_IN_THREADS)
        return self._lane

    def _offers_development(self, request: Request) -> bool:
        return is_loopback_exchange(request) and dev_credentials(self.web.directory) is not None

    def _form_page(
        self, request: Request, *, status: int = 200, error: str = "", tenant: str = ""
    ) -> Response:
        token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
        response = self.web.render(
            "sign_in.html",
            status=status,
            title="Sign in",
            csrf=token,
            error=error,
            tenant=tenant or request.query_params.get("tenant", ""),
            development=self._offers_development(request),
        )
        response.set_cookie(
            SIGN_IN_COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip
        return response

    async def sign_in_page(self, request: Request) -> Response:
        return await run_in_threadpool(self._form_page, request)

    async def _checked_form(self, request: Request) -> dict[str, str] | None:
        form = await read_form(request)
        if not same_origin(request) or not same_token(form.get("csrf"), request.cookies.get(SIGN_IN_COOKIE)):
            return None
        return form

    async def sign_in(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return await run_in_threadpool(self._form_page, request, status=400, error=_STALE_FORM)
        address = request.client.host if request.client else ""
        try:
            user = await anyio.to_thread.run_sync(
                self.web.sign_in.with_password,
                form.get("tenant", ""),
                form.get("username", ""),
                form.get("password", ""),
                address,
                limiter=self._sign_in_lane(),
            )
        except SignInRefused as refused:
            status = 429 if refused.retry_after is not None else 400
            response = await run_in_threadpool(
                self._form_page, request, status=status, error=refused.message, tenant=form.get("tenant", "")
            )
            if refused.retry_after is not None:
                response.headers["Retry-After"] = str(refused.retry_after)
            return response
        return self._signed_in(request, user)

    async def sign_in_development(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return await run_in_threadpool(self._form_page, request, status=400, error=_STALE_FORM)
        if not await run_in_threadpool(self._offers_development, request):
            return await run_in_threadpool(
                self._form_page, request, status=403, error="The development sign-in is not offered here."
            )
        user = await run_in_threadpool(self.web.sign_in.user, DEV_TENANT_ID, DEV_USER_ID)
        if user is None:
            return await run_in_threadpool(self._form_page, request, status=403, error="No development user.")
        return self._signed_in(request, user)

    def _signed_in(self, request: Request, user: User) -> Response:
        value, _ = self.web.sessions.issue(user.tenant_id, user.id)
        response = secured(RedirectResponse(f"{PREFIX}/", status_code=303))
        set_session_cookie(response, request, value, LIFETIME_SECONDS)
        response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
        return response

    async def sign_out(self, request: Request) -> Response:
        form = await read_form(request)
        session = self.web.sessions.read(request.cookies.get(COOKIE))
        if session is None or not same_origin(request) or not same_token(form.get("csrf"), session.csrf):
            return secured(
                Response("The sign-out form was stale: reload the page.", 400, media_type="text/plain")
            )
        response = secured(RedirectResponse(f"{PREFIX}/sign-in", status_code=303))
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
        return response


_STALE_FORM = "The sign-in form had expired. Please try again."
