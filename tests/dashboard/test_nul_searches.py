"""The dashboard's own reads of learners and their activities find nothing for a search, key or page holding a
NUL character, on every backend: no stored text holds one, and PostgreSQL cannot be asked about one."""

from __future__ import annotations

import base64

from learninggraph.dashboard import queries
from learninggraph.storage.database import Database
from tests.builders import Tenant

NUL_PAGE = base64.urlsafe_b64encode(b"a\x00").decode().rstrip("=")


def test_a_learner_search_holding_a_nul_character_finds_no_one(database: Database, tenant: Tenant) -> None:
    with database.snapshot() as conn:
        assert queries.learners(conn, tenant.tenant_id, "Ada\x00", None, 10) == ([], None)


def test_a_learner_page_holding_a_nul_character_is_read_from_the_start(
    database: Database, tenant: Tenant
) -> None:
    with database.snapshot() as conn:
        users, _ = queries.learners(conn, tenant.tenant_id, "", NUL_PAGE, 10)

    assert [user.id for user in users] == [tenant.learner.id]


def test_a_learner_named_with_a_nul_character_is_no_learner(database: Database, tenant: Tenant) -> None:
    with database.snapshot() as conn:
        assert queries.learner_id(conn, tenant.tenant_id, "ada\x00") is None
        assert queries.learner(conn, tenant.tenant_id, "a\x00") is None


def test_a_learners_activities_searched_with_a_nul_character_are_none(
    database: Database, tenant: Tenant
) -> None:
    with database.snapshot() as conn:
        found = queries.learner_activities_of_provider(
            conn,
            database.dialect,
            tenant.tenant_id,
            "provider",
            tenant.learner.id,
            status="",
            external="ext\x00",
            page=None,
            size=10,
        )

    assert found == ([], None)
