"""Minted tokens and the verifier: every way a bearer token is turned away, and what it accepts."""

from __future__ import annotations

import base64
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from learninggraph.domain.permissions import (
    ASSIGNED_READ_WRITE_ALL,
    CONTENT_READ_WRITE_ALL,
    PROVIDER_READ,
    PROVIDER_READ_WRITE,
)
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.domain.roles import (
    GLOBAL_ADMINISTRATOR,
    KNOWLEDGE_ADMINISTRATOR,
    MEMBER_TEMPLATE_ID,
    TEMPLATE_IDS,
)
from learninggraph.identity.directory import Directory
from learninggraph.identity.issuing import service_principal_id
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.settings import Settings
from tests.identity.conftest import Contoso, VerifierFactory, foreign_key
from tests.identity.forging import claims_of, forged_token, genuine_app_token, refusal_of

INVALID_TOKEN = 'Bearer realm="learninggraph", error="invalid_token"'


def test_an_application_token_becomes_an_application_principal_with_its_roles(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    principal = verifier.authenticate(f"Bearer {genuine_app_token(minter, contoso)}")

    assert principal == Principal(
        contoso.tenant.id,
        contoso.app.client_id,
        CallerKind.APPLICATION,
        frozenset({CONTENT_READ_WRITE_ALL, ASSIGNED_READ_WRITE_ALL}),
    )


def test_a_delegated_token_becomes_a_delegated_principal_with_its_scopes(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token, _ = minter.delegated_token(
        contoso.app.client_id, contoso.user, [PROVIDER_READ, PROVIDER_READ_WRITE]
    )

    principal = verifier.authenticate(f"Bearer {token}")

    assert principal == Principal(
        contoso.tenant.id,
        contoso.app.client_id,
        CallerKind.DELEGATED,
        frozenset({PROVIDER_READ, PROVIDER_READ_WRITE}),
        contoso.user.id,
        directory_roles=frozenset({MEMBER_TEMPLATE_ID}),
    )


def test_application_tokens_carry_claims_shaped_like_entras(
    minter: TokenIssuer, keys: SigningKeys, contoso: Contoso, config: Settings
) -> None:
    token, expires_in = minter.application_token(contoso.app)
    claims, header = claims_of(token), jwt.get_unverified_header(token)

    assert header == {"alg": "RS256", "typ": "JWT", "kid": keys.signing_key()[0]}
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == claims["idp"] == f"{config.issuer_base}/{contoso.tenant.id}/v2.0"
    assert claims["oid"] == claims["sub"] == service_principal_id(contoso.app.client_id)
    assert claims["appid"] == claims["azp"] == contoso.app.client_id
    assert claims["roles"] == sorted(contoso.app.permissions)
    assert claims["exp"] - claims["iat"] == expires_in == config.token_lifetime_seconds
    assert "scp" not in claims and claims["appidacr"] == "1" and claims["app_displayname"] == "Contoso LMS"


def test_delegated_tokens_carry_claims_shaped_like_entras(minter: TokenIssuer, contoso: Contoso) -> None:
    token, _ = minter.delegated_token("app-1", contoso.user, [PROVIDER_READ_WRITE, PROVIDER_READ])
    claims = claims_of(token)

    assert claims["oid"] == contoso.user.id and claims["tid"] == contoso.tenant.id
    assert claims["upn"] == claims["unique_name"] == contoso.user.user_principal_name
    assert claims["name"] == "Adele Vance" and claims["amr"] == ["pwd"]
    assert claims["scp"] == f"{PROVIDER_READ} {PROVIDER_READ_WRITE}"
    assert "roles" not in claims


def test_the_bearer_scheme_is_matched_without_regard_to_case(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    assert (
        verifier.authenticate(f"bEaReR {genuine_app_token(minter, contoso)}").app_id == contoso.app.client_id
    )


def test_a_missing_authorization_header_is_401_without_an_error_code(verifier: TokenVerifier) -> None:
    rejection = refusal_of(verifier, None)

    assert rejection.status == 401
    assert rejection.headers == {"WWW-Authenticate": 'Bearer realm="learninggraph"'}


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "Bearer a.b", "Token a.b.c"]
)
def test_a_malformed_authorization_header_is_401_invalid_token(
    verifier: TokenVerifier, authorization: str
) -> None:
    assert refusal_of(verifier, authorization).headers == {"WWW-Authenticate": INVALID_TOKEN}


@pytest.mark.parametrize("where", [0, 40, -1, None])
@pytest.mark.parametrize("space", [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000"])
def test_a_token_holding_whitespace_anywhere_is_malformed(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso, space: str, where: int | None
) -> None:
    token = genuine_app_token(minter, contoso)
    spaced = token + space if where is None else token[:where] + space + token[where:]

    explanation = refusal_of(verifier, f"Bearer {spaced}").explanation

    assert explanation is not None and explanation.rule == "token.malformed"


def test_a_verified_token_under_another_scheme_is_still_401_invalid_token(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    assert refusal_of(verifier, f"Token {token}").headers == {"WWW-Authenticate": INVALID_TOKEN}
    assert refusal_of(verifier, f"Basic {token}").headers == {"WWW-Authenticate": INVALID_TOKEN}


def test_a_verified_token_sent_again_is_the_same_caller(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)

    first = verifier.authenticate(f"Bearer {token}")

    assert verifier.authenticate(f"bearer {token}") is first


def test_alg_none_is_rejected(verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso) -> None:
    claims = claims_of(genuine_app_token(minter, contoso))
    token = jwt.encode(claims, "", algorithm="none")

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_hs256_signed_with_the_public_key_pem_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    kid, key = keys.signing_key()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = base64.urlsafe_b64encode(json.dumps(claims_of(genuine_app_token(minter, contoso))).encode())
    signing_input = header.rstrip(b"=") + b"." + payload.rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.digest(pem, signing_input, "sha256")).rstrip(b"=")
    token = (signing_input + b"." + signature).decode()

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_an_unknown_kid_is_rejected(verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso) -> None:
    token = jwt.encode(
        claims_of(genuine_app_token(minter, contoso)), foreign_key(), "RS256", headers={"kid": "nope"}
    )

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_foreign_key_signing_under_our_kid_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    kid = keys.signing_key()[0]
    token = jwt.encode(
        claims_of(genuine_app_token(minter, contoso)), foreign_key(), "RS256", headers={"kid": kid}
    )

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_an_unknown_kid_and_a_bad_signature_fail_with_the_same_message(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    claims, kid = claims_of(genuine_app_token(minter, contoso)), keys.signing_key()[0]
    unknown = jwt.encode(claims, foreign_key(), "RS256", headers={"kid": "nope"})
    bad_signature = jwt.encode(claims, foreign_key(), "RS256", headers={"kid": kid})

    first, second = refusal_of(verifier, f"Bearer {unknown}"), refusal_of(verifier, f"Bearer {bad_signature}")

    assert first.message == second.message == "Access token validation failure."
    assert kid not in first.message


def test_an_expired_token_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    two_hours_ago = TokenIssuer(keys=keys, settings=config, clock=lambda: time.time() - 7200)
    token, _ = two_hours_ago.application_token(contoso.app)

    assert refusal_of(verifier, f"Bearer {token}").message == "Access token has expired or is not yet valid."


def test_a_token_not_yet_valid_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    in_an_hour = TokenIssuer(keys=keys, settings=config, clock=lambda: time.time() + 3600)
    token, _ = in_an_hour.application_token(contoso.app)

    assert refusal_of(verifier, f"Bearer {token}").message == "Access token has expired or is not yet valid."


def test_a_token_issued_slightly_in_the_future_is_accepted_within_the_clock_skew(
    verifier: TokenVerifier, keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    slightly_ahead = TokenIssuer(keys=keys, settings=config, clock=lambda: time.time() + 60)
    token, _ = slightly_ahead.application_token(contoso.app)

    assert verifier.authenticate(f"Bearer {token}").tenant_id == contoso.tenant.id


def test_a_wrong_audience_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = forged_token(keys, contoso, minter, aud="api://someone-else")

    assert refusal_of(verifier, f"Bearer {token}").message.endswith("Invalid audience.")


@pytest.mark.parametrize(
    "audience",
    ["https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000"],
)
def test_every_spelling_of_the_graph_audience_is_accepted(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso, audience: str
) -> None:
    token = forged_token(keys, contoso, minter, aud=audience)

    assert verifier.authenticate(f"Bearer {token}").tenant_id == contoso.tenant.id


def test_an_extra_audience_from_the_settings_is_accepted(
    make_verifier: VerifierFactory, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = forged_token(keys, contoso, minter, aud="api://learninggraph")

    principal = make_verifier(extra_audiences=("api://learninggraph",)).authenticate(f"Bearer {token}")

    assert principal.app_id == contoso.app.client_id


def test_a_wrong_issuer_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = forged_token(keys, contoso, minter, iss=f"https://evil.example/{contoso.tenant.id}/v2.0")

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_tampered_payload_is_rejected(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    header, _, signature = genuine_app_token(minter, contoso).split(".")
    claims = {
        **claims_of(genuine_app_token(minter, contoso)),
        "roles": ["LearningContent.ReadWrite.All", "More"],
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert refusal_of(verifier, f"Bearer {header}.{payload}.{signature}").status == 401


def test_an_oversized_token_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = forged_token(keys, contoso, minter, padding="x" * 20_000)

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_cached_token_is_rejected_once_it_expires(
    make_verifier: VerifierFactory, minter: TokenIssuer, contoso: Contoso, config: Settings
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0])
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")

    now[0] += config.token_lifetime_seconds + config.clock_skew_seconds + 1

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_token_signed_by_a_rotated_out_key_still_verifies(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    token = genuine_app_token(minter, contoso)

    keys.rotate()

    assert verifier.authenticate(f"Bearer {token}").tenant_id == contoso.tenant.id


def test_delegated_tokens_list_the_users_directory_roles_in_wids_as_entra_does(
    minter: TokenIssuer, directory: Directory, contoso: Contoso
) -> None:
    admin = directory.create_user(
        tenant_id=contoso.tenant.id, display_name="Kim Admin", licensed=True, roles=[KNOWLEDGE_ADMINISTRATOR]
    )

    claims = claims_of(minter.delegated_token(contoso.app.client_id, admin, [PROVIDER_READ])[0])

    assert claims["wids"] == [TEMPLATE_IDS[KNOWLEDGE_ADMINISTRATOR], MEMBER_TEMPLATE_ID]


def test_the_wids_of_a_delegated_token_become_the_principals_directory_roles(
    minter: TokenIssuer, verifier: TokenVerifier, directory: Directory, contoso: Contoso
) -> None:
    admin = directory.create_user(
        tenant_id=contoso.tenant.id, display_name="Kim Admin", licensed=True, roles=[GLOBAL_ADMINISTRATOR]
    )
    token, _ = minter.delegated_token(contoso.app.client_id, admin, [PROVIDER_READ])

    principal = verifier.authenticate(f"Bearer {token}")

    assert principal.directory_roles == {TEMPLATE_IDS[GLOBAL_ADMINISTRATOR], MEMBER_TEMPLATE_ID}
