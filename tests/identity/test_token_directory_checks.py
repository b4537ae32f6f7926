"""The verifier's directory checks: a token whose tenant, user or application is gone, disabled or whose
secrets were replaced is refused, at first use or within a minute of the change for a cached one."""

from __future__ import annotations

import time

from learninggraph.domain.permissions import PROVIDER_READ
from learninggraph.identity.administration import DirectoryAdmin
from learninggraph.identity.directory import User
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import DIRECTORY_RECHECK_SECONDS, TokenIssuer, TokenVerifier
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from tests.identity.conftest import Contoso, VerifierFactory
from tests.identity.forging import forged_token, genuine_app_token, refusal_of


def test_our_token_naming_a_tenant_that_does_not_exist_is_rejected(
    verifier: TokenVerifier, keys: SigningKeys, minter: TokenIssuer, contoso: Contoso
) -> None:
    ghost = "0badc0de-0000-4000-8000-000000000000"
    token = forged_token(keys, contoso, minter, tid=ghost, iss=minter.issuer_for(ghost))

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_delegated_token_for_a_user_not_in_the_tenant_is_rejected(
    verifier: TokenVerifier, minter: TokenIssuer, contoso: Contoso
) -> None:
    ghost = User(contoso.tenant.id, "ghost", "Ghost", "ghost@contoso.onmicrosoft.com", True)
    token, _ = minter.delegated_token("app-1", ghost, [PROVIDER_READ])

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_cached_token_is_rejected_a_minute_after_its_tenant_is_deleted(
    make_verifier: VerifierFactory, db: Database, minter: TokenIssuer, contoso: Contoso
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0])
    token = genuine_app_token(minter, contoso)
    verifier.authenticate(f"Bearer {token}")
    with db.transaction() as conn:
        conn.execute("DELETE FROM tenants WHERE id = ?", (contoso.tenant.id,))

    now[0] += 61

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_delegated_token_naming_an_app_that_is_not_registered_is_rejected(
    minter: TokenIssuer, verifier: TokenVerifier, contoso: Contoso
) -> None:
    token, _ = minter.delegated_token("no-such-app", contoso.user, [PROVIDER_READ])

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_cached_token_is_rejected_a_minute_after_its_app_is_deleted(
    make_verifier: VerifierFactory, db: Database, minter: TokenIssuer, contoso: Contoso
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0])
    app_token, user_token = (
        genuine_app_token(minter, contoso),
        minter.delegated_token(contoso.app.client_id, contoso.user, [PROVIDER_READ])[0],
    )
    for token in (app_token, user_token):
        verifier.authenticate(f"Bearer {token}")
    DirectoryAdmin(db).delete_application(contoso.app.client_id)

    now[0] += DIRECTORY_RECHECK_SECONDS + 1

    assert [refusal_of(verifier, f"Bearer {t}").status for t in (app_token, user_token)] == [401, 401]


def test_a_cached_token_is_rejected_a_minute_after_its_apps_secrets_are_replaced(
    make_verifier: VerifierFactory, db: Database, keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0])
    earlier = TokenIssuer(keys=keys, settings=config, clock=lambda: time.time() - 5)
    token = earlier.application_token(contoso.app)[0]
    verifier.authenticate(f"Bearer {token}")
    DirectoryAdmin(db).rotate_secret(contoso.app.client_id)

    now[0] += DIRECTORY_RECHECK_SECONDS + 1

    assert refusal_of(verifier, f"Bearer {token}").status == 401


def test_a_token_issued_after_the_secrets_are_replaced_is_accepted(
    verifier: TokenVerifier, db: Database, minter: TokenIssuer, contoso: Contoso
) -> None:
    DirectoryAdmin(db).rotate_secret(contoso.app.client_id)

    assert verifier.authenticate(f"Bearer {genuine_app_token(minter, contoso)}").is_application


def test_keeping_the_existing_secrets_keeps_their_tokens(
    verifier: TokenVerifier, db: Database, keys: SigningKeys, config: Settings, contoso: Contoso
) -> None:
    earlier = TokenIssuer(keys=keys, settings=config, clock=lambda: time.time() - 5)
    token = earlier.application_token(contoso.app)[0]
    DirectoryAdmin(db).rotate_secret(contoso.app.client_id, keep_existing=True)

    assert verifier.authenticate(f"Bearer {token}").is_application


def test_a_token_of_a_disabled_user_is_rejected(
    verifier: TokenVerifier, db: Database, minter: TokenIssuer, contoso: Contoso
) -> None:
    token, _ = minter.delegated_token(contoso.app.client_id, contoso.user, [PROVIDER_READ])
    DirectoryAdmin(db).set_user_enabled(contoso.tenant.id, contoso.user.id, enabled=False)

    assert refusal_of(verifier, f"Bearer {token}").status == 401
