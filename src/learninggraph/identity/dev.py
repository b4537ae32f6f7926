"""The well-known development identity: a tenant, an all-permissions app and a licensed user.

Like Azurite's account key, these values are public on purpose; never use them outside a laptop.
"""

from __future__ import annotations

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.directory import Directory

DEV_TENANT_ID = "de000000-0000-4000-8000-000000000001"
DEV_CLIENT_ID = "de000000-0000-4000-8000-000000000002"
DEV_USER_ID = "de000000-0000-4000-8000-000000000003"
DEV_CLIENT_SECRET = "dev8Q~learninggraph-development-secret"
DEV_USER_PRINCIPAL_NAME = "learner@dev.learninggraph.test"
DEV_PASSWORD = "LearningGraph-dev-password-1"
DEV_TENANT_NAME = "LearningGraph Dev"


def ensure_dev_identity(directory: Directory) -> bool:
    """Creates the dev identity when the database holds no tenant at all; True if it did."""
    with directory.atomic() as tx:
        if tx.has_tenants():
            return False
        tx.create_tenant(name=DEV_TENANT_NAME, tenant_id=DEV_TENANT_ID)
        tx.create_application(
            tenant_id=DEV_TENANT_ID,
            name="LearningGraph Dev App",
            permissions=APPLICATION_PERMISSIONS,
            client_id=DEV_CLIENT_ID,
            client_secret=DEV_CLIENT_SECRET,
        )
        tx.create_user(
            tenant_id=DEV_TENANT_ID,
            display_name="Dev Learner",
            licensed=True,
            password=DEV_PASSWORD,
            user_id=DEV_USER_ID,
            user_principal_name=DEV_USER_PRINCIPAL_NAME,
        )
    return True


def dev_credentials(directory: Directory) -> dict[str, str] | None:
    """The dev identity's sign-in values, if this database holds it."""
    app = directory.application(DEV_CLIENT_ID)
    user = directory.user(DEV_TENANT_ID, DEV_USER_ID)
    if app is None or app.tenant_id != DEV_TENANT_ID or user is None:
        return None
    return {
        "tenantId": DEV_TENANT_ID,
        "clientId": DEV_CLIENT_ID,
        "clientSecret": DEV_CLIENT_SECRET,
        "userId": DEV_USER_ID,
        "userPrincipalName": user.user_principal_name,
        "password": DEV_PASSWORD,
    }
