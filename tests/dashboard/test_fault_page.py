"""Fault rules in Chromium: added from the page's form, listed, cleared; every change needs the session's CSRF
token; a tenant's rules are its own."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from learninggraph.domain.roles import GLOBAL_READER
from learninggraph.faults.rules import new_rule
from learninggraph.faults.store import add_rule, list_rules
from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import Person, World, journaled, sign_in

pytestmark = pytest.mark.backend_independent


def rules_of(world: World) -> list[str]:
    return [rule.describe() for rule in list_rules(world.server.directory.database, world.tenant.tenant_id)]


def add_in_page(
    page: Page, world: World, *, status: str, method: str = "", route: str = "", count: str = ""
) -> None:
    page.goto(world.dashboard("/faults"))
    page.get_by_label("Answer an error status").check()
    page.get_by_label("Status", exact=True).select_option(status)
    if method:
        page.get_by_label("Method").select_option(method)
    page.get_by_label("Route (a template or a pattern").fill(route)
    page.get_by_label("Count (times; empty: no count)").fill(count)
    page.get_by_role("button", name="Add the rule").click()


def test_a_rule_added_in_the_page_is_stored_and_listed(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    sign_in(page, world, world.admin)

    add_in_page(page, world, status="503", method="GET", route="*learningProviders*", count="2")

    expect(page.get_by_role("status")).to_have_text("The rule was added.")
    expect(page.locator("#rules tbody tr")).to_have_count(1)
    expect(page.locator("#rules")).to_contain_text("answer 503 to GET *learningProviders* (2 left)")
    assert rules_of(world) == ["answer 503 to GET *learningProviders* (2 left)"]
    assert console_errors == []


def test_a_rule_the_store_refuses_is_explained_and_the_form_kept(page: Page, world: World) -> None:
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/faults"))
    page.get_by_label("Add latency, then answer as usual").check()
    page.get_by_label("Route (a template or a pattern").fill("*learningContents*")
    page.get_by_role("button", name="Add the rule").click()

    expect(page.get_by_role("alert")).to_have_text("a fault needs a status, a latency or drop")
    expect(page.get_by_label("Route (a template or a pattern")).to_have_value("*learningContents*")
    assert rules_of(world) == []


def test_a_rule_is_cleared_from_the_page(page: Page, world: World) -> None:
    database = world.server.directory.database
    add_rule(database, new_rule(world.tenant.tenant_id, status=500))
    kept = add_rule(database, new_rule(world.tenant.tenant_id, status=429, method="PATCH"))
    sign_in(page, world, world.admin)
    page.goto(world.dashboard("/faults"))

    page.get_by_role("button", name="Clear the rule: answer 500 to any method any route").click()

    expect(page.get_by_role("status")).to_have_text("Cleared.")
    assert [rule.id for rule in list_rules(database, world.tenant.tenant_id)] == [kept.id]
    page.get_by_role("button", name="Clear every rule").click()
    expect(page.locator("#rules")).to_contain_text("No fault rule")
    assert rules_of(world) == []


def test_a_change_without_the_sessions_csrf_token_is_refused(page: Page, world: World) -> None:
    sign_in(page, world, world.admin)

    refused = page.request.post(world.dashboard("/faults"), form={"action": "status", "status": "503"})
    forged = page.request.post(
        world.dashboard("/faults"), form={"action": "status", "status": "503", "csrf": "guessed"}
    )

    assert (refused.status, forged.status) == (403, 403)
    assert rules_of(world) == []


def test_a_second_tenants_administrator_neither_sees_nor_clears_the_first_tenants_rules(
    page: Page, world: World, other_world: World
) -> None:
    rule = add_rule(world.server.directory.database, new_rule(world.tenant.tenant_id, status=503))
    sign_in(page, other_world, other_world.admin)
    page.goto(other_world.dashboard("/faults"))
    expect(page.locator("#rules")).to_contain_text("No fault rule")
    csrf = page.locator('form[action$="/faults"] input[name="csrf"]').get_attribute("value")

    cleared = page.request.post(
        other_world.dashboard("/faults/clear"), form={"csrf": csrf or "", "rule": rule.id}
    )

    assert cleared.ok
    assert rules_of(world) == [rule.describe()]


def test_a_learner_cannot_add_a_rule(page: Page, world: World) -> None:
    sign_in(page, world, world.learner)
    page.goto(world.dashboard("/learning"))
    csrf = page.locator('form[action$="/sign-out"] input[name="csrf"]').get_attribute("value")

    response = page.request.post(
        world.dashboard("/faults"), form={"csrf": csrf or "", "action": "status", "status": "503"}
    )

    assert response.status == 403
    assert rules_of(world) == []


def test_a_rule_added_in_the_page_makes_the_api_answer_with_it_until_it_is_cleared(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    contents = f"/employeeExperience/learningProviders/{world.provider_id}/learningContents"
    sign_in(page, world, world.admin)
    add_in_page(page, world, status="503", method="GET", route="*learningContents")

    with world.app() as app:
        faulted = app.get(contents)
        page.get_by_role("button", name="Clear every rule").click()
        expect(page.get_by_role("status")).to_have_text("Cleared.")
        answered = app.get(contents)

    assert faulted.status_code == 503
    assert faulted.json()["error"]["code"] == "serviceUnavailable"
    assert answered.status_code == 200
    entry = journaled(world, faulted.headers["request-id"])
    assert (entry.status, entry.decision.rule) == (503, "fault.injected")
    assert console_errors == []


def test_a_global_reader_sees_the_rules_but_may_neither_add_nor_clear_one(page: Page, world: World) -> None:
    rule = add_rule(world.server.directory.database, new_rule(world.tenant.tenant_id, status=503))
    password = "global-reader-password"
    reader = world.server.directory.create_user(
        tenant_id=world.tenant.tenant_id, display_name="Gill Reader", licensed=True, password=password,
        roles=[GLOBAL_READER],
    )  # fmt: skip
    sign_in(page, world, Person(reader, password))
    page.goto(world.dashboard("/faults"))
    expect(page.locator("#rules")).to_contain_text("answer 503 to any method any route")
    expect(page.get_by_role("button", name="Add the rule")).to_have_count(0)
    csrf = page.locator('form[action$="/sign-out"] input[name="csrf"]').get_attribute("value")

    cleared = page.request.post(world.dashboard("/faults/clear"), form={"csrf": csrf or "", "rule": rule.id})

    assert cleared.status == 403
    assert rules_of(world) == [rule.describe()]
