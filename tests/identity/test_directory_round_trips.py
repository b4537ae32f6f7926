"""What the token check and the token endpoint read: each question to the directory is one statement.

On PostgreSQL every statement is a round trip, so a new token's check (tenant, user, application) and a
sign-in (tenant, application, secrets) each read the directory once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from learninggraph.domain.permissions import PROVIDER_READ
from learninggraph.identity.directory import Directory
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.storage.database import Database
from tests.identity.conftest import Contoso


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []
    db._raw.set_trace_callback(sent.append)  # type: ignore[attr-defined]
    try:
        yield sent
    finally:
        db._raw.set_trace_callback(None)  # type: ignore[attr-defined]


def _directory_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if "FROM tenants" in s or "FROM users" in s or "FROM applications" in s]


@pytest.mark.sqlite
def test_a_new_delegated_tokens_tenant_user_and_application_are_read_in_one_statement(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso, db: Database
) -> None:
    token, _ = minter.delegated_token(contoso.app.client_id, contoso.user, [PROVIDER_READ])

    with _statements(db) as sent:
        verifier.authenticate(f"Bearer {token}")

    assert len(_directory_reads(sent)) == 1


@pytest.mark.sqlite
def test_a_client_credentials_sign_in_reads_the_directory_in_one_statement(
    token_server: str, contoso: Contoso, db: Database
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": contoso.app.client_id,
        "client_secret": contoso.secret,
        "scope": "https://graph.microsoft.com/.default",
    }

    with _statements(db) as sent:
        response = httpx.post(f"{token_server}/{contoso.tenant.id}/oauth2/v2.0/token", data=form)

    assert response.status_code == 200
    assert len(_directory_reads(sent)) == 1


def test_an_unknown_tenant_is_named_before_a_malformed_basic_authorization(token_server: str) -> None:
    response = httpx.post(
        f"{token_server}/no-such-tenant/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"},
        headers={"Authorization": "Basic !!!"},
    )

    assert (response.status_code, response.json()["error_codes"]) == (400, [90002])


def test_an_unsupported_grant_type_is_named_before_a_missing_client_id(
    token_server: str, contoso: Contoso
) -> None:
    response = httpx.post(
        f"{token_server}/{contoso.tenant.id}/oauth2/v2.0/token", data={"grant_type": "implicit"}
    )

    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_the_standing_of_an_unknown_tenant_is_none(directory: Directory, contoso: Contoso) -> None:
    assert directory.standing("no-such-tenant", contoso.user.id, contoso.app.client_id) is None


StandingCase = Callable[[Contoso], tuple[str | None, str | None]]


@pytest.mark.parametrize(
    ("asked", "has_user", "has_app"),
    [
        (lambda c: (c.user.id, c.app.client_id), True, True),
        (lambda c: (None, c.app.client_id), False, True),
        (lambda c: (c.user.id, None), True, False),
        (lambda c: ("no-such-user", "no-such-app"), False, False),
    ],
)
def test_a_standing_holds_the_user_and_application_asked_for_where_they_exist(
    directory: Directory, contoso: Contoso, asked: StandingCase, has_user: bool, has_app: bool
) -> None:
    user_id, client_id = asked(contoso)

    standing = directory.standing(contoso.tenant.id, user_id, client_id)

    assert standing is not None and standing.tenant == contoso.tenant
    assert standing.user == (contoso.user if has_user else None)
    assert standing.application == (contoso.app if has_app else None)


def test_a_user_of_another_tenant_is_not_in_this_tenants_standing(
    directory: Directory, contoso: Contoso
) -> None:
    other = directory.create_tenant(name="Fabrikam")

    standing = directory.standing(other.id, contoso.user.id, None)

    assert standing is not None and standing.user is None
