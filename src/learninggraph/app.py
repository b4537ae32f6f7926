"""The composition root: create_app(settings) builds every long-lived object; nothing is built at import."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

import msgspec

from learninggraph import __version__
from learninggraph.dashboard.app import dashboard_app, mounted
from learninggraph.http.access_log import AccessLog, Exchange
from learninggraph.http.edge import GRAPH_VERSIONS, Edge
from learninggraph.http.messages import Response
from learninggraph.http.metrics import Metrics, metrics_route
from learninggraph.http.probes import health, readiness
from learninggraph.http.routing import Route, Router
from learninggraph.http.throttling import LeasedCounterStore, LoginGuard, Throttle, lease_units
from learninggraph.identity.directory import Directory
from learninggraph.identity.endpoints import routes as identity_routes
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.listening import bind_socket, own_command
from learninggraph.odata.filter import FilterCache
from learninggraph.resources.employee_experience import routes as containers
from learninggraph.resources.learning_contents import routes as contents
from learninggraph.resources.learning_contents.service import LearningContentService
from learninggraph.resources.learning_course_activities import routes as activities
from learninggraph.resources.learning_course_activities.service import LearningCourseActivityService
from learninggraph.resources.learning_providers import routes as providers
from learninggraph.resources.learning_providers.service import LearningProviderService
from learninggraph.resources.metadata import csdl_document
from learninggraph.resources.openapi import openapi_document
from learninggraph.settings import DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_URL, Settings, listening_origin
from learninggraph.storage.budgets import DatabaseCounterStore
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

SETTINGS_ENVIRONMENT_VARIABLE = "LEARNINGGRAPH_SETTINGS_JSON"
# How long a process may spend the request budget it claimed from the database before it lapses.
_LEASE_SECONDS = 0.5
# Handler threads per worker on PostgreSQL: with the edge's two sign-in threads, no more than the connection
# pool holds, so a handler never waits for a connection that another handler's thread is not using.
HANDLER_THREADS = 6
_M_MMAP_THRESHOLD = -3


def create_app(settings: Settings) -> Edge:
    return_large_blocks_to_the_system()
    database = Database(settings.database_url)
    upgrade(database)
    directory = Directory(database)
    keys = SigningKeys.load_or_create(database)
    issuer = TokenIssuer(keys=keys, settings=settings)
    verifier = TokenVerifier(keys=keys, directory=directory, settings=settings)
    paging: dict[str, Any] = {
        "page_size": settings.default_page_size,
        "max_page_size": settings.max_page_size,
        "filters": FilterCache(),
    }
    graph_routes = [
        *providers.routes(LearningProviderService(database), **paging),
        *contents.routes(LearningContentService(database), **paging),
        *activities.routes(LearningCourseActivityService(database), **paging),
        *containers.routes(database, max_page_size=settings.max_page_size),
    ]
    graph = Router(graph_routes)
    openapi = msgspec.json.encode(openapi_document(graph_routes, title="learninggraph", version=__version__))
    csdl = {version: csdl_document(version) for version in GRAPH_VERSIONS}
    # Budgets live in the database, so a limit holds across workers and servers (wall-clock time).
    budgets = DatabaseCounterStore(database)
    throttle = (
        None
        if settings.throttle_limit is None
        else Throttle(
            limit=settings.throttle_limit,
            window_seconds=settings.throttle_window_seconds,
            store=LeasedCounterStore(
                budgets, units=lease_units(settings.throttle_limit), seconds=_LEASE_SECONDS
            ),
            clock=time.time,
        )
    )
    guard = (
        None
        if settings.login_failure_limit is None
        else LoginGuard(
            limit=settings.login_failure_limit,
            window_seconds=settings.login_failure_window_seconds,
            ceiling=settings.login_failure_ceiling,
            store=budgets,
            clock=time.time,
        )
    )
    observers: list[Callable[[Exchange], None]] = [AccessLog(json_lines=settings.log_format == "json")]
    service_routes = [Route(("health",), {"GET": health}), Route(("ready",), {"GET": readiness(database)})]
    if settings.metrics != "off":
        metrics = Metrics(database.pool_stats if database.dialect == "postgresql" else None)
        observers.append(metrics)
        if settings.metrics == "public":
            service_routes.append(
                Route(("metrics",), {"GET": metrics_route(metrics, settings.metrics_token)})
            )
    public = Router(
        [
            *identity_routes(directory=directory, issuer=issuer, keys=keys, settings=settings, guard=guard),
            *service_routes,
            Route(
                ("openapi.json",), {"GET": lambda request, params: Response(200, openapi, "application/json")}
            ),
        ]
    )
    return Edge(
        graph=graph,
        public=public,
        authenticator=verifier,
        max_body_bytes=settings.max_body_bytes,
        limiter=throttle,
        trust_forwarded_headers=settings.trust_forwarded_headers,
        on_shutdown=database.close,
        metadata=lambda request, params: Response(
            200, csdl[request.version], "application/xml;charset=utf-8"
        ),
        batch_group=database.grouped,
        executor=_executor_for(database),
        max_header_count=settings.max_header_count,
        max_header_bytes=settings.max_header_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
        max_batch_response_bytes=settings.max_batch_response_bytes,
        observers=observers,
        mounted=mounted(dashboard_app(database, directory, keys, guard, settings.max_page_size)),
    )


def return_large_blocks_to_the_system() -> None:
    """Has glibc map every block of 128 KiB or more on its own, so freeing it returns it to the system.

    glibc otherwise raises that threshold after each large free, and later large responses then stay in
    its heap: after one huge ``$batch`` the process kept hundreds of megabytes. No-op on other C libraries.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


def _executor_for(database: Database) -> ThreadPoolExecutor | None:
    """Threads for handlers on PostgreSQL, where every statement is a network round trip.

    SQLite answers in microseconds from one connection per process, so its handlers stay on the loop.
    """
    if database.dialect != "postgresql":
        return None
    return ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="learninggraph-handler")


def create_app_from_environment() -> Edge:
    """The factory each worker process calls when ``serve --workers N`` starts several."""
    raw: dict[str, Any] = json.loads(os.environ[SETTINGS_ENVIRONMENT_VARIABLE])
    for name in ("trusted_issuers", "extra_audiences"):
        raw[name] = tuple(raw.get(name, ()))
    settings = Settings(**raw)
    from learninggraph.http.access_log import configure_logging

    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    return create_app(settings)


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    certfile: str | None = None,
    keyfile: str | None = None,
    workers: int = 1,
) -> None:
    import dataclasses

    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    from learninggraph.http.access_log import configure_logging
    from learninggraph.http.connections import fit_connection_cap, server_config
    from learninggraph.http.metrics import prepare_workers, start_listener
    from learninggraph.identity.dev import apply_dev_identity_rules, dev_credentials
    from learninggraph.settings import metrics_listener

    sock = bind_socket(host, port)  # before anything is created or printed: a busy port is one error line
    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    database = Database(settings.database_url)
    upgrade(database)
    directory = Directory(database)
    SigningKeys.load_or_create(database)
    created = apply_dev_identity_rules(database, settings, host=host, warn=sys.stderr)
    credentials = dev_credentials(directory)
    database.close()
    base = listening_origin(host, port, tls=certfile is not None)
    hint = ""
    if settings.public_url is None and settings.trust_forwarded_headers:
        hint = " Behind a proxy, give its address with --public-url."
    public_url = settings.public_url or base
    settings = replace(settings, public_url=public_url)
    _announce(
        base, credentials, created=bool(created), public_url=public_url, database_url=settings.database_url
    )
    sys.stdout.write(f"Tokens name {public_url}/{{tenantId}}/v2.0 as their issuer.{hint}\n")
    sys.stdout.flush()
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "ssl_certfile": certfile,
        "ssl_keyfile": keyfile,
        "lifespan": "on",
    }
    settings = dataclasses.replace(settings, max_connections=fit_connection_cap(settings.max_connections))
    listener = metrics_listener(settings.metrics)
    if workers > 1:
        metrics_directory = prepare_workers(workers, settings.metrics)
        if listener is not None:
            start_listener(listener, None)
        os.environ[SETTINGS_ENVIRONMENT_VARIABLE] = json.dumps(asdict(settings), default=list)
        config = server_config(
            "learninggraph.app:create_app_from_environment", settings, factory=True, workers=workers, **common
        )
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            if metrics_directory is not None:
                shutil.rmtree(metrics_directory, ignore_errors=True)
    else:
        app = create_app(settings)
        if listener is not None:
            start_listener(
                listener, next((o.registry for o in app.observers if isinstance(o, Metrics)), None)
            )
        config = server_config(app, settings, **common)
        server = Server(config)
        server.run(sockets=[sock])
        if not server.started:
            raise SystemExit(3)


def _announce(
    base: str, credentials: dict[str, str] | None, *, created: bool, public_url: str, database_url: str
) -> None:
    out = sys.stdout
    database = "" if database_url == DEFAULT_DATABASE_URL else f" --database {shlex.quote(database_url)}"
    public = "" if public_url == DEFAULT_PUBLIC_URL else f" --public-url {public_url}"
    out.write(f"learninggraph is serving Graph at {base}/v1.0 and {base}/beta\n")
    if credentials is not None:
        tenant = credentials["tenantId"]
        out.write(
            ("Created" if created else "Using")
            + f" the development identity (see `{own_command()} dev-credentials{database}`):\n"
            f"  tenantId          {tenant}\n"
            f"  clientId          {credentials['clientId']}\n"
            f"  clientSecret      {credentials['clientSecret']}\n"
            f"  userId            {credentials['userId']} (the learner's id, e.g. for assignments)\n"
            f"  userPrincipalName {credentials['userPrincipalName']}\n"
            f"  password          {credentials['password']}\n"
            f"  directoryRoles    {credentials['directoryRoles']} (an administrator)\n"
            "Get an application token:\n"
            f"  curl -s {base}/{tenant}/oauth2/v2.0/token -d grant_type=client_credentials "
            f"-d client_id={credentials['clientId']} -d client_secret={credentials['clientSecret']} "
            "-d scope=https://graph.microsoft.com/.default\n"
            f"or a delegated one: {own_command()} token{database} --tenant "
            f"{tenant} --user {credentials['userPrincipalName']} --scope LearningProvider.ReadWrite{public}\n"
        )
    out.flush()
