"""The verified-token cache, looked up by a token's last characters: only the very token it verified gets in."""

from __future__ import annotations

import base64
import json

from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from tests.identity.conftest import Contoso
from tests.identity.forging import claims_of, genuine_app_token, refusal_of


def _with_claims(token: str, **changes: object) -> str:
    """``token`` with other claims and its own signature: it ends as ``token`` does."""
    header, _, signature = token.split(".")
    claims = {**claims_of(token), **changes}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def test_a_token_ending_like_a_cached_one_is_verified_on_its_own_and_refused(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    look_alike = _with_claims(token, roles=["LearningContent.ReadWrite.All", "More"])

    assert refusal_of(verifier, f"Bearer {look_alike}").status == 401


def test_a_cached_token_still_gets_in_after_a_look_alike_was_refused(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")
    refusal_of(verifier, f"Bearer {_with_claims(token, tid='00000000-0000-0000-0000-000000000000')}")

    assert verifier.authenticate(f"Bearer {token}").tenant_id == contoso.tenant.id


def test_a_cached_token_is_taken_under_the_bearer_scheme_in_any_case(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    assert verifier.authenticate(f"bEARER {token}").tenant_id == contoso.tenant.id


def test_a_cached_token_is_refused_under_another_scheme(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    assert refusal_of(verifier, f"Basic {token}").status == 401


def test_a_cached_token_with_a_second_space_before_it_is_refused(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    assert refusal_of(verifier, f"Bearer  {token}").status == 401
