"""The well-known development identity: a tenant, an all-permissions app and a licensed administrator.

Like Azurite's account key, these values are public on purpose; never use them outside a laptop. The
identity is created only when the server binds a loopback address (unless forced), and is disabled,
never deleted, when the server runs without it.
"""

from __future__ import annotations

import ipaddress
from typing import TextIO

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.administration import DirectoryAdmin
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database

DEV_TENANT_ID = "de000000-0000-4000-8000-000000000001"
DEV_CLIENT_ID = "de000000-0000-4000-8000-000000000002"
DEV_USER_ID = "de000000-0000-4000-8000-000000000003"
DEV_CLIENT_SECRET = "dev8Q~learninggraph-development-secret"
DEV_USER_PRINCIPAL_NAME = "learner@dev.learninggraph.test"
DEV_PASSWORD = "LearningGraph-dev-password-1"
DEV_TENANT_NAME = "LearningGraph Dev"
# The least privileged role that may do everything this API allows a signed-in user to do.
DEV_USER_ROLES = frozenset({KNOWLEDGE_ADMINISTRATOR})

FORCED_WARNING = (
    "WARNING: the development identity is enabled on the non-loopback address {host}. Its client secret "
    "and password are published in learninggraph's documentation: anyone who can reach this server can "
    "sign in as its administrator and read and change the dev tenant's data. Use it only on a network "
    "you trust, and never in production.\n"
)
DISABLED_NOTE = (
    "learninggraph: the development identity in this database is disabled (its tokens are refused and "
    "its credentials do not sign in); {reason}.\n"
)


def is_loopback(host: str) -> bool:
    """Whether a bind address reaches only this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def ensure_dev_identity(directory: Directory) -> bool:
    """Creates the dev identity when the database holds no tenant at all; True if it did.

    An existing dev identity is brought to the current shape: enabled, its user an administrator and
    its app a public client with every delegated permission consented.
    """
    with directory.atomic() as tx:
        if tx.has_tenants():
            existing = tx.application(DEV_CLIENT_ID)
            created = False
        else:
            existing = None
            _create_dev_identity(tx)
            created = True
    if existing is not None and existing.tenant_id == DEV_TENANT_ID:
        _set_dev_identity(directory, enabled=True)
    return created


def add_dev_identity(directory: Directory) -> bool:
    """Creates the dev identity if the database lacks it, beside whatever tenants it holds; True if it did.

    For the test kit, which creates it on first use only (its scrypt hash costs every test process time).
    """
    with directory.atomic() as tx:
        if tx.application(DEV_CLIENT_ID) is not None:
            return False
        _create_dev_identity(tx)
    return True


def _create_dev_identity(tx: Directory) -> None:
    tx.create_tenant(name=DEV_TENANT_NAME, tenant_id=DEV_TENANT_ID)
    tx.create_application(
        tenant_id=DEV_TENANT_ID,
        name="LearningGraph Dev App",
        permissions=APPLICATION_PERMISSIONS,
        client_id=DEV_CLIENT_ID,
        client_secret=DEV_CLIENT_SECRET,
        delegated_permissions=DELEGATED_PERMISSIONS,
        public_client=True,
    )
    tx.create_user(
        tenant_id=DEV_TENANT_ID,
        display_name="Dev Learner",
        licensed=True,
        password=DEV_PASSWORD,
        user_id=DEV_USER_ID,
        user_principal_name=DEV_USER_PRINCIPAL_NAME,
        roles=DEV_USER_ROLES,
    )


def disable_dev_identity(directory: Directory) -> bool:
    """Disables an existing dev identity (its data stays); True if there was one."""
    app = directory.application(DEV_CLIENT_ID)
    if app is None or app.tenant_id != DEV_TENANT_ID:
        return False
    _set_dev_identity(directory, enabled=False)
    return True


def _set_dev_identity(directory: Directory, *, enabled: bool) -> None:
    admin = DirectoryAdmin(directory.database)
    admin.set_application_enabled(DEV_CLIENT_ID, enabled=enabled)
    if directory.user(DEV_TENANT_ID, DEV_USER_ID) is not None:
        admin.set_user_enabled(DEV_TENANT_ID, DEV_USER_ID, enabled=enabled)
    if enabled:
        admin.grant_consent(DEV_CLIENT_ID, DELEGATED_PERMISSIONS)
        admin.set_public_client(DEV_CLIENT_ID, public=True)
        if directory.user(DEV_TENANT_ID, DEV_USER_ID) is not None:
            admin.grant_roles(DEV_TENANT_ID, DEV_USER_ID, DEV_USER_ROLES)


def apply_dev_identity_rules(database: Database, settings: Settings, *, host: str, warn: TextIO) -> bool:
    """What ``serve`` does with the dev identity before it listens; True if it created it.

    Wanted (``create_dev_identity``) and bound to loopback, or forced: created on an empty database,
    re-enabled if present. Otherwise an existing one is disabled.
    """
    directory = Directory(database)
    loopback = is_loopback(host)
    if settings.create_dev_identity and (loopback or settings.force_dev_identity):
        if not loopback:
            warn.write(FORCED_WARNING.format(host=host))
            warn.flush()
        return ensure_dev_identity(directory)
    reason = (
        "the server runs with --no-dev-identity"
        if not settings.create_dev_identity
        else f"{host} is not a loopback address (use --force-dev-identity to enable it anyway)"
    )
    if disable_dev_identity(directory):
        warn.write(DISABLED_NOTE.format(reason=reason))
        warn.flush()
    return False


def dev_credentials(directory: Directory) -> dict[str, str] | None:
    """The dev identity's sign-in values, if this database holds it enabled."""
    app = directory.application(DEV_CLIENT_ID)
    user = directory.user(DEV_TENANT_ID, DEV_USER_ID)
    if app is None or app.tenant_id != DEV_TENANT_ID or user is None:
        return None
    if not (app.account_enabled and user.account_enabled):
        return None
    return {
        "tenantId": DEV_TENANT_ID,
        "clientId": DEV_CLIENT_ID,
        "clientSecret": DEV_CLIENT_SECRET,
        "userId": DEV_USER_ID,
        "userPrincipalName": user.user_principal_name,
        "password": DEV_PASSWORD,
        "directoryRoles": ", ".join(sorted(user.directory_roles)),
    }
