"""Changing existing accounts through the directory API and the CLI: roles, licences, consents, clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import CONTENT_READ_ALL, PROVIDER_READ, PROVIDER_READ_WRITE
from learninggraph.domain.roles import GLOBAL_ADMINISTRATOR, KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.administration import DirectoryAdmin
from learninggraph.identity.directory import Directory, DirectoryError
from learninggraph.storage.database import Database
from tests.identity.conftest import Contoso


@pytest.fixture
def admin(db: Database) -> DirectoryAdmin:
    return DirectoryAdmin(db)


def test_a_role_granted_and_removed_through_the_directory_api(
    admin: DirectoryAdmin, directory: Directory, contoso: Contoso
) -> None:
    admin.grant_roles(contoso.tenant.id, contoso.user.id, ["knowledge administrator", GLOBAL_ADMINISTRATOR])
    admin.remove_roles(contoso.tenant.id, contoso.user.user_principal_name, [GLOBAL_ADMINISTRATOR])

    user = directory.user(contoso.tenant.id, contoso.user.id)
    assert user is not None and user.directory_roles == {KNOWLEDGE_ADMINISTRATOR}


def test_an_unknown_role_is_refused_with_the_valid_ones_named(
    admin: DirectoryAdmin, contoso: Contoso
) -> None:
    with pytest.raises(DirectoryError, match="Knowledge Administrator"):
        admin.grant_roles(contoso.tenant.id, contoso.user.id, ["Learning Wizard"])


def test_a_licence_withdrawn_and_granted_again_through_the_directory_api(
    admin: DirectoryAdmin, directory: Directory, contoso: Contoso
) -> None:
    withdrawn = admin.set_license(contoso.tenant.id, contoso.user.id, licensed=False)
    granted = admin.set_license(contoso.tenant.id, contoso.user.id, licensed=True)

    assert (withdrawn.has_learning_license, granted.has_learning_license) == (False, True)


def test_consent_granted_and_revoked_through_the_directory_api(
    admin: DirectoryAdmin, contoso: Contoso
) -> None:
    admin.grant_consent(contoso.app.client_id, ["learningassignedcourse.read"])
    app = admin.revoke_consent(contoso.app.client_id, [PROVIDER_READ_WRITE, CONTENT_READ_ALL])

    assert app.delegated_permissions == {PROVIDER_READ, "LearningAssignedCourse.Read"}


def test_an_application_permission_cannot_be_consented_as_delegated(
    admin: DirectoryAdmin, contoso: Contoso
) -> None:
    with pytest.raises(DirectoryError, match="delegated"):
        admin.grant_consent(contoso.app.client_id, ["LearningAssignedCourse.ReadWrite.All"])


def test_changing_an_unknown_user_or_app_is_a_directory_error(
    admin: DirectoryAdmin, contoso: Contoso
) -> None:
    with pytest.raises(DirectoryError):
        admin.set_license(contoso.tenant.id, "nobody", licensed=True)
    with pytest.raises(DirectoryError):
        admin.delete_application("no-such-app")


# The CLI


@pytest.fixture
def url(db_path: Path, db: Database) -> str:
    return f"sqlite:///{db_path}"


def _cli(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> dict[str, Any]:
    code = main([*argv, "--database", url, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    value: dict[str, Any] = json.loads(captured.out)
    return value


def test_the_cli_grants_and_removes_directory_roles(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    who = ("--tenant", contoso.tenant.id, "--user", contoso.user.user_principal_name)

    granted = _cli(capsys, url, "users", "role", "grant", *who, "--role", KNOWLEDGE_ADMINISTRATOR)
    removed = _cli(capsys, url, "users", "role", "remove", *who, "--role", KNOWLEDGE_ADMINISTRATOR)

    assert granted["directoryRoles"] == [KNOWLEDGE_ADMINISTRATOR] and removed["directoryRoles"] == []


def test_the_cli_creates_a_user_holding_a_role(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    _cli(
        capsys,
        url,
        *("users", "create", "--tenant", contoso.tenant.id, "--name", "Kim", "--upn", "kim@contoso.test"),
        *("--role", GLOBAL_ADMINISTRATOR),
    )

    user = Directory(Database(url)).find_user(contoso.tenant.id, "kim@contoso.test")
    assert user is not None and user.directory_roles == {GLOBAL_ADMINISTRATOR}


def test_the_cli_grants_and_revokes_consent(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    app = ("--client-id", contoso.app.client_id)

    granted = _cli(
        capsys, url, "apps", "consent", "grant", *app, "--permission", "LearningAssignedCourse.Read"
    )
    revoked = _cli(capsys, url, "apps", "consent", "revoke", *app, "--permission", PROVIDER_READ_WRITE)

    assert "LearningAssignedCourse.Read" in granted["delegatedPermissions"]
    assert PROVIDER_READ_WRITE not in revoked["delegatedPermissions"]


def test_the_cli_marks_an_app_a_public_client_and_back(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    on = _cli(capsys, url, "apps", "public-client", "--client-id", contoso.app.client_id, "on")
    off = _cli(capsys, url, "apps", "public-client", "--client-id", contoso.app.client_id, "off")

    assert (on["publicClient"], off["publicClient"]) == (True, False)


def test_the_cli_creates_an_app_with_consents_and_as_a_public_client(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    created = _cli(
        capsys,
        url,
        *("apps", "create", "--tenant", contoso.tenant.id, "--name", "Portal", "--public-client"),
        *("--delegated-permission", PROVIDER_READ),
    )

    assert created["publicClient"] is True and created["delegatedPermissions"] == [PROVIDER_READ]
    assert created["permissions"] == []


def test_the_cli_refuses_a_token_for_a_scope_the_app_was_not_consented_to(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    code = main(
        [
            *("token", "--tenant", contoso.tenant.id, "--user", contoso.user.id),
            *("--scope", "LearningAssignedCourse.Read.All", "--client-id", contoso.app.client_id),
            *("--database", url),
        ]
    )

    assert code == 2 and "no consent for LearningAssignedCourse.Read.All" in capsys.readouterr().err


def test_the_cli_token_needs_an_app_of_the_tenant(
    capsys: pytest.CaptureFixture[str], url: str, contoso: Contoso
) -> None:
    DirectoryAdmin(Database(url)).revoke_consent(
        contoso.app.client_id, [PROVIDER_READ, PROVIDER_READ_WRITE, CONTENT_READ_ALL]
    )

    code = main(
        [
            "token",
            "--tenant",
            contoso.tenant.id,
            "--user",
            contoso.user.id,
            "--scope",
            PROVIDER_READ,
            "--database",
            url,
        ]
    )

    assert code == 2 and "no application with consented delegated permissions" in capsys.readouterr().err
