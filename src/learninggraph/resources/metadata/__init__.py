"""The OData service documents (``$metadata``) of v1.0 and beta, each shaped as Microsoft's CSDL for its version.

What a resource declares (``csdl``) loads with the resources; the writer of the documents (``csdl_document``,
with ElementTree and the vocabularies) when it is first named, as a server builds ``$metadata`` on its first read.
"""

from typing import TYPE_CHECKING, Any

from learninggraph.resources.metadata.csdl import (
    ALIAS,
    ENTITY_ID,
    ContainerEntry,
    CsdlParts,
    Declared,
    Member,
    collection_of,
    own,
    structural,
)

if TYPE_CHECKING:
    from learninggraph.resources.metadata.document import csdl_document

__all__ = [
    "ALIAS",
    "ENTITY_ID",
    "ContainerEntry",
    "CsdlParts",
    "Declared",
    "Member",
    "collection_of",
    "csdl_document",
    "own",
    "structural",
]


def __getattr__(name: str) -> Any:
    if name == "csdl_document":
        from learninggraph.resources.metadata.document import csdl_document

        return csdl_document
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
