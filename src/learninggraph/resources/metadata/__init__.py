"""The OData service documents (``$metadata``) of v1.0 and beta, each shaped as Microsoft's CSDL for its version."""

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
