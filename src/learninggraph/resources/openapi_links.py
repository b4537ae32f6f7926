"""The OpenAPI links of the document: which answer's values address which later operation.

A created provider's ``id`` addresses its contents and activities; a created or upserted content's
``id`` and ``externalId`` address the content and feed an activity's ``learningContentId``; a created
activity's ``id``, ``externalcourseActivityId`` and ``learnerUserId`` address it under its provider,
the tenant, its learner and ``/me``, and the learner's ``employeeExperience`` container. Paths here are templates without the version prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PROVIDERS = "/employeeExperience/learningProviders"
PROVIDER = f"{PROVIDERS}/{{provider}}"
CONTENTS = f"{PROVIDER}/learningContents"
CONTENT_BY_ID = f"{CONTENTS}/{{content}}"
CONTENT_BY_KEY = f"{PROVIDER}/learningContents(externalId='{{external}}')"
PROVIDER_ACTIVITIES = f"{PROVIDER}/learningCourseActivities"
TENANT_ACTIVITIES = "/employeeExperience/learningCourseActivities"
USER_ACTIVITIES = "/users/{user}/employeeExperience/learningCourseActivities"
MY_ACTIVITIES = "/me/employeeExperience/learningCourseActivities"
CONTAINER = "/employeeExperience"
USER_CONTAINER = "/users/{user}/employeeExperience"
MY_CONTAINER = "/me/employeeExperience"
ACTIVITY_KEY = "(externalcourseActivityId='{external}')"

CREATED_ID = "$response.body#/id"
REQUEST_PROVIDER = "$request.path.provider"

# (link name, target method, target path, parameters, request body)
Target = tuple[str, str, str, dict[str, str], dict[str, Any] | None]


def _provider_targets(provider: str) -> list[Target]:
    """What a provider id addresses: the provider itself, its contents and its activities."""
    targets: list[Target] = [
        (f"{m.capitalize()}Provider", m, PROVIDER, {"provider": provider}, None)
        for m in ("get", "patch", "delete")
    ]
    targets += [
        ("DeleteProviderRef", "delete", f"{PROVIDER}/$ref", {"provider": provider}, None),
        ("CountProviders", "get", f"{PROVIDERS}/$count", {}, None),
        ("ListProviders", "get", PROVIDERS, {}, None),
        ("GetContainer", "get", CONTAINER, {}, None),
    ]
    for name, path in (("Contents", CONTENTS), ("ProviderActivities", PROVIDER_ACTIVITIES)):
        targets += [
            (f"List{name}", "get", path, {"provider": provider}, None),
            (f"Count{name}", "get", f"{path}/$count", {"provider": provider}, None),
        ]
    targets.append(("CreateContent", "post", CONTENTS, {"provider": provider}, None))
    targets.append(("UpsertContentByExternalId", "patch", CONTENT_BY_KEY, {"provider": provider}, None))
    return targets


def _content_targets() -> list[Target]:
    """What a content (answered under ``/learningProviders/{provider}``) addresses."""
    by_id = {"provider": REQUEST_PROVIDER, "content": CREATED_ID}
    by_key = {"provider": REQUEST_PROVIDER, "external": "$response.body#/externalId"}
    targets: list[Target] = []
    for suffix, path, parameters in (("", CONTENT_BY_ID, by_id), ("ByExternalId", CONTENT_BY_KEY, by_key)):
        targets += [
            (f"GetContent{suffix}", "get", path, parameters, None),
            (f"UpdateContent{suffix}", "patch", path, parameters, None),
            (f"DeleteContent{suffix}", "delete", path, parameters, None),
            (f"DeleteContentRef{suffix}", "delete", f"{path}/$ref", parameters, None),
        ]
    targets += [
        (
            "CreateProviderActivity",
            "post",
            PROVIDER_ACTIVITIES,
            {"provider": REQUEST_PROVIDER},
            {"learningContentId": CREATED_ID, "learningProviderId": REQUEST_PROVIDER},
        ),
        (
            "CreateActivity",
            "post",
            TENANT_ACTIVITIES,
            {},
            {"learningContentId": CREATED_ID, "learningProviderId": REQUEST_PROVIDER},
        ),
    ]
    return targets


def _activity_targets() -> list[Target]:
    """What a created activity addresses, under its provider, the tenant, its learner and /me."""
    provider = "$response.body#/learningProviderId"
    external = "$response.body#/externalcourseActivityId"
    learner = "$response.body#/learnerUserId"
    targets: list[Target] = []
    scopes: tuple[tuple[str, str, dict[str, str], tuple[str, ...]], ...] = (
        ("ProviderActivity", PROVIDER_ACTIVITIES, {"provider": provider}, ("get", "patch", "delete")),
        ("TenantActivity", TENANT_ACTIVITIES, {}, ("get", "patch", "delete")),
        ("UserActivity", USER_ACTIVITIES, {"user": learner}, ("get",)),
        ("MyActivity", MY_ACTIVITIES, {}, ("get",)),
    )
    for name, collection, parent, methods in scopes:
        for method in methods:
            by_id = {**parent, "activity": CREATED_ID}
            targets.append(
                (f"{method.capitalize()}{name}", method, f"{collection}/{{activity}}", by_id, None)
            )
            keyed = {**parent, "external": external}
            targets.append(
                (f"{method.capitalize()}{name}ByExternalId", method, collection + ACTIVITY_KEY, keyed, None)
            )
        targets.append((f"List{name}", "get", collection, parent, None))
        targets.append((f"Count{name}", "get", f"{collection}/$count", parent, None))
    targets.append(("GetLearnersContainer", "get", USER_CONTAINER, {"user": learner}, None))
    targets.append(("GetMyContainer", "get", MY_CONTAINER, {}, None))
    return targets


# Source (method, path template, success status) → the targets its answer addresses.
_SOURCES: dict[tuple[str, str, str], Callable[[], list[Target]]] = {
    ("post", PROVIDERS, "201"): lambda: _provider_targets(CREATED_ID),
    ("get", PROVIDERS, "200"): lambda: _provider_targets("$response.body#/value/0/id"),
    ("post", CONTENTS, "201"): _content_targets,
    ("patch", CONTENT_BY_KEY, "202"): _content_targets,
    ("patch", CONTENT_BY_ID, "202"): _content_targets,
    ("post", PROVIDER_ACTIVITIES, "201"): _activity_targets,
    ("post", TENANT_ACTIVITIES, "201"): _activity_targets,
}


def links(
    method: str, path: str, operation_id: Callable[[str, str], str]
) -> tuple[str, dict[str, Any]] | None:
    """The success status of the operation at ``method`` ``path`` and its links, if its answer feeds others.

    ``operation_id(method, path)`` names an operation of the same version.
    """
    for (source_method, source_path, status), targets in _SOURCES.items():
        if (source_method, source_path) != (method, path):
            continue
        described: dict[str, Any] = {}
        for name, target_method, target_path, parameters, body in targets():
            link: dict[str, Any] = {"operationId": operation_id(target_method, target_path)}
            if parameters:
                link["parameters"] = parameters
            if body is not None:
                link["requestBody"] = body
            described[name] = link
        return status, described
    return None
