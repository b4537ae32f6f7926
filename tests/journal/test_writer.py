"""The writer: recording is a queue append; batches reach the database by count, by time and on close."""

from __future__ import annotations

import gc
import random
import string
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Request, Response
from learninggraph.http.recording import Recorder
from learninggraph.journal.entry import BODY_LIMIT_BYTES, JournalEntry
from learninggraph.journal.journal import Journal
from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.store import JournalStore
from learninggraph.journal.writer import JournalWriter
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from tests.journal.entries import entry

WAIT_SECONDS = 10.0


def _stored(database: Database, tenant_id: str = "tenant-a") -> int:
    return len(search(database, JournalFilter(tenant_id=tenant_id), limit=100_000))


def _eventually(database: Database, count: int) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if _stored(database) == count:
            return True
        time.sleep(0.02)
    return False


def test_what_is_recorded_is_stored_when_the_writer_closes(journal_database: Database) -> None:
    writer = JournalWriter(JournalStore(journal_database), interval=60)
    for _ in range(3):
        writer.record(entry())

    writer.close()

    assert _stored(journal_database) == 3


def test_a_full_batch_is_stored_without_waiting_for_the_interval(journal_database: Database) -> None:
    writer = JournalWriter(JournalStore(journal_database), batch_size=10, interval=60)
    try:
        for _ in range(10):
            writer.record(entry())

        assert _eventually(journal_database, 10)
    finally:
        writer.close()


def test_a_partial_batch_is_stored_after_the_interval(journal_database: Database) -> None:
    writer = JournalWriter(JournalStore(journal_database), batch_size=1000, interval=0.05)
    try:
        writer.record(entry())

        assert _eventually(journal_database, 1)
    finally:
        writer.close()


def test_a_batch_the_database_refuses_is_kept_and_stored_once_it_can_be(fresh_database_url: str) -> None:
    database = Database(fresh_database_url)  # not migrated yet: no journal table
    writer = JournalWriter(JournalStore(database), interval=0.02)
    try:
        writer.record(entry(request_id="kept"))
        deadline = time.monotonic() + WAIT_SECONDS
        while writer.stats.failed_batches == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.stats.failed_batches >= 1

        upgrade(database)
        writer.flush()

        assert [e.request_id for e in search(database, JournalFilter(tenant_id="tenant-a"))] == ["kept"]
        assert writer.stats.dropped == 0
    finally:
        writer.close()
        database.close()


# PostgreSQL's text cannot hold a NUL character, nor its index a row past about 2,700 bytes; SQLite's can.
@pytest.mark.postgresql
@pytest.mark.parametrize(
    "refused_tenant",
    ["tenant-\x00", "".join(random.Random(7).choices(string.ascii_letters, k=6000))],
    ids=["a NUL character", "too long for an index"],
)
def test_an_entry_the_database_cannot_hold_is_dropped_and_counted_and_the_rest_of_its_batch_stored(
    journal_database: Database, refused_tenant: str
) -> None:
    writer = JournalWriter(JournalStore(journal_database), interval=60)
    try:
        writer.record(entry(request_id="before"))
        writer.record(entry(tenant_id=refused_tenant, request_id="refused"))
        writer.record(entry(request_id="after"))
        writer.flush()
        writer.record(entry(request_id="next batch"))
        writer.flush()

        stored = search(journal_database, JournalFilter(tenant_id="tenant-a"))
        assert [e.request_id for e in stored] == ["next batch", "after", "before"]
        assert (writer.stats.dropped, writer.stats.written) == (1, 3)
    finally:
        writer.close()


def test_past_the_pending_bound_the_oldest_recorded_entries_are_dropped_and_counted(
    fresh_database_url: str,
) -> None:
    database = Database(fresh_database_url)  # not migrated: nothing can be stored
    writer = JournalWriter(JournalStore(database), interval=60, max_pending=5)
    try:
        for number in range(8):
            writer.record(entry(request_id=str(number)))

        assert writer.pending == 5
        assert writer.stats.dropped == 3
        upgrade(database)
        writer.flush()
        stored = search(database, JournalFilter(tenant_id="tenant-a"))
        assert sorted(e.request_id for e in stored) == ["3", "4", "5", "6", "7"]
    finally:
        writer.close()
        database.close()


def test_the_writer_stores_thousands_of_entries_a_second(journal_database: Database) -> None:
    count = 5000
    entries = [entry(request_id=str(n)) for n in range(count)]
    writer = JournalWriter(JournalStore(journal_database, max_entries_per_tenant=count))
    started = time.perf_counter()
    for item in entries:
        writer.record(item)
    recorded = time.perf_counter() - started
    writer.close()
    stored = time.perf_counter() - started

    assert writer.stats.written == count
    rate = count / stored
    print(
        f"\n{journal_database.dialect}: {rate:,.0f} entries/s stored; record() {recorded / count * 1e6:.2f} µs"
    )
    assert rate > 1000


def test_an_entry_queued_as_a_call_is_built_when_stored_not_when_recorded(journal_database: Database) -> None:
    writer = JournalWriter(JournalStore(journal_database), interval=60)
    built_in: list[str] = []

    def build() -> JournalEntry:
        built_in.append(threading.current_thread().name)
        return entry(request_id="built")

    writer.record(build)
    assert built_in == []  # recording only queued the call
    writer.flush()
    writer.close()

    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == ["built"]
    assert built_in == [threading.current_thread().name]  # flush stores (and builds) in the caller's thread


def test_a_call_that_fails_to_build_its_entry_is_dropped_and_counted(journal_database: Database) -> None:
    writer = JournalWriter(JournalStore(journal_database), interval=60)

    def broken() -> JournalEntry:
        raise ValueError("no entry")

    writer.record(broken)
    writer.record(entry(request_id="kept"))
    writer.close()

    assert [e.request_id for e in search(journal_database, JournalFilter(tenant_id="tenant-a"))] == ["kept"]
    assert (writer.stats.dropped, writer.stats.written) == (1, 1)


def _record(recorder: Recorder, body: bytes) -> None:
    recorder.record(
        None,
        Response(200, body=body, content_type="application/json"),
        error=None,
        started_at=datetime.now(UTC),
        duration_ms=1.0,
        request_id="r",
        client_request_id="c",
        method="GET",
        url="/v1.0/tenant-a/x",
        request_headers={"authorization": "Bearer tid.tenant-a"},
    )


def test_an_answer_past_the_body_bound_is_cut_when_recorded_not_held_whole_until_stored(
    journal_database: Database,
) -> None:
    journal = Journal(journal_database, interval=60)
    recorder = Recorder(journal)
    queued = journal.writer._queue
    try:
        _record(recorder, b"x" * (BODY_LIMIT_BYTES + 1))
        _record(recorder, b"x" * 10)
        kinds = [isinstance(item, JournalEntry) for item in queued]
    finally:
        journal.close()

    assert kinds == [True, False]


def test_a_recorded_request_keeps_neither_its_context_nor_its_response_alive_until_stored(
    journal_database: Database,
) -> None:
    journal = Journal(journal_database, interval=60)
    recorder = Recorder(journal)
    principal = Principal(
        tenant_id="tenant-a", app_id="app", kind=CallerKind.APPLICATION, permissions=frozenset()
    )
    request = Request(
        method="GET",
        path="/v1.0/x",
        segments=(),
        query={},
        headers={},
        body=b"",
        base_url="http://localhost",
        request_id="r",
        client_request_id="c",
    )
    context = RequestContext(request, version="v1.0", principal=principal)
    response = Response(200, body=b"{}", content_type="application/json")
    held = sys.getrefcount(context), sys.getrefcount(response)
    try:
        recorder.record(
            context,
            response,
            error=None,
            started_at=datetime.now(UTC),
            duration_ms=1.0,
            request_id="r",
            client_request_id="c",
            method="GET",
            url="/v1.0/x",
            request_headers={},
        )
        assert journal.writer.pending == 1
        assert (sys.getrefcount(context), sys.getrefcount(response)) == held
    finally:
        journal.close()

    [stored] = search(journal_database, JournalFilter(tenant_id="tenant-a"))
    assert (stored.caller.app_id, stored.response_body.text) == ("app", "{}")


def test_a_recorded_request_waits_in_the_queue_untracked_by_the_garbage_collector(
    journal_database: Database,
) -> None:
    journal = Journal(journal_database, interval=60)
    recorder = Recorder(journal)
    try:
        _record(recorder, b'{"id":"x"}')
        [queued] = journal.writer._queue
        tracked = gc.is_tracked(queued)
        built = queued() if callable(queued) else queued
    finally:
        journal.close()

    assert not tracked
    assert not any(gc.is_tracked(part) for part in (built, built.caller, built.decision, built.response_body))


def test_storing_a_large_batch_sets_off_few_garbage_collections(journal_database: Database) -> None:
    journal = Journal(journal_database, interval=60, batch_size=4096)
    recorder = Recorder(journal)
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    try:
        for _ in range(2048):
            _record(recorder, b'{"id":"x","displayName":"A provider"}')
        gc.collect()
        gc.callbacks.append(count)
        try:
            journal.flush()
        finally:
            gc.callbacks.remove(count)
    finally:
        journal.close()

    # One tracked object an entry while the batch waits (its row): 2,048 of them, about three passes at
    # the default threshold of 700; the built entries and a second row each were about 35.
    assert _stored(journal_database, "anonymous") == 2048
    assert len(passes) <= 6
