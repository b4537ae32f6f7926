"""The published documents: OData $metadata (CSDL) and OpenAPI, generated from what is served."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import httpx
import jsonschema
from openapi_spec_validator import validate

from tests.builders import Catalogue, Tenant

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
