"""The composition root: create_app(settings) builds every long-lived object; nothing is built at import."""

from __future__ import annotations

import ctypes
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from random import Random
from typing import TYPE_CHECKING, Any

import msgspec

from learninggraph import __version__
from learninggraph.admin import AdminServices, admin_routes
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.access_log import AccessLog, Exchange, flush_console
from learninggraph.http.dashboard_mount import mounted_lazily
from learninggraph.http.edge import Edge
from learninggraph.http.messages import Response
from learninggraph.http.pipeline import request_steps
from learninggraph.http.probes import health, readiness
from learninggraph.http.reading import Reading
from learninggraph.http.recording import Recorder
from learninggraph.http.routing import Operation, Router
from learninggraph.http.throttling import Clock, LeasedCounterStore, LoginGuard, Throttle, lease_units
from learninggraph.identity.directory import Directory
from learninggraph.identity.endpoints import routes as identity_routes
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.journal.journal import Journal
from learninggraph.journal.storage import open_journal_database
from learninggraph.odata.filter import FilterCache
from learninggraph.resources import registry
from learninggraph.resources.descriptor import Resource, Wiring
from learninggraph.settings import Settings
from learninggraph.storage.budgets import DatabaseCounterStore
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import Migration, upgrade

if TYPE_CHECKING:
    from learninggraph.http.metrics import Metrics

# How long a process may spend the request budget it claimed from the database before it lapses.
_LEASE_SECONDS = 0.5
# Handler threads per worker on PostgreSQL: with the edge's two sign-in threads, no more than the connection
# pool holds, so a handler never waits for a connection that another handler's thread is not using.
HANDLER_THREADS = 6
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# The journal's writer stores what is queued once a second, or as soon as this many entries wait: a
# transaction's fixed cost (ids, per-tenant counts, eviction) spread over hundreds of entries costs a
# busy server a third of what 50 ms batches did (bench/journal_cost.py); the test kit flushes before reading.
JOURNAL_INTERVAL_SECONDS = 1.0
JOURNAL_BATCH_SIZE = 512


def create_app(
    settings: Settings, *, resources: Sequence[Resource] = (), budget_clock: Clock = time.time
) -> Edge:
    """The app of ``settings``, serving the registered resources and ``resources`` (a test's own) after them.

    ``budget_clock``: the seconds the request throttle and the sign-in guard count their budgets in (wall-clock
    time, as budgets are shared through the database); a test passes a clock of its own to decide when a
    budget refills, whatever the machine's speed.
    """
    return_large_blocks_to_the_system()
    served = registry.served(resources)
    database = Database(settings.database_url)
    migrations = registry.migrations(served)
    upgrade(database, migrations)
    directory = Directory(database)
    # A new database's first key is generated while the rest starts (stored when first needed).
    keys = SigningKeys.load_or_create(database, generate_in_background=True)
    verifier = TokenVerifier(keys=keys, directory=directory, settings=settings)
    # Budgets live in the database, so a limit holds across workers and servers (wall-clock time).
    budgets = DatabaseCounterStore(database)
    graph = graph_router(database, settings, served)

    @functools.cache
    def openapi() -> bytes:
        """``/openapi.json``, built on its first request: a tenth of the start-up's CPU otherwise."""
        from learninggraph.admin.openapi import admin_paths

        document = registry.openapi(graph.routes, served, version=__version__)
        document["paths"].update(admin_paths())
        return msgspec.json.encode(document)

    observers: list[Callable[[Exchange], None]] = [AccessLog(json_lines=settings.log_format == "json")]
    metrics = None
    if settings.metrics != "off":
        from learninggraph.http.metrics import Metrics  # prometheus-client, only when metrics are on

        metrics = Metrics(database.pool_stats if database.dialect == "postgresql" else None)
        observers.append(metrics)
    guard = _login_guard(settings, budgets, budget_clock)
    faults = FaultMatcher(database, rng=None if settings.fault_seed is None else Random(settings.fault_seed))
    # The request journal writes from a thread of its own, into a store of its own (see journal.storage);
    # with the journal off, what is stored can still be read.
    journal_database = open_journal_database(settings.database_url)
    journal = None
    if settings.journal:
        journal = Journal(
            journal_database,
            max_entries_per_tenant=settings.journal_max_entries_per_tenant,
            batch_size=JOURNAL_BATCH_SIZE,
            interval=JOURNAL_INTERVAL_SECONDS,
        )
    recorder = None if journal is None else Recorder(journal)
    # What each Graph operation accepts, for the admin API's and the dashboard's minimal-permissions report.
    table = {op.name: op.permissions for op in graph.operations if op.permissions is not None}
    admin = admin_routes(
        AdminServices(
            database,
            verifier,
            journal,
            operations=table,
            faults_changed=faults.invalidate,
            journal_database=journal_database,
        )
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
        journal_database.close()
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
            journal_database=journal_database,
        )

    edge = Edge(
        pipeline=request_steps(
            graph=graph,
            public=public,
            authenticator=verifier,
            max_top=settings.max_page_size,
            filters=FilterCache(),
            limiter=_throttle(settings, budgets, budget_clock),
            service_documents=registry.MetadataOnFirstRead(served),
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
    openapi: Callable[[], bytes],
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
            "openapi", "GET", ("openapi.json",), lambda context: Response(200, openapi(), "application/json")
        ),
        *admin,
    ]
    if metrics is not None and settings.metrics == "public":
        from learninggraph.http.metrics import metrics_route

        operations.append(
            Operation("metrics", "GET", ("metrics",), metrics_route(metrics, settings.metrics_token))
        )
    return Router(operations)


def _throttle(settings: Settings, budgets: DatabaseCounterStore, clock: Clock) -> Throttle | None:
    if settings.throttle_limit is None:
        return None
    return Throttle(
        limit=settings.throttle_limit,
        window_seconds=settings.throttle_window_seconds,
        store=LeasedCounterStore(budgets, units=lease_units(settings.throttle_limit), seconds=_LEASE_SECONDS),
        clock=clock,
    )


def _login_guard(settings: Settings, budgets: DatabaseCounterStore, clock: Clock) -> LoginGuard | None:
    if settings.login_failure_limit is None:
        return None
    return LoginGuard(
        limit=settings.login_failure_limit,
        window_seconds=settings.login_failure_window_seconds,
        ceiling=settings.login_failure_ceiling,
        store=budgets,
        clock=clock,
    )


def return_large_blocks_to_the_system() -> None:
    """Has glibc map every block of 128 KiB or more on its own, so freeing it returns it to the system, and
    keep one heap for all threads, so what one thread frees another reuses.

    glibc otherwise raises that threshold after each large free, and later large responses then stay in
    its heap: after one huge ``$batch`` the process kept hundreds of megabytes. No-op on other C libraries.
    """
    try:
        # The symbols the process has loaded, the C library's among them: no ``ctypes.util.find_library``, which
        # imports a dozen modules and runs ``ldconfig -p`` in a subprocess.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    # One heap for every thread. SQLite drops its whole page cache when another process (a worker, another
    # server on the file) has written; pages freed in one thread's heap were not reused when the batch thread
    # read them back into its own, which grew by the page cache's size (bench/memory_step.py).
    mallopt(_M_ARENA_MAX, 1)


def _executor_for(database: Database) -> ThreadPoolExecutor | None:
    """Threads for handlers on PostgreSQL, where every statement is a network round trip.

    SQLite answers in microseconds from one connection per process, so its handlers stay on the loop.
    """
    if database.dialect != "postgresql":
        return None
    return ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="learninggraph-handler")
