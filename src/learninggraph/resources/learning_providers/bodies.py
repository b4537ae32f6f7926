"""The JSON schema of a provider's write body in ``/openapi.json``: what a POST or PATCH accepts."""

from __future__ import annotations

from typing import Any

from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER, REQUIRED_ON_CREATE, WRITABLE
from learninggraph.resources.openapi_requests import closed


def provider_body(api_version: str, path: str, create: bool) -> dict[str, Any]:
    return closed(LEARNING_PROVIDER, WRITABLE, REQUIRED_ON_CREATE if create else ())
