"""The well-known dev identity: created only on an empty database, and usable at once."""

from __future__ import annotations

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.dev import (
    DEV_CLIENT_ID,
    DEV_CLIENT_SECRET,
    DEV_PASSWORD,
    DEV_TENANT_ID,
    DEV_USER_PRINCIPAL_NAME,
    dev_credentials,
    ensure_dev_identity,
)
from learninggraph.identity.directory import Directory


def test_an_empty_database_gets_the_dev_identity(directory: Directory) -> None:
    assert ensure_dev_identity(directory) is True
    assert dev_credentials(directory) == {
        "tenantId": DEV_TENANT_ID,
        "clientId": DEV_CLIENT_ID,
        "clientSecret": DEV_CLIENT_SECRET,
        "userId": "de000000-0000-4000-8000-000000000003",
        "userPrincipalName": DEV_USER_PRINCIPAL_NAME,
        "password": DEV_PASSWORD,
        "directoryRoles": "Knowledge Administrator",
    }


def test_the_dev_application_holds_every_application_permission(directory: Directory) -> None:
    ensure_dev_identity(directory)

    app = directory.authenticate_client(DEV_TENANT_ID, DEV_CLIENT_ID, DEV_CLIENT_SECRET)

    assert app.permissions == APPLICATION_PERMISSIONS


def test_the_dev_user_is_licensed_and_signs_in_with_the_dev_password(directory: Directory) -> None:
    ensure_dev_identity(directory)

    user = directory.authenticate_user(DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME, DEV_PASSWORD)

    assert user.has_learning_license


def test_a_database_with_any_tenant_gets_no_dev_identity(directory: Directory) -> None:
    directory.create_tenant(name="Contoso")

    assert ensure_dev_identity(directory) is False
    assert dev_credentials(directory) is None


def test_ensuring_the_dev_identity_twice_creates_it_once(directory: Directory) -> None:
    ensure_dev_identity(directory)

    assert ensure_dev_identity(directory) is False
    assert directory.has_tenants()
