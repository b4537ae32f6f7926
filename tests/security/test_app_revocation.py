"""A deleted app, or one whose secrets were replaced, loses its tokens; licences come and go (CLI, over HTTP)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from learninggraph.cli import main
from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, CONTENT_READ_ALL
from learninggraph.resources.learning_course_activities import errors
from learninggraph.settings import Settings
from tests.builders import Catalogue, Tenant


def _cli(capsys: pytest.CaptureFixture[str], settings: Settings, *argv: str) -> dict[str, object]:
    code = main([*argv, "--database", settings.database_url, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    value: dict[str, object] = json.loads(out)
    return value


def _client_credentials(tenant: Tenant, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{tenant.base_url}/{tenant.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )


def _contents(tenant: Tenant, token: str, provider_id: str) -> int:
    url = tenant.url(f"/employeeExperience/learningProviders/{provider_id}/learningContents")
    return tenant.client(token).get(url).status_code


def _app_with_token(tenant: Tenant) -> tuple[str, str, str]:
    app, secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id, name="Doomed LMS", permissions=[CONTENT_READ_ALL]
    )
    response = _client_credentials(tenant, app.client_id, secret)
    assert response.status_code == 200, response.text
    return app.client_id, secret, response.json()["access_token"]


def _next_second() -> None:
    """Tokens carry whole-second times: lets the clock pass into the next second."""
    time.sleep(1.05 - time.time() % 1)


def test_a_deleted_apps_token_is_refused(
    catalogue: Catalogue, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = catalogue.tenant
    client_id, _, token = _app_with_token(tenant)

    _cli(capsys, settings, "apps", "delete", "--client-id", client_id)

    assert _contents(tenant, token, catalogue.provider_id) == 401


def test_a_deleted_app_cannot_sign_in_again(
    tenant: Tenant, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id, secret, _ = _app_with_token(tenant)

    _cli(capsys, settings, "apps", "delete", "--client-id", client_id)

    response = _client_credentials(tenant, client_id, secret)
    assert response.status_code == 400 and response.json()["error_codes"] == [700016]


def test_rotating_a_secret_refuses_the_old_secret_and_the_tokens_obtained_with_it(
    catalogue: Catalogue, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = catalogue.tenant
    client_id, old_secret, old_token = _app_with_token(tenant)
    _next_second()

    rotated = _cli(capsys, settings, "apps", "rotate-secret", "--client-id", client_id)

    assert _client_credentials(tenant, client_id, old_secret).status_code == 401
    assert _contents(tenant, old_token, catalogue.provider_id) == 401
    fresh = _client_credentials(tenant, client_id, str(rotated["clientSecret"]))
    assert fresh.status_code == 200
    assert _contents(tenant, fresh.json()["access_token"], catalogue.provider_id) == 200


def test_rotating_with_keep_existing_leaves_the_old_secret_and_its_tokens_working(
    catalogue: Catalogue, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = catalogue.tenant
    client_id, old_secret, old_token = _app_with_token(tenant)
    _next_second()

    rotated = _cli(capsys, settings, "apps", "rotate-secret", "--client-id", client_id, "--keep-existing")

    assert _client_credentials(tenant, client_id, old_secret).status_code == 200
    assert _client_credentials(tenant, client_id, str(rotated["clientSecret"])).status_code == 200
    assert _contents(tenant, old_token, catalogue.provider_id) == 200


def test_a_learners_licence_withdrawn_and_granted_again_by_the_cli(
    catalogue: Catalogue, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = catalogue.tenant
    activity = catalogue.assignment()
    url = f"{catalogue.activities_url}/{activity['id']}"
    app = tenant.app(APPLICATION_PERMISSIONS)
    learner = tenant.learner.user_principal_name

    withdrawn = _cli(
        capsys, settings, "users", "license", "revoke", "--tenant", tenant.tenant_id, "--user", learner
    )
    refused = app.patch(url, json={"completionPercentage": 40})
    granted = _cli(
        capsys, settings, "users", "license", "grant", "--tenant", tenant.tenant_id, "--user", learner
    )
    accepted = app.patch(url, json={"completionPercentage": 40})

    assert withdrawn["licensed"] is False and granted["licensed"] is True
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == errors.LICENSE_NOT_VALID_ON_UPDATE
    assert accepted.status_code == 204
