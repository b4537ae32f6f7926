"""A server started with the journal off says so on the journal page, rather than showing an empty journal."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.dashboard.support import PREFIX

pytestmark = pytest.mark.backend_independent


def test_the_journal_page_of_a_server_recording_nothing_says_so(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'off.db'}", journal=False, login_failure_limit=None
    )
    with running_server(settings) as base, httpx.Client(base_url=base) as browser:
        database = Database(settings.database_url)
        try:
            with Directory(database).atomic() as tx:
                tenant = tx.create_tenant(name="Quiet")
                admin = tx.create_user(
                    tenant_id=tenant.id, display_name="Ada", licensed=True, password="quiet-password",
                    roles=[KNOWLEDGE_ADMINISTRATOR],
                )  # fmt: skip
        finally:
            database.close()
        form = browser.get(f"{PREFIX}/sign-in").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = browser.post(
            f"{PREFIX}/sign-in",
            data={"csrf": csrf[1], "tenant": tenant.id, "username": admin.user_principal_name,
                  "password": "quiet-password"},
        )  # fmt: skip
        assert signed_in.status_code == 303

        journal = browser.get(f"{PREFIX}/journal")

    assert journal.status_code == 200
    assert "This server records no request" in journal.text
