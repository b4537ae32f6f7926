"""Signing in and out of the dashboard in Chromium, and what is reachable without a session."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from learninggraph.testing import LearningGraphServer
from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import PREFIX, World, sign_in

pytestmark = pytest.mark.backend_independent


def test_an_administrator_signs_in_with_a_password_and_lands_on_the_organisation(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    sign_in(page, world, world.admin)

    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation")
    expect(page.locator(".charts")).to_have_attribute("data-ready", "true")
    assert console_errors == []


def test_a_wrong_password_is_refused_on_the_sign_in_page(page: Page, world: World) -> None:
    page.goto(world.dashboard("/sign-in"))
    page.get_by_label("Tenant ID").fill(world.tenant.tenant_id)
    page.get_by_label("User name").fill(world.admin.user.user_principal_name)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("not correct")
    assert "/sign-in" in page.url


def test_the_development_administrator_signs_in_with_one_click_on_loopback(
    page: Page, dashboard_server: LearningGraphServer
) -> None:
    page.goto(f"{dashboard_server.base_url}{PREFIX}/sign-in")
    page.get_by_role("button", name="Sign in as the development administrator").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation")
    expect(page.locator(".who")).to_contain_text("LearningGraph Dev")


def test_signing_out_ends_the_session(page: Page, world: World) -> None:
    sign_in(page, world, world.learner)
    page.get_by_role("button", name="Sign out").click()
    page.goto(world.dashboard("/learning"))

    assert page.url.endswith(f"{PREFIX}/sign-in")


def test_the_root_leads_to_the_dashboard_and_graph_paths_are_untouched(world: World) -> None:
    root = httpx.get(f"{world.tenant.base_url}/", follow_redirects=False)
    graph = httpx.get(f"{world.tenant.graph_url}/employeeExperience/learningProviders")

    assert (root.status_code, root.headers["location"]) == (302, f"{PREFIX}/")
    assert graph.status_code == 401
    assert graph.json()["error"]["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize(
    "path",
    ["/", "/learning", "/overview", "/overview/data.json", "/providers", "/learners", "/learners.csv"],
)
def test_nothing_is_reachable_without_signing_in(world: World, path: str) -> None:
    response = httpx.get(world.dashboard(path), follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, f"{PREFIX}/sign-in")


def test_a_forged_session_cookie_is_not_a_session(world: World) -> None:
    cookies = {"learninggraph_dashboard": "eyJ0IjoieCJ9.forged"}
    response = httpx.get(world.dashboard("/learning"), cookies=cookies, follow_redirects=False)

    assert response.status_code == 303


def test_signing_out_without_the_csrf_token_is_refused(page: Page, world: World) -> None:
    sign_in(page, world, world.learner)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    refused = httpx.post(world.dashboard("/sign-out"), cookies=cookies, data={"csrf": "wrong"})
    still = httpx.get(world.dashboard("/learning"), cookies=cookies, follow_redirects=False)

    assert refused.status_code == 400
    assert still.status_code == 200


def test_the_session_cookie_is_http_only_and_same_site_strict(page: Page, world: World) -> None:
    sign_in(page, world, world.learner)
    (session,) = [c for c in page.context.cookies() if c["name"] == "learninggraph_dashboard"]

    assert (session["httpOnly"], session["sameSite"], session["path"]) == (True, "Strict", PREFIX)


def test_a_sign_in_body_larger_than_a_form_is_not_read_and_signs_no_one_in(world: World) -> None:
    form = {"tenant": world.tenant.tenant_id, "username": "x", "password": "y" * 20_000, "csrf": "t"}
    response = httpx.post(
        world.dashboard("/sign-in"), data=form, cookies={"learninggraph_dashboard_sign_in": "t"}
    )

    assert response.status_code == 400
    assert "expired" in response.text
    assert "learninggraph_dashboard=" not in response.headers.get("set-cookie", "")
