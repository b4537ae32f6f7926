"""Schemathesis runs against the live server, driven by its own OpenAPI document.

Every generated request must get a documented status with a body that matches the document, never a
5xx and never a stack trace. The stateless run fuzzes each operation alone; the stateful run follows
the document's links, so that fuzzed sequences create, read, update and delete providers, contents
and activities, signed in as an application and as users of several roles. The long runs are
``bench/fuzz.py``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.generation.stateful.state_machine import DEFAULT_STATE_MACHINE_SETTINGS
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Application, Directory, User
from learninggraph.identity.tokens import TokenIssuer
from tests.builders import ALL_DELEGATED_READS, Tenant

DELEGATED_PREFIXES = ("/v1.0/users", "/beta/users", "/v1.0/me", "/beta/me")
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
SUCCESS_STATUSES = frozenset({200, 201, 202, 204})
# What a plain learner's app asks for: their own activities and the catalogue.
LEARNER_SCOPES = (
    "LearningProvider.Read",
    "LearningContent.Read.All",
    "LearningAssignedCourse.Read",
    "LearningSelfInitiatedCourse.Read",
)


@dataclass(frozen=True)
class FuzzIdentities:
    """Who the stateful fuzzer signs in as: the one place that knows how these identities are made.

    ``application``: an app holding every learning application permission (contents and activities).
    ``administrator``: a user signed in through that app with every delegated scope (providers, /me,
    /users); most activities name them as learner, so /me reaches them. ``learner``: a plain user with
    the learner's scopes. ``unlicensed``: a user without a learning licence, named by a few activities.
    """

    app: Application
    administrator: User
    learner: User
    unlicensed: User

    @classmethod
    def create(cls, directory: Directory, tenant_id: str) -> FuzzIdentities:
        app, _ = directory.create_application(
            tenant_id=tenant_id,
            name="fuzz",
            permissions=APPLICATION_PERMISSIONS,
            delegated_permissions=DELEGATED_PERMISSIONS,
        )
        return cls(
            app=app,
            administrator=directory.create_user(
                tenant_id=tenant_id,
                display_name="Fuzz Administrator",
                licensed=True,
                roles=[KNOWLEDGE_ADMINISTRATOR],
            ),
            learner=directory.create_user(tenant_id=tenant_id, display_name="Fuzz Learner", licensed=True),
            unlicensed=directory.create_user(
                tenant_id=tenant_id, display_name="Fuzz Visitor", licensed=False
            ),
        )

    def tokens(self, issuer: TokenIssuer) -> dict[str, str]:
        """Fresh bearer tokens by role (minted per round, so a long run never meets an expired one)."""
        return {
            "application": issuer.application_token(self.app)[0],
            "administrator": issuer.delegated_token(
                self.app.client_id, self.administrator, sorted(DELEGATED_PERMISSIONS)
            )[0],
            "learner": issuer.delegated_token(self.app.client_id, self.learner, LEARNER_SCOPES)[0],
        }

    @property
    def learners(self) -> tuple[str, ...]:
        """The learnerUserId values a created activity names, weighted towards the administrator."""
        return (self.administrator.id,) * 7 + (self.learner.id,) * 2 + (self.unlicensed.id,)


def role_for(path: str) -> str:
    """The role whose token succeeds on an operation: users for providers, /me and /users, else the app."""
    if path.startswith(DELEGATED_PREFIXES):
        return "administrator"
    if "/learningContents" in path or "learningCourseActivities" in path:
        return "application"
    return "administrator"


@dataclass
class Tally:
    """What a stateful run sent and got: answers by operation and status, and every broken answer."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)

    def successes(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for (label, status), n in self.statuses.items():
            if status in SUCCESS_STATUSES:
                found[label] += n
        return found


def stateful_machine(
    base_url: str,
    tokens: Callable[[], dict[str, str]],
    learners: tuple[str, ...],
    tally: Tally,
    session: requests.Session,
    *,
    seed: int,
    path_regex: str | None = None,
) -> type[Any]:
    """A schemathesis state machine over the served document, signing each request with the right role.

    One request in ten goes out with another role's token, so refusals are fuzzed too. ``path_regex``
    keeps the operations whose path matches (such as one API version).
    """
    schema: BaseSchema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    if path_regex is not None:
        schema = schema.include(path_regex=path_regex)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        allow_x00=False,
        with_security_parameters=False,
    )
    rng = random.Random(seed)
    current: dict[str, str] = {}

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            if not current:
                current.update(tokens())

        def before_call(self, case: Case[Any]) -> None:
            # Values no earlier answer holds: a directory user as learner, and a provider that syncs
            # activities (most of the time, so the refusals stay fuzzed as well).
            body = case.body
            if case.method != "POST" or not isinstance(body, dict) or rng.random() < 0.1:
                return
            if "learnerUserId" in body:
                body["learnerUserId"] = rng.choice(learners)
            if case.path.endswith("/learningProviders"):
                body["isCourseActivitySyncEnabled"] = True

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            role = role_for(case.path) if rng.random() < 0.9 else rng.choice(sorted(current))
            return {
                "base_url": base_url,
                "session": session,
                "headers": {"Authorization": f"Bearer {current[role]}"},
            }

        def after_call(self, response: Response, case: Case[Any]) -> None:
            super().after_call(response, case)
            tally.statuses[(case.operation.label, response.status_code)] += 1

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            if response.status_code >= 500 or "Traceback" in response.text or 'File "' in response.text:
                tally.failures.append(f"{where}: {response.text[:500]}")
            try:
                case.validate_response(response, checks=CONFORMANCE, transport_kwargs=kwargs or None)
            except FailureGroup as exc:
                tally.failures.append(f"{where}: {exc}")

    def refresh() -> None:
        current.clear()

    Machine.refresh_tokens = staticmethod(refresh)
    return Machine


def run_stateful(
    base_url: str,
    tokens: Callable[[], dict[str, str]],
    learners: tuple[str, ...],
    *,
    max_requests: int,
    max_seconds: float,
    steps: int = 40,
    scenarios_per_round: int = 5,
    seed: int = 0,
    path_regex: str | None = None,
    on_round: Callable[[Tally], None] | None = None,
    done: Callable[[Tally], bool] | None = None,
) -> Tally:
    """Runs rounds of fuzzed scenarios until the request budget or the time bound is spent, or ``done``."""
    tally = Tally()
    round_settings = hypothesis.settings(
        DEFAULT_STATE_MACHINE_SETTINGS,
        max_examples=scenarios_per_round,
        stateful_step_count=steps,
        database=None,
        # Hypothesis derandomizes under CI=true: every round would replay the same scenarios.
        derandomize=False,
    )
    deadline = time.monotonic() + max_seconds
    with requests.Session() as session:  # one kept-alive connection for the whole run
        machine = stateful_machine(
            base_url, tokens, learners, tally, session, seed=seed, path_regex=path_regex
        )
        while tally.requests < max_requests and time.monotonic() < deadline:
            machine.refresh_tokens()
            machine.run(settings=round_settings)
            if on_round is not None:
                on_round(tally)
            if done is not None and done(tally):
                break
    return tally


MAX_EXAMPLES_PER_OPERATION = 4


def run_operations(base_url: str, tokens: dict[str, str], *, max_examples: int) -> int:
    """Fuzzes every operation of the served document alone; returns how many requests were sent."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the served OpenAPI document is invalid: {result.err()}")
        operation = result.ok()
        if operation.path.endswith("/$batch"):
            # A batch's items are arbitrary requests; tests/http/test_batch.py covers them.
            continue
        if operation.path.startswith("/_learninggraph/") and operation.method.upper() != "GET":
            # A fuzzed fault rule would fail the requests after it; tests/admin covers the admin API's writes.
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
            token = tokens["delegated" if role_for(case.path) == "administrator" else "application"]
            response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
            sent += 1
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            assert "Traceback" not in response.text
            assert 'File "' not in response.text
            case.validate_response(response, checks=CONFORMANCE)

        check()
    return sent


@pytest.fixture
def tokens(tenant: Tenant) -> dict[str, str]:
    user_scopes = [*ALL_DELEGATED_READS, "LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]
    return {"application": tenant.app_token(), "delegated": tenant.user_token(scopes=user_scopes)}


def test_generated_requests_get_documented_answers_and_never_a_server_error(
    base_url: str, tokens: dict[str, str]
) -> None:
    sent = run_operations(base_url, tokens, max_examples=MAX_EXAMPLES_PER_OPERATION)

    assert sent > 100


# The run stops as soon as every step is reached (10-30 s on two cores); the bounds are for a busy machine (at
# load 15, with both backends' passes at once, 180 s was not always enough).
STATEFUL_SECONDS = 600
STATEFUL_REQUESTS = 5_000
RESOURCES = ("learningCourseActivities", "learningContents", "learningProviders")
ACTIONS = {"POST": "create", "GET": "read", "PATCH": "update", "DELETE": "delete"}


def crud_reached(tally: Tally) -> set[tuple[str, str]]:
    """Which (resource, action) pairs some operation succeeded at: reads count on one item only."""
    reached = set()
    for label in tally.successes():
        method, path = label.split(" ", 1)
        item = path.removesuffix("/$ref").endswith(("}", "')"))
        if method == "GET" and not item:
            continue
        resource = max(RESOURCES, key=lambda r: path.rfind(r))
        reached.add((resource, ACTIONS[method]))
    return reached


EVERY_CRUD_STEP = {(r, a) for r in RESOURCES for a in ACTIONS.values()}


@pytest.fixture
def identities(tenant: Tenant) -> FuzzIdentities:
    return FuzzIdentities.create(tenant.directory, tenant.tenant_id)


def test_fuzzed_sequences_create_read_update_and_delete_every_resource_without_a_server_error(
    base_url: str, tenant: Tenant, identities: FuzzIdentities
) -> None:
    tally = run_stateful(
        base_url,
        lambda: identities.tokens(tenant.issuer),
        identities.learners,
        max_requests=STATEFUL_REQUESTS,
        max_seconds=STATEFUL_SECONDS,
        scenarios_per_round=1,
        path_regex="^/v1\\.0/",
        done=lambda t: crud_reached(t) == EVERY_CRUD_STEP,
    )

    assert tally.server_errors == 0
    assert tally.failures == []
    assert EVERY_CRUD_STEP - crud_reached(tally) == set()
