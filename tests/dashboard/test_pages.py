"""The dashboard's pages in Chromium: what the API wrote appears, CSV downloads, and who may see what."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import ConsoleErrors
from tests.dashboard.support import World, sign_in

pytestmark = pytest.mark.backend_independent


def test_an_administrator_opens_a_learner_and_sees_the_activity_the_api_just_created(
    page: Page, world: World, console_errors: ConsoleErrors
) -> None:
    sign_in(page, world, world.admin)
    created = world.activity(
        world.learner.user, dueDateTime={"dateTime": "2020-01-31T00:00:00", "timeZone": "UTC"}
    )

    page.get_by_role("link", name="Learners").click()
    page.get_by_role("link", name="Lena Learner").click()

    assigned = page.locator("section", has=page.get_by_role("heading", name="Assigned"))
    course = assigned.locator(f'[data-activity="{created["id"]}"]')
    expect(course).to_contain_text("Python 101")
    expect(course).to_contain_text("required")
    expect(course).to_contain_text("overdue")
    assert console_errors == []


def test_a_learner_sees_their_courses_in_progress_with_completion_bars_and_their_completed_ones(
    page: Page, world: World
) -> None:
    world.activity(
        world.learner.user,
        self_initiated=True,
        completionPercentage=40,
    )
    world.activity(world.learner.user, status="completed", completedDateTime="2026-02-01T10:00:00Z")
    sign_in(page, world, world.learner)

    in_progress = page.locator("section", has=page.get_by_role("heading", name="In progress"))
    expect(in_progress.locator("progress")).to_have_attribute("value", "40")
    expect(page.locator("section", has=page.get_by_role("heading", name="Self-initiated"))).to_contain_text(
        "Python 101"
    )
    expect(page.locator("section", has=page.get_by_role("heading", name="Completed"))).to_contain_text(
        "Completed 2026-02-01"
    )


def test_the_activities_table_downloads_as_csv_with_its_search(page: Page, world: World) -> None:
    other = world.new_learner("Otto Other")
    mine = world.activity(world.learner.user)
    world.activity(other.user)
    sign_in(page, world, world.admin)
    page.goto(world.dashboard(f"/providers/{world.provider_id}/activities"))
    page.get_by_label("Learner (id or user name)").fill(world.learner.user.user_principal_name)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))

    assert [(row["id"], row["learnerUserId"], row["contentTitle"]) for row in rows] == [
        (mine["id"], world.learner.user.id, "Python 101")
    ]


def test_a_learner_cannot_open_another_learners_page(page: Page, world: World) -> None:
    other = world.new_learner("Otto Other")
    world.activity(other.user, externalcourseActivityId="otto-secret-course")
    sign_in(page, world, world.learner)

    response = page.goto(world.dashboard(f"/learners/{other.user.id}"))

    assert response is not None and response.status == 403
    expect(page.locator("main")).not_to_contain_text("otto-secret-course")
    expect(page.get_by_role("link", name="Providers")).to_have_count(0)


def test_a_learner_cannot_open_the_tenants_pages(page: Page, world: World) -> None:
    sign_in(page, world, world.learner)

    statuses = [page.goto(world.dashboard(path)).status for path in ("/providers", "/learners", "/overview")]  # type: ignore[union-attr]

    assert statuses == [403, 403, 403]


def test_a_second_tenants_administrator_sees_nothing_of_the_first(
    page: Page, world: World, other_world: World
) -> None:
    world.activity(world.learner.user, externalcourseActivityId="contoso-only")
    sign_in(page, other_world, other_world.admin)

    page.goto(other_world.dashboard("/providers"))
    expect(page.locator("#results")).to_contain_text("Fabrikam Learning")
    expect(page.locator("#results")).not_to_contain_text("Contoso Academy")
    learner = page.goto(other_world.dashboard(f"/learners/{world.learner.user.id}"))
    activities = page.goto(other_world.dashboard(f"/providers/{world.provider_id}/activities"))

    assert learner is not None and learner.status == 404
    assert activities is not None and activities.status == 404
    expect(page.locator("main")).not_to_contain_text("contoso-only")


def test_a_providers_contents_show_as_cards_and_images_are_links_never_fetched(
    page: Page, world: World
) -> None:
    world.content(
        "Rust in depth",
        description="Ownership and lifetimes.",
        level="advanced",
        sourceName="Contoso",
        skillTags=["rust", "systems"],
        thumbnailWebUrl="https://images.contoso.example/rust.png",
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, world, world.admin)
    page.goto(world.dashboard(f"/providers/{world.provider_id}/contents"))
    page.get_by_label("Title contains").fill("Rust")
    page.get_by_role("button", name="Search").click()

    card = page.locator(".card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("advanced")
    expect(card).to_contain_text("systems")
    expect(card.get_by_role("link", name="Image of Rust in depth")).to_have_attribute(
        "href", "https://images.contoso.example/rust.png"
    )
    assert [url for url in requested if not url.startswith(world.tenant.base_url)] == []


def test_a_tables_next_page_replaces_only_the_table_and_keeps_its_address(page: Page, world: World) -> None:
    for n in range(26):
        world.activity(world.learner.user, externalcourseActivityId=f"page-test-{n:02d}")
    sign_in(page, world, world.admin)
    page.goto(world.dashboard(f"/providers/{world.provider_id}/activities"))
    page.evaluate("window.sameDocument = true")

    page.get_by_role("link", name="Next page").click()

    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("page-test-25")
    assert page.evaluate("window.sameDocument") is True
    assert "page=" in page.url


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(page: Page, world: World) -> None:
    world.content('=HYPERLINK("https://evil.example")', description="+1 and -1")
    sign_in(page, world, world.admin)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    answer = httpx.get(world.dashboard(f"/providers/{world.provider_id}/contents.csv"), cookies=cookies)
    rows = {row["title"]: row for row in csv.DictReader(io.StringIO(answer.text))}

    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert rows['\'=HYPERLINK("https://evil.example")']["description"] == "'+1 and -1"
    assert rows["Python 101"]["duration"] == "PT2H"


def test_the_learners_csv_lists_the_tenants_users_and_no_other_tenants(
    page: Page, world: World, other_world: World
) -> None:
    sign_in(page, world, world.admin)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    answer = httpx.get(world.dashboard("/learners.csv"), cookies=cookies)
    names = {row["userPrincipalName"] for row in csv.DictReader(io.StringIO(answer.text))}

    assert names == {world.admin.user.user_principal_name, world.learner.user.user_principal_name}
    assert other_world.learner.user.user_principal_name not in names
