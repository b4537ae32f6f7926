"""The composition root: create_app(settings) builds every long-lived object; nothing is built at import."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shlex
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, replace
from random import Random
from typing import TYPE_CHECKING, Any

import msgspec

from learninggraph import __version__
from learninggraph.admin import AdminServices, admin_routes
from learninggraph.admin.openapi import admin_paths
from learninggraph.faults.flags import install, serve_rules, uninstall
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.access_log import AccessLog, Exchange, flush_console
from learninggraph.http.dashboard_mount import PREFIX as DASHBOARD_PREFIX
from learninggraph.http.dashboard_mount import mounted_lazily
from learninggraph.http.edge import Edge
from learninggraph.http.messages import Response
from learninggraph.http.pipeline import request_steps
from learninggraph.http.probes import health, readiness
from learninggraph.http.reading import Reading
from learninggraph.http.recording import Recorder
from learninggraph.http.routing import Operation, Router
from learninggraph.http.throttling import LeasedCounterStore, LoginGuard, Throttle, lease_units
from learninggraph.identity.directory import Directory
from learninggraph.identity.endpoints import routes as identity_routes
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.journal.journal import Journal
from learninggraph.listening import bind_socket, own_command
from learninggraph.odata.filter import FilterCache
from learninggraph.resources import registry
from learninggraph.resources.descriptor import Resource, Wiring
from learninggraph.settings import DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_URL, Settings, listening_origin
from learninggraph.storage.budgets import DatabaseCounterStore
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import Migration, upgrade

if TYPE_CHECKING:
    from learninggraph.http.metrics import Metrics

SETTINGS_ENVIRONMENT_VARIABLE = "LEARNINGGRAPH_SETTINGS_JSON"
# How long a process may spend the request budget it claimed from the database before it lapses.
_LEASE_SECONDS = 0.5
# Handler threads per worker on PostgreSQL: with the edge's two sign-in threads, no more than the connection
# pool holds, so a handler never waits for a connection that another handler's thread is not using.
HANDLER_THREADS = 6
_M_MMAP_THRESHOLD = -3
# The journal's writer stores what is queued once a second, or as soon as this many entries wait: a
# transaction's fixed cost (ids, per-tenant counts, eviction) spread over hundreds of entries costs a
# busy server a third of what 50 ms batches did (bench/journal_cost.py); the test kit flushes before reading.
JOURNAL_INTERVAL_SECONDS = 1.0
JOURNAL_BATCH_SIZE = 512


def create_app(settings: Settings, *, resources: Sequence[Resource] = ()) -> Edge:
    """The app of ``settings``, serving the registered resources and ``resources`` (a test's own) after them."""
    return_large_blocks_to_the_system()
    served = registry.served(resources)
    database = Database(settings.database_url)
    migrations = registry.migrations(served)
    upgrade(database, migrations)
    directory = Directory(database)
    keys = SigningKeys.load_or_create(database)
    verifier = TokenVerifier(keys=keys, directory=directory, settings=settings)
    # Budgets live in the database, so a limit holds across workers and servers (wall-clock time).
    budgets = DatabaseCounterStore(database)
    graph = graph_router(database, settings, served)
    document = registry.openapi(graph.routes, served, version=__version__)
    document["paths"].update(admin_paths())
    openapi = msgspec.json.encode(document)
    observers: list[Callable[[Exchange], None]] = [AccessLog(json_lines=settings.log_format == "json")]
    metrics = None
    if settings.metrics != "off":
        from learninggraph.http.metrics import Metrics  # prometheus-client, only when metrics are on

        metrics = Metrics(database.pool_stats if database.dialect == "postgresql" else None)
        observers.append(metrics)
    guard = _login_guard(settings, budgets)
    # What each Graph operation accepts, for the dashboard's minimal-permissions report.
    table = registry.permission_table(resources)
    faults = FaultMatcher(database, rng=None if settings.fault_seed is None else Random(settings.fault_seed))
    # The request journal writes from a thread of its own, through a Database of its own (see JournalWriter).
    journal = None
    if settings.journal:
        journal = Journal(
            Database(settings.database_url),
            max_entries_per_tenant=settings.journal_max_entries_per_tenant,
            batch_size=JOURNAL_BATCH_SIZE,
            interval=JOURNAL_INTERVAL_SECONDS,
        )
    recorder = None if journal is None else Recorder(journal)
    table = {op.name: op.permissions for op in graph.operations if op.permissions is not None}
    admin = admin_routes(
        AdminServices(database, verifier, journal, operations=table, faults_changed=faults.invalidate)
    )
    public = public_router(
        database,
        directory,
        keys,
        settings,
        guard,
        openapi=openapi,
        migrations=migrations,
        metrics=metrics,
        admin=admin,
    )

    def shut_down() -> None:
        if journal is not None:
            journal.close()
            journal.database.close()
        database.close()
        flush_console()

    def dashboard() -> Any:
        from learninggraph.dashboard.app import dashboard_app

        return dashboard_app(
            database,
            directory,
            keys,
            guard,
            settings.max_page_size,
            operations=table,
            faults_changed=faults.invalidate,
            journal_recording=journal is not None,
        )

    edge = Edge(
        pipeline=request_steps(
            graph=graph,
            public=public,
            authenticator=verifier,
            max_top=settings.max_page_size,
            filters=FilterCache(),
            limiter=_throttle(settings, budgets),
            service_documents=registry.metadata_documents(served),
            batch_group=database.grouped,
            max_batch_response_bytes=settings.max_batch_response_bytes,
            recorder=recorder,
            faults=faults,
        ),
        reading=Reading(
            max_body_bytes=settings.max_body_bytes,
            max_header_count=settings.max_header_count,
            max_header_bytes=settings.max_header_bytes,
            body_timeout_seconds=settings.body_timeout_seconds,
            trust_forwarded_headers=settings.trust_forwarded_headers,
        ),
        on_shutdown=shut_down,
        executor=_executor_for(database),
        observers=observers,
        mounted=mounted_lazily(dashboard),
        recorder=recorder,
        faults=faults,
    )
    # The admin API and the test kit read and clear the journal through the app (None: the journal is off).
    edge.journal = journal
    return edge


def graph_router(database: Database, settings: Settings, served: Sequence[Resource]) -> Router:
    """Every Graph operation, declared by its resource; one without declared permissions is refused here."""
    wiring = Wiring(database, page_size=settings.default_page_size)
    return Router(registry.routes(served, wiring), require_permissions=True)


def public_router(
    database: Database,
    directory: Directory,
    keys: SigningKeys,
    settings: Settings,
    guard: LoginGuard | None,
    *,
    openapi: bytes,
    migrations: Sequence[Migration],
    metrics: Metrics | None,
    admin: Sequence[Operation] = (),
) -> Router:
    """The routes outside the Graph versions: the token service, probes, metrics, the OpenAPI document and
    the admin API."""
    issuer = TokenIssuer(keys=keys, settings=settings)
    operations = [
        *identity_routes(
            directory=directory,
            issuer=issuer,
            keys=keys,
            settings=settings,
            guard=guard,
        ),
        Operation("health", "GET", ("health",), health),
        Operation("ready", "GET", ("ready",), readiness(database, migrations)),
        Operation(
            "openapi", "GET", ("openapi.json",), lambda context: Response(200, openapi, "application/json")
        ),
        *admin,
    ]
    if metrics is not None and settings.metrics == "public":
        from learninggraph.http.metrics import metrics_route

        operations.append(
            Operation("metrics", "GET", ("metrics",), metrics_route(metrics, settings.metrics_token))
        )
    return Router(operations)


def _throttle(settings: Settings, budgets: DatabaseCounterStore) -> Throttle | None:
    if settings.throttle_limit is None:
        return None
    return Throttle(
        limit=settings.throttle_limit,
        window_seconds=settings.throttle_window_seconds,
        store=LeasedCounterStore(budgets, units=lease_units(settings.throttle_limit), seconds=_LEASE_SECONDS),
        clock=time.time,
    )


def _login_guard(settings: Settings, budgets: DatabaseCounterStore) -> LoginGuard | None:
    if settings.login_failure_limit is None:
        return None
    return LoginGuard(
        limit=settings.login_failure_limit,
        window_seconds=settings.login_failure_window_seconds,
        ceiling=settings.login_failure_ceiling,
        store=budgets,
        clock=time.time,
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
    for name in ("trusted_issuers", "extra_audiences", "faults"):
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
    from learninggraph.http.access_log import configure_logging

    sock = bind_socket(host, port)  # before anything is created or printed: a busy port is one error line
    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    settings = _prepare_and_announce(settings, host=host, port=port, tls=certfile is not None)
    with _serve_faults(settings):
        _run(settings, sock, host=host, port=port, certfile=certfile, keyfile=keyfile, workers=workers)


@contextmanager
def _serve_faults(settings: Settings) -> Iterator[None]:
    """Stores the fault rules serve was given for as long as it serves (a rule naming no tenant is the dev
    identity's), printing each; ``faults.flags`` says how."""
    from learninggraph.identity.dev import DEV_TENANT_ID, dev_credentials

    if not settings.faults and settings.faults_file is None:
        yield
        return
    database = Database(settings.database_url)
    try:
        directory = Directory(database)
        default_tenant = DEV_TENANT_ID if dev_credentials(directory) is not None else None
        files = [settings.faults_file] if settings.faults_file else []
        rules = serve_rules(settings.faults, files, tenant_id=default_tenant)
        for tenant_id in sorted({rule.tenant_id for rule in rules} - {default_tenant}):
            if directory.tenant(tenant_id) is None:
                raise ValueError(f"fault rules name tenant {tenant_id}, which is not in this database")
        install(database, rules)
    finally:
        database.close()
    sys.stdout.writelines(f"Injecting faults in tenant {r.tenant_id}: {r.describe()}\n" for r in rules)
    sys.stdout.flush()
    try:
        yield
    finally:
        database = Database(settings.database_url)
        try:
            uninstall(database, rules)
        finally:
            database.close()


def _run(
    settings: Settings,
    sock: socket.socket,
    *,
    host: str,
    port: int,
    certfile: str | None,
    keyfile: str | None,
    workers: int,
) -> None:
    import dataclasses

    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    from learninggraph.http.connections import fit_connection_cap, server_config
    from learninggraph.http.metrics import Metrics, prepare_workers, start_listener
    from learninggraph.settings import metrics_listener

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


def _prepare_and_announce(settings: Settings, *, host: str, port: int, tls: bool) -> Settings:
    """Migrates the database, applies the development identity's rules and prints where Graph is served.

    Returns the settings with the public URL the tokens will name.
    """
    from learninggraph.identity.dev import apply_dev_identity_rules, dev_credentials
    from learninggraph.progress import upgrade_showing_progress

    database = Database(settings.database_url)
    upgrade_showing_progress(database, registry.migrations(registry.served()))
    directory = Directory(database)
    SigningKeys.load_or_create(database)
    created = apply_dev_identity_rules(database, settings, host=host, warn=sys.stderr)
    credentials = dev_credentials(directory)
    database.close()
    base = listening_origin(host, port, tls=tls)
    hint = ""
    if settings.public_url is None and settings.trust_forwarded_headers:
        hint = " Behind a proxy, give its address with --public-url."
    public_url = settings.public_url or base
    _announce(
        base, credentials, created=bool(created), public_url=public_url, database_url=settings.database_url
    )
    sys.stdout.write(f"Tokens name {public_url}/{{tenantId}}/v2.0 as their issuer.{hint}\n")
    sys.stdout.flush()
    return replace(settings, public_url=public_url)


def _announce(
    base: str, credentials: dict[str, str] | None, *, created: bool, public_url: str, database_url: str
) -> None:
    out = sys.stdout
    database = "" if database_url == DEFAULT_DATABASE_URL else f" --database {shlex.quote(database_url)}"
    public = "" if public_url == DEFAULT_PUBLIC_URL else f" --public-url {public_url}"
    out.write(f"learninggraph is serving Graph at {base}/v1.0 and {base}/beta\n")
    out.write(f"The dashboard: {base}{DASHBOARD_PREFIX}/\n")
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
