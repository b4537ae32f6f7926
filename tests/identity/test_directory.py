"""The directory's rules: hashed secrets and passwords, permission names, unique user principal names."""

from __future__ import annotations

from pathlib import Path

import pytest

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, CONTENT_READ_ALL, PROVIDER_READ
from learninggraph.identity.directory import (
    Directory,
    DirectoryError,
    TokenError,
    get_tenant,
    get_user,
    insert_secret,
)
from learninggraph.storage.database import Database
from tests.identity.conftest import Contoso


def _database_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_a_new_tenant_reads_back_with_its_learning_plan_flag(directory: Directory) -> None:
    created = directory.create_tenant(name="Fabrikam", has_learning_plan=False)

    assert directory.tenant(created.id) == created
    assert created.has_learning_plan is False


def test_the_plain_client_secret_is_stored_nowhere_in_the_database_file(
    directory: Directory, db: Database, db_path: Path, contoso: Contoso
) -> None:
    with db.snapshot() as conn:
        salt, digest, hint = conn.fetch_all("SELECT salt, digest, hint FROM client_secrets")[0]

    assert contoso.secret.encode() not in _database_bytes(db_path)
    assert hint == contoso.secret[:3]
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 32


def test_the_client_secret_authenticates_its_application(directory: Directory, contoso: Contoso) -> None:
    app = directory.authenticate_client(contoso.tenant.id, contoso.app.client_id, contoso.secret)

    assert app == contoso.app


def test_a_wrong_client_secret_is_refused_with_aadsts7000215(directory: Directory, contoso: Contoso) -> None:
    with pytest.raises(TokenError) as raised:
        directory.authenticate_client(contoso.tenant.id, contoso.app.client_id, contoso.secret + "x")

    assert (raised.value.status, raised.value.error, raised.value.code) == (401, "invalid_client", 7000215)


def test_an_application_is_unknown_in_another_tenant(directory: Directory, contoso: Contoso) -> None:
    other = directory.create_tenant(name="Fabrikam")

    with pytest.raises(TokenError) as raised:
        directory.authenticate_client(other.id, contoso.app.client_id, contoso.secret)

    assert (raised.value.status, raised.value.code) == (400, 700016)


def test_an_unknown_tenant_is_refused_before_any_application_is_looked_at(
    directory: Directory, contoso: Contoso
) -> None:
    with pytest.raises(TokenError) as raised:
        directory.authenticate_client("no-such-tenant", contoso.app.client_id, contoso.secret)

    assert (raised.value.status, raised.value.code) == (400, 90002)


def test_each_of_an_applications_secrets_authenticates_it(
    directory: Directory, db: Database, contoso: Contoso
) -> None:
    with db.transaction() as conn:
        insert_secret(conn, contoso.app.client_id, "a-second-secret-of-enough-length")

    for secret in (contoso.secret, "a-second-secret-of-enough-length"):
        assert directory.authenticate_client(contoso.tenant.id, contoso.app.client_id, secret) == contoso.app


@pytest.mark.sqlite
def test_a_client_sign_in_reads_its_tenant_application_and_secrets_in_one_statement(
    directory: Directory, db: Database, contoso: Contoso
) -> None:
    statements: list[str] = []
    db._raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    try:
        directory.authenticate_client(contoso.tenant.id, contoso.app.client_id, contoso.secret)
    finally:
        db._raw.set_trace_callback(None)  # type: ignore[attr-defined]

    assert len(statements) == 1 and statements[0].startswith("SELECT")


def test_a_chosen_client_secret_is_returned_as_given(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso")

    _, secret = directory.create_application(
        tenant_id=tenant.id, name="LMS", permissions=[], client_secret="my-chosen-secret"
    )

    assert secret == "my-chosen-secret"


def test_unknown_permission_names_are_refused_listing_the_valid_ones(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso")

    with pytest.raises(ValueError, match=r"Learning\.Everything") as raised:
        directory.create_application(tenant_id=tenant.id, name="LMS", permissions=["Learning.Everything"])

    assert all(name in str(raised.value) for name in APPLICATION_PERMISSIONS)


def test_a_delegated_only_permission_cannot_be_granted_to_an_application(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso")

    with pytest.raises(ValueError, match=PROVIDER_READ):
        directory.create_application(tenant_id=tenant.id, name="LMS", permissions=[PROVIDER_READ])


def test_permission_names_are_matched_without_regard_to_case(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso")

    app, _ = directory.create_application(
        tenant_id=tenant.id, name="LMS", permissions=[CONTENT_READ_ALL.upper()]
    )

    assert app.permissions == {CONTENT_READ_ALL}


def test_an_application_needs_an_existing_tenant(directory: Directory) -> None:
    with pytest.raises(DirectoryError, match="does not exist"):
        directory.create_application(tenant_id="no-such-tenant", name="LMS", permissions=[])


def test_passwords_are_stored_as_scrypt_hashes(db: Database, db_path: Path, contoso: Contoso) -> None:
    with db.snapshot() as conn:
        (stored,) = conn.fetch_one("SELECT password_hash FROM users WHERE id = ?", (contoso.user.id,)) or ()

    assert stored.startswith("scrypt$16384$8$1$")
    assert contoso.password.encode() not in _database_bytes(db_path)


def test_a_user_signs_in_with_the_password_and_any_case_of_the_upn(
    directory: Directory, contoso: Contoso
) -> None:
    upn = contoso.user.user_principal_name.upper()

    assert directory.authenticate_user(contoso.tenant.id, upn, contoso.password) == contoso.user


def test_a_wrong_password_is_refused_with_aadsts50126(directory: Directory, contoso: Contoso) -> None:
    with pytest.raises(TokenError) as raised:
        directory.authenticate_user(contoso.tenant.id, contoso.user.user_principal_name, "wrong")

    assert (raised.value.status, raised.value.error, raised.value.code) == (400, "invalid_grant", 50126)


def test_an_unknown_user_is_refused_exactly_like_a_wrong_password(
    directory: Directory, contoso: Contoso
) -> None:
    with pytest.raises(TokenError) as raised:
        directory.authenticate_user(contoso.tenant.id, "nobody@contoso.onmicrosoft.com", contoso.password)

    assert (raised.value.code, raised.value.description) == (
        50126,
        "Error validating credentials due to invalid username or password.",
    )


def test_a_user_without_a_password_cannot_sign_in(directory: Directory, contoso: Contoso) -> None:
    user = directory.create_user(tenant_id=contoso.tenant.id, display_name="No Password", licensed=True)

    with pytest.raises(TokenError):
        directory.authenticate_user(contoso.tenant.id, user.user_principal_name, "")


def test_a_duplicate_user_principal_name_is_refused_whatever_its_case(
    directory: Directory, contoso: Contoso
) -> None:
    with pytest.raises(DirectoryError, match="already in use"):
        directory.create_user(
            tenant_id=contoso.tenant.id,
            display_name="Someone Else",
            licensed=False,
            user_principal_name=contoso.user.user_principal_name.upper(),
        )


def test_default_user_principal_names_stay_unique_within_a_tenant(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso Ltd")

    first = directory.create_user(tenant_id=tenant.id, display_name="Adele Vance", licensed=True)
    second = directory.create_user(tenant_id=tenant.id, display_name="Adele Vance", licensed=True)

    assert first.user_principal_name == "adele.vance@contosoltd.onmicrosoft.com"
    assert second.user_principal_name == "adele.vance2@contosoltd.onmicrosoft.com"


def test_the_same_user_principal_name_may_exist_in_two_tenants(directory: Directory) -> None:
    first, second = directory.create_tenant(name="Contoso"), directory.create_tenant(name="Contoso")

    a = directory.create_user(tenant_id=first.id, display_name="Adele", licensed=True)
    b = directory.create_user(tenant_id=second.id, display_name="Adele", licensed=True)

    assert a.user_principal_name == b.user_principal_name


def test_get_tenant_and_get_user_read_inside_the_callers_transaction(db: Database, contoso: Contoso) -> None:
    with db.transaction() as conn:
        assert get_tenant(conn, contoso.tenant.id) == contoso.tenant
        assert get_user(conn, contoso.tenant.id, contoso.user.id) == contoso.user
        assert get_user(conn, contoso.tenant.id, "someone-else") is None


def test_a_user_is_found_by_id_or_by_user_principal_name(directory: Directory, contoso: Contoso) -> None:
    by_id = directory.find_user(contoso.tenant.id, contoso.user.id)
    by_upn = directory.find_user(contoso.tenant.id, contoso.user.user_principal_name)

    assert by_id == by_upn == contoso.user


def test_an_atomic_block_that_fails_leaves_nothing_behind(directory: Directory) -> None:
    with pytest.raises(DirectoryError), directory.atomic() as tx:
        tenant = tx.create_tenant(name="Half-made")
        tx.create_application(tenant_id=tenant.id, name="LMS", permissions=["Not.A.Permission"])

    assert not directory.has_tenants()
