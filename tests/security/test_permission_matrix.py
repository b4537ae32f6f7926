"""The documented permission matrix: every operation with every single permission, allowed or refused.

A caller holding exactly one permission (an application role or a delegated scope) is refused with 403
unless that permission is one the operation accepts for its kind of caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from learninggraph.domain import permissions as p
from learninggraph.domain.roles import (
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    KNOWLEDGE_ADMINISTRATOR,
    KNOWLEDGE_MANAGER,
)
from learninggraph.identity.directory import User
from tests.builders import Catalogue, content_body, provider_body

Call = Callable[[httpx.Client, Catalogue], httpx.Response]

ACTIVITY_READS = frozenset(
    {p.ASSIGNED_READ, p.ASSIGNED_READ_ALL, p.SELF_INITIATED_READ, p.SELF_INITIATED_READ_ALL}
)


@dataclass(frozen=True)
class Operation:
    name: str
    call: Call
    application: frozenset[str] = frozenset()
    delegated: frozenset[str] = frozenset()


def _provider_url(c: Catalogue, suffix: str = "") -> str:
    return c.tenant.url(f"/employeeExperience/learningProviders/{c.provider_id}{suffix}")


def _fresh_provider(c: Catalogue) -> str:
    created: str = c.tenant.provider()["id"]
    return created


def _activity(c: Catalogue, kind: str) -> dict[str, Any]:
    return c.assignment() if kind == "assignment" else c.self_initiated()


OPERATIONS = [
    Operation(
        "list providers",
        lambda cl, c: cl.get(c.tenant.url("/employeeExperience/learningProviders")),
        delegated=frozenset({p.PROVIDER_READ, p.PROVIDER_READ_WRITE}),
    ),
    Operation(
        "get provider",
        lambda cl, c: cl.get(_provider_url(c)),
        delegated=frozenset({p.PROVIDER_READ, p.PROVIDER_READ_WRITE}),
    ),
    Operation(
        "create provider",
        lambda cl, c: cl.post(c.tenant.url("/employeeExperience/learningProviders"), json=provider_body()),
        delegated=frozenset({p.PROVIDER_READ_WRITE}),
    ),
    Operation(
        "update provider",
        lambda cl, c: cl.patch(_provider_url(c), json={"displayName": "Renamed"}),
        delegated=frozenset({p.PROVIDER_READ_WRITE}),
    ),
    Operation(
        "delete provider",
        lambda cl, c: cl.delete(c.tenant.url(f"/employeeExperience/learningProviders/{_fresh_provider(c)}")),
        delegated=frozenset({p.PROVIDER_READ_WRITE}),
    ),
    Operation(
        "list contents",
        lambda cl, c: cl.get(_provider_url(c, "/learningContents")),
        application=frozenset({p.CONTENT_READ_ALL, p.CONTENT_READ_WRITE_ALL}),
        delegated=frozenset({p.CONTENT_READ_ALL, p.CONTENT_READ_WRITE_ALL}),
    ),
    Operation(
        "get content",
        lambda cl, c: cl.get(_provider_url(c, f"/learningContents/{c.content_id}")),
        application=frozenset({p.CONTENT_READ_ALL, p.CONTENT_READ_WRITE_ALL}),
        delegated=frozenset({p.CONTENT_READ_ALL, p.CONTENT_READ_WRITE_ALL}),
    ),
    Operation(
        "upsert content",
        lambda cl, c: cl.patch(_provider_url(c, "/learningContents(externalId='m')"), json=content_body()),
        application=frozenset({p.CONTENT_READ_WRITE_ALL}),
    ),
    Operation(
        "delete content",
        lambda cl, c: cl.delete(
            _provider_url(c, f"/learningContents/{c.tenant.content(c.provider_id)['id']}")
        ),
        application=frozenset({p.CONTENT_READ_WRITE_ALL}),
    ),
    Operation(
        "create assignment",
        lambda cl, c: cl.post(c.activities_url, json=c.tenant.assignment_body(c.content_id)),
        application=frozenset({p.ASSIGNED_READ_WRITE_ALL}),
    ),
    Operation(
        "create self-initiated course",
        lambda cl, c: cl.post(c.activities_url, json=c.tenant.self_initiated_body(c.content_id)),
        application=frozenset({p.SELF_INITIATED_READ_WRITE_ALL}),
    ),
    Operation(
        "update assignment",
        lambda cl, c: cl.patch(
            f"{c.activities_url}/{_activity(c, 'assignment')['id']}", json={"completionPercentage": 5}
        ),
        application=frozenset({p.ASSIGNED_READ_WRITE_ALL}),
    ),
    Operation(
        "update self-initiated course",
        lambda cl, c: cl.patch(
            f"{c.activities_url}/{_activity(c, 'self')['id']}", json={"completionPercentage": 5}
        ),
        application=frozenset({p.SELF_INITIATED_READ_WRITE_ALL}),
    ),
    Operation(
        "delete assignment",
        lambda cl, c: cl.delete(f"{c.activities_url}/{_activity(c, 'assignment')['id']}"),
        application=frozenset({p.ASSIGNED_READ_WRITE_ALL}),
    ),
    Operation(
        "delete self-initiated course",
        lambda cl, c: cl.delete(f"{c.activities_url}/{_activity(c, 'self')['id']}"),
        application=frozenset({p.SELF_INITIATED_READ_WRITE_ALL}),
    ),
    Operation(
        "get assignment",
        lambda cl, c: cl.get(
            c.tenant.url(f"/employeeExperience/learningCourseActivities/{_activity(c, 'assignment')['id']}")
        ),
        application=frozenset({p.ASSIGNED_READ_ALL, p.ASSIGNED_READ_WRITE_ALL}),
        delegated=frozenset({p.ASSIGNED_READ, p.ASSIGNED_READ_ALL}),
    ),
    Operation(
        "get self-initiated course",
        lambda cl, c: cl.get(
            c.tenant.url(f"/employeeExperience/learningCourseActivities/{_activity(c, 'self')['id']}")
        ),
        application=frozenset({p.SELF_INITIATED_READ_ALL, p.SELF_INITIATED_READ_WRITE_ALL}),
        delegated=frozenset({p.SELF_INITIATED_READ, p.SELF_INITIATED_READ_ALL}),
    ),
    Operation(
        "list a learner's activities",
        lambda cl, c: cl.get(
            c.tenant.url(f"/users/{c.tenant.learner.id}/employeeExperience/learningCourseActivities")
        ),
        delegated=ACTIVITY_READS,
    ),
    Operation(
        "list my activities",
        lambda cl, c: cl.get(c.tenant.url("/me/employeeExperience/learningCourseActivities")),
        delegated=ACTIVITY_READS,
    ),
]

CASES = [
    (operation, kind, permission)
    for operation in OPERATIONS
    for kind, catalogue_of_kind in (
        ("application", p.APPLICATION_PERMISSIONS),
        ("delegated", p.DELEGATED_PERMISSIONS),
    )
    for permission in sorted(catalogue_of_kind)
]


@pytest.mark.parametrize(
    ("operation", "kind", "permission"),
    CASES,
    ids=[f"{o.name} | {k} {perm}" for o, k, perm in CASES],
)
def test_each_permission_is_allowed_or_refused_as_documented(
    operation: Operation, kind: str, permission: str, catalogue: Catalogue
) -> None:
    tenant = catalogue.tenant
    caller = tenant.app([permission]) if kind == "application" else tenant.user(scopes=[permission])
    accepted = operation.application if kind == "application" else operation.delegated

    response = operation.call(caller, catalogue)

    if permission in accepted:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code in (400, 403), response.text
        if response.status_code == 400:
            # Only /me refuses an application this way, as Graph does.
            assert "/me request is only valid with delegated authentication flow." in response.text


# Directory roles: provider writes need Knowledge Administrator or higher; other learners' activities
# need a .Read.All scope and an administrator (or Global Reader) role.

ROLES = [None, KNOWLEDGE_MANAGER, GLOBAL_READER, KNOWLEDGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR]
PROVIDER_WRITERS = {KNOWLEDGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR}
LEARNER_READERS = {KNOWLEDGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR, GLOBAL_READER}
PROVIDER_WRITES = [
    o for o in OPERATIONS if o.name in ("create provider", "update provider", "delete provider")
]
LEARNERS_ACTIVITIES = {"get assignment", "get self-initiated course", "list a learner's activities"}
OTHER_LEARNER_READS = [o for o in OPERATIONS if o.name in ("list a learner's activities", "get assignment")]


def _user_holding(c: Catalogue, role: str | None) -> User:
    return c.tenant.new_user(name="Role Holder", roles=[role] if role else [])


@pytest.mark.parametrize("role", ROLES, ids=[r or "no role" for r in ROLES])
@pytest.mark.parametrize("operation", PROVIDER_WRITES, ids=[o.name for o in PROVIDER_WRITES])
def test_each_provider_write_needs_knowledge_administrator_or_higher(
    operation: Operation, role: str | None, catalogue: Catalogue
) -> None:
    caller = catalogue.tenant.user(_user_holding(catalogue, role), scopes=[p.PROVIDER_READ_WRITE])

    response = operation.call(caller, catalogue)

    if role in PROVIDER_WRITERS:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("scope", [p.ASSIGNED_READ, p.ASSIGNED_READ_ALL])
@pytest.mark.parametrize("role", ROLES, ids=[r or "no role" for r in ROLES])
@pytest.mark.parametrize("operation", OTHER_LEARNER_READS, ids=[o.name for o in OTHER_LEARNER_READS])
def test_reading_another_learners_activities_needs_read_all_and_a_reader_role(
    operation: Operation, role: str | None, scope: str, catalogue: Catalogue
) -> None:
    caller = catalogue.tenant.user(_user_holding(catalogue, role), scopes=[scope])

    response = operation.call(caller, catalogue)

    allowed = role in LEARNER_READERS and scope == p.ASSIGNED_READ_ALL
    assert (response.status_code < 400) == allowed, response.text
    if not allowed:
        assert response.status_code == 403


# Consents: a token through an app consented to one permission carries that permission and no other.


@pytest.mark.parametrize("permission", sorted(p.DELEGATED_PERMISSIONS))
def test_a_token_through_an_app_consented_to_one_permission_can_do_exactly_that(
    permission: str, catalogue: Catalogue
) -> None:
    """Signed in as a Global Administrator who is not the catalogue's learner."""
    tenant = catalogue.tenant
    password = "Consent-test-1"
    app, secret = tenant.directory.create_application(
        tenant_id=tenant.tenant_id, name="narrow app", permissions=[], delegated_permissions=[permission]
    )
    user = tenant.directory.create_user(
        tenant_id=tenant.tenant_id,
        display_name="Consent Admin",
        licensed=True,
        password=password,
        roles=[GLOBAL_ADMINISTRATOR],
    )
    signed_in = httpx.post(
        f"{tenant.base_url}/{tenant.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": user.user_principal_name,
            "password": password,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.text
    caller = tenant.client(signed_in.json()["access_token"])

    allowed = {o.name: o.call(caller, catalogue).status_code < 400 for o in OPERATIONS}

    # The caller is an administrator but not the learner: the learner's activities need a .Read.All scope.
    assert allowed == {
        o.name: permission in o.delegated
        and (o.name not in LEARNERS_ACTIVITIES or permission.endswith(".All"))
        for o in OPERATIONS
    }
