"""The JSON schema of a content's write body in ``/openapi.json``: what a POST or PATCH accepts."""

from __future__ import annotations

from typing import Any

from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT, REQUIRED_ON_CREATE, WRITABLE
from learninggraph.resources.openapi_requests import closed


def content_body(api_version: str, path: str, create: bool) -> dict[str, Any]:
    """``create``: a POST; else a PATCH, which never changes externalId, and which creates the content when the
    URL's ``externalId`` names none: then the other required fields are needed."""
    if create:
        return closed(LEARNING_CONTENT, WRITABLE, REQUIRED_ON_CREATE)
    keyed = "externalId=" in path
    required = [name for name in REQUIRED_ON_CREATE if name != "externalId"] if keyed else []
    return closed(LEARNING_CONTENT, WRITABLE - {"externalId"}, required)
