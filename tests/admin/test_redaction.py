"""No token, secret or password in any answer of the admin API, whatever the journalled requests carried."""

from __future__ import annotations

import httpx

from tests.admin.conftest import ADMIN, Admin
from tests.builders import Catalogue


def test_no_token_secret_or_password_reaches_an_admin_answer(catalogue: Catalogue, as_app: Admin) -> None:
    tenant = catalogue.tenant
    app_record, secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id,
        name="secretive",
        permissions=["LearningContent.ReadWrite.All"],
        delegated_permissions=["LearningProvider.Read"],
        public_client=True,
    )
    password = "correct-horse-battery-staple-42"
    user = tenant.directory.create_user(
        tenant_id=tenant.tenant_id, display_name="Secretive", licensed=True, password=password
    )
    token_url = f"{tenant.base_url}/{tenant.tenant_id}/oauth2/v2.0/token"
    granted = httpx.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": app_record.client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    ).json()
    token = granted["access_token"]
    httpx.post(
        token_url,
        data={
            "grant_type": "password",
            "client_id": app_record.client_id,
            "username": user.user_principal_name,
            "password": password,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    graph = tenant.client(token)
    graph.get(tenant.url(f"/employeeExperience/learningProviders?access_token={token}"))
    graph.patch(
        tenant.url(
            f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningContents(externalId='s1')"
        ),
        json={"title": "x", "password": password, "client_secret": secret, "notes": f"Bearer {token}"},
    )
    admin = as_app(tenant)

    listing = admin.get(f"{ADMIN}/journal", params={"limit": 1000})
    answers = [listing.text]
    for entry in listing.json()["value"]:
        answers.append(admin.get(f"{ADMIN}/journal/{entry['request_id']}").text)
    answers.append(admin.get(f"{ADMIN}/permissions", params={"app": app_record.client_id}).text)
    answers.append(admin.get(f"{ADMIN}/permissions", params={"user": user.id}).text)

    assert len(answers) > 5
    assert all(entry["tenant_id"] == tenant.tenant_id for entry in listing.json()["value"])
    for text in answers:
        assert token not in text
        assert token.split(".")[1] not in text  # not even the token's claims
        assert secret not in text
        assert password not in text
    assert "[redacted]" in listing.text
