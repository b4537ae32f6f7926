"""Brute-force protection of the token endpoint: failed sign-ins limited per client id and per address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from learninggraph.domain.permissions import CONTENT_READ_WRITE_ALL, PROVIDER_READ
from learninggraph.http.edge import Edge
from learninggraph.http.pipeline import request_steps
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Router
from learninggraph.http.throttling import LoginGuard
from learninggraph.identity.directory import Application, Directory
from learninggraph.identity.endpoints import routes
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer, TokenVerifier
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.identity.conftest import Contoso, serving

LIMIT = 3
CEILING = 6
WINDOW = 60.0
HOME, ELSEWHERE = "127.0.0.2", "127.0.0.3"
# Attackers on other loopback addresses, each under the per-address limit.
SWARM = tuple(f"127.0.1.{n}" for n in range(1, 9))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class GuardedServer:
    """The token service behind the real edge, with a guard allowing LIMIT failures per minute."""

    base_url: str
    clock: FakeClock

    def from_address(self, address: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, transport=httpx.HTTPTransport(local_address=address))


@pytest.fixture(params=[False], ids=["direct"])
def guarded(
    request: pytest.FixtureRequest,
    directory: Directory,
    minter: TokenIssuer,
    keys: SigningKeys,
    verifier: TokenVerifier,
    config: Settings,
) -> Iterator[GuardedServer]:
    """Parametrize indirectly with True for a server behind a trusted proxy (X-Forwarded-For)."""
    clock = FakeClock()
    guard = LoginGuard(limit=LIMIT, window_seconds=WINDOW, ceiling=CEILING, clock=clock)
    edge = Edge(
        pipeline=request_steps(
            graph=Router([]),
            public=Router(
                routes(directory=directory, issuer=minter, keys=keys, settings=config, guard=guard)
            ),
            authenticator=verifier,
        ),
        reading=Reading(max_body_bytes=1_048_576, trust_forwarded_headers=request.param),
    )
    with serving(edge) as base_url:
        yield GuardedServer(base_url, clock)


def client_credentials(client_id: str, secret: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default",
    }


def sign_in(client: httpx.Client, contoso: Contoso, app: Application, secret: str) -> httpx.Response:
    return client.post(
        f"/{contoso.tenant.id}/oauth2/v2.0/token",
        data=client_credentials(app.client_id, secret),
    )


def fail(client: httpx.Client, contoso: Contoso, app: Application, times: int) -> list[int]:
    return [sign_in(client, contoso, app, "wrong secret").status_code for _ in range(times)]


def second_app(directory: Directory, contoso: Contoso, name: str = "Fabrikam LMS") -> tuple[Application, str]:
    return directory.create_application(
        tenant_id=contoso.tenant.id, name=name, permissions=[CONTENT_READ_WRITE_ALL]
    )


class TestFailedClientSecrets:
    def test_wrong_secrets_beyond_the_limit_are_429_in_entras_shape_with_retry_after(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        with guarded.from_address(HOME) as client:
            assert fail(client, contoso, contoso.app, LIMIT) == [401] * LIMIT
            response = sign_in(client, contoso, contoso.app, "wrong secret")

        body = response.json()
        assert response.status_code == 429
        assert response.headers["retry-after"] == "20"
        assert body["error"] == "temporarily_unavailable"
        assert body["error_codes"] == [50053]
        assert body["error_description"].startswith("AADSTS50053: ")
        assert "Retry after 20 seconds." in body["error_description"]

    def test_the_right_secret_works_until_the_limit_is_reached(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        with guarded.from_address(HOME) as client:
            fail(client, contoso, contoso.app, LIMIT - 1)

            assert sign_in(client, contoso, contoso.app, contoso.secret).status_code == 200

    def test_the_right_secret_is_refused_too_once_the_limit_is_reached(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        with guarded.from_address(HOME) as client:
            fail(client, contoso, contoso.app, LIMIT)

            assert sign_in(client, contoso, contoso.app, contoso.secret).status_code == 429

    def test_the_right_secret_from_another_address_signs_in_while_the_attacker_is_locked(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        with guarded.from_address(HOME) as attacker, guarded.from_address(ELSEWHERE) as owner:
            fail(attacker, contoso, contoso.app, LIMIT)

            assert sign_in(attacker, contoso, contoso.app, contoso.secret).status_code == 429
            assert sign_in(owner, contoso, contoso.app, contoso.secret).status_code == 200

    def test_a_wrong_guess_every_few_seconds_does_not_keep_the_owner_out(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        with guarded.from_address(HOME) as attacker, guarded.from_address(ELSEWHERE) as owner:
            answers = []
            for _ in range(LIMIT * 4):
                fail(attacker, contoso, contoso.app, 1)
                guarded.clock.now += 6
                answers.append(sign_in(owner, contoso, contoso.app, contoso.secret).status_code)

        assert answers == [200] * (LIMIT * 4)

    def test_a_client_id_attacked_from_many_addresses_is_locked_at_its_ceiling(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        for address in SWARM[: CEILING // 2]:
            with guarded.from_address(address) as attacker:
                assert fail(attacker, contoso, contoso.app, 2) == [401, 401]

        with guarded.from_address(ELSEWHERE) as owner:
            assert sign_in(owner, contoso, contoso.app, contoso.secret).status_code == 429

    def test_an_address_guessing_across_client_ids_is_locked_at_the_ceiling(
        self, guarded: GuardedServer, contoso: Contoso, directory: Directory
    ) -> None:
        other, other_secret = second_app(directory, contoso)
        with guarded.from_address(HOME) as home, guarded.from_address(ELSEWHERE) as elsewhere:
            for number in range(CEILING):
                home.post(
                    f"/{contoso.tenant.id}/oauth2/v2.0/token",
                    data=client_credentials(f"guessed-client-{number}", "guess"),
                )

            assert sign_in(home, contoso, other, other_secret).status_code == 429
            assert sign_in(elsewhere, contoso, other, other_secret).status_code == 200

    def test_an_unknown_client_id_counts_as_a_failure(
        self, guarded: GuardedServer, contoso: Contoso, directory: Directory
    ) -> None:
        form = client_credentials("no-such-client", "guess")
        with guarded.from_address(HOME) as client:
            url = f"/{contoso.tenant.id}/oauth2/v2.0/token"
            statuses = [client.post(url, data=form).status_code for _ in range(LIMIT + 1)]

        assert statuses == [400] * LIMIT + [429]

    def test_malformed_requests_do_not_count(self, guarded: GuardedServer, contoso: Contoso) -> None:
        form = client_credentials(contoso.app.client_id, contoso.secret)
        del form["scope"]
        with guarded.from_address(HOME) as client:
            for _ in range(LIMIT + 1):
                assert client.post(f"/{contoso.tenant.id}/oauth2/v2.0/token", data=form).status_code == 400

            assert sign_in(client, contoso, contoso.app, contoso.secret).status_code == 200

    def test_the_lock_lifts_as_the_window_passes(self, guarded: GuardedServer, contoso: Contoso) -> None:
        with guarded.from_address(HOME) as client:
            fail(client, contoso, contoso.app, LIMIT)

            guarded.clock.now += WINDOW / LIMIT

            assert sign_in(client, contoso, contoso.app, contoso.secret).status_code == 200


class TestBehindAProxy:
    @pytest.mark.parametrize("guarded", [True], ids=["trusted proxy"], indirect=True)
    def test_the_address_is_the_one_the_proxy_appended_to_x_forwarded_for(
        self, guarded: GuardedServer, contoso: Contoso, directory: Directory
    ) -> None:
        other, other_secret = second_app(directory, contoso)

        def sign_in_via_proxy(proxy: httpx.Client, client_id: str, secret: str, forwarded_for: str) -> int:
            form = client_credentials(client_id, secret)
            headers = {"X-Forwarded-For": forwarded_for}
            return proxy.post(
                f"/{contoso.tenant.id}/oauth2/v2.0/token", data=form, headers=headers
            ).status_code

        app, secret = contoso.app.client_id, contoso.secret
        with guarded.from_address(HOME) as proxy:
            for _ in range(LIMIT):
                sign_in_via_proxy(proxy, app, "wrong", "203.0.113.7, 198.51.100.1")

            assert sign_in_via_proxy(proxy, app, secret, "192.0.2.1, 198.51.100.1") == 429
            assert sign_in_via_proxy(proxy, app, secret, "198.51.100.2") == 200
            assert sign_in_via_proxy(proxy, other.client_id, other_secret, "198.51.100.1") == 200


def password_form(contoso: Contoso, app: Application, secret: str, password: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": app.client_id,
        "client_secret": secret,
        "username": contoso.user.user_principal_name,
        "password": password,
        "scope": PROVIDER_READ,
    }


class TestFailedPasswords:
    def test_wrong_passwords_beyond_the_limit_are_429(self, guarded: GuardedServer, contoso: Contoso) -> None:
        form = password_form(contoso, contoso.app, contoso.secret, "wrong password")
        with guarded.from_address(HOME) as client:
            url = f"/{contoso.tenant.id}/oauth2/v2.0/token"
            assert [client.post(url, data=form).status_code for _ in range(LIMIT)] == [400] * LIMIT

            refused = client.post(url, data={**form, "password": contoso.password})

        assert refused.status_code == 429
        assert refused.json()["error"] == "temporarily_unavailable"


class TestDefaults:
    def test_the_token_endpoint_is_guarded_by_default(self) -> None:
        assert Settings().login_failure_limit == 10

    def test_a_server_built_from_settings_guards_its_token_endpoint(self, tmp_path: Path) -> None:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'guarded.db'}",
            create_dev_identity=False,
            login_failure_limit=2,
        )
        with running_server(settings) as base_url:
            database = Database(settings.database_url)
            directory = Directory(database)
            tenant = directory.create_tenant(name="Contoso")
            app, secret = directory.create_application(tenant_id=tenant.id, name="LMS", permissions=[])
            url = f"{base_url}/{tenant.id}/oauth2/v2.0/token"
            transport = httpx.HTTPTransport(local_address="127.0.0.4")
            with httpx.Client(transport=transport) as client:
                attempts = [
                    client.post(url, data=client_credentials(app.client_id, attempt)).status_code
                    for attempt in ("wrong", "wrong", secret)
                ]
            database.close()

        assert attempts == [401, 401, 429]


class TestPasswordGuessesPerUser:
    def test_guesses_at_one_user_through_several_client_ids_share_the_users_budget(
        self, guarded: GuardedServer, contoso: Contoso, directory: Directory
    ) -> None:
        apps = [(contoso.app, contoso.secret)] + [
            second_app(directory, contoso, f"LMS {n}") for n in range(3)
        ]
        url = f"/{contoso.tenant.id}/oauth2/v2.0/token"
        with guarded.from_address(HOME) as attacker:
            statuses = [
                attacker.post(url, data=password_form(contoso, app, secret, f"guess {n}")).status_code
                for n, (app, secret) in enumerate(apps)
            ]

        assert statuses == [400] * LIMIT + [429]

    def test_the_user_signs_in_from_another_address_while_the_guesser_is_locked(
        self, guarded: GuardedServer, contoso: Contoso
    ) -> None:
        url = f"/{contoso.tenant.id}/oauth2/v2.0/token"
        with guarded.from_address(HOME) as attacker, guarded.from_address(ELSEWHERE) as owner:
            for n in range(LIMIT):
                attacker.post(url, data=password_form(contoso, contoso.app, contoso.secret, f"guess {n}"))
            right = password_form(contoso, contoso.app, contoso.secret, contoso.password)

            assert attacker.post(url, data=right).status_code == 429
            assert owner.post(url, data=right).status_code == 200

    def test_a_user_guessed_at_from_many_addresses_is_locked_at_the_ceiling(
        self, guarded: GuardedServer, contoso: Contoso, directory: Directory
    ) -> None:
        url = f"/{contoso.tenant.id}/oauth2/v2.0/token"
        apps = [second_app(directory, contoso, f"LMS {n}") for n in range(CEILING // 2)]
        for address, (app, secret) in zip(SWARM, apps, strict=False):
            with guarded.from_address(address) as attacker:
                for n in range(2):
                    attacker.post(url, data=password_form(contoso, app, secret, f"guess {n}"))

        with guarded.from_address(ELSEWHERE) as owner:
            right = password_form(contoso, contoso.app, contoso.secret, contoso.password)
            assert owner.post(url, data=right).status_code == 429
