"""Minimal permissions from a journal: what was used, the least that covers it, and what is held in vain."""

from __future__ import annotations

from typing import Any

import pytest

from learninggraph.domain.permissions import (
    ASSIGNED_READ_WRITE_ALL,
    CONTENT_READ_ALL,
    CONTENT_READ_WRITE_ALL,
    PROVIDER_READ,
    PROVIDER_READ_WRITE,
    READ_CONTENTS,
    READ_PROVIDERS,
    SELF_INITIATED_READ_WRITE_ALL,
    WRITE_ASSIGNMENTS,
    WRITE_CONTENTS,
    WRITE_PROVIDERS,
)
from learninggraph.domain.roles import PROVIDER_ADMINISTRATORS
from learninggraph.journal.entry import Caller, Decision, JournalEntry
from learninggraph.journal.minimal_permissions import least_privileged, minimal_permissions, operation_key
from tests.journal.entries import entry

pytestmark = pytest.mark.backend_independent

CONTENTS = "/employeeExperience/learningProviders/{id}/learningContents"
CONTENT = "/employeeExperience/learningProviders/{id}/learningContents(externalId={key})"
ACTIVITIES = "/employeeExperience/learningProviders/{id}/learningCourseActivities"
PROVIDERS = "/employeeExperience/learningProviders"
TABLE = {
    operation_key("GET", CONTENTS): READ_CONTENTS,
    operation_key("PATCH", CONTENT): WRITE_CONTENTS,
    operation_key("POST", ACTIVITIES): WRITE_ASSIGNMENTS,
    operation_key("GET", PROVIDERS): READ_PROVIDERS,
    operation_key("POST", PROVIDERS): WRITE_PROVIDERS,
}
EVERYTHING = (CONTENT_READ_WRITE_ALL, ASSIGNED_READ_WRITE_ALL, SELF_INITIATED_READ_WRITE_ALL)
APP = Caller(kind="application", app_id="vendor", permissions=EVERYTHING)


def _call(method: str, route: str, status: int = 200, **overrides: Any) -> JournalEntry:
    return entry(method=method, route=route, operation=None, status=status, caller=APP, **overrides)


def test_an_app_that_only_reads_needs_only_the_read_permission_and_holds_the_rest_in_vain() -> None:
    [report] = minimal_permissions([_call("GET", CONTENTS), _call("GET", CONTENTS)], TABLE)

    assert report.kind == "application"
    assert report.least_privileged == (CONTENT_READ_ALL,)
    assert report.unneeded == tuple(sorted(EVERYTHING))
    assert [(u.operation, u.calls) for u in report.operations] == [(f"GET {CONTENTS}", 2)]


def test_reading_and_writing_contents_is_covered_by_the_one_write_permission() -> None:
    [report] = minimal_permissions([_call("GET", CONTENTS), _call("PATCH", CONTENT)], TABLE)

    assert report.least_privileged == (CONTENT_READ_WRITE_ALL,)
    assert report.unneeded == (ASSIGNED_READ_WRITE_ALL, SELF_INITIATED_READ_WRITE_ALL)


def test_the_permissions_an_entry_recorded_as_accepted_win_over_the_table() -> None:
    recorded = Decision("ok", details={"accepted_permissions": [SELF_INITIATED_READ_WRITE_ALL]})

    [report] = minimal_permissions([_call("POST", ACTIVITIES, decision=recorded)], TABLE)

    assert report.least_privileged == (SELF_INITIATED_READ_WRITE_ALL,)


def test_a_refused_call_is_listed_with_why_and_still_counts_as_needed() -> None:
    refusal = Decision(
        "permission.missing",
        "POST course activity accepts LearningAssignedCourse.ReadWrite.All; the token held none of it",
        {"accepted_permissions": [ASSIGNED_READ_WRITE_ALL], "held_permissions": [CONTENT_READ_ALL]},
    )
    reader = Caller(kind="application", app_id="vendor", permissions=(CONTENT_READ_ALL,))
    entries = [
        entry(method="GET", route=CONTENTS, operation=None, caller=reader),
        entry(
            method="POST",
            route=ACTIVITIES,
            operation=None,
            status=403,
            caller=reader,
            decision=refusal,
            request_id="r-1",
        ),
    ]

    [report] = minimal_permissions(entries, TABLE)

    assert report.least_privileged == (ASSIGNED_READ_WRITE_ALL, CONTENT_READ_ALL)
    [refused] = report.refused
    assert (refused.request_id, refused.status, refused.rule) == ("r-1", 403, "permission.missing")
    assert refused.accepted == (ASSIGNED_READ_WRITE_ALL,)
    assert refused.held == (CONTENT_READ_ALL,)
    assert report.unneeded == ()


def test_a_signed_in_user_gets_delegated_permissions_and_the_roles_an_operation_needs() -> None:
    user = Caller(
        kind="delegated", app_id="portal", user_id="ada", permissions=(PROVIDER_READ, PROVIDER_READ_WRITE)
    )

    [report] = minimal_permissions(
        [
            entry(method="GET", route=PROVIDERS, operation=None, caller=user),
            entry(method="POST", route=PROVIDERS, operation=None, caller=user),
        ],
        TABLE,
    )

    assert report.kind == "delegated"
    assert report.least_privileged == (PROVIDER_READ_WRITE,)
    assert report.unneeded == (PROVIDER_READ,)
    [_, post] = report.operations
    assert set(post.directory_roles) == PROVIDER_ADMINISTRATORS


def test_an_operation_called_on_both_activity_types_needs_both_write_permissions() -> None:
    assigned = Decision("ok", details={"accepted_permissions": [ASSIGNED_READ_WRITE_ALL]})
    self_initiated = Decision("ok", details={"accepted_permissions": [SELF_INITIATED_READ_WRITE_ALL]})

    [report] = minimal_permissions(
        [_call("POST", ACTIVITIES, decision=assigned), _call("POST", ACTIVITIES, decision=self_initiated)],
        TABLE,
    )

    assert report.least_privileged == (ASSIGNED_READ_WRITE_ALL, SELF_INITIATED_READ_WRITE_ALL)
    assert report.unneeded == (CONTENT_READ_WRITE_ALL,)


def test_an_operation_of_no_known_permission_is_reported_as_unknown() -> None:
    [report] = minimal_permissions([_call("GET", "/somewhere/else")], TABLE)

    assert report.unknown_operations == ("GET /somewhere/else",)
    assert report.least_privileged == ()


def test_unmatched_and_anonymous_requests_are_left_out() -> None:
    reports = minimal_permissions(
        [entry(route=None, caller=APP), entry(route=PROVIDERS, caller=Caller(kind="anonymous"), status=401)],
        TABLE,
    )

    assert reports == [] or reports[0].operations == ()


def test_least_privileged_prefers_one_broad_permission_to_two_narrow_ones_only_when_it_costs_less() -> None:
    assert least_privileged(
        [frozenset({"A.Read.All", "A.ReadWrite.All"}), frozenset({"A.ReadWrite.All"})]
    ) == ("A.ReadWrite.All",)
    assert least_privileged([frozenset({"A.Read"}), frozenset({"B.Read"})]) == ("A.Read", "B.Read")
