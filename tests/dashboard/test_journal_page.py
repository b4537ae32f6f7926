"""The request journal in Chromium: entries newest first, paged and filtered on the server, new ones appearing
without a reload, each expanding to its request, response, rule and hint; only the tenant's administrators."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import World, journaled, recorded, sign_in

pytestmark = pytest.mark.backend_independent


def entry_of(page: Page, request_id: str) -> Locator:
    return page.locator(f'#entries li[data-request-id="{request_id}"]')


def test_a_journal_entry_appears_without_a_reload_after_an_api_call(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))
    page.evaluate("window.notReloaded = true")

    with world.app() as app:
        answer = app.get(f"/employeeExperience/learningProviders/{world.provider_id}/learningContents?$top=1")
    assert answer.status_code == 200

    entry = entry_of(page, answer.headers["request-id"])
    expect(entry).to_be_visible(timeout=10_000)
    expect(entry.locator("summary")).to_contain_text("learningContents?$top=1")
    expect(page.locator("#entries li.entry").first).to_have_attribute(
        "data-request-id", answer.headers["request-id"]
    )
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_text("This server records no request")).to_have_count(0)
    assert console_errors == []


def test_a_refused_call_expands_to_its_rule_hint_response_and_redacted_authorization(
    page: Page, world: World
) -> None:
    with world.app() as app:
        # Applications may not list providers: Graph answers 403.
        answer = app.get("/employeeExperience/learningProviders")
    assert answer.status_code == 403
    token = app.headers["Authorization"].removeprefix("Bearer ")
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))

    item = entry_of(page, answer.headers["request-id"])
    expect(item.locator(".decision")).to_be_hidden()
    item.locator("summary").click()

    expect(item.locator(".decision")).to_contain_text("permissions.callerKind")
    expect(item.locator(".hint")).to_contain_text("learningProviders.list does not accept application tokens")
    expect(item.locator(".decision")).to_contain_text("learningProviders.list")
    expect(item.locator(".message[data-part=response]")).to_contain_text('"code":"Forbidden"')
    expect(item.locator(".message[data-part=request]")).to_contain_text("Bearer [redacted]")
    expect(item).not_to_contain_text(token[:40])


def test_an_entry_shows_the_hint_of_its_decision(page: Page, world: World) -> None:
    entry = recorded(
        world,
        status=403,
        rule="permission.missing",
        hint="The app holds none of LearningProvider.Read.All, LearningProvider.ReadWrite.All.",
        details={"accepted_permissions": ["LearningProvider.Read.All", "LearningProvider.ReadWrite.All"]},
    )
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal"))

    item = entry_of(page, entry.request_id)
    item.locator("summary").click()

    expect(item.locator(".hint")).to_have_text(entry.decision.hint or "")
    expect(item.locator(".decision")).to_contain_text(
        '["LearningProvider.Read.All", "LearningProvider.ReadWrite.All"]'
    )


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
    entries = [
        recorded(world, app_id="paging-app", url=f"/v1.0/employeeExperience/x?n={n}") for n in range(27)
    ]
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/journal?app=paging-app"))

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
    with world.app() as app:
        first = app.get(f"/employeeExperience/learningProviders/{world.provider_id}/learningContents?first=1")
    journaled(world, first.headers["request-id"])
    sign_in(page, other_world, other_world.admin)

    page.goto(other_world.dashboard("/journal"))
    expect(page.locator("#entries li.entry").first).to_be_visible()
    expect(page.locator("#entries")).not_to_contain_text(world.provider_id)
    own = page.goto(other_world.dashboard(f"/journal/{first.headers['request-id']}"))
    assert own is not None and own.status == 404
    page.goto(other_world.dashboard(f"/permissions?app={world.tenant.client_id}"))
    expect(page.locator("main")).to_contain_text("The journal holds no call of app")


def test_a_learner_cannot_open_the_journal(page: Page, world: World) -> None:
    recorded(world)
    sign_in(page, world, world.learner)

    response = page.goto(world.dashboard("/journal"))

    assert response is not None and response.status == 403
    expect(page.locator("#entries")).to_have_count(0)


def test_the_live_view_answers_nothing_new_with_204_and_a_bad_cursor_with_400(
    page: Page, world: World
) -> None:
    sign_in(page, world, world.admin)
    world.tenant.journal()  # reading through the admin API stores what the writer still holds
    page.goto(world.dashboard("/journal"))
    poller = page.locator("#journal-live").get_attribute("hx-get") or ""

    quiet = page.request.get(world.tenant.base_url + poller)
    bad = page.request.get(world.dashboard("/journal/live?after=-1"))

    assert "/journal/live?after=" in poller
    assert (quiet.status, bad.status) == (204, 400)
