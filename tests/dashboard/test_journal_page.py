"""The request journal in Chromium: entries newest first, paged and filtered on the server, new ones appearing
without a reload, each expanding to its request, response, rule and hint; only the tenant's administrators."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import World, recorded, sign_in

pytestmark = pytest.mark.backend_independent


def entry_of(page: Page, request_id: str) -> Locator:
    return page.locator(f'#entries li[data-request-id="{request_id}"]')


def test_a_journal_entry_appears_without_a_reload_after_an_api_call(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))
    page.evaluate("window.notReloaded = true")

    entry = recorded(world, url="/v1.0/employeeExperience/learningProviders?$top=1")

    expect(entry_of(page, entry.request_id)).to_be_visible(timeout=10_000)
    expect(page.locator("#entries li.entry").first).to_have_attribute("data-request-id", entry.request_id)
    assert page.evaluate("window.notReloaded") is True
    assert console_errors == []


def test_an_entry_expands_to_its_rule_hint_request_and_redacted_headers(page: Page, world: World) -> None:
    entry = recorded(
        world,
        status=403,
        rule="permission.missing",
        hint="The app holds none of LearningProvider.Read.All, LearningProvider.ReadWrite.All.",
        details={"accepted_permissions": ["LearningProvider.Read.All", "LearningProvider.ReadWrite.All"]},
        request_headers=(("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),),
        response_body='{"error":{"code":"Forbidden","message":"Missing role permissions on the request."}}',
    )
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))

    item = entry_of(page, entry.request_id)
    expect(item.locator(".hint")).to_be_hidden()
    item.locator("summary").click()

    expect(item.locator(".decision")).to_contain_text("permission.missing")
    expect(item.locator(".hint")).to_have_text(entry.decision.hint or "")
    expect(item.locator(".message[data-part=response]")).to_contain_text("Missing role permissions")
    expect(item.locator(".message[data-part=request]")).to_contain_text("Authorization")
    expect(item).not_to_contain_text("eyJhbGciOiJSUzI1NiJ9")


def test_the_journal_filters_by_status_on_the_server(page: Page, world: World) -> None:
    ok = recorded(world, status=200)
    refused = recorded(world, status=403, rule="permission.missing")
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))

    page.get_by_label("Status").fill("4xx")
    page.get_by_role("button", name="Search").click()

    expect(entry_of(page, refused.request_id)).to_be_visible()
    expect(entry_of(page, ok.request_id)).to_have_count(0)


def test_a_status_that_is_not_a_code_or_class_is_explained_not_a_server_error(
    page: Page, world: World
) -> None:
    sign_in(page, world, world.admin)
    response = page.goto(world.dashboard("/journal?status=abc"))

    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("give a status code (403) or a class (4xx)")


def test_the_journal_is_paged_newest_first_on_the_server(page: Page, world: World) -> None:
    entries = [recorded(world, url=f"/v1.0/employeeExperience/learningProviders?n={n}") for n in range(27)]
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))

    shown = page.locator("#entries li.entry")
    expect(shown).to_have_count(25)
    expect(shown.first).to_have_attribute("data-request-id", entries[-1].request_id)
    page.get_by_role("link", name="Next page").click()

    expect(shown).to_have_count(2)
    expect(shown.last).to_have_attribute("data-request-id", entries[0].request_id)


def test_an_entry_has_a_page_of_its_own(page: Page, world: World) -> None:
    entry = recorded(world, status=404, rule="resource.not_found", hint="No provider has that id.")
    sign_in(page, world, world.admin)

    page.goto(world.dashboard(f"/journal/{entry.request_id}"))

    expect(page.locator(".hint")).to_have_text("No provider has that id.")


def test_a_second_tenants_administrator_sees_nothing_of_the_first_tenants_journal(
    page: Page, world: World, other_world: World
) -> None:
    first = recorded(world, url="/v1.0/employeeExperience/learningProviders?first-tenant")
    sign_in(page, other_world, other_world.admin)

    page.goto(other_world.dashboard("/journal"))
    expect(page.locator("#entries")).not_to_contain_text("first-tenant")
    own = page.goto(other_world.dashboard(f"/journal/{first.request_id}"))
    assert own is not None and own.status == 404
    page.goto(other_world.dashboard(f"/permissions?app={world.tenant.client_id}"))
    expect(page.locator("main")).to_contain_text("The journal holds no call of app")


def test_a_learner_cannot_open_the_journal(page: Page, world: World) -> None:
    recorded(world)
    sign_in(page, world, world.learner)

    response = page.goto(world.dashboard("/journal"))

    assert response is not None and response.status == 403
    expect(page.locator("#entries")).to_have_count(0)
