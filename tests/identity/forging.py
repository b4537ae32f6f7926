"""Tokens for the verifier's tests: genuine ones, forged ones signed with our own key, and refusals."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from learninggraph.domain.errors import Unauthorized
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from tests.identity.conftest import Contoso


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def genuine_app_token(minter: TokenIssuer, contoso: Contoso) -> str:
    return minter.application_token(contoso.app)[0]


def forged_token(keys: SigningKeys, contoso: Contoso, minter: TokenIssuer, **changes: Any) -> str:
    """A token signed with our active key whose claims differ from a genuine one."""
    claims = {**claims_of(genuine_app_token(minter, contoso)), **changes}
    kid, key = keys.signing_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def refusal_of(verifier: TokenVerifier, authorization: str | None) -> Unauthorized:
    with pytest.raises(Unauthorized) as raised:
        verifier.authenticate(authorization)
    return raised.value
