"""The dashboard's sign-in and session rules on a real directory (a SQLite file), without a browser."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from learninggraph.dashboard.sessions import SessionCodec, session_key
from learninggraph.dashboard.signin import SignIn, SignInRefused
from learninggraph.http.throttling import LoginGuard, MemoryCounterStore
from learninggraph.identity.directory import Directory
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

pytestmark = pytest.mark.backend_independent
PASSWORD = "correct horse battery staple"


@pytest.fixture
def directory(tmp_path: Path) -> Directory:
    database = Database(f"sqlite:///{tmp_path / 'signin.db'}")
    upgrade(database)
    return Directory(database)


def test_sign_in_locks_after_the_token_endpoints_number_of_failures_even_for_the_right_password(
    directory: Directory,
) -> None:
    tenant = directory.create_tenant(name="Contoso")
    user = directory.create_user(tenant_id=tenant.id, display_name="Ada", licensed=True, password=PASSWORD)
    sign_in = SignIn(directory, LoginGuard(limit=3, window_seconds=60, store=MemoryCounterStore()))
    for _ in range(3):
        with pytest.raises(SignInRefused):
            sign_in.with_password(tenant.id, user.user_principal_name, "wrong", "192.0.2.1")

    with pytest.raises(SignInRefused) as locked:
        sign_in.with_password(tenant.id, user.user_principal_name, PASSWORD, "192.0.2.1")

    assert locked.value.retry_after is not None and locked.value.retry_after > 0


def test_wrong_passwords_tried_at_once_are_checked_no_more_often_than_the_limit(directory: Directory) -> None:
    tenant = directory.create_tenant(name="Contoso")
    user = directory.create_user(tenant_id=tenant.id, display_name="Ada", licensed=True, password=PASSWORD)
    sign_in = SignIn(directory, LoginGuard(limit=3, window_seconds=60, store=MemoryCounterStore()))

    def guess(_: int) -> bool:
        """Whether the guess was checked (refused as wrong) rather than refused as locked."""
        try:
            sign_in.with_password(tenant.id, user.user_principal_name, "wrong", "192.0.2.1")
        except SignInRefused as refused:
            return refused.retry_after is None
        raise AssertionError("a wrong password signed in")

    with ThreadPoolExecutor(max_workers=8) as pool:
        checked = list(pool.map(guess, range(16)))

    assert checked.count(True) == 3


def test_a_user_of_another_tenant_does_not_sign_in_with_the_tenant_id_of_this_one(
    directory: Directory,
) -> None:
    contoso = directory.create_tenant(name="Contoso")
    fabrikam = directory.create_tenant(name="Fabrikam")
    user = directory.create_user(tenant_id=fabrikam.id, display_name="Fay", licensed=True, password=PASSWORD)

    with pytest.raises(SignInRefused):
        SignIn(directory, None).with_password(contoso.id, user.user_principal_name, PASSWORD, "192.0.2.1")


def test_a_session_expires_after_its_lifetime() -> None:
    now = [1_000_000.0]
    codec = SessionCodec(session_key(b"key"), clock=lambda: now[0])
    value, _ = codec.issue("tenant", "user")
    now[0] += 8 * 3600 + 1

    assert codec.read(value) is None


def test_a_session_signed_with_another_key_is_refused() -> None:
    value, _ = SessionCodec(session_key(b"one key")).issue("tenant", "user")

    assert SessionCodec(session_key(b"another key")).read(value) is None
    assert SessionCodec(session_key(b"one key")).read(value) is not None
