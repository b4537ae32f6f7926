"""Route declarations: every Graph route declares its permissions, and the edge enforces what routes declare."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from learninggraph.app import graph_router
from learninggraph.domain.errors import ME_NEEDS_DELEGATION
from learninggraph.domain.principal import CallerKind, Permissions, Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.edge import Edge
from learninggraph.http.messages import JSON_CONTENT_TYPE, Response
from learninggraph.http.pipeline import request_steps
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Operation, Router
from learninggraph.resources import registry
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from tests.builders import Catalogue
from tests.identity.conftest import serving

READ_THINGS = Permissions(application=frozenset({"Things.Read"}), delegated=frozenset({"Things.Read"}))


def _answer(context: RequestContext) -> Response:
    return Response(200, b'{"ran":true}', JSON_CONTENT_TYPE)


class _TokenNamesTheCaller:
    """``Bearer app:<role>`` is an application holding that role; ``Bearer user:<scope>`` a signed-in user."""

    def authenticate(self, authorization: str | None) -> Principal:
        kind, _, permission = (authorization or "").removeprefix("Bearer ").partition(":")
        if kind == "app":
            return Principal("t", "a", CallerKind.APPLICATION, frozenset({permission}))
        return Principal("t", "a", CallerKind.DELEGATED, frozenset({permission}), user_id="u")


@pytest.fixture(scope="module")
def declared_server() -> Iterator[str]:
    operations = [
        Operation("things.list", "GET", ("things",), _answer, READ_THINGS),
        Operation("me.things.list", "GET", ("me", "things"), _answer, READ_THINGS, signed_in_user=True),
    ]
    edge = Edge(
        pipeline=request_steps(
            graph=Router(operations), public=Router([]), authenticator=_TokenNamesTheCaller()
        ),
        reading=Reading(max_body_bytes=65536),
    )
    with serving(edge) as base_url:
        yield base_url


def _get(base_url: str, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{base_url}/v1.0{path}", headers={"Authorization": f"Bearer {token}"})


class TestEveryGraphRouteIsDeclared:
    def test_every_graph_operation_declares_the_permissions_it_accepts(
        self, database: Database, settings: Settings
    ) -> None:
        router = graph_router(database, settings, registry.served())

        undeclared = [op.name for op in router.operations if op.permissions is None]
        without_any = [
            op.name
            for op in router.operations
            if op.permissions is not None and not (op.permissions.application or op.permissions.delegated)
        ]
        assert router.operations
        assert undeclared == []
        assert without_any == []

    def test_the_graph_router_refuses_an_operation_without_declared_permissions(self) -> None:
        with pytest.raises(ValueError, match=r"things\.list"):
            Router([Operation("things.list", "GET", ("things",), _answer)], require_permissions=True)

    def test_two_operations_with_one_name_are_refused(self) -> None:
        twice = [
            Operation("things.get", "GET", ("things",), _answer, READ_THINGS),
            Operation("things.get", "GET", ("other",), _answer, READ_THINGS),
        ]
        with pytest.raises(ValueError, match=r"things\.get"):
            Router(twice)

    def test_every_operation_of_the_server_has_a_unique_stable_name(
        self, database: Database, settings: Settings
    ) -> None:
        router = graph_router(database, settings, registry.served())
        names = [op.name for op in router.operations]

        assert len(names) == len(set(names))
        assert "learningProviders.get" in names
        assert "me.learningCourseActivities.list" in names


class TestTheEdgeEnforcesDeclarations:
    def test_a_caller_holding_a_declared_permission_reaches_the_handler(self, declared_server: str) -> None:
        response = _get(declared_server, "/things", "app:Things.Read")

        assert response.status_code == 200
        assert response.json() == {"ran": True}

    def test_a_caller_without_a_declared_permission_is_refused_before_the_handler(
        self, declared_server: str
    ) -> None:
        response = _get(declared_server, "/things", "app:Other.Read")

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "Forbidden"
        assert "ran" not in response.text

    def test_a_route_declared_for_a_signed_in_user_answers_an_application_400(
        self, declared_server: str
    ) -> None:
        response = _get(declared_server, "/me/things", "app:Things.Read")

        assert response.status_code == 400
        assert response.json()["error"]["message"] == ME_NEEDS_DELEGATION

    def test_the_signed_in_user_check_comes_before_the_permission_check(self, declared_server: str) -> None:
        response = _get(declared_server, "/me/things", "app:Other.Read")

        assert response.status_code == 400
        assert response.json()["error"]["message"] == ME_NEEDS_DELEGATION

    def test_a_signed_in_user_with_the_scope_reaches_a_me_route(self, declared_server: str) -> None:
        response = _get(declared_server, "/me/things", "user:Things.Read")

        assert response.status_code == 200


class TestFormatJsonOnItems:
    @pytest.mark.parametrize(
        "path",
        [
            "/employeeExperience/learningProviders/{provider}",
            "/employeeExperience/learningProviders/{provider}/learningContents/{content}",
            "/employeeExperience/learningCourseActivities/{activity}",
            "/employeeExperience",
            "/me/employeeExperience",
        ],
    )
    def test_every_item_get_accepts_format_json_as_collections_do(
        self, catalogue: Catalogue, path: str
    ) -> None:
        tenant = catalogue.tenant
        activity = catalogue.assignment()
        url = tenant.url(
            path.format(provider=catalogue.provider_id, content=catalogue.content_id, activity=activity["id"])
        )
        client = tenant.user()  # the learner, who reads all of these (the activity is assigned to them)

        plain = client.get(url)
        formatted = client.get(url, params={"$format": "json"})

        assert plain.status_code == 200, plain.text
        assert formatted.status_code == 200, formatted.text
        assert formatted.json() == plain.json()

    def test_an_item_get_refuses_a_format_other_than_json(self, catalogue: Catalogue) -> None:
        tenant = catalogue.tenant
        url = tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}")

        response = tenant.user().get(url, params={"$format": "xml"})

        assert response.status_code == 400
        assert "the only supported format is 'json'" in response.json()["error"]["message"]
