"""Broken object-level authorisation: another tenant's ids behave exactly like ids that do not exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from learninggraph.domain.permissions import DELEGATED_PERMISSIONS
from learninggraph.domain.roles import GLOBAL_ADMINISTRATOR
from tests.builders import Catalogue, Tenant, content_body, provider_body

GHOST = "00000000-0000-4000-8000-0000000000ff"


@dataclass(frozen=True)
class Probe:
    """One request shape; ``path`` takes the victim's ids (or ghost ids) and the caller's learner."""

    name: str
    method: str
    path: Callable[[dict[str, str]], str]
    body: Callable[[Tenant, dict[str, str]], dict[str, Any] | None] = lambda t, ids: None
    delegated: bool = False


def _activity_body(t: Tenant, ids: dict[str, str]) -> dict[str, Any]:
    return t.assignment_body(ids["content"])


PROVIDER = "/employeeExperience/learningProviders/{provider}"
ACTIVITIES = PROVIDER + "/learningCourseActivities"
CONTENTS = PROVIDER + "/learningContents"
PROBES = [
    Probe("get provider", "GET", lambda i: PROVIDER.format(**i), delegated=True),
    Probe(
        "update provider", "PATCH", lambda i: PROVIDER.format(**i), lambda t, i: {"displayName": "x"}, True
    ),
    Probe("delete provider", "DELETE", lambda i: PROVIDER.format(**i), delegated=True),
    Probe("delete provider ref", "DELETE", lambda i: PROVIDER.format(**i) + "/$ref", delegated=True),
    Probe("list contents", "GET", lambda i: CONTENTS.format(**i)),
    Probe("count contents", "GET", lambda i: CONTENTS.format(**i) + "/$count"),
    Probe("get content", "GET", lambda i: CONTENTS.format(**i) + "/{content}".format(**i)),
    Probe(
        "get content by key",
        "GET",
        lambda i: CONTENTS.format(**i) + "(externalId='{external_content}')".format(**i),
    ),
    Probe(
        "upsert content",
        "PATCH",
        lambda i: CONTENTS.format(**i) + "(externalId='{external_content}')".format(**i),
        lambda t, i: content_body(),
    ),
    Probe(
        "create content",
        "POST",
        lambda i: CONTENTS.format(**i),
        lambda t, i: {**content_body(), "externalId": "new"},
    ),
    Probe("delete content", "DELETE", lambda i: CONTENTS.format(**i) + "/{content}".format(**i)),
    Probe("list provider activities", "GET", lambda i: ACTIVITIES.format(**i)),
    Probe("create activity", "POST", lambda i: ACTIVITIES.format(**i), _activity_body),
    Probe("get activity under provider", "GET", lambda i: ACTIVITIES.format(**i) + "/{activity}".format(**i)),
    Probe(
        "update activity under provider",
        "PATCH",
        lambda i: ACTIVITIES.format(**i) + "/{activity}".format(**i),
        lambda t, i: {"status": "completed"},
    ),
    Probe(
        "delete activity under provider",
        "DELETE",
        lambda i: ACTIVITIES.format(**i) + "/{activity}".format(**i),
    ),
    Probe(
        "get activity", "GET", lambda i: "/employeeExperience/learningCourseActivities/{activity}".format(**i)
    ),
    Probe(
        "update activity",
        "PATCH",
        lambda i: "/employeeExperience/learningCourseActivities/{activity}".format(**i),
        lambda t, i: {"status": "completed"},
    ),
    Probe(
        "delete activity",
        "DELETE",
        lambda i: "/employeeExperience/learningCourseActivities/{activity}".format(**i),
    ),
    Probe(
        "get activity by key",
        "GET",
        lambda i: (
            "/employeeExperience/learningCourseActivities(externalcourseActivityId='{external_activity}')".format(
                **i
            )
        ),
    ),
    Probe(
        "update activity by key",
        "PATCH",
        lambda i: (
            "/employeeExperience/learningCourseActivities(externalcourseActivityId='{external_activity}')".format(
                **i
            )
        ),
        lambda t, i: {"status": "completed"},
    ),
    Probe(
        "delete activity by key",
        "DELETE",
        lambda i: (
            "/employeeExperience/learningCourseActivities(externalcourseActivityId='{external_activity}')".format(
                **i
            )
        ),
    ),
    Probe(
        "get learner's activity",
        "GET",
        lambda i: "/users/{learner}/employeeExperience/learningCourseActivities/{activity}".format(**i),
    ),
    Probe(
        "list learner's activities",
        "GET",
        lambda i: "/users/{learner}/employeeExperience/learningCourseActivities".format(**i),
        delegated=True,
    ),
    Probe(
        "count learner's activities",
        "GET",
        lambda i: "/users/{learner}/employeeExperience/learningCourseActivities/$count".format(**i),
        delegated=True,
    ),
]


def _ids_of(catalogue: Catalogue, activity: dict[str, Any]) -> dict[str, str]:
    content = (
        catalogue.tenant.app()
        .get(
            catalogue.tenant.url(
                f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningContents/{catalogue.content_id}"
            )
        )
        .json()
    )
    return {
        "provider": catalogue.provider_id,
        "content": catalogue.content_id,
        "external_content": content["externalId"],
        "activity": activity["id"],
        "external_activity": activity["externalcourseActivityId"],
        "learner": catalogue.tenant.learner.id,
    }


def _comparable(response: httpx.Response, ids: dict[str, str]) -> tuple[int, Any]:
    """Status and error without request ids, and with the ids the request named masked out."""
    if not response.content:
        return response.status_code, None
    text = response.text
    for value in sorted(ids.values(), key=len, reverse=True):
        text = text.replace(value, "<id>")
    body = httpx.Response(200, content=text.encode()).json()
    if "error" in body:
        error = dict(body["error"])
        error.pop("innerError", None)
        return response.status_code, error
    return response.status_code, "a body"


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_another_tenants_id_answers_exactly_like_a_missing_id(
    probe: Probe, catalogue: Catalogue, other_tenant: Tenant
) -> None:
    victim_ids = _ids_of(catalogue, catalogue.assignment())
    ghost_ids = dict.fromkeys(victim_ids, GHOST)
    attacker = other_tenant.user() if probe.delegated else other_tenant.app()
    # The attacker's own content, so a create body is otherwise valid in its own tenant.
    own_provider = other_tenant.provider()
    own_content = other_tenant.content(own_provider["id"])
    body_ids = {**victim_ids, "content": own_content["id"]}

    def call(ids: dict[str, str]) -> httpx.Response:
        body = probe.body(other_tenant, body_ids)
        return attacker.request(probe.method, other_tenant.url(probe.path(ids)), json=body)

    foreign = call(victim_ids)
    missing = call(ghost_ids)

    assert foreign.status_code >= 400
    assert _comparable(foreign, victim_ids) == _comparable(missing, ghost_ids)


def test_the_victims_data_is_unchanged_after_every_probe(catalogue: Catalogue, other_tenant: Tenant) -> None:
    activity = catalogue.assignment(status="inProgress")
    ids = _ids_of(catalogue, activity)
    attacker_app, attacker_user = other_tenant.app(), other_tenant.user()
    for probe in PROBES:
        client = attacker_user if probe.delegated else attacker_app
        client.request(probe.method, other_tenant.url(probe.path(ids)), json=probe.body(other_tenant, ids))

    read = catalogue.tenant.app().get(
        catalogue.tenant.url(f"/employeeExperience/learningCourseActivities/{ids['activity']}")
    )
    provider = catalogue.tenant.user().get(
        catalogue.tenant.url(f"/employeeExperience/learningProviders/{ids['provider']}")
    )

    assert read.status_code == 200
    assert read.json()["status"] == "inProgress"
    assert provider.json()["displayName"] == provider_body()["displayName"]


def _global_administrator_of(tenant: Tenant) -> tuple[str, str, str, str]:
    """A Global Administrator of ``tenant`` and an app there consented to every delegated permission:
    client id, client secret, user name and password."""
    password = "Admin-password-1"
    app, secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id,
        name="admin portal",
        permissions=[],
        delegated_permissions=DELEGATED_PERMISSIONS,
    )
    admin = tenant.directory.create_user(
        tenant_id=tenant.tenant_id,
        display_name="Global Admin",
        licensed=True,
        password=password,
        roles=[GLOBAL_ADMINISTRATOR],
    )
    return app.client_id, secret, admin.user_principal_name, password


def _sign_in(at: Tenant, client_id: str, secret: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{at.base_url}/{at.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": secret,
            "username": username,
            "password": password,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )


def test_another_tenants_global_administrator_cannot_sign_in_at_the_victims_tenant(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    client_id, secret, username, password = _global_administrator_of(other_tenant)
    victims_app, victims_secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id,
        name="victim portal",
        permissions=[],
        delegated_permissions=DELEGATED_PERMISSIONS,
    )

    through_own_app = _sign_in(tenant, client_id, secret, username, password)
    through_victims_app = _sign_in(tenant, victims_app.client_id, victims_secret, username, password)

    assert through_own_app.status_code == 400 and through_own_app.json()["error_codes"] == [700016]
    assert through_victims_app.status_code == 400 and through_victims_app.json()["error_codes"] == [50126]


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_another_tenants_global_administrator_sees_the_victims_ids_as_missing(
    probe: Probe, catalogue: Catalogue, other_tenant: Tenant
) -> None:
    victim_ids = _ids_of(catalogue, catalogue.assignment())
    ghost_ids = dict.fromkeys(victim_ids, GHOST)
    signed_in = _sign_in(other_tenant, *_global_administrator_of(other_tenant))
    assert signed_in.status_code == 200, signed_in.text
    attacker = (
        other_tenant.client(signed_in.json()["access_token"]) if probe.delegated else other_tenant.app()
    )

    def call(ids: dict[str, str]) -> httpx.Response:
        return attacker.request(
            probe.method, other_tenant.url(probe.path(ids)), json=probe.body(other_tenant, ids)
        )

    foreign = call(victim_ids)
    missing = call(ghost_ids)

    assert foreign.status_code >= 400
    assert _comparable(foreign, victim_ids) == _comparable(missing, ghost_ids)
