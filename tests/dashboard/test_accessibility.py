"""Every page of the dashboard in Chromium: no console errors, and no serious or critical axe-core violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import World, recorded, sign_in

pytestmark = pytest.mark.backend_independent

PAGES = (
    "/sign-in",
    "/learning",
    "/overview",
    "/providers",
    "/providers/{provider}/contents",
    "/providers/{provider}/activities",
    "/learners",
    "/learners/{learner}",
    "/journal",
    "/journal/{entry}",
    "/faults",
    "/permissions?app={app}",
)


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page (run through the driver, not a script tag)."""
    page.evaluate(axe_source)
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("template", PAGES)
def test_a_page_has_no_console_error_and_no_serious_accessibility_violation(
    page: Page, world: World, console_errors: ConsoleErrors, axe_source: str, template: str
) -> None:
    world.activity(world.learner.user, status="inProgress", completionPercentage=30)
    world.activity(world.learner.user, self_initiated=True, completionPercentage=70)
    entry = recorded(world, status=403, rule="permission.missing", hint="The app holds no permission.")
    if template != "/sign-in":
        sign_in(page, world, world.admin)
    path = template.format(
        provider=world.provider_id, learner=world.learner.user.id, entry=entry.request_id,
        app=world.tenant.client_id,
    )  # fmt: skip

    response = page.goto(world.dashboard(path))
    page.wait_for_load_state("networkidle")
    if template == "/overview":
        page.wait_for_selector('.charts[data-ready="true"]')

    assert response is not None and response.status == 200
    assert axe_violations(page, axe_source) == []
    assert console_errors == []


def test_an_expanded_journal_entry_has_no_serious_accessibility_violation(
    page: Page, world: World, console_errors: ConsoleErrors, axe_source: str
) -> None:
    entry = recorded(world, status=503, rule="fault.injected", hint="injected by fault rule r-1: answer 503")
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))
    page.locator(f'li[data-request-id="{entry.request_id}"] summary').click()

    assert axe_violations(page, axe_source) == []
    assert console_errors == []
