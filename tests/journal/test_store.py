"""The journal table: entries survive restarts, stay within each tenant's bound, and are read by filter."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.domain.values import datetime_to_stored
from learninggraph.journal.blocks import stored_entries
from learninggraph.journal.entry import Body, Caller, Decision
from learninggraph.journal.queries import JournalFilter, entries_after, explain, follow, last_id, search
from learninggraph.journal.storage import journal_database_of
from learninggraph.journal.store import JournalStore
from learninggraph.storage.database import Database
from tests.journal.entries import entry, migrated

SECRET = "pa55word-of-ada"


def test_an_appended_entry_reads_back_equal_with_its_id(journal_database: Database) -> None:
    original = entry(decision=Decision("permission.missing", "needs X", {"accepted_permissions": ["X"]}))

    [entry_id] = JournalStore(journal_database).append([original])

    [read] = search(journal_database, JournalFilter(tenant_id="tenant-a"))
    assert read == msgspec.structs.replace(original, id=entry_id)


def test_an_entry_whose_body_holds_a_nul_character_is_stored_with_the_rest_of_its_batch(
    journal_database: Database,
) -> None:
    body = '{"title": "a\u0000b"}'
    batch = [entry(), entry(request_body=Body(body, len(body))), entry(tenant_id="tenant-b")]

    ids = JournalStore(journal_database).append(batch)

    read = search(journal_database, JournalFilter(tenant_id="tenant-a"))
    assert [e.request_body.text for e in read] == [body, ""]  # newest first
    assert len(ids) == 3
    assert len(search(journal_database, JournalFilter(tenant_id="tenant-b"))) == 1


def test_ids_increase_in_the_order_entries_are_appended(journal_database: Database) -> None:
    store = JournalStore(journal_database)

    first = store.append([entry(), entry()])
    second = store.append([entry()])

    assert first[0] < first[1] < second[0]


def test_entries_are_redacted_before_they_are_stored(journal_database: Database) -> None:
    form = f"grant_type=password&username=ada&password={SECRET}"

    JournalStore(journal_database).append(
        [entry(request_body=Body(form, len(form)), request_headers=(("Authorization", f"Basic {SECRET}"),))]
    )

    with journal_database.snapshot() as conn:
        rows = stored_entries(conn)
    assert rows
    assert SECRET not in repr(rows)


def test_a_tenant_keeps_only_its_newest_entries_past_the_bound(journal_database: Database) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=5)
    ids = store.append([entry(url=f"/v1.0/{n}") for n in range(4)])
    ids += store.append([entry(url=f"/v1.0/{n}") for n in range(4, 8)])

    kept = search(journal_database, JournalFilter(tenant_id="tenant-a"))

    assert [e.id for e in kept] == list(reversed(ids[-5:]))


def test_a_batch_evicting_more_blocks_than_one_read_takes_keeps_exactly_the_newest(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=10)
    ids = [entry_id for _ in range(6) for entry_id in store.append([entry(), entry("tenant-b"), entry()])]
    ids += store.append([entry() for _ in range(9)])

    kept = search(journal_database, JournalFilter(tenant_id="tenant-a"))
    with journal_database.snapshot() as conn:
        blocks = conn.fetch_one("SELECT count(*) FROM journal_blocks WHERE tenant_id = 'tenant-a'")
        counted = conn.fetch_one("SELECT entries FROM journal_tenants WHERE tenant_id = 'tenant-a'")

    tenant_a = [entry_id for index, entry_id in enumerate(ids) if index >= 18 or index % 3 != 1]
    assert [e.id for e in kept] == list(reversed(tenant_a[-10:]))
    assert counted == (10,)
    assert blocks == (2,)


def test_eviction_in_one_tenant_leaves_other_tenants_untouched(journal_database: Database) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=3)
    store.append([entry("tenant-b") for _ in range(2)])

    store.append([entry("tenant-a") for _ in range(10)])

    assert len(search(journal_database, JournalFilter(tenant_id="tenant-a"))) == 3
    assert len(search(journal_database, JournalFilter(tenant_id="tenant-b"))) == 2


def test_a_batch_of_several_tenants_counts_and_bounds_each_on_its_own(journal_database: Database) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=3)
    store.append([entry("tenant-a"), entry("tenant-b"), entry("tenant-a")])

    store.append([entry(t) for t in ("tenant-c", "tenant-a", "tenant-b", "tenant-a", "tenant-c")])

    with journal_database.snapshot() as conn:
        counted = conn.fetch_all("SELECT tenant_id, entries FROM journal_tenants ORDER BY tenant_id")
    kept = {
        t: len(search(journal_database, JournalFilter(tenant_id=t)))
        for t in ("tenant-a", "tenant-b", "tenant-c")
    }
    assert [tuple(row) for row in counted] == [("tenant-a", 3), ("tenant-b", 2), ("tenant-c", 2)]
    assert kept == {"tenant-a": 3, "tenant-b": 2, "tenant-c": 2}


def test_a_batch_of_more_tenants_than_one_count_read_holds_keeps_each_within_its_bound(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=2)
    tenants = [f"tenant-{n:02}" for n in range(37)]

    store.append([entry(t) for t in tenants for _ in range(3)])

    with journal_database.snapshot() as conn:
        counted = conn.fetch_all("SELECT tenant_id, entries FROM journal_tenants ORDER BY tenant_id")
    kept = [len(search(journal_database, JournalFilter(tenant_id=t))) for t in tenants]
    assert [tuple(row) for row in counted] == [(t, 2) for t in tenants]
    assert kept == [2] * 37


def test_the_bound_holds_when_two_connections_append_at_once(fresh_database_url: str) -> None:
    with (
        migrated(fresh_database_url) as first,
        migrated(fresh_database_url) as second,
        journal_database_of(first) as one,
        journal_database_of(second) as two,
    ):
        stores = [JournalStore(db, max_entries_per_tenant=50) for db in (one, two)]

        def append(store: JournalStore) -> None:
            for _ in range(20):
                store.append([entry() for _ in range(5)])

        threads = [threading.Thread(target=append, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        kept = search(one, JournalFilter(tenant_id="tenant-a"), limit=1000)
        with one.snapshot() as conn:
            counted = conn.fetch_one("SELECT entries FROM journal_tenants WHERE tenant_id = 'tenant-a'")
    ids = [e.id for e in kept]
    assert len(ids) == 50
    assert counted == (50,)
    assert len(set(ids)) == 50
    assert ids[0] == 200


def test_entries_survive_a_restart(fresh_database_url: str) -> None:
    with migrated(fresh_database_url) as database, journal_database_of(database) as journal:
        JournalStore(journal).append([entry(request_id="before-restart")])

    with migrated(fresh_database_url) as database, journal_database_of(database) as reopened:
        found = explain(reopened, "before-restart", tenant_id="tenant-a")

    assert found is not None
    assert found.request_id == "before-restart"


def test_a_tenant_never_reads_another_tenants_entries(journal_database: Database) -> None:
    JournalStore(journal_database).append(
        [entry("tenant-a", request_id="a-1"), entry("tenant-b", request_id="b-1")]
    )

    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == ["a-1"]
    assert explain(journal_database, "b-1", tenant_id="tenant-a") is None
    assert len(search(journal_database, JournalFilter(tenant_id=None))) == 2


def test_explain_finds_its_entry_past_blocks_holding_a_longer_id_that_starts_the_same(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database)
    store.append([entry(request_id="abc-1", status=201)])
    for batch in range(12):  # newer blocks, each holding the id's characters inside a longer id
        store.append([entry(request_id=f"abc-1{batch}"), entry("tenant-b", request_id=f"abc-1-{batch}")])

    found = explain(journal_database, "abc-1", tenant_id=None)

    assert found is not None
    assert (found.request_id, found.status) == ("abc-1", 201)
    assert explain(journal_database, "abc-2", tenant_id=None) is None


def test_explain_finds_an_id_of_characters_a_block_may_escape(journal_database: Database) -> None:
    JournalStore(journal_database).append([entry(request_id='odd "id" ünïcode')])

    found = explain(journal_database, 'odd "id" ünïcode', tenant_id="tenant-a")

    assert found is not None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (JournalFilter(tenant_id="tenant-a", app_id="app-2"), ["app-2"]),
        (JournalFilter(tenant_id="tenant-a", user_id="user-1"), ["user"]),
        (JournalFilter(tenant_id="tenant-a", status=(403, 403)), ["forbidden"]),
        (JournalFilter(tenant_id="tenant-a", status=(400, 499)), ["forbidden", "invalid"]),
        (JournalFilter(tenant_id="tenant-a", route="/items/{id}"), ["invalid"]),
        (JournalFilter(tenant_id="tenant-a", rule="validation.range"), ["invalid"]),
        (JournalFilter(tenant_id="tenant-a", request_id="old"), ["old"]),
        (JournalFilter(tenant_id="tenant-a", until=datetime(2026, 1, 2, tzinfo=UTC)), ["old"]),
        (
            JournalFilter(tenant_id="tenant-a", since=datetime(2026, 1, 2, tzinfo=UTC)),
            ["app-2", "user", "forbidden", "invalid"],
        ),
    ],
)
def test_each_filter_selects_only_its_entries(
    journal_database: Database, where: JournalFilter, expected: list[str]
) -> None:
    now = datetime.now(UTC)
    user = Caller(kind="delegated", app_id="app-1", user_id="user-1", permissions=("LearningProvider.Read",))
    JournalStore(journal_database).append(
        [
            entry(request_id="old", at=datetime(2026, 1, 1, tzinfo=UTC)),
            entry(request_id="app-2", caller=Caller("application", "app-2"), at=now),
            entry(request_id="user", caller=user, at=now),
            entry(request_id="forbidden", status=403, at=now),
            entry(
                request_id="invalid",
                status=400,
                route="/items/{id}",
                decision=Decision("validation.range"),
                at=now,
            ),
        ]
    )

    found = search(journal_database, where)

    assert [e.request_id for e in reversed(found)] == expected


def test_search_gives_the_newest_entries_first_up_to_the_limit(journal_database: Database) -> None:
    JournalStore(journal_database).append([entry(request_id=str(n)) for n in range(5)])

    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"), limit=2)] == [
        "4",
        "3",
    ]


def test_entries_after_an_id_come_oldest_first(journal_database: Database) -> None:
    ids = JournalStore(journal_database).append([entry(request_id=str(n)) for n in range(4)])

    after = entries_after(journal_database, JournalFilter(tenant_id="tenant-a"), ids[1])

    assert [e.request_id for e in after] == ["2", "3"]


def test_follow_yields_entries_stored_after_it_started_and_stops_when_told(
    fresh_database_url: str,
) -> None:
    with migrated(fresh_database_url) as reader, migrated(fresh_database_url) as writer:
        store = JournalStore(writer)
        store.append([entry(request_id="before")])
        stop = threading.Event()
        stream = follow(
            reader,
            JournalFilter(tenant_id="tenant-a"),
            after_id=last_id(reader),
            poll_seconds=0.05,
            stop=stop,
        )
        seen: list[str] = []

        def read() -> None:
            for found in stream:
                seen.append(found.request_id)
                if len(seen) == 3:
                    stop.set()

        thread = threading.Thread(target=read)
        thread.start()
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        for name in ("one", "two", "three"):
            store.append([entry(request_id=name), entry("tenant-b", request_id=f"other-{name}")])
        while thread.is_alive() and datetime.now(UTC) < deadline:
            thread.join(0.1)
        stop.set()
        thread.join()

    assert seen == ["one", "two", "three"]


def test_clearing_a_tenant_empties_its_journal_and_resets_its_bound(journal_database: Database) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=3)
    store.append([entry() for _ in range(3)])

    assert store.clear("tenant-a") == 3
    store.append([entry(request_id="after")])

    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == ["after"]


def test_a_clear_waits_for_an_append_in_progress_so_the_tenants_count_stays_its_entries(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database, max_entries_per_tenant=5)
    store.append([entry() for _ in range(5)])
    cleared: list[int] = []
    with journal_database.transaction() as conn:  # an append in progress holds the ids' row from its start
        conn.execute("UPDATE journal_sequence SET last_id = last_id WHERE name = 'entries'")
        clearing = threading.Thread(target=lambda: cleared.append(store.clear("tenant-a")))
        clearing.start()
        clearing.join(0.5)
        cleared_meanwhile = list(cleared)
    clearing.join(30)
    store.append([entry(request_id="after")])

    assert cleared_meanwhile == []
    assert cleared == [5]
    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == ["after"]


@pytest.mark.sqlite
def test_eviction_walks_the_tenants_index_instead_of_scanning_the_blocks(journal_database: Database) -> None:
    with journal_database.snapshot() as conn:
        plans = [
            conn.fetch_all(f"EXPLAIN QUERY PLAN {statement}", ("t", 3))
            for statement in (
                "SELECT id, first_id FROM journal_blocks WHERE tenant_id = ? AND id >= ? ORDER BY id LIMIT 4",
                "DELETE FROM journal_blocks WHERE tenant_id = ? AND id <= ?",
            )
        ]
    steps = [str(row[-1]) for plan in plans for row in plan]

    assert all("ix_journal_blocks_tenant" in step for step in steps), steps


def test_the_caller_is_recorded_from_the_principal_with_what_its_token_held() -> None:
    principal = Principal(
        tenant_id="t",
        app_id="portal",
        kind=CallerKind.DELEGATED,
        permissions=frozenset({"LearningProvider.Read", "LearningContent.Read.All"}),
        user_id="ada",
        directory_roles=frozenset({"role-b", "role-a"}),
    )

    assert Caller.of(principal) == Caller(
        "delegated",
        "portal",
        "ada",
        ("LearningContent.Read.All", "LearningProvider.Read"),
        ("role-a", "role-b"),
    )
    assert Caller.of(None).kind == "anonymous"


def test_the_journal_blocks_keep_only_their_tenant_index(journal_database: Database) -> None:
    with journal_database.snapshot() as conn:
        if journal_database.dialect == "sqlite":
            rows = conn.fetch_all(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal_blocks' "
                "AND name LIKE 'ix_%'"
            )
        else:
            rows = conn.fetch_all(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'journal_blocks' "
                "AND indexname LIKE 'ix_%'"
            )

    assert [str(row[0]) for row in rows] == ["ix_journal_blocks_tenant"]


@pytest.mark.sqlite
def test_reading_a_tenants_entries_reads_its_blocks_through_the_tenant_index(
    journal_database: Database,
) -> None:
    with journal_database.snapshot() as conn:
        plan = conn.fetch_all(
            "EXPLAIN QUERY PLAN SELECT id, tenant_id, first_id, entries FROM journal_blocks WHERE tenant_id = ? "
            "AND first_id < ? ORDER BY id DESC LIMIT 8",
            ("t", 5),
        )
    steps = [str(row[-1]) for row in plan]

    assert any("ix_journal_blocks_tenant" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_the_stored_time_column_is_the_fixed_width_utc_text_whatever_the_microseconds(
    journal_database: Database, moment: datetime
) -> None:
    JournalStore(journal_database).append([entry(request_id="timed", at=moment)])

    with journal_database.snapshot() as conn:
        row = next(row[2:3] for row in stored_entries(conn) if row[9] == "timed")

    assert row == (datetime_to_stored(moment),)
