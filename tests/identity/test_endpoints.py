"""The token service over real HTTP: discovery, JWKS, both grants and Entra-shaped errors."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import msgspec
import pytest

from learninggraph.domain.permissions import PROVIDER_READ, PROVIDER_READ_WRITE
from learninggraph.domain.principal import CallerKind
from learninggraph.identity.tokens import TokenVerifier
from tests.identity.conftest import CONSENTED, Contoso


def _token_url(base_url: str, tenant_id: str) -> str:
    return f"{base_url}/{tenant_id}/oauth2/v2.0/token"


def _client_credentials(contoso: Contoso, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": contoso.app.client_id,
        "client_secret": contoso.secret,
        "scope": "https://graph.microsoft.com/.default",
        "client_info": "1",
    }
    return {k: v for k, v in {**form, **overrides}.items() if v}


def _password(contoso: Contoso, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "client_id": contoso.app.client_id,
        "client_secret": contoso.secret,
        "username": contoso.user.user_principal_name,
        "password": contoso.password,
        "scope": f"{PROVIDER_READ} openid profile offline_access",
    }
    return {k: v for k, v in {**form, **overrides}.items() if v}


def _post(token_server: str, contoso: Contoso, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    return httpx.post(_token_url(token_server, contoso.tenant.id), data=form, **kwargs)


def _error(response: httpx.Response) -> tuple[int, str, int]:
    body = response.json()
    return response.status_code, body["error"], body["error_codes"][0]


def test_openid_configuration_names_absolute_endpoints_on_the_callers_host(
    token_server: str, contoso: Contoso
) -> None:
    tenant = contoso.tenant.id
    response = httpx.get(f"{token_server}/{tenant}/v2.0/.well-known/openid-configuration")
    document = response.json()

    assert response.status_code == 200
    assert document["token_endpoint"] == f"{token_server}/{tenant}/oauth2/v2.0/token"
    assert document["authorization_endpoint"] == f"{token_server}/{tenant}/oauth2/v2.0/authorize"
    assert document["jwks_uri"] == f"{token_server}/{tenant}/discovery/v2.0/keys"
    assert document["issuer"] == f"https://login.learninggraph.local/{tenant}/v2.0"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "client_credentials" in document["grant_types_supported"]


def test_openid_configuration_for_an_unknown_tenant_is_400_aadsts90002(token_server: str) -> None:
    response = httpx.get(f"{token_server}/no-such-tenant/v2.0/.well-known/openid-configuration")

    assert _error(response) == (400, "invalid_tenant", 90002)


def test_the_jwks_endpoint_publishes_the_key_that_signs_tokens(token_server: str, contoso: Contoso) -> None:
    access_token = _post(token_server, contoso, _client_credentials(contoso)).json()["access_token"]

    jwks = httpx.get(f"{token_server}/{contoso.tenant.id}/discovery/v2.0/keys").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(access_token)["kid"]].key

    assert jwt.decode(access_token, key, algorithms=["RS256"], audience="https://graph.microsoft.com")


def test_client_credentials_returns_a_bearer_token_that_verifies(
    token_server: str, contoso: Contoso, verifier: TokenVerifier
) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso))
    body = response.json()

    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == body["ext_expires_in"] == 3600
    principal = verifier.authenticate(f"Bearer {body['access_token']}")
    assert principal.kind is CallerKind.APPLICATION and principal.permissions == contoso.app.permissions


def test_a_client_credentials_answer_is_its_body_as_compact_json_byte_for_byte(
    token_server: str, contoso: Contoso
) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso))
    body = response.json()

    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert response.content == msgspec.json.encode(body)
    assert response.headers["pragma"] == "no-cache"


def test_token_responses_are_json_and_never_cached(token_server: str, contoso: Contoso) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso))

    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "scope", ["https://graph.microsoft.com/.default", "api://anything/.default", "http://127.0.0.1/.default"]
)
def test_client_credentials_accepts_the_default_scope_of_any_resource(
    token_server: str, contoso: Contoso, scope: str
) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso, scope=scope))

    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["aud"] == (
        "https://graph.microsoft.com"
    )


def test_client_credentials_accepts_http_basic_client_authentication(
    token_server: str, contoso: Contoso
) -> None:
    form = _client_credentials(contoso, client_id="", client_secret="")

    response = _post(token_server, contoso, form, auth=(contoso.app.client_id, contoso.secret))

    assert response.status_code == 200


def test_a_wrong_client_secret_is_401_invalid_client_in_entras_shape(
    token_server: str, contoso: Contoso
) -> None:
    form = _client_credentials(contoso, client_secret="not-the-secret")

    response = _post(token_server, contoso, form, headers={"client-request-id": "my-correlation"})
    body = response.json()

    assert _error(response) == (401, "invalid_client", 7000215)
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert "\r\nTrace ID: " in body["error_description"]
    assert "\r\nCorrelation ID: my-correlation\r\nTimestamp: " in body["error_description"]
    assert body["correlation_id"] == "my-correlation" and body["trace_id"] == response.headers["request-id"]
    assert set(body) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    }


def test_a_missing_client_secret_is_401_aadsts7000216(token_server: str, contoso: Contoso) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso, client_secret=""))

    assert _error(response) == (401, "invalid_client", 7000216)


def test_an_unknown_client_is_400_aadsts700016(token_server: str, contoso: Contoso) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso, client_id="no-such-app"))

    assert _error(response) == (400, "unauthorized_client", 700016)


def test_an_unknown_tenant_is_400_aadsts90002(token_server: str, contoso: Contoso) -> None:
    response = httpx.post(_token_url(token_server, "no-such-tenant"), data=_client_credentials(contoso))

    assert _error(response) == (400, "invalid_request", 90002)


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "scope"])
def test_a_missing_parameter_is_400_aadsts900144(token_server: str, contoso: Contoso, missing: str) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso, **{missing: ""}))

    assert _error(response) == (400, "invalid_request", 900144)
    assert f"'{missing}'" in response.json()["error_description"]


def test_an_unsupported_grant_type_is_400_aadsts70003(token_server: str, contoso: Contoso) -> None:
    response = _post(token_server, contoso, _client_credentials(contoso, grant_type="authorization_code"))

    assert _error(response) == (400, "unsupported_grant_type", 70003)


def test_client_credentials_for_a_named_permission_is_400_aadsts1002012(
    token_server: str, contoso: Contoso
) -> None:
    scope = "https://graph.microsoft.com/LearningContent.Read.All"

    response = _post(token_server, contoso, _client_credentials(contoso, scope=scope))

    assert _error(response) == (400, "invalid_scope", 1002012)


def test_client_credentials_for_two_resources_is_400_aadsts70011(token_server: str, contoso: Contoso) -> None:
    scope = "https://graph.microsoft.com/.default api://other/.default"

    response = _post(token_server, contoso, _client_credentials(contoso, scope=scope))

    assert _error(response) == (400, "invalid_scope", 70011)


def test_the_password_grant_returns_a_delegated_token_for_the_requested_scopes(
    token_server: str, contoso: Contoso, verifier: TokenVerifier
) -> None:
    response = _post(token_server, contoso, _password(contoso))
    body = response.json()

    assert response.status_code == 200
    assert body["scope"] == f"https://graph.microsoft.com/{PROVIDER_READ}"
    principal = verifier.authenticate(f"Bearer {body['access_token']}")
    assert (principal.kind, principal.user_id, principal.permissions) == (
        CallerKind.DELEGATED,
        contoso.user.id,
        frozenset({PROVIDER_READ}),
    )


def test_the_password_grant_strips_the_graph_prefix_from_scopes(
    token_server: str, contoso: Contoso, verifier: TokenVerifier
) -> None:
    scope = f"https://graph.microsoft.com/{PROVIDER_READ_WRITE} email"

    body = _post(token_server, contoso, _password(contoso, scope=scope)).json()

    assert verifier.authenticate(f"Bearer {body['access_token']}").permissions == {PROVIDER_READ_WRITE}


def test_the_password_grant_default_scope_grants_exactly_the_consented_delegated_permissions(
    token_server: str, contoso: Contoso, verifier: TokenVerifier
) -> None:
    body = _post(
        token_server, contoso, _password(contoso, scope="https://graph.microsoft.com/.default")
    ).json()

    assert verifier.authenticate(f"Bearer {body['access_token']}").permissions == CONSENTED


def test_the_password_grant_with_a_wrong_password_is_400_aadsts50126(
    token_server: str, contoso: Contoso
) -> None:
    response = _post(token_server, contoso, _password(contoso, password="wrong"))

    assert _error(response) == (400, "invalid_grant", 50126)


def test_the_password_grant_with_an_unknown_scope_is_400_aadsts70011(
    token_server: str, contoso: Contoso
) -> None:
    response = _post(token_server, contoso, _password(contoso, scope="Mail.Read"))

    assert _error(response) == (400, "invalid_scope", 70011)


def test_the_password_grant_checks_a_client_secret_when_one_is_sent(
    token_server: str, contoso: Contoso
) -> None:
    response = _post(token_server, contoso, _password(contoso, client_secret="not-the-secret"))

    assert _error(response) == (401, "invalid_client", 7000215)


def test_a_graph_call_with_an_issued_token_passes_authentication(token_server: str, contoso: Contoso) -> None:
    access_token = _post(token_server, contoso, _client_credentials(contoso)).json()["access_token"]

    response = httpx.get(f"{token_server}/v1.0/nothing", headers={"Authorization": f"Bearer {access_token}"})

    assert response.status_code == 404


def test_a_graph_call_without_a_token_is_401_with_a_bearer_challenge(token_server: str) -> None:
    response = httpx.get(f"{token_server}/v1.0/nothing")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["www-authenticate"] == 'Bearer realm="learninggraph"'
