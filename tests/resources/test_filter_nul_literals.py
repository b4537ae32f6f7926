"""A ``$filter`` string holding a NUL character is refused as an invalid filter clause on every backend, as a
body's value holding one is: no stored text holds one, and PostgreSQL cannot be asked about one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import Catalogue

NUL_MESSAGE = "Invalid filter clause: a string holds a NUL character, which is not text."


def _contents(catalogue: Catalogue, expression: str) -> httpx.Response:
    tenant = catalogue.tenant
    url = tenant.url(f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningContents")
    return tenant.app(["LearningContent.Read.All"]).get(url, params={"$filter": expression})


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error: dict[str, Any] = response.json()["error"]
    return response.status_code, error["code"], error["message"]


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("externalId eq 'a\x00b'", id="eq"),
        pytest.param("externalId in ('a', 'b\x00')", id="in"),
        pytest.param("startswith(title, 'a\x00')", id="startswith"),
    ],
)
def test_a_filter_string_holding_a_nul_character_is_an_invalid_filter_clause(
    catalogue: Catalogue, expression: str
) -> None:
    assert _error(_contents(catalogue, expression)) == (400, "badRequest", NUL_MESSAGE)
