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
