"""The CSDL document of one API version, generated from the entity declarations in Graph's own shape.

Types are written as Microsoft's metadata writes them: schema ``microsoft.graph`` with alias ``graph``, members
in alphabetical order, alternate keys in the ``Org.OData.Core.V1`` vocabulary. Beta adds Microsoft's property
descriptions and the Capabilities annotations of the learning paths; v1.0 carries neither, as in Graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import ASSIGNMENT_TYPE, BODY_TYPE, COURSE_STATUS, LEVEL
from learninggraph.resources.employee_experience.entity import EMPLOYEE_EXPERIENCE_USER
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_course_activities.entity import (
    BASE,
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.metadata import beta_annotations
from learninggraph.resources.metadata.vocabulary import EDM, Annotation, alternate_key, description, write

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
NAMESPACE = "microsoft.graph"
ALIAS = "graph"
CONTAINER = "GraphService"
VERSIONS = ("v1.0", "beta")
ENUMS = sorted((COURSE_STATUS, ASSIGNMENT_TYPE, LEVEL, BODY_TYPE), key=lambda enum: enum.name)


@dataclass(frozen=True, slots=True)
class Member:
    """A structural or navigation property as the document declares it."""

    name: str
    type: str
    nullable: bool = True
    navigation: bool = False
    contained: bool = False


@dataclass(frozen=True, slots=True)
class Declared:
    """A complex or entity type: what its element carries, before the version's annotations."""

    name: str
    members: tuple[Member, ...]
    complex: bool = False
    base: str | None = None
    abstract: bool = False
    open: bool = False
    key: str | None = None
    alternate_key: str | None = None


def _structural(prop: Property) -> Member:
    if prop.kind is Kind.DATETIME_TIME_ZONE:
        edm_type = f"{ALIAS}.dateTimeTimeZone"
    elif prop.kind is Kind.ITEM_BODY:
        edm_type = f"{ALIAS}.itemBody"
    else:
        edm_type = _aliased(prop.edm_type)
    return Member(prop.name, edm_type, nullable=prop.nullable)


def _aliased(type_name: str) -> str:
    prefix = f"{NAMESPACE}."
    return ALIAS + "." + type_name.removeprefix(prefix) if type_name.startswith(prefix) else type_name


def _own(entity: EntityType, inherited: Sequence[Property]) -> tuple[Member, ...]:
    """The properties an entity declares itself, not those of its base types."""
    names = {p.name for p in inherited}
    return tuple(_structural(p) for p in entity.properties if p.name not in names)


def _collection_of(name: str, type_name: str, *, contained: bool) -> Member:
    return Member(name, f"Collection({ALIAS}.{type_name})", navigation=True, contained=contained)


def _declarations() -> tuple[Declared, ...]:
    entity_id = EMPLOYEE_EXPERIENCE_USER.properties[0]
    return (
        Declared(
            "dateTimeTimeZone",
            (Member("dateTime", "Edm.String", nullable=False), Member("timeZone", "Edm.String")),
            complex=True,
        ),
        Declared(
            "itemBody",
            (Member("content", "Edm.String"), Member("contentType", f"{ALIAS}.bodyType")),
            complex=True,
        ),
        # Graph's base of every directory object; declared so that user has its true base type.
        Declared(
            "directoryObject",
            (Member("deletedDateTime", "Edm.DateTimeOffset"),),
            base="entity",
            open=True,
        ),
        Declared(
            "employeeExperience",
            (
                _collection_of("learningCourseActivities", "learningCourseActivity", contained=True),
                _collection_of("learningProviders", "learningProvider", contained=True),
            ),
        ),
        Declared(
            EMPLOYEE_EXPERIENCE_USER.name,
            (_collection_of("learningCourseActivities", "learningCourseActivity", contained=False),),
            base="entity",
        ),
        Declared("entity", (_structural(entity_id),), abstract=True, key=entity_id.name),
        Declared(LEARNING_ASSIGNMENT.name, _own(LEARNING_ASSIGNMENT, BASE), base="learningCourseActivity"),
        Declared(
            LEARNING_CONTENT.name,
            _own(LEARNING_CONTENT, (entity_id,)),
            base="entity",
            alternate_key="externalId",
        ),
        Declared(
            "learningCourseActivity",
            tuple(_structural(p) for p in BASE if p.name != entity_id.name),
            base="entity",
            alternate_key="externalcourseActivityId",
        ),
        Declared(
            LEARNING_PROVIDER.name,
            (
                *_own(LEARNING_PROVIDER, (entity_id,)),
                _collection_of("learningContents", "learningContent", contained=True),
                _collection_of("learningCourseActivities", "learningCourseActivity", contained=True),
            ),
            base="entity",
        ),
        Declared(
            LEARNING_SELF_INITIATED_COURSE.name,
            _own(LEARNING_SELF_INITIATED_COURSE, BASE),
            base="learningCourseActivity",
        ),
        Declared(
            "user",
            (
                Member(
                    "employeeExperience",
                    f"{ALIAS}.{EMPLOYEE_EXPERIENCE_USER.name}",
                    navigation=True,
                    contained=True,
                ),
            ),
            base="directoryObject",
            open=True,
        ),
    )


def csdl_document(version: str) -> bytes:
    """The ``$metadata`` of ``v1.0`` or ``beta``."""
    if version not in VERSIONS:
        raise ValueError(f"no metadata for API version {version!r}")
    beta = version == "beta"
    descriptions: Mapping[tuple[str, str], str] = beta_annotations.DESCRIPTIONS if beta else {}
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, f"{{{EDM}}}Schema", {"Namespace": NAMESPACE, "Alias": ALIAS})
    for enum in ENUMS:
        element = ET.SubElement(schema, f"{{{EDM}}}EnumType", {"Name": enum.name})
        for value, member in enumerate(enum.members):
            ET.SubElement(element, f"{{{EDM}}}Member", {"Name": member, "Value": str(value)})
    for declared in _declarations():
        _type(schema, declared, descriptions)
    _container(schema)
    if beta:
        for target, annotations in beta_annotations.CAPABILITY_ANNOTATIONS:
            _annotations(schema, target, annotations)
    ET.indent(root, space="  ")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _type(schema: ET.Element, declared: Declared, descriptions: Mapping[tuple[str, str], str]) -> None:
    attributes = {"Name": declared.name}
    if declared.base is not None:
        attributes["BaseType"] = f"{ALIAS}.{declared.base}"
    if declared.abstract:
        attributes["Abstract"] = "true"
    if declared.open:
        attributes["OpenType"] = "true"
    kind = "ComplexType" if declared.complex else "EntityType"
    element = ET.SubElement(schema, f"{{{EDM}}}{kind}", attributes)
    if declared.key is not None:
        key = ET.SubElement(element, f"{{{EDM}}}Key")
        ET.SubElement(key, f"{{{EDM}}}PropertyRef", {"Name": declared.key})
    structural = sorted((m for m in declared.members if not m.navigation), key=lambda m: m.name)
    navigation = sorted((m for m in declared.members if m.navigation), key=lambda m: m.name)
    for member in (*structural, *navigation):
        member_attributes = {"Name": member.name, "Type": member.type}
        if not member.nullable:
            member_attributes["Nullable"] = "false"
        if member.contained:
            member_attributes["ContainsTarget"] = "true"
        tag = "NavigationProperty" if member.navigation else "Property"
        child = ET.SubElement(element, f"{{{EDM}}}{tag}", member_attributes)
        text = descriptions.get((declared.name, member.name))
        if text is not None:
            write(child, description(text))
    if declared.alternate_key is not None:
        write(element, alternate_key(declared.alternate_key))


def _container(schema: ET.Element) -> None:
    container = ET.SubElement(schema, f"{{{EDM}}}EntityContainer", {"Name": CONTAINER})
    users = ET.SubElement(container, f"{{{EDM}}}EntitySet", {"Name": "users", "EntityType": f"{ALIAS}.user"})
    ET.SubElement(
        users,
        f"{{{EDM}}}NavigationPropertyBinding",
        {
            "Path": "employeeExperience/learningCourseActivities",
            "Target": "employeeExperience/learningCourseActivities",
        },
    )
    ET.SubElement(
        container,
        f"{{{EDM}}}Singleton",
        {"Name": "employeeExperience", "Type": f"{ALIAS}.employeeExperience"},
    )


def _annotations(schema: ET.Element, target: str, annotations: Sequence[Annotation]) -> None:
    element = ET.SubElement(schema, f"{{{EDM}}}Annotations", {"Target": target})
    for annotation in annotations:
        write(element, annotation)
