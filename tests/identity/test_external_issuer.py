"""Tokens from a trusted outside OpenID Connect issuer, verified with keys fetched from its metadata."""

from __future__ import annotations

import time

import pytest

from learninggraph.domain.errors import Unauthorized
from learninggraph.domain.permissions import CONTENT_READ_ALL, PROVIDER_READ
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.identity.tokens import INVALID, TokenVerifier
from tests.identity.conftest import Contoso, OidcIssuer, VerifierFactory

AUDIENCE = "api://learninggraph"


def once_keys_are_fetched(verifier: TokenVerifier, authorization: str) -> Principal:
    """Authenticates, retrying for a few seconds while the issuer's keys are fetched in the background."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return verifier.authenticate(authorization)
        except Unauthorized as refusal:
            if refusal.message != INVALID or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_an_application_token_from_a_trusted_issuer_is_accepted(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier(trusted_issuers=(oidc_issuer.template,), extra_audiences=(AUDIENCE,))
    token = oidc_issuer.token(contoso.tenant.id, aud=AUDIENCE, roles=[CONTENT_READ_ALL])

    principal = once_keys_are_fetched(verifier, f"Bearer {token}")

    assert principal == Principal(
        contoso.tenant.id,
        "11111111-1111-4111-8111-111111111111",
        CallerKind.APPLICATION,
        frozenset({CONTENT_READ_ALL}),
    )


def test_a_delegated_token_from_a_trusted_issuer_maps_its_scopes(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier(trusted_issuers=(oidc_issuer.template,))
    token = oidc_issuer.token(contoso.tenant.id, scp=PROVIDER_READ, oid=contoso.user.id)

    principal = once_keys_are_fetched(verifier, f"Bearer {token}")

    assert (principal.kind, principal.permissions, principal.user_id) == (
        CallerKind.DELEGATED,
        frozenset({PROVIDER_READ}),
        contoso.user.id,
    )


def test_a_trusted_issuer_token_with_a_wrong_audience_is_rejected(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier(trusted_issuers=(oidc_issuer.template,), extra_audiences=(AUDIENCE,))
    token = oidc_issuer.token(contoso.tenant.id, aud="api://another-api", roles=[CONTENT_READ_ALL])

    with pytest.raises(Unauthorized, match="Invalid audience"):
        once_keys_are_fetched(verifier, f"Bearer {token}")


def test_a_trusted_issuer_token_for_a_tenant_missing_from_the_directory_is_rejected(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier(trusted_issuers=(oidc_issuer.template,))
    token = oidc_issuer.token("0badc0de-0000-4000-8000-000000000000", roles=[CONTENT_READ_ALL])

    with pytest.raises(Unauthorized):
        verifier.authenticate(f"Bearer {token}")
    assert oidc_issuer.requests == []


def test_a_token_from_an_issuer_that_is_not_trusted_is_rejected(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier()
    token = oidc_issuer.token(contoso.tenant.id, roles=[CONTENT_READ_ALL])

    with pytest.raises(Unauthorized):
        verifier.authenticate(f"Bearer {token}")


def test_the_trusted_issuers_keys_are_fetched_once_and_then_cached(
    make_verifier: VerifierFactory, oidc_issuer: OidcIssuer, contoso: Contoso
) -> None:
    verifier = make_verifier(trusted_issuers=(oidc_issuer.template,))

    for role in ("a", "b", "c"):
        once_keys_are_fetched(verifier, f"Bearer {oidc_issuer.token(contoso.tenant.id, roles=[role])}")

    assert oidc_issuer.requests == [f"/{contoso.tenant.id}/v2.0/.well-known/openid-configuration", "/keys"]
