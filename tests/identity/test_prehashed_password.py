"""A user may be created with a password hashed beforehand (the test kit hashes its users' password once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from learninggraph.identity.directory import Directory, TokenError
from learninggraph.identity.passwords import hash_password, verify_password
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.testing import local_server


def test_a_user_created_with_a_password_hash_signs_in_with_that_password(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'users.db'}")
    upgrade(database)
    directory = Directory(database)
    tenant = directory.create_tenant(name="Contoso")
    user = directory.create_user(
        tenant_id=tenant.id, display_name="Ada", licensed=True, password_hash=hash_password("pw-123456")
    )
    assert directory.authenticate_user(tenant.id, user.user_principal_name, "pw-123456").id == user.id
    with pytest.raises(TokenError):
        directory.authenticate_user(tenant.id, user.user_principal_name, "wrong-password")
    database.close()


def test_every_test_tenant_user_signs_in_with_its_own_tenants_credentials(tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        first, second = server.new_tenant(), server.new_tenant()
        assert first.tenant_id != second.tenant_id
        assert first.user_token()
        assert second.user_token()


def test_a_password_hashed_at_a_lower_cost_carries_it_and_verifies_only_with_itself() -> None:
    stored = hash_password("pw-123456", cost=2**4)

    assert stored.startswith("scrypt$16$")
    assert verify_password("pw-123456", stored)
    assert not verify_password("pw-1234567", stored)
