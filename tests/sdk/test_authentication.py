"""Tokens as integrators get them: azure-identity over HTTPS, the loopback credentials, and the password grant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learninggraph.identity.certs import write_dev_certificates
from learninggraph.settings import Settings
from learninggraph.testing import LocalClientSecretCredential, LocalUsernamePasswordCredential, running_server
from tests.sdk.conftest import Sdk


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return write_dev_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def https_base_url(settings: Settings, certificates: tuple[Path, Path, Path]) -> Iterator[str]:
    """A second server over the session database, on HTTPS with the development certificate."""
    _, cert, key = certificates
    with running_server(settings, ssl_certfile=str(cert), ssl_keyfile=str(key)) as url:
        yield url


@pytest.fixture
def trusted_ca(certificates: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    """The development CA, trusted the way integrators do it: requests and httpx read these variables."""
    ca = str(certificates[0])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    return ca


def _round_trip_a_content(sdk: Sdk, client: Any) -> Any:
    """Upserts a content through ``client`` and reads it back through it."""
    provider = client.employee_experience.learning_providers.by_learning_provider_id(sdk.provider().id)
    key = provider.learning_contents_with_external_id("over-https")
    sdk.run(
        key.patch(
            sdk.models.LearningContent(
                title="Secure", content_web_url="https://contoso.example/s", language_tag="en-us"
            )
        )
    )
    return sdk.run(key.get())


@pytest.mark.usefixtures("trusted_ca")
def test_azure_identity_client_secret_credential_authenticates_the_sdk_over_https(
    sdk: Sdk, https_base_url: str
) -> None:
    from azure.identity import ClientSecretCredential

    tenant = sdk.tenant
    with ClientSecretCredential(
        tenant.tenant_id,
        tenant.client_id,
        tenant.client_secret,
        authority=https_base_url,
        disable_instance_discovery=True,
    ) as credential:
        read = _round_trip_a_content(sdk, sdk.client(credential, base_url=https_base_url))

    assert read.title == "Secure"
    assert read.additional_data["@odata.context"].startswith(f"{https_base_url}/{sdk.version}/$metadata#")


def test_the_async_azure_identity_credential_authenticates_the_sdk_over_https(
    sdk: Sdk, https_base_url: str, trusted_ca: str
) -> None:
    from azure.identity.aio import ClientSecretCredential

    tenant = sdk.tenant
    # aiohttp reads SSL_CERT_FILE once, when first imported; connection_verify works whenever it is.
    credential = ClientSecretCredential(
        tenant.tenant_id,
        tenant.client_id,
        tenant.client_secret,
        authority=https_base_url,
        connection_verify=trusted_ca,
    )
    try:
        read = _round_trip_a_content(sdk, sdk.client(credential, base_url=https_base_url))
    finally:
        sdk.run(credential.close())

    assert read.title == "Secure"


def test_the_loopback_client_secret_credential_caches_its_token_per_scope(sdk: Sdk) -> None:
    tenant = sdk.tenant
    credential = LocalClientSecretCredential(tenant.token_url, tenant.client_id, tenant.client_secret)

    first = credential.get_token("https://graph.microsoft.com/.default")
    again = credential.get_token("https://graph.microsoft.com/.default", enable_cae=True)

    assert again is first
    assert first.expires_on > 0


def test_a_client_without_scopes_gets_a_token_for_the_scope_derived_from_its_url(sdk: Sdk) -> None:
    tenant = sdk.tenant
    credential = LocalClientSecretCredential(tenant.token_url, tenant.client_id, tenant.client_secret)
    client = sdk.client(credential, scopes=[])

    read = _round_trip_a_content(sdk, client)

    assert read.title == "Secure"


def test_a_delegated_token_from_the_password_grant_carries_only_the_requested_scopes(sdk: Sdk) -> None:
    tenant = sdk.tenant
    credential = LocalUsernamePasswordCredential(
        tenant.token_url, tenant.client_id, tenant.user_principal_name, tenant.password, tenant.client_secret
    )
    client = sdk.client(credential, scopes=["LearningProvider.ReadWrite"])
    registered = sdk.run(
        client.employee_experience.learning_providers.post(
            sdk.models.LearningProvider(
                display_name="Delegated Academy",
                long_logo_web_url_for_dark_theme="https://contoso.example/1.png",
                long_logo_web_url_for_light_theme="https://contoso.example/2.png",
                square_logo_web_url_for_dark_theme="https://contoso.example/3.png",
                square_logo_web_url_for_light_theme="https://contoso.example/4.png",
            )
        )
    )

    refused = sdk.error(sdk.me(client).employee_experience.learning_course_activities.get())

    assert registered.display_name == "Delegated Academy"
    assert refused.response_status_code == 403
