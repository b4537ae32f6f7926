"""Every request form the API reference documents (its §1.11, §2 and §6 row 8), sent with real ids,
gets the documented status and body shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.builders import Catalogue, content_body, provider_body

PROVIDER_WRITE = ["LearningProvider.ReadWrite"]


@dataclass(frozen=True)
class Form:
    """One documented request: who sends it, the path with its placeholders, what it sends and gets."""

    caller: str  # "admin" (delegated LearningProvider.ReadWrite), "app" or "learner"
    method: str
    path: str
    status: int
    body: str | None = None  # "provider", "content", "assignment", "status", "sync", "batch"
    shape: str = "entity"  # "entity", "collection", "none" or "batch"


FORMS = {
    "2.1 list learningProviders": Form(
        "admin", "GET", "/employeeExperience/learningProviders", 200, shape="collection"
    ),
    "2.1 create learningProvider": Form(
        "admin", "POST", "/employeeExperience/learningProviders", 201, "provider"
    ),
    "2.1 get learningProvider": Form("admin", "GET", "/employeeExperience/learningProviders/{p}", 200),
    "2.1 update learningProvider": Form(
        "admin", "PATCH", "/employeeExperience/learningProviders/{p}", 204, "sync", "none"
    ),
    "2.1 delete learningProvider with $ref": Form(
        "admin", "DELETE", "/employeeExperience/learningProviders/{p}/$ref", 204, shape="none"
    ),
    "2.1 delete learningProvider without $ref": Form(
        "admin", "DELETE", "/employeeExperience/learningProviders/{p}", 204, shape="none"
    ),
    "2.2 list learningContents": Form(
        "app", "GET", "/employeeExperience/learningProviders/{p}/learningContents", 200, shape="collection"
    ),
    "2.2 get learningContent by id": Form(
        "app", "GET", "/employeeExperience/learningProviders/{p}/learningContents/{c}", 200
    ),
    "2.2 get learningContent by externalId": Form(
        "app", "GET", "/employeeExperience/learningProviders/{p}/learningContents(externalId='{x}')", 200
    ),
    "2.2 update learningContent by id": Form(
        "app", "PATCH", "/employeeExperience/learningProviders/{p}/learningContents/{c}", 202, "content"
    ),
    "2.2 upsert learningContent by externalId": Form(
        "app",
        "PATCH",
        "/employeeExperience/learningProviders/{p}/learningContents(externalId='new-one')",
        202,
        "content",
    ),
    "2.2 delete learningContent by id with $ref": Form(
        "app",
        "DELETE",
        "/employeeExperience/learningProviders/{p}/learningContents/{c}/$ref",
        204,
        shape="none",
    ),
    "2.2 delete learningContent by externalId with $ref": Form(
        "app",
        "DELETE",
        "/employeeExperience/learningProviders/{p}/learningContents(externalId='{x}')/$ref",
        204,
        shape="none",
    ),
    "1.11 delete learningContent by externalId without $ref": Form(
        "app",
        "DELETE",
        "/employeeExperience/learningProviders/{p}/learningContents(externalId='{x}')",
        204,
        shape="none",
    ),
    "2.3 create learningCourseActivity": Form(
        "app", "POST", "/employeeExperience/learningProviders/{p}/learningCourseActivities", 201, "assignment"
    ),
    "2.3 get form 1 by id": Form("app", "GET", "/employeeExperience/learningCourseActivities/{a}", 200),
    "2.3 get form 2 by externalCourseActivityId": Form(
        "app",
        "GET",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities(externalCourseActivityId='{e}')",
        200,
    ),
    "2.3 get form 3 under the user": Form(
        "learner", "GET", "/users/{u}/employeeExperience/learningCourseActivities/{a}", 200
    ),
    "2.3 get form 4 under me": Form(
        "learner", "GET", "/me/employeeExperience/learningCourseActivities/{a}", 200
    ),
    "2.3 get under the provider": Form(
        "app", "GET", "/employeeExperience/learningProviders/{p}/learningCourseActivities/{a}", 200
    ),
    "2.3 list under me": Form(
        "learner", "GET", "/me/employeeExperience/learningCourseActivities", 200, shape="collection"
    ),
    "2.3 list under the user": Form(
        "learner", "GET", "/users/{u}/employeeExperience/learningCourseActivities", 200, shape="collection"
    ),
    "2.3 update learningCourseActivity": Form(
        "app",
        "PATCH",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities/{a}",
        204,
        "status",
        "none",
    ),
    "2.3 delete learningCourseActivity": Form(
        "app",
        "DELETE",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities/{a}",
        204,
        shape="none",
    ),
    "2.3 modelled create in the tenant collection": Form(
        "app", "POST", "/employeeExperience/learningCourseActivities", 201, "assignment"
    ),
    "2.3 modelled list under the provider": Form(
        "app",
        "GET",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities",
        200,
        shape="collection",
    ),
    "1.11 update by externalcourseActivityId under the provider": Form(
        "app",
        "PATCH",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities(externalcourseActivityId='{e}')",
        204,
        "status",
        "none",
    ),
    "1.11 delete by externalcourseActivityId under the provider": Form(
        "app",
        "DELETE",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities(externalcourseActivityId='{e}')",
        204,
        shape="none",
    ),
    "1.11 get by externalcourseActivityId in the tenant collection": Form(
        "app", "GET", "/employeeExperience/learningCourseActivities(externalcourseActivityId='{e}')", 200
    ),
    "1.11 get by externalcourseActivityId under the user": Form(
        "learner",
        "GET",
        "/users/{u}/employeeExperience/learningCourseActivities(externalcourseActivityId='{e}')",
        200,
    ),
    "6.8 get by an unquoted externalCourseActivityId": Form(
        "app",
        "GET",
        "/employeeExperience/learningProviders/{p}/learningCourseActivities(externalCourseActivityId={e})",
        200,
    ),
    "5.5 batch": Form("app", "POST", "/$batch", 200, "batch", "batch"),
}


def body_for(kind: str | None, catalogue: Catalogue) -> Any:
    tenant = catalogue.tenant
    if kind == "provider":
        return provider_body()
    if kind == "content":
        return content_body(title="Python 102")
    if kind == "assignment":
        return tenant.assignment_body(catalogue.content_id, learningProviderId=catalogue.provider_id)
    if kind == "status":
        return {"@odata.type": "#microsoft.graph.learningAssignment", "status": "completed"}
    if kind == "sync":
        return {"isCourseActivitySyncEnabled": False}
    if kind == "batch":
        return {
            "requests": [{"id": "1", "method": "GET", "url": "/employeeExperience/learningCourseActivities"}]
        }
    return None


@pytest.mark.parametrize("name", list(FORMS))
def test_a_documented_request_form_gets_its_documented_answer(catalogue: Catalogue, name: str) -> None:
    form = FORMS[name]
    tenant = catalogue.tenant
    content = (
        tenant.app()
        .get(
            tenant.url(
                f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningContents/{catalogue.content_id}"
            )
        )
        .json()
    )
    activity = catalogue.assignment()
    path = form.path.format(
        p=catalogue.provider_id,
        c=catalogue.content_id,
        x=content["externalId"],
        a=activity["id"],
        e=activity["externalcourseActivityId"],
        u=tenant.learner.id,
    )
    client = {
        "admin": lambda: tenant.user(scopes=PROVIDER_WRITE),
        "app": tenant.app,
        "learner": tenant.user,
    }[form.caller]()

    body = body_for(form.body, catalogue)
    response = (
        client.request(form.method, tenant.url(path), json=body)
        if body is not None
        else client.request(form.method, tenant.url(path))
    )

    assert response.status_code == form.status, response.text
    if form.shape == "none":
        assert response.content == b""
    elif form.shape == "collection":
        assert isinstance(response.json()["value"], list)
        assert "@odata.context" in response.json()
    elif form.shape == "batch":
        assert [item["status"] for item in response.json()["responses"]] == [200]
    else:
        assert "@odata.context" in response.json()
        assert response.json()["id"]
