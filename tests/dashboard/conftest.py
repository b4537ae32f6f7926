"""One learninggraph (its own SQLite file, with the development identity) and one headless Chromium for the
dashboard's tests; a fresh browser context (no cookies) and fresh tenants for each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from learninggraph.testing import LearningGraphServer, local_server
from tests.dashboard.support import CHROMIUM, World, launch, new_world

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LearningGraphServer]:
    with local_server(tmp_path_factory.mktemp("dashboard") / "learninggraph.db") as server:
        server.dev  # noqa: B018 - the kit creates the development identity on its first use; its sign-in is tested
        yield server


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the package's tests; stopped when they end, since Playwright's synchronous API keeps an
    event loop running in the main thread, where other tests call ``asyncio.run``."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium package is not installed (scripts/test installs it)")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` in tests/dashboard (scripts/test does)")
    return AXE.read_text(encoding="utf-8")


class ConsoleErrors(list[str]):
    """Every console error and uncaught page error of one page, in order."""


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: console_errors.append(str(error)))
    yield opened
    context.close()


@pytest.fixture
def world(dashboard_server: LearningGraphServer) -> World:
    return new_world(dashboard_server, "Contoso")


@pytest.fixture
def other_world(dashboard_server: LearningGraphServer) -> World:
    return new_world(dashboard_server, "Fabrikam", provider="Fabrikam Learning")
