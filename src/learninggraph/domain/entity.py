"""Declarations of Graph entity types: one place that names each property, its type and its column.

The same declaration drives body validation, JSON rendering, ``$select``/``$filter``/``$orderby``
checks and the SQL column a property maps to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from learninggraph.domain.values import EnumType


class Kind(StrEnum):
    STRING = "Edm.String"
    BOOLEAN = "Edm.Boolean"
    INT32 = "Edm.Int32"
    DATETIME = "Edm.DateTimeOffset"
    DURATION = "Edm.Duration"
    ENUM = "Edm.Enum"
    STRING_LIST = "Collection(Edm.String)"
    DATETIME_TIME_ZONE = "microsoft.graph.dateTimeTimeZone"
    ITEM_BODY = "microsoft.graph.itemBody"


SCALAR_KINDS = frozenset({Kind.STRING, Kind.BOOLEAN, Kind.INT32, Kind.DATETIME, Kind.ENUM})


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    kind: Kind
    column: str
    nullable: bool = True
    enum: EnumType | None = None
    aliases: tuple[str, ...] = ()
    max_length: int = 2048
    is_url: bool = False

    @property
    def is_filterable(self) -> bool:
        return self.kind in SCALAR_KINDS

    @property
    def is_sortable(self) -> bool:
        return self.kind in SCALAR_KINDS

    @property
    def edm_type(self) -> str:
        if self.kind is Kind.ENUM:
            assert self.enum is not None
            return f"microsoft.graph.{self.enum.name}"
        return str(self.kind)


@dataclass(frozen=True)
class EntityType:
    """A Graph entity type; ``properties`` includes ``id`` and inherited properties."""

    name: str
    properties: tuple[Property, ...]
    base: str = "entity"
    _by_name: dict[str, Property] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Property] = {}
        for prop in self.properties:
            by_name[prop.name] = prop
            for alias in prop.aliases:
                by_name[alias] = prop
        object.__setattr__(self, "_by_name", by_name)

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.name}"

    def property_named(self, name: str) -> Property | None:
        """The property a JSON or query name refers to, aliases included."""
        return self._by_name.get(name)


def union_of(name: str, *types: EntityType) -> EntityType:
    """The properties of several derived types, for queries over a polymorphic collection."""
    seen: dict[str, Property] = {}
    for entity_type in types:
        for prop in entity_type.properties:
            seen.setdefault(prop.name, prop)
    return EntityType(name=name, properties=tuple(seen.values()))
