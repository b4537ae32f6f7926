"""What the dashboard's browser tests and the screenshot script share: Chromium, sign-in, and seeding through
the real Graph API with real tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Playwright

from learninggraph.identity.directory import User
from learninggraph.journal.entry import Caller, Decision, JournalEntry, bounded
from learninggraph.journal.queries import explain
from learninggraph.journal.storage import journal_database_of
from learninggraph.journal.store import JournalStore
from learninggraph.testing import LearningGraph, LearningGraphServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PREFIX = "/_learninggraph/dashboard"


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium; Playwright's own browsers are never downloaded."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Person:
    user: User
    password: str


@dataclass
class World:
    """A tenant with an administrator, a learner, and a provider holding one content."""

    server: LearningGraphServer
    tenant: LearningGraph
    admin: Person
    learner: Person
    provider_id: str
    content_id: str

    def dashboard(self, path: str = "/") -> str:
        return f"{self.tenant.base_url}{PREFIX}{path}"

    def new_learner(self, name: str) -> Person:
        password = secrets.token_urlsafe(12)
        user = self.server.directory.create_user(
            tenant_id=self.tenant.tenant_id, display_name=name, licensed=True, password=password
        )
        return Person(user, password)

    def app(self) -> httpx.Client:
        token = self.tenant.app_token()
        return httpx.Client(base_url=self.tenant.graph_url, headers={"Authorization": f"Bearer {token}"})

    def content(self, title: str, **fields: Any) -> str:
        body = {
            "title": title,
            "contentWebUrl": "https://contoso.example/c/1",
            "languageTag": "en-us",
            **fields,
        }
        external = f"course-{uuid.uuid4().hex[:8]}"
        with self.app() as app:
            path = f"/employeeExperience/learningProviders/{self.provider_id}/learningContents(externalId='{external}')"
            response = app.patch(path, json=body)
        assert response.status_code in (201, 202), response.text
        return str(response.json()["id"])

    def activity(
        self, learner: User, content_id: str | None = None, *, self_initiated: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """An assignment (or a self-initiated course) created by the app; ``fields`` override or add properties."""
        body: dict[str, Any] = {
            "learnerUserId": learner.id,
            "learningContentId": content_id or self.content_id,
            "externalcourseActivityId": f"ext-{uuid.uuid4().hex[:10]}",
            "status": "notStarted",
        }
        if self_initiated:
            body.update(
                {"@odata.type": "#microsoft.graph.learningSelfInitiatedCourse", "status": "inProgress"}
            )
        else:
            body.update(
                {
                    "@odata.type": "#microsoft.graph.learningAssignment",
                    "assignmentType": "required",
                    "assignedDateTime": "2026-01-05T09:00:00Z",
                }
            )
        body.update(fields)
        with self.app() as app:
            response = app.post(
                f"/employeeExperience/learningProviders/{self.provider_id}/learningCourseActivities",
                json=body,
            )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def new_world(server: LearningGraphServer, name: str, provider: str = "Contoso Academy") -> World:
    tenant = server.new_tenant(name)
    admin = server.directory.user(tenant.tenant_id, tenant.user_id)
    assert admin is not None
    world = World(server, tenant, Person(admin, tenant.password), Person(admin, ""), "", "")
    world.learner = world.new_learner("Lena Learner")
    logo = "https://contoso.example/logo.png"
    with httpx.Client(
        base_url=tenant.graph_url, headers={"Authorization": f"Bearer {tenant.user_token()}"}
    ) as user:
        response = user.post(
            "/employeeExperience/learningProviders",
            json={
                "displayName": provider,
                "isCourseActivitySyncEnabled": True,
                "loginWebUrl": "https://contoso.example/login",
                "longLogoWebUrlForDarkTheme": logo,
                "longLogoWebUrlForLightTheme": logo,
                "squareLogoWebUrlForDarkTheme": logo,
                "squareLogoWebUrlForLightTheme": logo,
            },
        )
    assert response.status_code == 201, response.text
    world.provider_id = str(response.json()["id"])
    world.content_id = world.content(
        "Python 101", description="The language in an afternoon.", duration="PT2H"
    )
    return world


def sign_in(page: Page, world: World, person: Person) -> None:
    page.goto(world.dashboard("/sign-in"))
    page.get_by_label("Tenant ID").fill(world.tenant.tenant_id)
    page.get_by_label("User name").fill(person.user.user_principal_name)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def recorded(
    world: World,
    *,
    status: int = 200,
    method: str = "GET",
    url: str = "/v1.0/employeeExperience/learningProviders",
    route: str = "/v1.0/employeeExperience/learningProviders",
    operation: str = "learningProviders.list",
    rule: str = "ok",
    hint: str | None = None,
    details: dict[str, Any] | None = None,
    app_id: str | None = None,
    permissions: tuple[str, ...] = ("LearningProvider.Read.All",),
    request_headers: tuple[tuple[str, str], ...] = (),
    response_body: str = "",
) -> JournalEntry:
    """A journal entry of the tenant's app, stored in the server's database as the request path stores it."""
    entry = JournalEntry(
        at=datetime.now(UTC),
        tenant_id=world.tenant.tenant_id,
        caller=Caller(kind="application", app_id=app_id or world.tenant.client_id, permissions=permissions),
        method=method,
        url=url,
        status=status,
        duration_ms=3.5,
        request_id=str(uuid.uuid4()),
        decision=Decision(rule, hint, details or {}),
        route=route,
        operation=operation,
        request_headers=request_headers,
        response_headers=(("Content-Type", "application/json"),),
        response_body=bounded(response_body),
    )
    with journal_database_of(world.server.directory.database) as journal:
        JournalStore(journal).append([entry])
    return entry


def journaled(world: World, request_id: str, *, seconds: float = 5.0) -> JournalEntry:
    """The tenant's journal entry of the request, once the journal's writer has stored it."""
    deadline = time.monotonic() + seconds
    while True:
        with journal_database_of(world.server.directory.database) as journal:
            entry = explain(journal, request_id, tenant_id=world.tenant.tenant_id)
        if entry is not None:
            return entry
        assert time.monotonic() < deadline, f"the journal did not store request {request_id}"
        time.sleep(0.05)
