"""The ways integrators point a GraphServiceClient at learninggraph all reach the API."""

from __future__ import annotations

import importlib
from typing import Any

import httpx

from learninggraph.testing import GRAPH_SCOPE, LocalClientSecretCredential
from tests.sdk.conftest import Sdk, close_client


def _credential(sdk: Sdk) -> LocalClientSecretCredential:
    tenant = sdk.tenant
    return LocalClientSecretCredential(tenant.token_url, tenant.client_id, tenant.client_secret)


def _activities_url(client: Any) -> str:
    """The URL the SDK requests for the tenant's activities."""
    url: str = client.employee_experience.learning_course_activities.to_get_request_information().url
    return url


def test_a_base_url_with_a_trailing_slash_still_reaches_the_api(sdk: Sdk) -> None:
    client = sdk.client(_credential(sdk), base_url=sdk.tenant.base_url)
    client.request_adapter.base_url = f"{sdk.tenant.base_url}/{sdk.version}/"

    page = sdk.run(client.employee_experience.learning_course_activities.get())

    assert (
        _activities_url(client)
        == f"{sdk.tenant.base_url}/{sdk.version}//employeeExperience/learningCourseActivities"
    )
    assert page.value == []


def test_an_httpx_client_with_its_own_base_url_reaches_the_api(sdk: Sdk) -> None:
    package = importlib.import_module(sdk.package)
    adapters = importlib.import_module(f"{sdk.package}.graph_request_adapter")
    auth = importlib.import_module("kiota_authentication_azure.azure_identity_authentication_provider")
    factory = importlib.import_module("msgraph_core").GraphClientFactory
    http_client = factory.create_with_default_middleware(
        client=httpx.AsyncClient(base_url=f"{sdk.tenant.base_url}/{sdk.version}"), options=adapters.options
    )
    adapter = adapters.GraphRequestAdapter(
        auth.AzureIdentityAuthenticationProvider(_credential(sdk), scopes=[GRAPH_SCOPE]), client=http_client
    )
    client = package.GraphServiceClient(request_adapter=adapter)
    try:
        page = sdk.run(client.employee_experience.learning_course_activities.get())
    finally:
        sdk.run(close_client(client))

    assert page.value == []
