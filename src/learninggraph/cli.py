"""The ``learninggraph`` command line: directory administration, tokens, dev certificates and serve."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from learninggraph import __version__
from learninggraph.cli_accounts import add_app_commands, add_user_commands
from learninggraph.cli_accounts import add_command as _add
from learninggraph.cli_accounts import print_json as _print_json
from learninggraph.cli_database import open_database
from learninggraph.cli_faults import add_fault_commands
from learninggraph.cli_journal import add_journal_commands
from learninggraph.cli_token import token_command
from learninggraph.cli_transfer import add_transfer_commands
from learninggraph.domain.errors import GraphError
from learninggraph.identity.certs import write_dev_certificates
from learninggraph.identity.dev import dev_credentials
from learninggraph.identity.directory import Directory, DirectoryError
from learninggraph.identity.external import TrustedIssuer
from learninggraph.identity.keys import SigningKeys
from learninggraph.serve_options import (
    add_serve_options,
    fault_settings,
    observability_settings,
    parse_with_config,
)
from learninggraph.settings import DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_URL, Settings, public_origin
from learninggraph.storage.database import Database


def _tenants_create(args: argparse.Namespace, database: Database) -> int:
    tenant = Directory(database).create_tenant(name=args.name, has_learning_plan=not args.no_learning_plan)
    if args.json:
        _print_json({"tenantId": tenant.id, "name": tenant.name})
    else:
        print(f"Created tenant {tenant.name!r} with id {tenant.id}")
    return 0


def _apps_create(args: argparse.Namespace, database: Database) -> int:
    app, secret = Directory(database).create_application(
        tenant_id=args.tenant,
        name=args.name,
        permissions=args.permission,
        delegated_permissions=args.delegated_permission,
        public_client=args.public_client,
    )
    if args.json:
        _print_json(
            {
                "tenantId": app.tenant_id,
                "clientId": app.client_id,
                "clientSecret": secret,
                "permissions": sorted(app.permissions),
                "delegatedPermissions": sorted(app.delegated_permissions),
                "publicClient": app.public_client,
            }
        )
    else:
        print(f"Created application {app.name!r} in tenant {app.tenant_id}")
        print(f"  client id:     {app.client_id}")
        print(f"  client secret: {secret}   (shown once; it is stored only as a hash)")
        print(f"  permissions:   {', '.join(sorted(app.permissions)) or '(none)'}")
        print(
            f"  consented delegated permissions: {', '.join(sorted(app.delegated_permissions)) or '(none)'}"
        )
        print(f"  public client: {'yes' if app.public_client else 'no'}")
    return 0


def _users_create(args: argparse.Namespace, database: Database) -> int:
    user = Directory(database).create_user(
        tenant_id=args.tenant,
        display_name=args.name,
        licensed=args.licensed,
        password=args.password,
        user_principal_name=args.upn,
        roles=args.role,
    )
    if args.json:
        _print_json(
            {"tenantId": user.tenant_id, "id": user.id, "userPrincipalName": user.user_principal_name}
        )
    else:
        licence = "licensed" if user.has_learning_license else "unlicensed"
        print(
            f"Created {licence} user {user.user_principal_name} with id {user.id} in tenant {user.tenant_id}"
        )
    return 0


def _dev_cert(args: argparse.Namespace, database: Database | None) -> int:
    ca, cert, key = write_dev_certificates(Path(args.out))
    print(
        f"Wrote {ca} (CA), {cert} (server certificate for 127.0.0.1, ::1, localhost) and {key}\n"
        f"Serve:  learninggraph serve --certfile {cert} --keyfile {key}\nTrust the CA in clients:\n"
        f"  export REQUESTS_CA_BUNDLE={ca}   # requests, MSAL, sync azure-identity\n"
        f"  export SSL_CERT_FILE={ca}        # httpx, aiohttp, async azure-identity"
    )
    return 0


def _dev_credentials(args: argparse.Namespace, database: Database) -> int:
    credentials = dev_credentials(Directory(database))
    if credentials is None:
        print(
            "No enabled dev identity in this database (it is created by 'serve' on loopback with an "
            "empty database).",
            file=sys.stderr,
        )
        return 1
    if args.json:
        _print_json(dict(credentials))
    else:
        width = max(len(name) for name in credentials)
        for name, value in credentials.items():
            print(f"{name.ljust(width)}  {value}")
    return 0


def _keys_rotate(args: argparse.Namespace, database: Database) -> int:
    print(SigningKeys.load_or_create(database).rotate())
    return 0


def _serve(args: argparse.Namespace, database: Database | None) -> int:
    if (args.certfile is None) != (args.keyfile is None):
        raise ValueError("--certfile and --keyfile go together.")
    for entry in args.trust_issuer:
        TrustedIssuer.parse(entry)
    settings = Settings.from_env(
        database_url=args.database,
        trusted_issuers=tuple(args.trust_issuer) or None,
        extra_audiences=tuple(args.audience) or None,
        create_dev_identity=False if args.no_dev_identity else None,
        force_dev_identity=True if args.force_dev_identity else None,
        login_failure_ceiling=args.login_failure_ceiling,
        throttle_limit=args.throttle_limit,
        throttle_window_seconds=args.throttle_window,
        login_failure_limit=args.login_failure_limit or None,
        login_failure_window_seconds=args.login_failure_window,
        trust_forwarded_headers=True if args.trust_forwarded_headers else None,
        public_url=args.public_url,
        max_body_bytes=args.max_body_bytes,
        max_header_bytes=args.max_header_bytes,
        max_header_count=args.max_header_count,
        header_timeout_seconds=args.header_timeout,
        body_timeout_seconds=args.body_timeout,
        keep_alive_timeout_seconds=args.keep_alive_timeout,
        max_connections=args.max_connections or None,
        max_batch_response_bytes=args.max_batch_response_bytes,
        **observability_settings(args),
        **fault_settings(args),
    )
    if args.max_connections == 0:
        settings = dataclasses.replace(settings, max_connections=None)
    if args.login_failure_limit == 0:
        settings = dataclasses.replace(settings, login_failure_limit=None)
    from learninggraph.serving import serve

    serve(
        settings,
        host=args.host,
        port=args.port,
        certfile=args.certfile,
        keyfile=args.keyfile,
        workers=args.workers,
    )
    return 0


def _public_url(value: str) -> str:
    try:
        return public_origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        default=os.environ.get("LEARNINGGRAPH_DATABASE_URL", DEFAULT_DATABASE_URL),
        metavar="URL",
        help="sqlite:///FILE or postgresql://USER@HOST:PORT/DB (default: $LEARNINGGRAPH_DATABASE_URL or %(default)s)",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")
    parser = argparse.ArgumentParser(
        prog="learninggraph", description="A self-hostable Microsoft Graph employee-learning server."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    _add_account_commands(commands, common, as_json)

    sub = _add(commands, "token", token_command, [common], "mint a delegated access token for a user")
    sub.add_argument("--tenant", required=True)
    sub.add_argument("--user", required=True, help="user id or user principal name")
    sub.add_argument("--scope", action="append", required=True, help="delegated permission (repeat)")
    sub.add_argument("--client-id", help="the app id the token names")
    sub.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="the server the token is for, whose origin is its issuer "
        f"(default: $LEARNINGGRAPH_PUBLIC_URL or {DEFAULT_PUBLIC_URL})",
    )

    sub = _add(commands, "dev-cert", _dev_cert, [], "write a local CA and a server certificate")
    sub.set_defaults(uses_database=False)
    sub.add_argument("--out", required=True, metavar="DIR")
    _add(commands, "dev-credentials", _dev_credentials, [common, as_json], "show the dev identity")
    keys = commands.add_parser("keys", help="manage signing keys").add_subparsers(
        dest="action", required=True
    )
    _add(keys, "rotate", _keys_rotate, [common], "rotate the token signing key")

    sub = _add_serve_command(commands, common)
    add_transfer_commands(commands, common, serve=sub)
    add_journal_commands(commands, common, as_json)
    add_fault_commands(commands, common, as_json)
    return parser


def _add_account_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    as_json: argparse.ArgumentParser,
) -> None:
    """``tenants``, ``apps`` and ``users``."""
    tenants = commands.add_parser("tenants", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    sub = _add(tenants, "create", _tenants_create, [common, as_json], "create a tenant")
    sub.set_defaults(creates_database=True)
    sub.add_argument("--name", default="Contoso")
    sub.add_argument("--no-learning-plan", action="store_true", help="the tenant has no Viva Learning plan")

    apps = commands.add_parser("apps", help="manage applications").add_subparsers(
        dest="action", required=True
    )
    sub = _add(apps, "create", _apps_create, [common, as_json], "register an application with a secret")
    sub.add_argument("--tenant", required=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--permission", action="append", default=[], help="application permission (repeat)")
    sub.add_argument(
        "--delegated-permission",
        action="append",
        default=[],
        help="consented delegated permission, the most its users' tokens may carry (repeat)",
    )
    sub.add_argument(
        "--public-client", action="store_true", help="allow the password grant without a client secret"
    )
    add_app_commands(apps, common, as_json)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    sub = _add(users, "create", _users_create, [common, as_json], "create a user")
    sub.add_argument("--tenant", required=True)
    sub.add_argument("--name", required=True, help="display name")
    sub.add_argument("--licensed", action="store_true", help="the user holds a Viva Learning licence")
    sub.add_argument("--password", help="allow the password grant with this password")
    sub.add_argument("--upn", help="user principal name (default: derived from the name)")
    sub.add_argument(
        "--role", action="append", default=[], help="directory role, e.g. 'Knowledge Administrator'"
    )
    add_user_commands(users, common, as_json)


def _add_serve_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """``serve`` and its options."""
    sub = _add(commands, "serve", _serve, [common], "run the server")
    sub.set_defaults(uses_database=False)  # serve opens it itself, once its port is bound
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--certfile", help="TLS certificate chain (PEM)")
    sub.add_argument("--keyfile", help="TLS private key (PEM)")
    sub.add_argument(
        "--trust-issuer",
        action="append",
        default=[],
        metavar="URL[=TENANT,...]",
        help="trusted OIDC issuer: a URL with {tenantid}, or a fixed URL bound to the tenants named after '='",
    )
    sub.add_argument("--audience", action="append", default=[], metavar="AUD", help="extra accepted audience")
    sub.add_argument("--workers", type=int, default=1)
    sub.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="the origin clients reach the server at, http(s)://HOST[:PORT], and so the token issuer "
        "(default: $LEARNINGGRAPH_PUBLIC_URL or the listening address)",
    )
    sub.add_argument(
        "--no-dev-identity",
        action="store_true",
        help="do not create the dev identity, and disable an existing one (also LEARNINGGRAPH_DEV_IDENTITY=0)",
    )
    sub.add_argument(
        "--force-dev-identity",
        action="store_true",
        help="create or enable the dev identity even on a non-loopback address (its secrets are public)",
    )
    sub.add_argument(
        "--trust-forwarded-headers",
        action="store_true",
        help="behind a proxy: take scheme, host and client address from X-Forwarded-* headers",
    )
    _budget_options(sub)
    _limits(sub)
    add_serve_options(sub)
    return sub


def _budget_options(sub: argparse.ArgumentParser) -> None:
    """Throttling and failed sign-in budgets."""
    sub.add_argument(
        "--throttle-limit",
        type=int,
        metavar="N",
        help="Graph requests allowed per window per app, or per user of an app (default: no throttling)",
    )
    sub.add_argument(
        "--throttle-window", type=float, metavar="SECONDS", help="the throttling window (default: 10)"
    )
    sub.add_argument(
        "--login-failure-limit",
        type=int,
        metavar="N",
        help="failed sign-ins allowed per window per client id and address, and per user and address "
        "(default: 10; 0: off)",
    )
    sub.add_argument(
        "--login-failure-ceiling",
        type=int,
        metavar="N",
        help="failed sign-ins allowed per window per client id, per address and per user, from any "
        "address (default: ten times the limit)",
    )
    sub.add_argument(
        "--login-failure-window",
        type=float,
        metavar="SECONDS",
        help="the failed sign-in window (default: 60)",
    )


def _limits(sub: argparse.ArgumentParser) -> None:
    """The resource limits of ``serve``; defaults come from Settings, and docs/security.md explains each."""
    defaults = Settings()
    for flag, kind, metavar, default, text in (
        ("--max-body-bytes", int, "N", defaults.max_body_bytes, "largest request body (413 past it)"),
        ("--max-header-bytes", int, "N", defaults.max_header_bytes, "request line and headers (431 past it)"),
        ("--max-header-count", int, "N", defaults.max_header_count, "headers per request (431 past it)"),
        ("--header-timeout", float, "SECONDS", defaults.header_timeout_seconds, "time to send the headers"),
        ("--body-timeout", float, "SECONDS", defaults.body_timeout_seconds, "time to send the body (408)"),
        ("--keep-alive-timeout", float, "SECONDS", defaults.keep_alive_timeout_seconds, "idle time kept"),
        ("--max-connections", int, "N", defaults.max_connections, "open connections per worker (0: no cap)"),
        (
            "--max-batch-response-bytes",
            int,
            "N",
            defaults.max_batch_response_bytes,
            "bytes the answers of one $batch may add up to",
        ),
    ):
        sub.add_argument(flag, type=kind, metavar=metavar, help=f"{text} (default: {default})")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_with_config(_parser(), argv)
    run: Callable[[argparse.Namespace, Database | None], int] = args.run
    database: Database | None = None
    try:
        database = open_database(args)
        return run(args, database)
    except (DirectoryError, ValueError, GraphError) as exc:
        message = exc.message if isinstance(exc, GraphError) else str(exc)
        print(f"learninggraph: error: {message}", file=sys.stderr)
        return 2
    finally:
        if database is not None:
            database.close()
