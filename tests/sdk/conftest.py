"""SDK acceptance fixtures: each official Graph SDK against a tenant of the session server, on one event loop."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, TypeVar

import pytest

from learninggraph.identity.directory import Directory
from learninggraph.storage.database import Database
from learninggraph.testing import (
    GRAPH_SCOPE,
    LearningGraph,
    LearningGraphServer,
    LocalClientSecretCredential,
    LocalUsernamePasswordCredential,
)

T = TypeVar("T")

PACKAGES = {"v1.0": "msgraph", "beta": "msgraph_beta"}
ASSIGNMENT = "#microsoft.graph.learningAssignment"
SELF_INITIATED_COURSE = "#microsoft.graph.learningSelfInitiatedCourse"
# Model classes and enums by name, and the module of generated.models that holds each.
_MODELS = {
    "LearningProvider": "learning_provider",
    "LearningContent": "learning_content",
    "LearningCourseActivity": "learning_course_activity",
    "LearningAssignment": "learning_assignment",
    "LearningSelfInitiatedCourse": "learning_self_initiated_course",
    "DateTimeTimeZone": "date_time_time_zone",
    "ItemBody": "item_body",
    "BodyType": "body_type",
    "CourseStatus": "course_status",
    "AssignmentType": "assignment_type",
    "Level": "level",
    "ODataError": "o_data_errors.o_data_error",
}


class Models:
    """The generated models of one SDK package, by class name (``models.LearningAssignment``)."""

    def __init__(self, package: str) -> None:
        self._package = package

    def __getattr__(self, name: str) -> Any:
        if name not in _MODELS:
            raise AttributeError(name)
        return getattr(importlib.import_module(f"{self._package}.generated.models.{_MODELS[name]}"), name)


class Sdk:
    """One official SDK (msgraph for v1.0, msgraph-beta for beta) against one tenant: as its app and its user."""

    def __init__(self, version: str, tenant: LearningGraph, loop: asyncio.AbstractEventLoop) -> None:
        self.version = version
        self.package = PACKAGES[version]
        self.tenant = tenant
        self.loop = loop
        self.models = Models(self.package)
        self._clients: list[Any] = []
        # Exactly as an integrator writes it: credential, scopes, then the base URL.
        self.app = self.client(
            LocalClientSecretCredential(tenant.token_url, tenant.client_id, tenant.client_secret)
        )
        self.user = self.client(
            LocalUsernamePasswordCredential(
                tenant.token_url,
                tenant.client_id,
                tenant.user_principal_name,
                tenant.password,
                tenant.client_secret,
            )
        )

    def client(self, credential: Any, base_url: str | None = None, scopes: list[str] | None = None) -> Any:
        """A GraphServiceClient of this SDK with ``credential``, pointed at ``base_url`` (the session server)."""
        sdk = importlib.import_module(self.package)
        client = sdk.GraphServiceClient(
            credentials=credential, scopes=[GRAPH_SCOPE] if scopes is None else scopes
        )
        client.request_adapter.base_url = f"{base_url or self.tenant.base_url}/{self.version}"
        self._clients.append(client)
        return client

    def module(self, path: str) -> ModuleType:
        """A module of the generated SDK, e.g. ``employee_experience.learning_providers.count.count_request_builder``."""
        return importlib.import_module(f"{self.package}.generated.{path}")

    def query(self, builder: str, **parameters: Any) -> Any:
        """A RequestConfiguration with the generated query parameters of ``builder``'s GET.

        ``builder`` is the request builder's module under ``generated``, without the ``_request_builder``
        suffix: ``employee_experience.learning_providers.count.count``.
        """
        from kiota_abstractions.base_request_configuration import RequestConfiguration

        name = "".join(part.title() for part in builder.rsplit(".", 1)[-1].split("_")) + "RequestBuilder"
        cls = getattr(self.module(f"{builder}_request_builder"), name)
        return RequestConfiguration(query_parameters=getattr(cls, f"{name}GetQueryParameters")(**parameters))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def me(self, client: Any = None) -> Any:
        """The ``me`` builder of the user's client: a property in msgraph, a method in msgraph-beta 1.66."""
        me = (client or self.user).me
        return me if self.version == "v1.0" else me()

    def provider(self, **values: Any) -> Any:
        """A provider registered by the user, sync enabled; ``values`` override the defaults."""
        fields: dict[str, Any] = {
            "display_name": "Contoso Academy",
            "login_web_url": "https://contoso.example/login",
            "long_logo_web_url_for_dark_theme": "https://contoso.example/long-dark.png",
            "long_logo_web_url_for_light_theme": "https://contoso.example/long-light.png",
            "square_logo_web_url_for_dark_theme": "https://contoso.example/square-dark.png",
            "square_logo_web_url_for_light_theme": "https://contoso.example/square-light.png",
            "is_course_activity_sync_enabled": True,
            **values,
        }
        body = self.models.LearningProvider(**fields)
        return self.run(self.user.employee_experience.learning_providers.post(body))

    def content(self, provider_id: str, external_id: str | None = None, **values: Any) -> Any:
        """A content upserted by the app under ``provider_id``."""
        external = external_id or f"course-{uuid.uuid4().hex[:8]}"
        fields: dict[str, Any] = {
            "title": "Python 101",
            "content_web_url": "https://contoso.example/courses/python-101",
            "language_tag": "en-us",
            **values,
        }
        builder = self.app.employee_experience.learning_providers.by_learning_provider_id(provider_id)
        return self.run(
            builder.learning_contents_with_external_id(external).patch(self.models.LearningContent(**fields))
        )

    def activity(self, kind: str, content_id: str, **values: Any) -> Any:
        """An unsaved activity model of ``kind`` (``assignment`` or ``selfInitiatedCourse``) for the tenant's user."""
        m = self.models
        fields: dict[str, Any] = {
            "learner_user_id": self.tenant.user_id,
            "learning_content_id": content_id,
            "externalcourse_activity_id": f"ext-{uuid.uuid4().hex[:10]}",
        }
        if kind == "assignment":
            fields.update(
                odata_type=ASSIGNMENT,
                status=m.CourseStatus.NotStarted,
                completion_percentage=0,
                assigned_date_time=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
                assigner_user_id="manager-1",
                assignment_type=m.AssignmentType.Required,
                due_date_time=m.DateTimeTimeZone(date_time="2024-06-01T10:00:00", time_zone="UTC"),
                notes=m.ItemBody(content_type=m.BodyType.Text, content="Please finish"),
            )
            fields.update(values)
            return m.LearningAssignment(**fields)
        fields.update(
            odata_type=SELF_INITIATED_COURSE,
            status=m.CourseStatus.InProgress,
            completion_percentage=10,
            started_date_time=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        )
        fields.update(values)
        return m.LearningSelfInitiatedCourse(**fields)

    def error(self, work: Coroutine[Any, Any, Any]) -> Any:
        """The ODataError that ``work`` raises."""
        with pytest.raises(self.models.ODataError) as caught:
            self.run(work)
        return caught.value

    def close(self) -> None:
        for client in self._clients:
            self.run(close_client(client))


async def close_client(client: Any) -> None:
    """Closes a GraphServiceClient's connections, on the loop that opened them.

    There is no public way: GraphServiceClient has no close(), and the httpx client's aclose() does
    not reach the connection pool, because msgraph-core's AsyncGraphTransport does not forward aclose().
    """
    transport = client.request_adapter._http_client._transport
    await transport.transport.aclose()


@pytest.fixture(scope="session")
def sdk_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for every SDK call of the session, so clients can be shared between tests."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(scope="session")
def sdk_server(base_url: str, database: Database) -> LearningGraphServer:
    return LearningGraphServer(base_url, Directory(database))


@pytest.fixture(scope="module", params=sorted(PACKAGES))
def sdk(
    request: pytest.FixtureRequest, sdk_server: LearningGraphServer, sdk_loop: asyncio.AbstractEventLoop
) -> Iterator[Sdk]:
    """Each SDK in turn, with a tenant of its own for the test module."""
    kit = Sdk(request.param, sdk_server.new_tenant(), sdk_loop)
    yield kit
    kit.close()


@pytest.fixture(params=["assignment", "selfInitiatedCourse"])
def kind(request: pytest.FixtureRequest) -> str:
    """Each type of course activity in turn."""
    value: str = request.param
    return value
