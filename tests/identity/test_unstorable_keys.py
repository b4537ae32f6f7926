"""Sign-in keys no database can hold (PostgreSQL's text cannot hold a NUL character) are unknown keys, answered
in Entra's shape on every backend, as any other that matches nothing."""

from __future__ import annotations

import httpx

from tests.builders import Tenant

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def _error(response: httpx.Response) -> tuple[int, str, int]:
    body = response.json()
    return response.status_code, body["error"], body["error_codes"][0]


def _sign_in(tenant: Tenant, tenant_segment: str, form: dict[str, str]) -> httpx.Response:
    return tenant.client(None).post(f"/{tenant_segment}/oauth2/v2.0/token", data=form)


def test_a_tenant_holding_a_nul_character_is_an_unknown_tenant(tenant: Tenant) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "app",
        "client_secret": "s",
        "scope": GRAPH_DEFAULT,
    }

    response = _sign_in(tenant, "%00", form)

    assert _error(response) == (400, "invalid_request", 90002)


def test_the_openid_configuration_of_a_tenant_holding_a_nul_character_is_400_aadsts90002(
    tenant: Tenant,
) -> None:
    response = tenant.client(None).get("/a%00b/v2.0/.well-known/openid-configuration")

    assert _error(response) == (400, "invalid_tenant", 90002)


def test_a_client_id_holding_a_nul_character_is_an_unknown_client(tenant: Tenant) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "app\x00",
        "client_secret": "s",
        "scope": GRAPH_DEFAULT,
    }

    response = _sign_in(tenant, tenant.tenant_id, form)

    assert _error(response) == (400, "unauthorized_client", 700016)


def test_a_user_name_holding_a_nul_character_is_a_wrong_user_name(tenant: Tenant) -> None:
    app, secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id,
        name="sign-in app",
        permissions=(),
        delegated_permissions=["LearningProvider.Read"],
    )
    form = {
        "grant_type": "password",
        "client_id": app.client_id,
        "client_secret": secret,
        "username": "ada\x00@contoso.example",
        "password": "pa55word",
        "scope": "LearningProvider.Read",
    }

    response = _sign_in(tenant, tenant.tenant_id, form)

    assert _error(response) == (400, "invalid_grant", 50126)
