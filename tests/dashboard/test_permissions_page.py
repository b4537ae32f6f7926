"""The minimal-permissions report in Chromium: from an app's journal entries, the operations it used, the
least-privileged permissions covering them, what it holds but never needed, and its refused calls."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.support import World, journaled, recorded, sign_in

pytestmark = pytest.mark.backend_independent

CONTENTS = "/v1.0/employeeExperience/learningProviders/{id}/learningContents"
ACTIVITIES = "/v1.0/employeeExperience/learningProviders/{id}/learningCourseActivities"


def test_an_apps_report_names_what_it_used_what_covers_it_and_what_it_never_needed(
    page: Page, world: World
) -> None:
    app = "report-app"
    held = (
        "LearningContent.Read.All",
        "LearningContent.ReadWrite.All",
        "LearningSelfInitiatedCourse.ReadWrite.All",
    )
    recorded(
        world, app_id=app, operation="learningContents.list", route=CONTENTS, url=CONTENTS, permissions=held
    )
    recorded(
        world, app_id=app, method="PATCH", operation="learningContents.upsertByExternalId", permissions=held,
        route=CONTENTS + "(externalId='{externalId}')", url=CONTENTS + "(externalId='c-1')", status=201,
    )  # fmt: skip
    refused = recorded(
        world, app_id=app, method="POST", operation="learningCourseActivities.create",
        route=ACTIVITIES, url=ACTIVITIES, status=403, rule="permission.missing", permissions=held,
        hint="The app holds none of LearningAssignedCourse.ReadWrite.All.",
        details={"accepted_permissions": ["LearningAssignedCourse.ReadWrite.All"], "held_permissions": list(held)},
    )  # fmt: skip
    sign_in(page, world, world.admin)

    page.goto(world.dashboard("/permissions"))
    page.get_by_role("link", name=f"app {app}").click()

    report = page.locator('section.report[data-kind="application"]')
    expect(report.locator(".least")).to_have_text(
        "LearningAssignedCourse.ReadWrite.All, LearningContent.ReadWrite.All"
    )
    expect(report.locator(".unneeded")).to_have_text(
        "LearningContent.Read.All, LearningSelfInitiatedCourse.ReadWrite.All"
    )
    expect(report.get_by_role("row", name="learningContents.upsertByExternalId")).to_contain_text("1")
    refusals = report.locator("table.refused tbody tr")
    expect(refusals).to_have_count(1)
    expect(refusals).to_contain_text("The app holds none of LearningAssignedCourse.ReadWrite.All.")
    expect(refusals.get_by_role("link")).to_have_attribute(
        "href", f"/_learninggraph/dashboard/journal/{refused.request_id}"
    )


def test_the_report_after_real_calls_names_the_least_privileged_permission_and_the_refused_call(
    page: Page, world: World
) -> None:
    with world.app() as app:
        listed = app.get(f"/employeeExperience/learningProviders/{world.provider_id}/learningContents")
        refused = app.get("/employeeExperience/learningProviders")  # not offered to applications: 403
    assert (listed.status_code, refused.status_code) == (200, 403)
    journaled(world, refused.headers["request-id"])
    sign_in(page, world, world.admin)

    page.goto(world.dashboard(f"/permissions?app={world.tenant.client_id}"))

    report = page.locator('section.report[data-kind="application"]')
    # The world's set-up upserted a content with the app: LearningContent.ReadWrite.All covers both calls.
    expect(report.locator(".least")).to_have_text("LearningContent.ReadWrite.All")
    expect(report.locator(".unneeded")).to_contain_text("LearningAssignedCourse.ReadWrite.All")
    expect(report.get_by_role("row", name="learningContents.list")).to_be_visible()
    refusals = report.locator("table.refused tbody tr")
    expect(refusals).to_have_count(1)
    expect(refusals).to_contain_text("GET /v1.0/employeeExperience/learningProviders")
    expect(refusals.get_by_role("link")).to_have_attribute(
        "href", f"/_learninggraph/dashboard/journal/{refused.headers['request-id']}"
    )
