"""``learninggraph token``: a delegated access token for a user, minted from the database's signing key.

Only the token goes to stdout, so ``TOKEN=$(learninggraph token ...)`` captures it; what it is goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from learninggraph.identity.dev import DEV_CLIENT_ID
from learninggraph.identity.directory import Directory, DirectoryError
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, delegated_scopes
from learninggraph.settings import DEFAULT_PUBLIC_URL, Settings
from learninggraph.storage.database import Database


def token_command(args: argparse.Namespace, database: Database) -> int:
    directory = Directory(database)
    if directory.tenant(args.tenant) is None:
        raise DirectoryError(f"Tenant {args.tenant!r} does not exist.")
    user = directory.find_user(args.tenant, args.user)
    if user is None:
        raise DirectoryError(f"No user {args.user!r} in tenant {args.tenant}.")
    client_id = args.client_id or _default_client_id(directory, args.tenant)
    app = directory.application(client_id)
    if app is None or app.tenant_id != args.tenant:
        raise DirectoryError(f"No application {client_id!r} in tenant {args.tenant}.")
    try:
        scopes = delegated_scopes(args.scope, app.delegated_permissions)
    except ValueError as exc:
        raise DirectoryError(f"Unknown delegated permission {exc}.") from None
    if not scopes:
        raise DirectoryError("Name at least one delegated permission with --scope.")
    missing = scopes - app.delegated_permissions
    if missing:
        raise DirectoryError(
            f"Application {client_id} has no consent for {', '.join(sorted(missing))}; grant it with "
            f"'learninggraph apps consent grant --client-id {client_id} --permission ...'."
        )
    settings = Settings.from_env(database_url=database.url, public_url=args.public_url)
    if settings.public_url is None:
        settings = dataclasses.replace(settings, public_url=DEFAULT_PUBLIC_URL)
    issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)
    token, expires_in = issuer.delegated_token(client_id, user, scopes)
    note = f"# delegated token for {user.user_principal_name}, app {client_id}, expires in {expires_in} s"
    print(f"{note}\n# scp: {' '.join(sorted(scopes))}", file=sys.stderr)
    print(token)
    return 0


def _default_client_id(directory: Directory, tenant_id: str) -> str:
    """The dev app in the dev tenant, else the tenant's first app with any delegated consent."""
    dev_app = directory.application(DEV_CLIENT_ID)
    if dev_app is not None and dev_app.tenant_id == tenant_id:
        return dev_app.client_id
    for app in directory.applications(tenant_id):
        if app.delegated_permissions:
            return app.client_id
    raise DirectoryError(
        f"Tenant {tenant_id} has no application with consented delegated permissions; register one with "
        "'learninggraph apps create ... --delegated-permission ...' or name one with --client-id."
    )
