"""The CSDL document of one API version, written in Graph's own shape from the resources' CSDL parts.

Types are written as Microsoft's metadata writes them: schema ``microsoft.graph`` with alias ``graph``, members
in alphabetical order, alternate keys in the ``Org.OData.Core.V1`` vocabulary. Beta adds Microsoft's property
descriptions and the Capabilities annotations of the learning paths; v1.0 carries neither, as in Graph. The types
every Graph service shares (``entity``, ``directoryObject``, ``user``, ``dateTimeTimeZone``, ``itemBody``) are
declared here; each resource brings its own types and the navigation it adds to others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from xml.etree import ElementTree as ET

from learninggraph.domain.values import BODY_TYPE
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.resources.metadata import beta_annotations
from learninggraph.resources.metadata.csdl import (
    ALIAS,
    ENTITY_ID,
    NAMESPACE,
    ContainerEntry,
    CsdlParts,
    Declared,
    Member,
    structural,
)
from learninggraph.resources.metadata.vocabulary import EDM, Annotation, alternate_key, description, write

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
CONTAINER = "GraphService"

# Graph's shared types, which the resources' types derive from or refer to.
SHARED = CsdlParts(
    types=(
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
            "directoryObject", (Member("deletedDateTime", "Edm.DateTimeOffset"),), base="entity", open=True
        ),
        Declared("entity", (structural(ENTITY_ID),), abstract=True, key=ENTITY_ID.name),
        Declared("user", (), base="directoryObject", open=True),
    ),
    enums=(BODY_TYPE,),
)


def csdl_document(version: str, resources: Sequence[CsdlParts]) -> bytes:
    """The ``$metadata`` of ``v1.0`` or ``beta`` holding the shared types and the resources' parts."""
    if version not in GRAPH_VERSIONS:
        raise ValueError(f"no metadata for API version {version!r}")
    parts = (SHARED, *resources)
    beta = version == "beta"
    descriptions: Mapping[tuple[str, str], str] = beta_annotations.DESCRIPTIONS if beta else {}
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, f"{{{EDM}}}Schema", {"Namespace": NAMESPACE, "Alias": ALIAS})
    enums = {enum.name: enum for part in parts for enum in part.enums}
    for name in sorted(enums):
        element = ET.SubElement(schema, f"{{{EDM}}}EnumType", {"Name": name})
        for value, member in enumerate(enums[name].members):
            ET.SubElement(element, f"{{{EDM}}}Member", {"Name": member, "Value": str(value)})
    for declared in declarations(parts):
        _type(schema, declared, descriptions)
    _container(schema, [entry for part in parts for entry in part.container])
    if beta:
        for target, annotations in beta_annotations.CAPABILITY_ANNOTATIONS:
            _annotations(schema, target, annotations)
    ET.indent(root, space="  ")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def declarations(parts: Sequence[CsdlParts]) -> list[Declared]:
    """Every type with the members other parts add to it: complex types first, each kind by name.

    A type declared twice, or a member added to a type nobody declares, is a mistake in a descriptor.
    """
    types: dict[str, Declared] = {}
    for part in parts:
        for declared in part.types:
            if declared.name in types:
                raise ValueError(f"the CSDL type {declared.name!r} is declared twice")
            types[declared.name] = declared
    for part in parts:
        for type_name, member in part.members:
            if type_name not in types:
                raise ValueError(f"{member.name!r} is added to {type_name!r}, which no resource declares")
            target = types[type_name]
            types[type_name] = replace(target, members=(*target.members, member))
    return sorted(types.values(), key=lambda declared: (not declared.complex, declared.name))


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


def _container(schema: ET.Element, entries: Sequence[ContainerEntry]) -> None:
    container = ET.SubElement(schema, f"{{{EDM}}}EntityContainer", {"Name": CONTAINER})
    for entry in entries:
        if entry.singleton:
            attributes = {"Name": entry.name, "Type": f"{ALIAS}.{entry.type}"}
            element = ET.SubElement(container, f"{{{EDM}}}Singleton", attributes)
        else:
            attributes = {"Name": entry.name, "EntityType": f"{ALIAS}.{entry.type}"}
            element = ET.SubElement(container, f"{{{EDM}}}EntitySet", attributes)
        for path, target in entry.bindings:
            ET.SubElement(element, f"{{{EDM}}}NavigationPropertyBinding", {"Path": path, "Target": target})


def _annotations(schema: ET.Element, target: str, annotations: Sequence[Annotation]) -> None:
    element = ET.SubElement(schema, f"{{{EDM}}}Annotations", {"Target": target})
    for annotation in annotations:
        write(element, annotation)
