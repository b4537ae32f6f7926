"""The official GraphServiceClient for tests outside tests/sdk: a fixed token and a transport we close."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from azure.core.credentials import AccessToken


class StaticToken:
    """A credential for the SDK: any object with get_token(*scopes, **kw) -> AccessToken."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


@asynccontextmanager
async def graph_client(
    base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Any]:
    """The official client with its default middleware pointed at this server; connections closed afterwards."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    network = transport or httpx.AsyncHTTPTransport()
    async with httpx.AsyncClient(transport=network) as http:
        auth = AzureIdentityAuthenticationProvider(
            StaticToken(token), scopes=["https://graph.microsoft.com/.default"]
        )
        adapter = GraphRequestAdapter(
            auth, client=GraphClientFactory.create_with_default_middleware(client=http)
        )
        client = GraphServiceClient(request_adapter=adapter)
        client.request_adapter.base_url = f"{base_url}/v1.0"
        try:
            yield client
        finally:
            # msgraph-core's transport wrapper does not pass aclose on to the transport it wraps.
            await network.aclose()
