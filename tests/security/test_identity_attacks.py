"""Acting beyond one's grant through the token service: every step an attacker would take, over real HTTP.

A learner signs in through an app, asks for more than the app was consented to, signs in without the
app's secret, and uses whatever token they get on providers and on other learners' activities.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import httpx
import jwt
import pytest

from learninggraph.domain import permissions as p
from learninggraph.domain.roles import (
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    KNOWLEDGE_ADMINISTRATOR,
    KNOWLEDGE_MANAGER,
    TEMPLATE_IDS,
)
from learninggraph.identity.directory import Application, User
from tests.builders import Catalogue, Tenant, provider_body

PROVIDERS = "/employeeExperience/learningProviders"
NO_ACCESS = (
    "Your account doesn't have access to this report or data. Contact your administrator to request access."
)


class SignIn:
    """The tenant's token endpoint, and users with passwords to sign in with."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.url = f"{tenant.base_url}/{tenant.tenant_id}/oauth2/v2.0/token"

    def app(
        self, *, roles: Iterable[str] = (), consented: Iterable[str] = (), public: bool = False
    ) -> tuple[Application, str]:
        return self.tenant.directory.create_application(
            tenant_id=self.tenant.tenant_id,
            name=f"app-{secrets.token_hex(3)}",
            permissions=roles,
            delegated_permissions=consented,
            public_client=public,
        )

    def user(self, *roles: str) -> tuple[User, str]:
        password = secrets.token_urlsafe(12)
        user = self.tenant.directory.create_user(
            tenant_id=self.tenant.tenant_id,
            display_name="Mallory Learner",
            licensed=True,
            password=password,
            roles=roles,
        )
        return user, password

    def password_grant(
        self, app: Application, secret: str | None, user: User, password: str, scope: str
    ) -> httpx.Response:
        form = {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.user_principal_name,
            "password": password,
            "scope": scope,
        }
        if secret is not None:
            form["client_secret"] = secret
        return httpx.post(self.url, data=form, timeout=30)

    def token(self, app: Application, secret: str | None, user: User, password: str, scope: str) -> str:
        response = self.password_grant(app, secret, user, password, scope)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@pytest.fixture
def sign_in(tenant: Tenant) -> SignIn:
    return SignIn(tenant)


def _scopes(token: str) -> set[str]:
    return set(jwt.decode(token, options={"verify_signature": False})["scp"].split())


def _error(response: httpx.Response) -> tuple[int, str, int]:
    body = response.json()
    return response.status_code, body["error"], body["error_codes"][0]


# The token endpoint


def test_a_learner_through_a_content_reader_app_gets_no_token_for_default_without_consent(
    sign_in: SignIn,
) -> None:
    app, secret = sign_in.app(roles=[p.CONTENT_READ_ALL])
    learner, password = sign_in.user()

    response = sign_in.password_grant(app, secret, learner, password, "https://graph.microsoft.com/.default")

    assert _error(response) == (400, "invalid_grant", 65001)
    assert "The user or administrator has not consented to use the application" in response.text


def test_default_carries_exactly_the_apps_consented_delegated_permissions(sign_in: SignIn) -> None:
    app, secret = sign_in.app(roles=[p.CONTENT_READ_ALL], consented=[p.CONTENT_READ_ALL, p.PROVIDER_READ])
    learner, password = sign_in.user()

    token = sign_in.token(app, secret, learner, password, "https://graph.microsoft.com/.default")

    assert _scopes(token) == {p.CONTENT_READ_ALL, p.PROVIDER_READ}


def test_asking_for_a_scope_the_app_was_not_consented_to_is_aadsts65001(sign_in: SignIn) -> None:
    app, secret = sign_in.app(consented=[p.PROVIDER_READ])
    learner, password = sign_in.user()

    response = sign_in.password_grant(
        app,
        secret,
        learner,
        password,
        f"{p.PROVIDER_READ} https://graph.microsoft.com/{p.PROVIDER_READ_WRITE}",
    )

    assert _error(response) == (400, "invalid_grant", 65001)


def test_a_consented_scope_is_granted_alone(sign_in: SignIn) -> None:
    app, secret = sign_in.app(consented=[p.PROVIDER_READ, p.PROVIDER_READ_WRITE])
    learner, password = sign_in.user()

    assert _scopes(sign_in.token(app, secret, learner, password, p.PROVIDER_READ)) == {p.PROVIDER_READ}


def test_a_confidential_client_must_send_its_secret_with_the_password_grant(sign_in: SignIn) -> None:
    app, _ = sign_in.app(consented=[p.PROVIDER_READ])
    learner, password = sign_in.user()

    response = sign_in.password_grant(app, None, learner, password, p.PROVIDER_READ)

    assert _error(response) == (401, "invalid_client", 7000218)
    assert "'client_assertion' or 'client_secret'" in response.json()["error_description"]


def test_a_public_client_may_use_the_password_grant_without_a_secret(sign_in: SignIn) -> None:
    app, _ = sign_in.app(consented=[p.PROVIDER_READ], public=True)
    learner, password = sign_in.user()

    assert _scopes(sign_in.token(app, None, learner, password, p.PROVIDER_READ)) == {p.PROVIDER_READ}


def test_a_public_client_sending_a_wrong_secret_is_still_refused(sign_in: SignIn) -> None:
    app, _ = sign_in.app(consented=[p.PROVIDER_READ], public=True)
    learner, password = sign_in.user()

    response = sign_in.password_grant(app, "not-the-secret", learner, password, p.PROVIDER_READ)

    assert _error(response) == (401, "invalid_client", 7000215)


def test_a_token_names_the_users_directory_roles_in_wids(sign_in: SignIn) -> None:
    app, secret = sign_in.app(consented=[p.PROVIDER_READ])
    admin, password = sign_in.user(KNOWLEDGE_ADMINISTRATOR)

    token = sign_in.token(app, secret, admin, password, p.PROVIDER_READ)

    assert (
        TEMPLATE_IDS[KNOWLEDGE_ADMINISTRATOR]
        in jwt.decode(token, options={"verify_signature": False})["wids"]
    )


# Providers: Knowledge Administrator or higher


def _provider_writes(client: httpx.Client, tenant: Tenant, provider_id: str) -> list[httpx.Response]:
    return [
        client.post(tenant.url(PROVIDERS), json=provider_body()),
        client.patch(tenant.url(f"{PROVIDERS}/{provider_id}"), json={"displayName": "Hijacked"}),
        client.delete(tenant.url(f"{PROVIDERS}/{provider_id}")),
    ]


@pytest.mark.parametrize("role", [None, KNOWLEDGE_MANAGER, GLOBAL_READER])
def test_a_user_without_an_administrator_role_cannot_create_change_or_delete_a_provider(
    catalogue: Catalogue, sign_in: SignIn, role: str | None
) -> None:
    tenant = catalogue.tenant
    app, secret = sign_in.app(consented=p.DELEGATED_PERMISSIONS)
    learner, password = sign_in.user(*([role] if role else []))
    token = sign_in.token(app, secret, learner, password, "https://graph.microsoft.com/.default")

    responses = _provider_writes(tenant.client(token), tenant, catalogue.provider_id)

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert all(r.json()["error"]["message"] == NO_ACCESS for r in responses)
    still_there = tenant.user().get(tenant.url(f"{PROVIDERS}/{catalogue.provider_id}"))
    assert still_there.status_code == 200 and still_there.json()["displayName"] == "Contoso Academy"


@pytest.mark.parametrize("role", [KNOWLEDGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR])
def test_an_administrator_may_create_change_and_delete_a_provider(
    catalogue: Catalogue, sign_in: SignIn, role: str
) -> None:
    tenant = catalogue.tenant
    app, secret = sign_in.app(consented=[p.PROVIDER_READ_WRITE])
    admin, password = sign_in.user(role)
    token = sign_in.token(app, secret, admin, password, p.PROVIDER_READ_WRITE)

    responses = _provider_writes(tenant.client(token), tenant, catalogue.provider_id)

    assert [r.status_code for r in responses] == [201, 204, 204]


def test_an_administrator_through_an_app_without_the_write_consent_cannot_write_providers(
    catalogue: Catalogue, sign_in: SignIn
) -> None:
    tenant = catalogue.tenant
    app, secret = sign_in.app(consented=[p.PROVIDER_READ])
    admin, password = sign_in.user(GLOBAL_ADMINISTRATOR)
    token = sign_in.token(app, secret, admin, password, "https://graph.microsoft.com/.default")

    responses = _provider_writes(tenant.client(token), tenant, catalogue.provider_id)

    assert [r.status_code for r in responses] == [403, 403, 403]


# Other learners' activities: an administrator role and a .Read.All scope


def _learner_activities(client: httpx.Client, tenant: Tenant, user_id: str) -> httpx.Response:
    return client.get(tenant.url(f"/users/{user_id}/employeeExperience/learningCourseActivities"))


def test_a_learner_with_read_all_scopes_cannot_read_another_learners_activities(
    catalogue: Catalogue, sign_in: SignIn
) -> None:
    tenant = catalogue.tenant
    catalogue.assignment()
    app, secret = sign_in.app(consented=p.DELEGATED_PERMISSIONS)
    learner, password = sign_in.user()
    token = sign_in.token(app, secret, learner, password, "https://graph.microsoft.com/.default")
    client = tenant.client(token)

    by_id = _learner_activities(client, tenant, tenant.learner.id)
    activity = client.get(tenant.url("/employeeExperience/learningCourseActivities"))

    assert by_id.status_code == 403 and by_id.json()["error"]["message"] == NO_ACCESS
    assert activity.status_code in (200, 403)
    if activity.status_code == 200:
        assert activity.json()["value"] == []


@pytest.mark.parametrize("role", [KNOWLEDGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR, GLOBAL_READER])
def test_an_administrator_with_read_all_scopes_reads_another_learners_activities(
    catalogue: Catalogue, sign_in: SignIn, role: str
) -> None:
    tenant = catalogue.tenant
    created = catalogue.assignment()
    app, secret = sign_in.app(consented=p.DELEGATED_PERMISSIONS)
    admin, password = sign_in.user(role)
    token = sign_in.token(app, secret, admin, password, "https://graph.microsoft.com/.default")

    response = _learner_activities(tenant.client(token), tenant, tenant.learner.id)

    assert response.status_code == 200
    assert [a["id"] for a in response.json()["value"]] == [created["id"]]


def test_a_learner_always_reads_their_own_activities_by_me_and_by_id(
    catalogue: Catalogue, sign_in: SignIn
) -> None:
    tenant = catalogue.tenant
    app, secret = sign_in.app(consented=[p.ASSIGNED_READ])
    learner, password = sign_in.user()
    created = tenant.activity(
        catalogue.provider_id, tenant.assignment_body(catalogue.content_id, learnerUserId=learner.id)
    )
    client = tenant.client(sign_in.token(app, secret, learner, password, p.ASSIGNED_READ))

    mine = client.get(tenant.url("/me/employeeExperience/learningCourseActivities"))
    by_id = _learner_activities(client, tenant, learner.id)

    assert [a["id"] for a in mine.json()["value"]] == [created["id"]]
    assert [a["id"] for a in by_id.json()["value"]] == [created["id"]]
