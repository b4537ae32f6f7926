"""The dev certificates in use: https on loopback, and the official azure-identity credential against it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from learninggraph.domain.principal import CallerKind
from learninggraph.http.edge import Edge
from learninggraph.identity.certs import write_dev_certificates
from learninggraph.identity.tokens import TokenVerifier
from tests.identity.conftest import Contoso, serving


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Path, Path, Path]:
    return write_dev_certificates(tmp_path / "certs")


@pytest.fixture
def https_server(identity_app: Edge, certificates: tuple[Path, Path, Path]) -> Iterator[str]:
    _, cert, key = certificates
    with serving(identity_app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as base_url:
        yield base_url


def test_the_dev_certificate_is_trusted_through_its_ca(
    https_server: str, certificates: tuple[Path, Path, Path], contoso: Contoso
) -> None:
    trust = ssl.create_default_context(cafile=str(certificates[0]))

    response = httpx.get(
        f"{https_server}/{contoso.tenant.id}/v2.0/.well-known/openid-configuration", verify=trust
    )

    assert response.json()["token_endpoint"].startswith(https_server)


def test_the_dev_certificate_is_refused_without_its_ca(https_server: str, contoso: Contoso) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{https_server}/{contoso.tenant.id}/v2.0/.well-known/openid-configuration")


def test_azure_identity_client_secret_credential_obtains_a_token_that_verifies(
    https_server: str,
    certificates: tuple[Path, Path, Path],
    contoso: Contoso,
    verifier: TokenVerifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = pytest.importorskip("azure.identity")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates[0]))
    with identity.ClientSecretCredential(
        contoso.tenant.id,
        contoso.app.client_id,
        contoso.secret,
        authority=https_server,
        disable_instance_discovery=True,
    ) as credential:
        access = credential.get_token("https://graph.microsoft.com/.default", enable_cae=True)

    assert verifier.authenticate(f"Bearer {access.token}").kind is CallerKind.APPLICATION
