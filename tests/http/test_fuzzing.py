"""A bounded schemathesis run against the live server, driven by its own OpenAPI document.

Every generated request must get a documented status with a body that matches the document, never a
5xx and never a stack trace. The long run is ``bench/fuzz.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.builders import ALL_DELEGATED_READS, Tenant

DELEGATED_PREFIXES = ("/v1.0/users", "/beta/users", "/v1.0/me", "/beta/me")


@pytest.fixture
def tokens(tenant: Tenant) -> dict[str, str]:
    user_scopes = [*ALL_DELEGATED_READS, "LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]
    return {"application": tenant.app_token(), "delegated": tenant.user_token(scopes=user_scopes)}


def _token_for(path: str, tokens: dict[str, str]) -> str:
    provider_only = path.rstrip("/").endswith(
        ("learningProviders", "{provider}", "$ref", "learningProviders/$count")
    )
    if path.startswith(DELEGATED_PREFIXES) or (
        provider_only and "learningContents" not in path and "learningCourseActivities" not in path
    ):
        return tokens["delegated"]
    return tokens["application"]


MAX_EXAMPLES_PER_OPERATION = 4


def run_operations(base_url: str, tokens: dict[str, str], *, max_examples: int) -> int:
    """Fuzzes every operation of the served document; returns how many requests were sent."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the served OpenAPI document is invalid: {result.err()}")
        operation = result.ok()
        if operation.path.endswith("/$batch"):
            # A batch's items are arbitrary requests; tests/http/test_batch.py covers them.
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            nonlocal sent
            token = _token_for(case.path, tokens)
            response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
            sent += 1
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            assert "Traceback" not in response.text
            assert 'File "' not in response.text
            case.validate_response(
                response,
                checks=(status_code_conformance, content_type_conformance, response_schema_conformance),
            )

        check()
    return sent


def test_generated_requests_get_documented_answers_and_never_a_server_error(
    base_url: str, tokens: dict[str, str]
) -> None:
    sent = run_operations(base_url, tokens, max_examples=MAX_EXAMPLES_PER_OPERATION)

    assert sent > 100
