"""The CLI's commands that change existing accounts (consents, public clients, secrets, app deletion, roles,
licences), and the helpers every command uses."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TypeAlias

from learninggraph.identity.administration import DirectoryAdmin, describe_application, describe_user
from learninggraph.storage.database import Database

Command = Callable[[argparse.Namespace, Database], int]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def print_json(value: dict[str, object]) -> None:
    print(json.dumps(value, indent=2))


def add_command(
    parent: Subcommands, name: str, run: Command, parents: list[argparse.ArgumentParser], summary: str
) -> argparse.ArgumentParser:
    sub = parent.add_parser(name, parents=parents, help=summary, description=summary)
    sub.set_defaults(run=run)
    return sub


def _print_record(args: argparse.Namespace, record: dict[str, object], summary: str) -> int:
    if args.json:
        print_json(record)
    else:
        print(summary)
    return 0


def _apps_consent(args: argparse.Namespace, database: Database) -> int:
    admin = DirectoryAdmin(database)
    change = admin.grant_consent if args.change == "grant" else admin.revoke_consent
    app = change(args.client_id, args.permission)
    consented = ", ".join(sorted(app.delegated_permissions)) or "(none)"
    return _print_record(
        args, describe_application(app), f"Consented delegated permissions of {app.client_id}: {consented}"
    )


def _apps_public_client(args: argparse.Namespace, database: Database) -> int:
    app = DirectoryAdmin(database).set_public_client(args.client_id, public=args.state == "on")
    state = "a public client" if app.public_client else "a confidential client"
    return _print_record(args, describe_application(app), f"Application {app.client_id} is now {state}")


def _apps_delete(args: argparse.Namespace, database: Database) -> int:
    app = DirectoryAdmin(database).delete_application(args.client_id)
    return _print_record(
        args,
        describe_application(app),
        f"Deleted application {app.client_id}; its tokens are refused from now on",
    )


def _apps_rotate_secret(args: argparse.Namespace, database: Database) -> int:
    app, secret = DirectoryAdmin(database).rotate_secret(args.client_id, keep_existing=args.keep_existing)
    if args.json:
        print_json({"clientId": app.client_id, "clientSecret": secret, "keptExisting": args.keep_existing})
        return 0
    print(f"New client secret for {app.client_id}: {secret}   (shown once; it is stored only as a hash)")
    if args.keep_existing:
        print("The existing secrets still work; rotate again without --keep-existing to remove them.")
    else:
        print("The previous secrets are removed, and tokens obtained before now are refused.")
    return 0


def _users_role(args: argparse.Namespace, database: Database) -> int:
    admin = DirectoryAdmin(database)
    change = admin.grant_roles if args.change == "grant" else admin.remove_roles
    user = change(args.tenant, args.user, args.role)
    roles = ", ".join(sorted(user.directory_roles)) or "(none)"
    return _print_record(args, describe_user(user), f"Directory roles of {user.user_principal_name}: {roles}")


def _users_license(args: argparse.Namespace, database: Database) -> int:
    user = DirectoryAdmin(database).set_license(args.tenant, args.user, licensed=args.change == "grant")
    state = "holds" if user.has_learning_license else "no longer holds"
    return _print_record(
        args, describe_user(user), f"{user.user_principal_name} {state} a Viva Learning licence"
    )


def add_app_commands(
    apps: Subcommands, common: argparse.ArgumentParser, as_json: argparse.ArgumentParser
) -> None:
    """Registers ``apps consent grant|revoke``, ``apps public-client``, ``apps delete``, ``apps rotate-secret``."""
    consent = apps.add_parser("consent", help="grant or revoke consented delegated permissions")
    consent_actions = consent.add_subparsers(dest="change", required=True)
    for change in ("grant", "revoke"):
        sub = add_command(
            consent_actions,
            change,
            _apps_consent,
            [common, as_json],
            f"{change} delegated permission consent",
        )
        sub.add_argument("--client-id", required=True)
        sub.add_argument("--permission", action="append", required=True, help="delegated permission (repeat)")
    sub = add_command(
        apps,
        "public-client",
        _apps_public_client,
        [common, as_json],
        "allow or forbid the secretless password grant",
    )
    sub.add_argument("--client-id", required=True)
    sub.add_argument("state", choices=("on", "off"))
    sub = add_command(
        apps, "delete", _apps_delete, [common, as_json], "delete an application and revoke its tokens"
    )
    sub.add_argument("--client-id", required=True)
    sub = add_command(
        apps,
        "rotate-secret",
        _apps_rotate_secret,
        [common, as_json],
        "issue a new client secret (printed once)",
    )
    sub.add_argument("--client-id", required=True)
    sub.add_argument(
        "--keep-existing",
        action="store_true",
        help="keep the current secrets (and the tokens obtained with them) valid as well",
    )


def add_user_commands(
    users: Subcommands, common: argparse.ArgumentParser, as_json: argparse.ArgumentParser
) -> None:
    """Registers ``users role grant|remove`` and ``users license grant|revoke``."""
    for group, run, what in (
        ("role", _users_role, "directory roles"),
        ("license", _users_license, "the Viva Learning licence"),
    ):
        verbs = "grant or revoke" if group == "license" else "grant or remove"
        actions = users.add_parser(group, help=f"{verbs} {what}").add_subparsers(dest="change", required=True)
        for change in ("grant", "revoke") if group == "license" else ("grant", "remove"):
            sub = add_command(actions, change, run, [common, as_json], f"{change} {what} of a user")
            sub.add_argument("--tenant", required=True)
            sub.add_argument("--user", required=True, help="user id or user principal name")
            if group == "role":
                sub.add_argument("--role", action="append", required=True, help="directory role (repeat)")
