"""Application tokens made from an app's claims laid out once: the same bytes as the claims signed whole, new
claims when the app changes, a new ``uti`` and times in each."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from learninggraph.identity.issuing import TokenIssuer
from learninggraph.identity.keys import SigningKeys
from learninggraph.settings import Settings
from tests.identity.conftest import Contoso
from tests.identity.forging import claims_of

CLAIM_ORDER = [
    "aud", "iss", "iat", "nbf", "exp", "idp", "tid", "oid", "sub", "appid", "azp", "appidacr", "azpacr",
    "app_displayname", "idtyp", "roles", "uti", "ver",
]  # fmt: skip


def _payload(token: str) -> bytes:
    segment = token.split(".")[1]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _signed_whole(minter: TokenIssuer, token: str) -> bytes:
    """The payload ``_sign`` lays out for the same claims (its compact JSON of the whole claim set)."""
    claims: dict[str, Any] = json.loads(_payload(token))
    return json.dumps(claims, separators=(",", ":")).encode()


def test_an_application_tokens_claims_are_laid_out_as_the_claims_signed_whole(
    minter: TokenIssuer, contoso: Contoso
) -> None:
    token, _ = minter.application_token(contoso.app)

    assert _payload(token) == _signed_whole(minter, token)
    assert list(json.loads(_payload(token))) == CLAIM_ORDER


def test_a_name_outside_ascii_is_escaped_as_the_claims_signed_whole_escape_it(
    minter: TokenIssuer, contoso: Contoso
) -> None:
    app = dataclasses.replace(contoso.app, name='Contoso "LMS" — é\\ü')
    token, _ = minter.application_token(app)

    assert _payload(token) == _signed_whole(minter, token)
    assert claims_of(token)["app_displayname"] == 'Contoso "LMS" — é\\ü'


def test_a_changed_application_gets_its_new_claims(minter: TokenIssuer, contoso: Contoso) -> None:
    minter.application_token(contoso.app)
    renamed = dataclasses.replace(
        contoso.app, name="Renamed", permissions=frozenset({"LearningContent.Read.All"})
    )

    claims = claims_of(minter.application_token(renamed)[0])

    assert claims["app_displayname"] == "Renamed" and claims["roles"] == ["LearningContent.Read.All"]


def test_each_application_token_has_its_own_uti_and_times(
    keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    now = [1_800_000_000.7]
    minter = TokenIssuer(keys=keys, settings=config, clock=lambda: now[0])
    first = claims_of(minter.application_token(contoso.app)[0])
    now[0] += 10
    second = claims_of(minter.application_token(contoso.app)[0])

    assert first["uti"] != second["uti"]
    assert (first["iat"], first["nbf"], first["exp"]) == (1_800_000_000, 1_800_000_000, 1_800_003_600)
    assert second["iat"] == second["nbf"] == 1_800_000_010
