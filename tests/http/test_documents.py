"""The published documents: OData $metadata (CSDL) and OpenAPI, generated from what is served."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.builders import Catalogue, Tenant, content_body, provider_body

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def _csdl_properties(document: bytes, type_name: str) -> set[str]:
    root = ET.fromstring(document)
    types = {t.get("Name"): t for t in root.iter(f"{EDM}EntityType")}
    names: set[str] = set()
    current = types[type_name]
    while True:
        names |= {p.get("Name", "") for p in current.iter(f"{EDM}Property")}
        base = current.get("BaseType")
        if base is None:
            return names
        current = types[base.rsplit(".", 1)[1]]


class TestMetadata:
    def test_metadata_is_served_without_a_token_under_both_versions(self, base_url: str) -> None:
        for version in ("v1.0", "beta"):
            response = httpx.get(f"{base_url}/{version}/$metadata")

            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/xml")
            ET.fromstring(response.content)

    def test_every_property_an_activity_carries_is_declared_in_the_metadata(
        self, catalogue: Catalogue
    ) -> None:
        document = httpx.get(f"{catalogue.tenant.base_url}/v1.0/$metadata").content
        assignment = catalogue.assignment()
        self_initiated = catalogue.self_initiated()

        for body, type_name in (
            (assignment, "learningAssignment"),
            (self_initiated, "learningSelfInitiatedCourse"),
        ):
            emitted = {k for k in body if not k.startswith("@")}
            assert emitted == _csdl_properties(document, type_name)


class TestOpenApi:
    def test_the_openapi_document_is_valid_openapi_3(self, base_url: str) -> None:
        document = httpx.get(f"{base_url}/openapi.json").json()

        validate(document)

    def test_every_served_path_is_documented_under_both_versions(self, base_url: str, tenant: Tenant) -> None:
        paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]

        assert "/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities" in paths
        assert "/beta/me/employeeExperience/learningCourseActivities/{activity}" in paths
        assert set(paths["/v1.0/users/{user}/employeeExperience/learningCourseActivities/{activity}"]) == {
            "get"
        }

    def test_the_containers_are_documented_as_reads_of_their_types(self, base_url: str) -> None:
        paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]

        for path, type_name in (
            ("/v1.0/employeeExperience", "employeeExperience"),
            ("/beta/users/{user}/employeeExperience", "employeeExperienceUser"),
            ("/v1.0/me/employeeExperience", "employeeExperienceUser"),
        ):
            assert set(paths[path]) == {"get"}
            schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{type_name}"}

    def test_a_partial_activity_patch_body_fits_the_documented_request_schema(self, base_url: str) -> None:
        document = httpx.get(f"{base_url}/openapi.json").json()
        operation = document["paths"]["/v1.0/employeeExperience/learningCourseActivities/{activity}"]["patch"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]

        # Both activity types declare every property optional, so the body must not have to be one of them only.
        jsonschema.validate({"completionPercentage": 50}, {**schema, "components": document["components"]})


class TestOpenApiLinks:
    PROVIDERS = "/v1.0/employeeExperience/learningProviders"

    def _document(self, base_url: str) -> dict[str, Any]:
        document: dict[str, Any] = httpx.get(f"{base_url}/openapi.json").json()
        return document

    def test_a_created_providers_id_addresses_its_contents_and_activities(self, base_url: str) -> None:
        paths = self._document(base_url)["paths"]
        links = paths[self.PROVIDERS]["post"]["responses"]["201"]["links"]

        assert links["CreateContent"]["parameters"] == {"provider": "$response.body#/id"}
        assert links["ListProviderActivities"]["parameters"] == {"provider": "$response.body#/id"}

    def test_a_created_content_feeds_an_activitys_learning_content_id(self, base_url: str) -> None:
        paths = self._document(base_url)["paths"]
        links = paths[f"{self.PROVIDERS}/{{provider}}/learningContents"]["post"]["responses"]["201"]["links"]

        assert links["CreateProviderActivity"]["requestBody"]["learningContentId"] == "$response.body#/id"
        assert links["GetContentByExternalId"]["parameters"]["external"] == "$response.body#/externalId"

    def test_a_created_activity_is_addressed_by_its_learner_and_its_alternate_key(
        self, base_url: str
    ) -> None:
        paths = self._document(base_url)["paths"]
        post = paths["/v1.0/employeeExperience/learningCourseActivities"]["post"]
        links = post["responses"]["201"]["links"]

        assert links["GetUserActivity"]["parameters"]["user"] == "$response.body#/learnerUserId"
        assert links["GetMyActivityByExternalId"]["parameters"] == {
            "external": "$response.body#/externalcourseActivityId"
        }

    def test_every_operation_is_linked_so_stateful_fuzzing_reaches_it(self, base_url: str) -> None:
        document = self._document(base_url)
        # The service's own operations (probes, $batch) stand alone: no answer of theirs addresses another.
        learning = {
            path: methods for path, methods in document["paths"].items() if "/employeeExperience" in path
        }
        operations = {op["operationId"] for methods in learning.values() for op in methods.values()}
        linked = set()
        for methods in document["paths"].values():
            for operation in methods.values():
                for response in operation["responses"].values():
                    for link in response.get("links", {}).values():
                        linked |= {operation["operationId"], link["operationId"]}

        assert operations - linked == set()


class TestOpenApiRequestBodies:
    def _schema(self, base_url: str, path: str, method: str) -> dict[str, Any]:
        document = httpx.get(f"{base_url}/openapi.json").json()
        schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return {**schema, "components": document["components"]}

    def test_a_provider_body_the_service_accepts_fits_and_one_without_a_display_name_does_not(
        self, base_url: str
    ) -> None:
        schema = self._schema(base_url, "/v1.0/employeeExperience/learningProviders", "post")
        body = provider_body()

        jsonschema.validate(body, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({k: v for k, v in body.items() if k != "displayName"}, schema)

    def test_a_property_the_service_refuses_does_not_fit_a_content_body(self, base_url: str) -> None:
        schema = self._schema(
            base_url, "/v1.0/employeeExperience/learningProviders/{provider}/learningContents", "post"
        )

        jsonschema.validate(content_body(externalId="course-1", level="beginner"), schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(content_body(externalId="course-1", level="beginner", rating=5), schema)

    def test_an_activity_body_names_one_type_and_v1_self_initiated_statuses_only(self, base_url: str) -> None:
        path = "/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"
        schema = self._schema(base_url, path, "post")
        body = {
            "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
            "learnerUserId": "u",
            "learningContentId": "c",
            "status": "inProgress",
        }

        jsonschema.validate(body, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**body, "status": "notStarted"}, schema)
