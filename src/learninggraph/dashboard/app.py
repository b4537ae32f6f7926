"""The dashboard's ASGI application: its routes under ``PREFIX``, static files, and ``/`` leading to it."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from learninggraph.dashboard import auth_pages, fault_pages, journal_pages, learning_pages, tenant_pages
from learninggraph.dashboard.fault_rules import FaultRules
from learninggraph.dashboard.figures import Figures
from learninggraph.dashboard.journal_reads import JournalReads
from learninggraph.dashboard.reads import Reads
from learninggraph.dashboard.sessions import SessionCodec, session_key
from learninggraph.dashboard.signin import SignIn
from learninggraph.dashboard.web import PREFIX, Web, secured
from learninggraph.identity.directory import Directory
from learninggraph.identity.endpoints import LoginGuard
from learninggraph.identity.keys import SigningKeys
from learninggraph.journal.minimal_permissions import OperationTable
from learninggraph.storage.database import Database


def handles(scope: MutableMapping[str, Any]) -> bool:
    """Whether a request belongs to the dashboard: its prefix, or a browser's ``GET /``."""
    path = str(scope.get("path", ""))
    if path == "/":
        return scope.get("method") in ("GET", "HEAD")
    return path == PREFIX or path.startswith(PREFIX + "/")


def mounted(app: Starlette) -> Callable[[MutableMapping[str, Any]], Starlette | None]:
    """The edge's hook: the dashboard for the requests it handles, None for every other."""
    return lambda scope: app if handles(scope) else None


def dashboard_app(
    database: Database,
    directory: Directory,
    keys: SigningKeys,
    guard: LoginGuard | None,
    max_page_size: int,
    *,
    operations: OperationTable | None = None,
    faults_changed: Callable[[], None] = lambda: None,
    journal_recording: bool = True,
    journal_database: Database | None = None,
) -> Starlette:
    """The dashboard over the server's database and directory; its sign-ins count in the token endpoint's guard.

    ``operations``: what each Graph operation accepts (the minimal-permissions report); ``faults_changed``: run
    after the page adds or clears a fault rule (the request path's matcher re-reads the rules);
    ``journal_recording``: whether the server records requests in the journal; ``journal_database``: where
    the journal is stored (``journal.storage``; None: in ``database``)."""
    _, private_key = keys.signing_key()
    material = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    web = Web(directory, SignIn(directory, guard), SessionCodec(session_key(material)))
    reads = Reads(database, max_page_size=max_page_size)
    static = StaticFiles(packages=[("learninggraph.dashboard", "static")])
    pages: list[BaseRoute] = [
        *auth_pages.routes(web),
        *learning_pages.routes(web, reads),
        *tenant_pages.routes(web, reads, Figures(database)),
        *journal_pages.routes(
            web,
            JournalReads(journal_database or database, operations or {}, reads.learner_named),
            recording=journal_recording,
        ),
        *fault_pages.routes(web, FaultRules(database, faults_changed)),
        Mount("/static", app=static, name="static"),
    ]
    return Starlette(
        routes=[
            Route("/", _to_dashboard),
            Route(PREFIX, _to_dashboard),
            Mount(PREFIX, routes=pages),
        ]
    )


def _to_dashboard(request: Request) -> Response:
    return secured(RedirectResponse(f"{PREFIX}/", status_code=302))
