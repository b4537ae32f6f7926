"""The served $metadata against Microsoft's CSDL for the learning types (tests/http/csdl/, source and commit in
each file's header): names, casing, types, nullability, collections, navigation properties and containment, enum
members, keys and annotations, under v1.0 and beta. A difference is allowed only with its line in
docs/decisions.md."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.http.csdl_model import EDM, differences, microsoft_slice, model, schema_of

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions.md"

# Each allowed difference, with the words of its line in docs/decisions.md.
OTHER_MODULES = "The navigation properties of the other Viva modules"
DIRECTORY_OBJECT = "`user` is declared with its base type `directoryObject`"
BETA_USER = "The beta slice carries no `user`"
ALLOWED: dict[str, dict[str, str]] = {
    "v1.0": {
        "missing: EntityType employeeExperience/NavigationProperty communities": OTHER_MODULES,
        "missing: EntityType employeeExperience/NavigationProperty engagementAsyncOperations": OTHER_MODULES,
        "missing: EntityType employeeExperience/NavigationProperty roles": OTHER_MODULES,
        "missing: EntityType employeeExperienceUser/NavigationProperty assignedRoles": OTHER_MODULES,
        "extra: EntityType directoryObject": DIRECTORY_OBJECT,
    },
    "beta": {
        "missing: EntityType employeeExperience/NavigationProperty communities": OTHER_MODULES,
        "missing: EntityType employeeExperience/NavigationProperty engagementAsyncOperations": OTHER_MODULES,
        "missing: EntityType employeeExperience/NavigationProperty goals": OTHER_MODULES,
        "missing: EntityType employeeExperience/NavigationProperty roles": OTHER_MODULES,
        "missing: EntityType employeeExperienceUser/NavigationProperty assignedRoles": OTHER_MODULES,
        "missing: EntityType employeeExperienceUser/NavigationProperty storyline": OTHER_MODULES,
        "extra: EntityType directoryObject": DIRECTORY_OBJECT,
        "extra: EntityType user": BETA_USER,
    },
}
VERSIONS = ("v1.0", "beta")
CAPABILITY_TERMS = {
    "Org.OData.Capabilities.V1.ReadRestrictions",
    "Org.OData.Capabilities.V1.InsertRestrictions",
    "Org.OData.Capabilities.V1.UpdateRestrictions",
    "Org.OData.Capabilities.V1.DeleteRestrictions",
}


def _served(base_url: str, version: str) -> bytes:
    response = httpx.get(f"{base_url}/{version}/$metadata")
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("version", VERSIONS)
def test_the_metadata_differs_from_microsofts_csdl_only_where_a_decision_says_so(
    base_url: str, version: str
) -> None:
    found = differences(model(microsoft_slice(version)), model(_served(base_url, version)))

    assert sorted(found) == sorted(ALLOWED[version])


def test_every_allowed_difference_has_its_line_in_the_decisions() -> None:
    decisions = DECISIONS.read_text(encoding="utf-8")

    for version in VERSIONS:
        for difference, line in ALLOWED[version].items():
            assert line in decisions, f"{version} {difference}: no decision line with {line!r}"


def test_the_comparison_notices_a_changed_nullability_type_member_and_annotation() -> None:
    reference = microsoft_slice("beta")
    changed = (
        reference.replace(
            b'Name="title" Type="Edm.String" Nullable="false"', b'Name="title" Type="Edm.String"'
        )
        .replace(b'Name="numberOfPages" Type="Edm.Int32"', b'Name="numberOfPages" Type="Edm.Int64"')
        .replace(b'<Member Name="peerRecommended" Value="3" />', b"")
        .replace(b'String="Update learningProvider"', b'String="Update a learningProvider"')
    )

    assert differences(model(reference), model(changed)) == {
        "differs: EntityType learningContent/Property title",
        "differs: EntityType learningContent/Property numberOfPages",
        "missing: EnumType assignmentType/Member peerRecommended",
        "differs: Annotations microsoft.graph.GraphService/employeeExperience/learningProviders"
        "@Org.OData.Capabilities.V1.UpdateRestrictions",
    }


def test_the_comparison_notices_a_lost_containment_and_a_changed_alternate_key() -> None:
    reference = microsoft_slice("v1.0")
    changed = reference.replace(
        b'Name="learningContents" Type="Collection(graph.learningContent)" ContainsTarget="true"',
        b'Name="learningContents" Type="Collection(graph.learningContent)"',
    ).replace(b'PropertyPath="externalId"', b'PropertyPath="title"')

    assert differences(model(reference), model(changed)) == {
        "differs: EntityType learningProvider/NavigationProperty learningContents",
        "differs: EntityType learningContent@Org.OData.Core.V1.AlternateKeys",
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_the_alternate_keys_use_the_core_vocabulary(base_url: str, version: str) -> None:
    document = _served(base_url, version)

    assert b"Org.OData.Core.V1.AlternateKeys" in document
    assert b"OData.Community.Keys" not in document


def test_the_beta_metadata_publishes_microsofts_capabilities_for_the_learning_paths(base_url: str) -> None:
    served = model(_served(base_url, "beta"))
    prefix = "Annotations microsoft.graph.GraphService/employeeExperience/"

    published = {path.removeprefix(prefix) for path in served if path.startswith(prefix) and "@" in path}

    assert {f"learningProviders@{term}" for term in CAPABILITY_TERMS} | {
        f"learningProviders/learningCourseActivities@{term}" for term in CAPABILITY_TERMS
    } <= published
    assert "learningCourseActivities@Org.OData.Capabilities.V1.ReadRestrictions" in published
    assert "learningProviders/learningContents@Org.OData.Capabilities.V1.UpdateRestrictions" in published


def test_the_v1_metadata_has_no_capabilities_annotations_or_descriptions_as_in_microsofts(
    base_url: str,
) -> None:
    document = _served(base_url, "v1.0")

    assert b"Org.OData.Capabilities.V1" not in document
    assert b"Org.OData.Core.V1.Description" not in document
    assert document != _served(base_url, "beta")


@pytest.mark.parametrize("version", VERSIONS)
def test_every_type_the_metadata_names_is_declared_in_it(base_url: str, version: str) -> None:
    schema = schema_of(_served(base_url, version))
    alias = schema.get("Alias")
    declared = {element.get("Name") for element in schema if element.get("Name")}
    named: set[str] = set()
    for element in schema.iter():
        for attribute in ("Type", "BaseType", "EntityType"):
            value = element.get(attribute, "")
            inner = value.removeprefix("Collection(").removesuffix(")")
            if inner.startswith(f"{alias}."):
                named.add(inner.removeprefix(f"{alias}."))

    assert named - declared == set()


@pytest.mark.parametrize("version", VERSIONS)
def test_the_container_declares_the_singleton_and_the_users_set_the_annotations_target(
    base_url: str, version: str
) -> None:
    schema = schema_of(_served(base_url, version))
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None

    assert container.get("Name") == "GraphService"
    assert _children(container, "Singleton") == {"employeeExperience": "graph.employeeExperience"}
    assert _children(container, "EntitySet") == {"users": "graph.user"}


def _children(container: ET.Element, kind: str) -> dict[str, str]:
    return {
        element.get("Name", ""): element.get("Type") or element.get("EntityType") or ""
        for element in container.findall(f"{EDM}{kind}")
    }
