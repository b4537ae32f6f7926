"""Serving: ``learninggraph serve`` binds, prepares the database, announces, then runs uvicorn on create_app.

Several workers each build their app from the settings passed in the environment
(``create_app_from_environment``); the fault rules given to serve are stored for as long as it serves.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any

from learninggraph.app import create_app, return_large_blocks_to_the_system
from learninggraph.collector import freeze_what_start_made
from learninggraph.faults.flags import install, serve_rules, uninstall
from learninggraph.http.dashboard_mount import PREFIX as DASHBOARD_PREFIX
from learninggraph.http.edge import Edge
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.journal.storage import journal_database_of
from learninggraph.listening import bind_socket, own_command
from learninggraph.resources import registry
from learninggraph.settings import DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_URL, Settings, listening_origin
from learninggraph.storage.database import Database

SETTINGS_ENVIRONMENT_VARIABLE = "LEARNINGGRAPH_SETTINGS_JSON"


def create_app_from_environment() -> Edge:
    """The factory each worker process calls when ``serve --workers N`` starts several."""
    raw: dict[str, Any] = json.loads(os.environ[SETTINGS_ENVIRONMENT_VARIABLE])
    for name in ("trusted_issuers", "extra_audiences", "faults"):
        raw[name] = tuple(raw.get(name, ()))
    settings = Settings(**raw)
    from learninggraph.http.access_log import configure_logging

    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    app = create_app(settings)
    freeze_what_start_made()
    return app


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
    # Before any thread (a new database's first signing key is made on one): create_app does it again.
    return_large_blocks_to_the_system()
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
            "learninggraph.serving:create_app_from_environment",
            settings,
            factory=True,
            workers=workers,
            **common,
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
        freeze_what_start_made()
        server.run(sockets=[sock])
        if not server.started:
            raise SystemExit(3)


def _prepare_and_announce(settings: Settings, *, host: str, port: int, tls: bool) -> Settings:
    """Migrates the database, makes the journal's store, applies the development identity's rules and prints
    where Graph is served.

    Returns the settings with the public URL the tokens will name.
    """
    from learninggraph.identity.dev import apply_dev_identity_rules, dev_credentials
    from learninggraph.progress import upgrade_showing_progress

    database = Database(settings.database_url)
    upgrade_showing_progress(database, registry.migrations(registry.served()))
    # Every worker opens the journal's store as it starts. Made here first, before any worker, so workers
    # starting together never create a new journal file at once: two connections turning one new file to
    # WAL may not wait for each other, and the worker refused ("database is locked") would exit.
    if settings.journal:
        with journal_database_of(database):
            pass
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
