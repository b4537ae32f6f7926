"""The parts of a CSDL document a resource declares: its types, the members it adds to others' types, its enums
and its entity-container entries. ``metadata.document`` writes them; each resource's descriptor holds its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import EnumType

NAMESPACE = "microsoft.graph"
ALIAS = "graph"
# Graph's base of every entity: its key, which every entity type of a resource inherits.
ENTITY_ID = Property("id", Kind.STRING, "id", nullable=False)


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


@dataclass(frozen=True, slots=True)
class ContainerEntry:
    """An ``EntitySet`` (``singleton=False``) or ``Singleton`` of the ``GraphService`` container.

    ``bindings``: the set's ``NavigationPropertyBinding`` elements, as (path, target) pairs.
    """

    name: str
    type: str
    singleton: bool = False
    bindings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CsdlParts:
    """What one resource adds to ``$metadata``.

    ``members``: navigation properties it adds to a type declared elsewhere, as (type name, member) pairs
    (a resource contained in a provider adds its collection to ``learningProvider``).
    """

    types: tuple[Declared, ...] = ()
    members: tuple[tuple[str, Member], ...] = ()
    enums: tuple[EnumType, ...] = ()
    container: tuple[ContainerEntry, ...] = ()


def structural(prop: Property) -> Member:
    """The member that declares an entity's property."""
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


def own(entity: EntityType, inherited: Sequence[Property]) -> tuple[Member, ...]:
    """The properties an entity declares itself, not those of its base types."""
    names = {p.name for p in inherited}
    return tuple(structural(p) for p in entity.properties if p.name not in names)


def collection_of(name: str, type_name: str, *, contained: bool) -> Member:
    """A navigation property to a collection of ``type_name``."""
    return Member(name, f"Collection({ALIAS}.{type_name})", navigation=True, contained=contained)
