"""Writes the dashboard's screenshots (docs/screenshots/*.png): a demo tenant seeded through the Graph API on a
throwaway server, its main pages opened in Debian's headless Chromium. Run by ``scripts/screenshots``."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from learninggraph.faults.rules import new_rule
from learninggraph.faults.store import add_rule
from learninggraph.testing import local_server
from tests.dashboard.support import World, launch, new_world, sign_in

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
COURSES = (
    ("Python 101", "The language in an afternoon.", "PT2H", "beginner", ["python", "programming"]),
    ("Secure coding", "Input validation, secrets and dependencies.", "PT3H30M", "intermediate", ["security"]),
    ("Leading remote teams", "Rituals and tools for distributed work.", "PT1H", "beginner", ["leadership"]),
    ("Data modelling", "From questions to tables.", "PT4H", "advanced", ["sql", "data"]),
)
LEARNERS = ("Lena Learner", "Omar Okafor", "Mia Chen", "Jon Berg", "Ana Silva")


def seed(world: World) -> None:
    contents = [world.content_id] + [
        world.content(
            title, description=text, duration=duration, level=level, skillTags=tags, sourceName="Contoso"
        )
        for title, text, duration, level, tags in COURSES[1:]
    ]
    people = [world.learner] + [world.new_learner(name) for name in LEARNERS[1:]]
    for n, person in enumerate(people):
        for m, content in enumerate(contents):
            kind = (n + m) % 4
            if kind == 0:
                world.activity(
                    person.user,
                    content,
                    dueDateTime={"dateTime": f"2026-0{1 + m}-15T17:00:00", "timeZone": "UTC"},
                )
            elif kind == 1:
                world.activity(person.user, content, status="inProgress", completionPercentage=20 + 15 * m)
            elif kind == 2:
                world.activity(
                    person.user, content, status="completed", completionPercentage=100,
                    completedDateTime=f"2026-11-{10 + n + m:02d}T10:00:00Z",
                )  # fmt: skip
            else:
                world.activity(person.user, content, self_initiated=True, completionPercentage=10 * (n + 1))


def calls(world: World) -> None:
    """A vendor's session as the journal sees it: a refused call, a read, and a fault rule answering 503."""
    contents = f"/employeeExperience/learningProviders/{world.provider_id}/learningContents"
    database = world.server.directory.database
    with world.app() as app:
        app.get("/employeeExperience/learningProviders")  # not offered to applications: 403
        app.get(contents + "?$top=2")
        add_rule(database, new_rule(world.tenant.tenant_id, status=503, retry_after=2, method="GET", count=1))
        time.sleep(1.2)  # the server re-reads the rules each second (the dashboard's own changes at once)
        app.get(contents)  # answered by the fault rule, which is then spent
    add_rule(database, new_rule(world.tenant.tenant_id, latency_ms=800, route="*learningCourseActivities*"))
    add_rule(database, new_rule(world.tenant.tenant_id, status=429, method="PATCH", probability=0.1))
    time.sleep(0.5)  # the journal's writer stores what it holds every 50 ms


def shoot(page: Page, world: World, path: str, name: str, *, expand: bool = False) -> None:
    page.goto(world.dashboard(path))
    page.wait_for_load_state("networkidle")
    if path == "/overview":
        page.wait_for_selector('.charts[data-ready="true"]')
    if expand:
        page.locator("#entries li.entry summary").first.click()
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    sys.stdout.write(f"wrote docs/screenshots/{name}.png\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, local_server(Path(folder) / "demo.db") as server:
        world = new_world(server, "Contoso")
        seed(world)
        calls(world)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            shoot(page, world, "/sign-in", "sign-in")
            sign_in(page, world, world.admin)
            shoot(page, world, "/overview", "organisation")
            shoot(page, world, "/providers", "providers")
            shoot(page, world, f"/providers/{world.provider_id}/contents", "contents")
            shoot(page, world, f"/providers/{world.provider_id}/activities", "activities")
            shoot(page, world, "/learners", "learners")
            shoot(page, world, "/journal?app=" + world.tenant.client_id, "journal", expand=True)
            shoot(page, world, "/faults", "fault-rules")
            shoot(page, world, "/permissions?app=" + world.tenant.client_id, "permissions")
            page.context.clear_cookies()
            sign_in(page, world, world.learner)
            shoot(page, world, "/learning", "my-learning")
            browser.close()


if __name__ == "__main__":
    main()
