"""Trusted outside issuers attacked over loopback: forged issuer spellings, a slow issuer, and tenant binding.

The outside issuer is a real OpenID Connect issuer served on loopback by the test; it counts its fetches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import CONTENT_READ_ALL
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.testing import running_server
from tests.identity.conftest import OidcIssuer, foreign_key

LISTING = "/v1.0/employeeExperience/learningProviders"


@pytest.fixture
def outside() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer()
    yield issuer
    issuer.close()


@pytest.fixture
def two_tenants(new_database_url: Callable[[], str]) -> tuple[str, str, str]:
    """A database URL with two tenants in its directory, and their ids."""
    url = new_database_url()
    database = Database(url)
    upgrade(database)
    directory = Directory(database)
    first, second = directory.create_tenant(name="Contoso"), directory.create_tenant(name="Fabrikam")
    database.close()
    return url, first.id, second.id


@contextmanager
def serving(database_url: str, *trusted: str) -> Iterator[str]:
    settings = Settings(database_url=database_url, create_dev_identity=False, trusted_issuers=trusted)
    with running_server(settings) as url:
        yield url


def _call(base_url: str, token: str, timeout: float = 10.0) -> int:
    return httpx.get(
        f"{base_url}{LISTING}", headers={"Authorization": f"Bearer {token}"}, timeout=timeout
    ).status_code


def _until_accepted(base_url: str, token: str) -> int:
    """Calls with ``token`` until it is no longer refused for want of keys (bounded); returns the last status."""
    deadline = time.monotonic() + 10
    status = _call(base_url, token)
    while status == 401 and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _call(base_url, token)
    return status


def _token(outside: OidcIssuer, tenant_id: str, **claims: Any) -> str:
    return outside.token(tenant_id, roles=[CONTENT_READ_ALL], **claims)


def test_issuer_spellings_with_extra_slashes_do_not_multiply_key_fetches(
    outside: OidcIssuer, two_tenants: tuple[str, str, str]
) -> None:
    database_url, tenant_id, _ = two_tenants
    stranger = foreign_key()
    with serving(database_url, outside.template) as base_url:
        statuses = []
        for slashes in range(1, 21):
            claims = {"iss": outside.issuer(tenant_id) + "/" * slashes, "tid": tenant_id, "exp": 2**31}
            forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": f"forged-{slashes}"})
            statuses.append(_call(base_url, forged))
        accepted = _until_accepted(base_url, _token(outside, tenant_id))

    assert statuses == [401] * 20
    assert accepted != 401
    assert len(outside.requests) == 2


def test_a_slow_issuer_holds_no_other_request(outside: OidcIssuer, two_tenants: tuple[str, str, str]) -> None:
    database_url, tenant_id, _ = two_tenants
    with serving(database_url, outside.template) as base_url:
        outside.answering.clear()
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_call, base_url, _token(outside, tenant_id), 15)
                deadline = time.monotonic() + 10
                while not outside.requests and time.monotonic() < deadline:
                    time.sleep(0.01)
                # The issuer is now holding the server's fetch: nothing else may wait for it.
                health = httpx.get(f"{base_url}/health", timeout=3).status_code
                first = pending.result()
            still_holding = not outside.answering.is_set()
        finally:
            outside.answering.set()
        accepted = _until_accepted(base_url, _token(outside, tenant_id))

    assert (first, health, still_holding) == (401, 200, True)
    assert accepted != 401


def test_a_fixed_issuer_serves_only_the_tenants_it_names(
    outside: OidcIssuer, two_tenants: tuple[str, str, str]
) -> None:
    database_url, named, other = two_tenants
    fixed = f"{outside.origin}/fixed/v2.0"
    with serving(database_url, f"{fixed}={named}") as base_url:
        for_named = _until_accepted(base_url, _token(outside, named, iss=fixed))
        for_other = _call(base_url, _token(outside, other, iss=fixed))

    assert for_named != 401
    assert for_other == 401


def test_a_tenant_template_still_serves_each_tenant_under_its_own_issuer(
    outside: OidcIssuer, two_tenants: tuple[str, str, str]
) -> None:
    database_url, first, second = two_tenants
    with serving(database_url, outside.template) as base_url:
        statuses = [_until_accepted(base_url, _token(outside, tenant)) for tenant in (first, second)]
        crossed = _call(base_url, _token(outside, second, iss=outside.issuer(first)))

    assert 401 not in statuses
    assert crossed == 401


def test_serve_refuses_a_fixed_issuer_that_names_no_tenant(
    new_database_url: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["serve", "--database", new_database_url(), "--trust-issuer", "https://issuer.example/v2.0"]
    )

    assert status == 2
    assert "URL=TENANT" in capsys.readouterr().err
