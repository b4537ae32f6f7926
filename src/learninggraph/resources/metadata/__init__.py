"""The OData service documents (``$metadata``) of v1.0 and beta, each shaped as Microsoft's CSDL for its version."""

from learninggraph.resources.metadata.document import csdl_document

__all__ = ["csdl_document"]
