"""The example resource of tests/architecture/example_resource, passed to ``create_app`` beside the registered
ones: served over HTTP with its permissions, created by its own migration, listed in ``$metadata`` and
``/openapi.json``, and absent from the app the registry alone builds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import httpx
import pytest

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.testing import running_server
from tests.architecture.example_resource import RESOURCE
from tests.builders import LEARNER_ROLES, Tenant

NOTES = "/employeeExperience/learningNotes"


@pytest.fixture(scope="module")
def example_database(new_database_url: Callable[[], str]) -> str:
    return new_database_url()


@pytest.fixture(scope="module")
def example_url(example_database: str) -> Iterator[str]:
    settings = Settings(database_url=example_database, create_dev_identity=False)
    with running_server(settings, (RESOURCE,)) as url:
        yield url


@pytest.fixture
def example_tenant(example_database: str, example_url: str) -> Iterator[Tenant]:
    database = Database(example_database)
    directory = Directory(database)
    created = directory.create_tenant(name="Contoso")
    learner = directory.create_user(
        tenant_id=created.id, display_name="Ada Learner", licensed=True, roles=LEARNER_ROLES
    )
    minting = dataclasses.replace(Settings(database_url=example_database), public_url=example_url)
    issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)
    world = Tenant(example_url, directory, issuer, created.id, learner)
    yield world
    world.close()
    database.close()


def test_an_app_with_the_content_write_permission_adds_a_note_that_a_reader_then_lists(
    example_tenant: Tenant,
) -> None:
    writer = example_tenant.app(["LearningContent.ReadWrite.All"])
    reader = example_tenant.app(["LearningContent.Read.All"])

    created = writer.post(example_tenant.url(NOTES), json={"text": "Finish the Python course"})
    listed = reader.get(example_tenant.url(NOTES))

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [note["text"] for note in listed.json()["value"]] == ["Finish the Python course"]
    assert listed.json()["value"][0]["id"] == created.json()["id"]


def test_an_app_without_a_content_permission_cannot_list_the_notes(example_tenant: Tenant) -> None:
    app = example_tenant.app(["LearningAssignedCourse.Read.All"])

    response = app.get(example_tenant.url(NOTES))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Forbidden"


def test_an_app_that_may_only_read_contents_cannot_add_a_note(example_tenant: Tenant) -> None:
    app = example_tenant.app(["LearningContent.Read.All"])

    response = app.post(example_tenant.url(NOTES), json={"text": "Not allowed"})

    assert response.status_code == 403


def test_a_note_without_text_is_a_bad_request(example_tenant: Tenant) -> None:
    app = example_tenant.app(["LearningContent.ReadWrite.All"])

    response = app.post(example_tenant.url(NOTES), json={"title": "no text"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "badRequest"


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_the_metadata_declares_the_note_type_and_its_navigation(example_url: str, version: str) -> None:
    document = httpx.get(f"{example_url}/{version}/$metadata").text

    assert '<EntityType Name="learningNote" BaseType="graph.entity">' in document
    assert (
        '<NavigationProperty Name="learningNotes" Type="Collection(graph.learningNote)" ContainsTarget="true" />'
        in document
    )


def test_the_openapi_document_describes_the_notes_routes(example_url: str) -> None:
    document = httpx.get(f"{example_url}/openapi.json").json()

    operations = document["paths"][f"/v1.0{NOTES}"]
    assert sorted(operations) == ["get", "post"]
    assert operations["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == ["text"]
    assert "learningNote" in document["components"]["schemas"]


def test_the_notes_table_comes_from_the_resources_own_migration_applied_once(example_database: str) -> None:
    database = Database(example_database)
    try:
        with database.snapshot() as conn:
            applied = {row[0] for row in conn.fetch_all("SELECT version FROM schema_migrations")}
        again = upgrade(database, (RESOURCE.migrations[0],))
    finally:
        database.close()

    assert 1001 in applied
    assert again == []


def test_the_app_the_registry_builds_serves_no_notes(base_url: str, tenant: Tenant) -> None:
    app = tenant.app()

    response = app.get(tenant.url(NOTES))
    metadata = httpx.get(f"{base_url}/v1.0/$metadata").text
    openapi = httpx.get(f"{base_url}/openapi.json").json()

    assert response.status_code == 404
    assert "learningNote" not in metadata
    assert f"/v1.0{NOTES}" not in openapi["paths"]


def test_the_example_app_is_not_ready_until_the_resources_own_migration_is_applied(
    example_database: str, example_url: str
) -> None:
    database = Database(example_database)
    try:
        with database.transaction() as conn:
            row = conn.fetch_one("SELECT name, applied_at FROM schema_migrations WHERE version = 1001")
            conn.execute("DELETE FROM schema_migrations WHERE version = 1001")
        assert row is not None
        try:
            response = httpx.get(f"{example_url}/ready")
        finally:
            with database.transaction() as conn:
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1001, ?, ?)", row
                )
    finally:
        database.close()

    assert response.status_code == 503
    assert response.json()["pending"] == [1001]
