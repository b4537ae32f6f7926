"""The OData CSDL ($metadata) of the learning types, generated from the entity declarations."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import ASSIGNMENT_TYPE, BODY_TYPE, COURSE_STATUS, LEVEL, EnumType
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_course_activities.entity import (
    BASE,
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NAMESPACE = "microsoft.graph"
ENUMS = (COURSE_STATUS, ASSIGNMENT_TYPE, LEVEL, BODY_TYPE)
ALTERNATE_KEYS = {"learningContent": "externalId", "learningCourseActivity": "externalcourseActivityId"}


def csdl_document() -> bytes:
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, f"{{{EDM}}}Schema", {"Namespace": NAMESPACE})
    for enum in ENUMS:
        _enum(schema, enum)
    _complex(
        schema, "dateTimeTimeZone", (("dateTime", "Edm.String", False), ("timeZone", "Edm.String", True))
    )
    _complex(
        schema, "itemBody", (("content", "Edm.String", True), ("contentType", f"{NAMESPACE}.bodyType", True))
    )
    entity = _entity(schema, "entity", (), abstract=True)
    ET.SubElement(ET.SubElement(entity, f"{{{EDM}}}Key"), f"{{{EDM}}}PropertyRef", {"Name": "id"})
    _property(entity, LEARNING_PROVIDER.properties[0])
    provider = _entity(schema, LEARNING_PROVIDER.name, _own(LEARNING_PROVIDER, ("id",)), base="entity")
    _navigation(provider, "learningContents", "learningContent", contained=True)
    _navigation(provider, "learningCourseActivities", "learningCourseActivity", contained=True)
    _entity(schema, LEARNING_CONTENT.name, _own(LEARNING_CONTENT, ("id",)), base="entity")
    _entity(schema, "learningCourseActivity", tuple(p for p in BASE if p.name != "id"), base="entity")
    base_names = tuple(p.name for p in BASE)
    for derived in (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE):
        _entity(schema, derived.name, _own(derived, base_names), base="learningCourseActivity")
    experience = _entity(schema, "employeeExperience", ())
    _navigation(experience, "learningProviders", "learningProvider", contained=True)
    _navigation(experience, "learningCourseActivities", "learningCourseActivity", contained=True)
    experience_user = _entity(schema, "employeeExperienceUser", (), base="entity")
    _navigation(experience_user, "learningCourseActivities", "learningCourseActivity", contained=False)
    user = _entity(schema, "user", (), base="entity")
    _navigation(user, "employeeExperience", "employeeExperienceUser", contained=True, collection=False)
    container = ET.SubElement(schema, f"{{{EDM}}}EntityContainer", {"Name": "GraphService"})
    ET.SubElement(
        container,
        f"{{{EDM}}}Singleton",
        {"Name": "employeeExperience", "Type": f"{NAMESPACE}.employeeExperience"},
    )
    users = ET.SubElement(
        container, f"{{{EDM}}}EntitySet", {"Name": "users", "EntityType": f"{NAMESPACE}.user"}
    )
    ET.SubElement(
        users,
        f"{{{EDM}}}NavigationPropertyBinding",
        {
            "Path": "employeeExperience/learningCourseActivities",
            "Target": "employeeExperience/learningCourseActivities",
        },
    )
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _own(entity: EntityType, inherited: tuple[str, ...]) -> tuple[Property, ...]:
    return tuple(p for p in entity.properties if p.name not in inherited)


def _enum(schema: ET.Element, enum: EnumType) -> None:
    element = ET.SubElement(schema, f"{{{EDM}}}EnumType", {"Name": enum.name})
    for value, member in enumerate(enum.members):
        ET.SubElement(element, f"{{{EDM}}}Member", {"Name": member, "Value": str(value)})


def _complex(schema: ET.Element, name: str, properties: tuple[tuple[str, str, bool], ...]) -> None:
    element = ET.SubElement(schema, f"{{{EDM}}}ComplexType", {"Name": name})
    for prop_name, edm_type, nullable in properties:
        attributes = {"Name": prop_name, "Type": edm_type}
        if not nullable:
            attributes["Nullable"] = "false"
        ET.SubElement(element, f"{{{EDM}}}Property", attributes)


def _entity(
    schema: ET.Element,
    name: str,
    properties: tuple[Property, ...],
    *,
    base: str | None = None,
    abstract: bool = False,
) -> ET.Element:
    attributes = {"Name": name}
    if base is not None:
        attributes["BaseType"] = f"{NAMESPACE}.{base}"
    if abstract:
        attributes["Abstract"] = "true"
    element = ET.SubElement(schema, f"{{{EDM}}}EntityType", attributes)
    for prop in properties:
        _property(element, prop)
    if name in ALTERNATE_KEYS:
        _alternate_key(element, ALTERNATE_KEYS[name])
    return element


def _property(element: ET.Element, prop: Property) -> None:
    edm_type = prop.edm_type
    if prop.kind is Kind.DATETIME_TIME_ZONE:
        edm_type = f"{NAMESPACE}.dateTimeTimeZone"
    elif prop.kind is Kind.ITEM_BODY:
        edm_type = f"{NAMESPACE}.itemBody"
    attributes = {"Name": prop.name, "Type": edm_type}
    if not prop.nullable:
        attributes["Nullable"] = "false"
    ET.SubElement(element, f"{{{EDM}}}Property", attributes)


def _navigation(
    element: ET.Element, name: str, target: str, *, contained: bool, collection: bool = True
) -> None:
    type_name = f"Collection({NAMESPACE}.{target})" if collection else f"{NAMESPACE}.{target}"
    attributes = {"Name": name, "Type": type_name}
    if contained:
        attributes["ContainsTarget"] = "true"
    ET.SubElement(element, f"{{{EDM}}}NavigationProperty", attributes)


def _alternate_key(element: ET.Element, property_name: str) -> None:
    annotation = ET.SubElement(
        element, f"{{{EDM}}}Annotation", {"Term": "OData.Community.Keys.V1.AlternateKeys"}
    )
    collection = ET.SubElement(annotation, f"{{{EDM}}}Collection")
    record = ET.SubElement(collection, f"{{{EDM}}}Record", {"Type": "OData.Community.Keys.V1.AlternateKey"})
    prop_value = ET.SubElement(record, f"{{{EDM}}}PropertyValue", {"Property": "Key"})
    inner = ET.SubElement(prop_value, f"{{{EDM}}}Collection")
    ref = ET.SubElement(inner, f"{{{EDM}}}Record", {"Type": "OData.Community.Keys.V1.PropertyRef"})
    ET.SubElement(ref, f"{{{EDM}}}PropertyValue", {"Property": "Alias", "String": property_name})
    ET.SubElement(ref, f"{{{EDM}}}PropertyValue", {"Property": "Name", "PropertyPath": property_name})
