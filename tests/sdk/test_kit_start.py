"""What the test kit's server does, and leaves undone, before the first test: the dev identity waits for ``.dev``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_TENANT_ID, add_dev_identity
from learninggraph.resources import registry
from learninggraph.testing import TEST_PASSWORD_COST, local_server

# Each starts a server on a SQLite file of its own: one pass is enough.
pytestmark = pytest.mark.backend_independent

ACTIVITIES = "/employeeExperience/learningCourseActivities"


def test_the_kits_server_creates_the_dev_identity_only_when_dev_is_first_used(tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant()
        before = server.directory.application(DEV_CLIENT_ID)

        dev = server.dev

        assert before is None
        assert dev.tenant_id == DEV_TENANT_ID
        app = httpx.get(
            f"{dev.graph_url}{ACTIVITIES}", headers={"Authorization": f"Bearer {dev.app_token()}"}
        )
        me = httpx.get(
            f"{dev.graph_url}/me{ACTIVITIES}", headers={"Authorization": f"Bearer {dev.user_token()}"}
        )
        assert (app.status_code, me.status_code) == (200, 200)


def test_adding_the_dev_identity_twice_adds_it_once(tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        added = [add_dev_identity(server.directory), add_dev_identity(server.directory)]

        assert added == [True, False]
        assert server.dev.app_token()


def test_metadata_built_on_first_read_is_the_metadata_built_at_once() -> None:
    served = registry.served()

    assert dict(registry.MetadataOnFirstRead(served)) == registry.metadata_documents(served)


def test_the_kits_users_passwords_are_hashed_at_scrypts_lowest_cost_and_sign_in(tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        tenant = server.new_tenant()
        with server.directory.database.snapshot() as conn:
            row = conn.fetch_one("SELECT password_hash FROM users WHERE id = ?", (tenant.user_id,))

        assert row is not None and str(row[0]).startswith(f"scrypt${TEST_PASSWORD_COST}$")
        assert tenant.user_token()
