"""Test data through the public API: a tenant per test, with its apps, users, providers and contents."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Application, Directory, User
from learninggraph.identity.tokens import TokenIssuer

# The tenant's default learner administers learning (Knowledge Administrator), so it may register providers
# and, with a ``.Read.All`` scope, read other learners; ``Tenant.new_user`` makes users without a role.
LEARNER_ROLES = (KNOWLEDGE_ADMINISTRATOR,)

ALL_DELEGATED_READS = (
    "LearningProvider.ReadWrite",
    "LearningContent.Read.All",
    "LearningAssignedCourse.Read.All",
    "LearningSelfInitiatedCourse.Read.All",
)


def provider_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": "Contoso Academy",
        "loginWebUrl": "https://contoso.example/login",
        "longLogoWebUrlForDarkTheme": "https://contoso.example/long-dark.png",
        "longLogoWebUrlForLightTheme": "https://contoso.example/long-light.png",
        "squareLogoWebUrlForDarkTheme": "https://contoso.example/square-dark.png",
        "squareLogoWebUrlForLightTheme": "https://contoso.example/square-light.png",
        "isCourseActivitySyncEnabled": True,
    }
    body.update(overrides)
    return body


def content_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Python 101",
        "contentWebUrl": "https://contoso.example/courses/python-101",
        "languageTag": "en-us",
        "duration": "PT1H30M",
        "level": "Beginner",
    }
    body.update(overrides)
    return body


@dataclass
class Tenant:
    """A fresh tenant on the shared test server, and ways to call Graph as its apps and users."""

    base_url: str
    directory: Directory
    issuer: TokenIssuer
    tenant_id: str
    learner: User
    _clients: list[httpx.Client] = field(default_factory=list)
    _delegated_app: Application | None = None

    def url(self, path: str, version: str = "v1.0") -> str:
        return f"{self.base_url}/{version}{path}"

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def app_token(self, permissions: Iterable[str] = APPLICATION_PERMISSIONS) -> str:
        app, _ = self.directory.create_application(
            tenant_id=self.tenant_id, name=f"app-{uuid.uuid4().hex[:6]}", permissions=permissions
        )
        token, _ = self.issuer.application_token(app)
        return token

    def app(self, permissions: Iterable[str] = APPLICATION_PERMISSIONS) -> httpx.Client:
        return self.client(self.app_token(permissions))

    def delegated_app(self) -> Application:
        """The tenant's app for signed-in users: every delegated permission consented."""
        if self._delegated_app is None:
            self._delegated_app, _ = self.directory.create_application(
                tenant_id=self.tenant_id,
                name="delegated test app",
                permissions=(),
                delegated_permissions=DELEGATED_PERMISSIONS,
            )
        return self._delegated_app

    def user_token(self, user: User | None = None, scopes: Iterable[str] = ALL_DELEGATED_READS) -> str:
        token, _ = self.issuer.delegated_token(self.delegated_app().client_id, user or self.learner, scopes)
        return token

    def user(self, user: User | None = None, scopes: Iterable[str] = ALL_DELEGATED_READS) -> httpx.Client:
        return self.client(self.user_token(user, scopes))

    def new_user(self, *, licensed: bool = True, name: str = "Learner", roles: Iterable[str] = ()) -> User:
        return self.directory.create_user(
            tenant_id=self.tenant_id, display_name=name, licensed=licensed, roles=roles
        )

    def provider(self, **overrides: Any) -> dict[str, Any]:
        response = self.user(scopes=["LearningProvider.ReadWrite"]).post(
            self.url("/employeeExperience/learningProviders"), json=provider_body(**overrides)
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def content(self, provider_id: str, external_id: str | None = None, **overrides: Any) -> dict[str, Any]:
        external = external_id or f"course-{uuid.uuid4().hex[:8]}"
        response = self.app(["LearningContent.ReadWrite.All"]).patch(
            self.url(
                f"/employeeExperience/learningProviders/{provider_id}/learningContents(externalId='{external}')"
            ),
            json=content_body(**overrides),
        )
        assert response.status_code == 202, response.text
        created: dict[str, Any] = response.json()
        return created

    def assignment_body(self, content_id: str, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.learningAssignment",
            "learnerUserId": self.learner.id,
            "learningContentId": content_id,
            "assignmentType": "required",
            "status": "notStarted",
            "assignedDateTime": "2021-05-11T22:57:17+00:00",
            "dueDateTime": {"dateTime": "2022-09-22T16:05:00.0000000", "timeZone": "UTC"},
            "notes": {"contentType": "text", "content": "required assignment added for user"},
            "externalcourseActivityId": f"ext-{uuid.uuid4().hex[:8]}",
        }
        body.update(overrides)
        return body

    def self_initiated_body(self, content_id: str, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
            "learnerUserId": self.learner.id,
            "learningContentId": content_id,
            "status": "inProgress",
            "startedDateTime": "2021-05-11T22:57:17+00:00",
            "completionPercentage": 10,
            "externalcourseActivityId": f"ext-{uuid.uuid4().hex[:8]}",
        }
        body.update(overrides)
        return body

    def activity(self, provider_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.app().post(
            self.url(f"/employeeExperience/learningProviders/{provider_id}/learningCourseActivities"),
            json=body,
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def close(self) -> None:
        for client in self._clients:
            client.close()


@dataclass
class Catalogue:
    """A sync-enabled provider with one content, ready for course activities."""

    tenant: Tenant
    provider_id: str
    content_id: str

    @property
    def activities_url(self) -> str:
        return self.tenant.url(
            f"/employeeExperience/learningProviders/{self.provider_id}/learningCourseActivities"
        )

    def assignment(self, **overrides: Any) -> dict[str, Any]:
        return self.tenant.activity(
            self.provider_id, self.tenant.assignment_body(self.content_id, **overrides)
        )

    def self_initiated(self, **overrides: Any) -> dict[str, Any]:
        return self.tenant.activity(
            self.provider_id, self.tenant.self_initiated_body(self.content_id, **overrides)
        )
