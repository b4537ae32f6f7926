"""The pytest plugin: the ``learninggraph`` fixture as a provider vendor's test suite uses it."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from importlib.metadata import entry_points

import httpx
import pytest

from learninggraph.testing import (
    LearningGraph,
    LearningGraphServer,
    TokenRequestError,
    graph_service_client,
    request_token,
)

pytest_plugins = ["pytester"]

LOGOS = {
    "long_logo_web_url_for_dark_theme": "https://vendor.example/1.png",
    "long_logo_web_url_for_light_theme": "https://vendor.example/2.png",
    "square_logo_web_url_for_dark_theme": "https://vendor.example/3.png",
    "square_logo_web_url_for_light_theme": "https://vendor.example/4.png",
}


def _get(learninggraph: LearningGraph, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{learninggraph.graph_url}{path}", headers={"Authorization": f"Bearer {token}"})


def test_the_app_token_reads_the_fresh_tenants_empty_activities(learninggraph: LearningGraph) -> None:
    response = _get(learninggraph, "/employeeExperience/learningCourseActivities", learninggraph.app_token())

    assert response.status_code == 200
    assert response.json()["value"] == []


def test_a_user_token_carries_only_the_scopes_asked_for(learninggraph: LearningGraph) -> None:
    token = learninggraph.user_token(["LearningProvider.Read"])

    providers = _get(learninggraph, "/employeeExperience/learningProviders", token)
    activities = _get(learninggraph, "/me/employeeExperience/learningCourseActivities", token)

    assert providers.status_code == 200
    assert activities.status_code == 403


def test_a_new_tenant_is_another_tenant_on_the_same_server(
    learninggraph: LearningGraph, learninggraph_server: LearningGraphServer
) -> None:
    other = learninggraph_server.new_tenant()

    assert other.tenant_id != learninggraph.tenant_id
    assert other.base_url == learninggraph.base_url
    assert other.token_url == f"{learninggraph.base_url}/{other.tenant_id}/oauth2/v2.0/token"


def test_the_dev_identity_is_served_too(learninggraph_server: LearningGraphServer) -> None:
    dev = learninggraph_server.dev

    response = _get(dev, "/employeeExperience/learningCourseActivities", dev.app_token())

    assert response.status_code == 200


def test_a_wrong_secret_is_a_token_request_error_with_entras_code(learninggraph: LearningGraph) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": learninggraph.client_id,
        "client_secret": "not-the-secret",
        "scope": "https://graph.microsoft.com/.default",
    }

    with pytest.raises(TokenRequestError) as refused:
        request_token(learninggraph.token_url, form)

    assert refused.value.status == 401
    assert refused.value.error == "invalid_client"
    assert refused.value.description.startswith("AADSTS7000215: ")


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_the_graph_client_works_across_separate_event_loops(
    learninggraph: LearningGraph, version: str
) -> None:
    client = learninggraph.graph_client(version, delegated=True)
    package = "msgraph" if version == "v1.0" else "msgraph_beta"
    models = importlib.import_module(f"{package}.generated.models.learning_provider")

    created = asyncio.run(
        client.employee_experience.learning_providers.post(
            models.LearningProvider(display_name="Vendor Academy", **LOGOS)
        )
    )
    listed = asyncio.run(client.employee_experience.learning_providers.get())

    assert [p.id for p in listed.value] == [created.id]


def test_a_graph_client_without_the_sdk_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "msgraph", None)

    with pytest.raises(ImportError, match="pip install msgraph-sdk"):
        graph_service_client("http://127.0.0.1:1/v1.0", object())


def test_learninggraph_testing_imports_in_an_environment_without_pytest() -> None:
    probe = (
        "import sys; sys.modules['pytest'] = None; "
        "from learninggraph.testing import LocalClientSecretCredential, running_server, local_server; "
        "print('imported')"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "imported\n"


def test_the_pytest11_entry_point_names_the_module_holding_the_fixtures() -> None:
    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "learninggraph"]

    plugin = entry.load()

    assert plugin.__name__ == "learninggraph.pytest_plugin"
    assert {"_learninggraph", "_learninggraph_server", "pytest_configure"} <= set(vars(plugin))


def test_importing_the_plugin_starts_nothing_and_loads_no_server_code() -> None:
    probe = (
        "import sys, learninggraph.pytest_plugin; "
        "print(sorted(m for m in ('uvicorn', 'learninggraph.app', 'msgraph', 'httpx') if m in sys.modules))"
    )

    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "[]"


def test_a_vendor_test_file_needs_only_the_fixture_and_gets_a_tenant_per_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx

        tenants = []

        def test_first(learninggraph):
            tenants.append(learninggraph.tenant_id)
            response = httpx.get(
                learninggraph.graph_url + "/employeeExperience/learningCourseActivities",
                headers={"Authorization": "Bearer " + learninggraph.app_token()},
            )
            assert response.json()["value"] == []

        def test_second(learninggraph):
            tenants.append(learninggraph.tenant_id)
            assert tenants[0] != tenants[1]
            assert learninggraph.beta_url == learninggraph.base_url + "/beta"
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=2)


def test_a_strict_vendor_suite_drives_the_sdk_in_a_fresh_process(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        f"""
        import asyncio
        from msgraph.generated.models.learning_provider import LearningProvider

        def test_register_a_provider(learninggraph):
            client = learninggraph.graph_client(delegated=True)
            body = LearningProvider(display_name="Vendor Academy", **{LOGOS!r})
            created = asyncio.run(client.employee_experience.learning_providers.post(body))
            providers = client.employee_experience.learning_providers
            read = asyncio.run(providers.by_learning_provider_id(created.id).get())
            assert read.display_name == "Vendor Academy"
        """
    )

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=1)


def test_failed_sign_ins_do_not_lock_the_suite_out(learninggraph: LearningGraph) -> None:
    form = {
        "grant_type": "password",
        "client_id": learninggraph.client_id,
        "username": learninggraph.user_principal_name,
        "password": "wrong",
        "scope": "https://graph.microsoft.com/.default",
    }
    for _ in range(12):
        with pytest.raises(TokenRequestError):
            request_token(learninggraph.token_url, form)

    assert learninggraph.user_token()
