"""The compact stored record (SQLite): written straight from what a request captured, read back as the same entry
the JSON record gives, and never holding what redaction would remove."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, CONTENT_READ_ALL, DELEGATED_PERMISSIONS
from learninggraph.domain.values import datetime_to_stored
from learninggraph.journal.blocks import stored_entries
from learninggraph.journal.captured import Captured
from learninggraph.journal.compact import PERMISSIONS, compact_record, is_compact
from learninggraph.journal.entry import BODY_LIMIT_BYTES, Caller, Decision
from learninggraph.journal.queries import JournalFilter, search
from learninggraph.journal.redaction import REDACTED, SECRET_FIELDS
from learninggraph.journal.storage import journal_database_of
from learninggraph.journal.store import JournalStore, decode_record, stored_row
from learninggraph.resources.registry import served
from learninggraph.storage.database import Database
from tests.builders import Catalogue, Tenant
from tests.journal.recorded import recorded

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ0In0.c2lnbmF0dXJl"
ACTIVITY = "/v1.0/employeeExperience/learningCourseActivities/{activity}"
ACTIVITY_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
PROVIDERS = "/employeeExperience/learningProviders"
CALLER = Caller(kind="application", app_id="app-1", permissions=("LearningAssignedCourse.Read.All",))


def captured(**overrides: Any) -> Captured:
    """A GET of a course activity as the request path captures it, with ``overrides``."""
    request_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "tenant": "tenant-a",
        "caller": CALLER,
        "route": ACTIVITY,
        "operation": "learningCourseActivities.get",
        "decision": Decision("ok"),
        "started_at": datetime.now(UTC),
        "duration_ms": 1.5,
        "request_id": request_id,
        "client_request_id": request_id,
        "method": "GET",
        "url": "/v1.0/employeeExperience/learningCourseActivities/a-1",
        "request_headers": {"host": "127.0.0.1", "authorization": f"Bearer {JWT}"},
        "request_body": b"",
        "status": 200,
        "response_body": json.dumps(
            {"id": "a-1", "externalcourseActivityId": "ext-1", "status": "completed"}
        ).encode(),
        "content_type": ACTIVITY_JSON,
        "extra_headers": (),
        "batch_request_id": None,
    }
    values.update(overrides)
    return Captured(**values)


# What a request captured, one of each kind the writer meets: the compact ones and those stored as JSON.
CASES: dict[str, Captured] = {
    "a plain GET": captured(),
    "a PATCH with its body": captured(
        method="PATCH",
        request_body=b'{"completionPercentage": 40}',
        status=204,
        response_body=b"",
        content_type=None,
    ),
    "a POST answered with a location": captured(
        method="POST", status=201, extra_headers=(("Location", "https://x/v1.0/a-2"),)
    ),
    "a batch item": captured(batch_request_id="batch-1"),
    "a user with directory roles and a permission of its own": captured(
        caller=Caller(
            kind="delegated",
            app_id="app-2",
            user_id="user-1",
            permissions=("Custom.Scope", "LearningContent.Read.All"),
            directory_roles=("62e90394-69f5-4237-9190-012177145e10",),
        )
    ),
    "a start in seconds since the epoch": captured(started_at=1_795_000_000.25),
    "a client request-id of the client's own": captured(client_request_id="the-client's-id"),
    "a client request-id holding a JWT": captured(client_request_id=f"id-{JWT}"),
    "an answer with a cookie and a location": captured(
        method="POST",
        status=201,
        extra_headers=(("Set-Cookie", "session=s3cr3t"), ("Location", "https://x/v1.0/a-3")),
    ),
    "an answer of a content type of its own": captured(content_type="application/json; charset=utf-8"),
    "an answer with text beyond ASCII": captured(response_body='{"title": "Überblick – 日本語"}'.encode()),
    "an answer holding a suspect word in a value": captured(response_body=b'{"title": "Secret codes"}'),
    "a request body holding a secret": captured(
        method="POST", request_body=json.dumps({"client_secret": "s3cr3t"}).encode(), status=201
    ),
    "an answer holding a JWT": captured(response_body=json.dumps({"externalcourseActivityId": JWT}).encode()),
    "an answer with an escape": captured(response_body=b'{"title": "\\u0065yJ"}'),
    "a refusal with a hint": captured(
        status=403, decision=Decision("permission.missing", "Ask for it", {"a": 1})
    ),
    "a sign-in's answer": captured(
        route="/{tenant}/oauth2/v2.0/token",
        method="POST",
        url="/t/oauth2/v2.0/token",
        request_body=b"grant_type=client_credentials&client_id=c&client_secret=s3cr3t",
        response_body=json.dumps({"access_token": JWT, "token_type": "Bearer"}).encode(),
        content_type="application/json",
    ),
    "a request body that is not UTF-8": captured(method="PATCH", request_body=b'{"title": "\xff"}'),
    "a request body past the bound": captured(
        method="PATCH", request_body=b'{"t": "' + b"x" * BODY_LIMIT_BYTES + b'"}'
    ),
}
COMPACT = {
    "a plain GET",
    "a start in seconds since the epoch",
    "a client request-id of the client's own",
    "an answer with a cookie and a location",
    "an answer of a content type of its own",
    "a PATCH with its body",
    "a POST answered with a location",
    "a batch item",
    "a user with directory roles and a permission of its own",
    "an answer with text beyond ASCII",
    "an answer holding a suspect word in a value",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_a_request_captured_reads_back_as_the_entry_its_json_record_gives(
    journal_database: Database, case: str
) -> None:
    item = CASES[case]
    store = JournalStore(journal_database)

    row = store.row_of(item)

    expected = stored_row(item())
    store.append_rows([row, expected])
    with journal_database.snapshot() as conn:
        stored = [row[1:10] for row in stored_entries(conn)]
    assert stored[0] == stored[1]
    assert decode_record(7, row[-1]) == decode_record(7, expected[-1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_an_answer_with_nothing_more_to_redact_than_its_url_and_headers_is_compact(case: str) -> None:
    assert (compact_record(CASES[case]) is not None) == (case in COMPACT)


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_token_or_secret_reaches_a_stored_record(journal_database: Database, case: str) -> None:
    store = JournalStore(journal_database)
    store.append_rows([store.row_of(CASES[case])])

    with journal_database.snapshot() as conn:
        record = stored_entries(conn)[-1][-1]
    raw = record if isinstance(record, bytes) else record.encode()
    assert JWT.encode() not in raw
    assert b"s3cr3t" not in raw


def test_the_bearer_token_of_a_compact_record_is_redacted_and_its_scheme_kept() -> None:
    item = captured()

    entry = decode_record(1, compact_record(item) or b"")

    assert dict(entry.request_headers)["authorization"] == f"Bearer {REDACTED}"


def test_a_jwt_in_a_graph_resource_answer_is_redacted_when_stored(journal_database: Database) -> None:
    store = JournalStore(journal_database)
    store.append_rows([store.row_of(CASES["an answer holding a JWT"])])

    (entry,) = search(journal_database, JournalFilter(tenant_id="tenant-a"))

    assert json.loads(entry.response_body.text) == {"externalcourseActivityId": REDACTED}


def test_a_plain_answer_is_stored_compact_on_both_backends(journal_database: Database) -> None:
    store = JournalStore(journal_database)
    store.append_rows([store.row_of(captured())])

    with journal_database.snapshot() as conn:
        row = stored_entries(conn)[0][-1:]
    assert is_compact(row[0])


def test_a_journal_holding_json_and_compact_records_reads_both_newest_first(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database)
    older, newer = captured(url="/v1.0/older"), captured(url="/v1.0/newer")
    store.append([older()])
    store.append_rows([store.row_of(newer)])

    entries = search(journal_database, JournalFilter(tenant_id="tenant-a"))

    assert [entry.url for entry in entries] == ["/v1.0/newer", "/v1.0/older"]
    assert entries[0].response_body == newer().response_body


def test_no_property_a_graph_resource_is_rendered_with_is_named_like_a_secret_field() -> None:
    # The compact record looks for nothing but JWTs in a Graph route's successful answers: their names are
    # the schema's (and the complex types' members), and none may be a field redaction removes.
    names = {
        name
        for resource in served()
        for entity in resource.entities
        for prop in entity.properties
        for name in (prop.name, *prop.aliases)
    }
    names |= {"dateTime", "timeZone", "content", "contentType", "value", "id"}

    assert "externalcourseActivityId" in names
    assert sorted(name for name in names if name.lower() in SECRET_FIELDS) == []


def test_the_server_stores_a_plain_read_compact_and_reads_back_its_answer(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app([CONTENT_READ_ALL]).get(
        tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents?$top=1")
    )

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    with journal_database_of(database) as journal, journal.snapshot() as conn:
        row = next(row[-1:] for row in stored_entries(conn) if row[0] == entry.id)
    assert response.status_code == 200
    assert is_compact(row[0])
    assert entry.response_body.text == response.text
    assert dict(entry.request_headers)["authorization"] == f"Bearer {REDACTED}"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 11, 26, 10, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_compact_rows_time_column_is_the_fixed_width_utc_text(
    journal_database: Database, moment: datetime
) -> None:
    row = JournalStore(journal_database).row_of(captured(started_at=moment))

    assert row[2] == datetime_to_stored(moment)


def test_a_compact_record_holds_the_request_id_once_and_not_the_graph_content_type() -> None:
    # The answer's request-id and client-request-id headers repeat the entry's ids, and its content type is
    # the Graph JSON one: the record keeps each once (the type by its index), read back whole.
    item = captured()

    record = compact_record(item) or b""

    assert record.count(item.request_id.encode()) == 1
    assert ACTIVITY_JSON.encode() not in record
    assert decode_record(1, record).response_headers == (
        ("request-id", item.request_id),
        ("client-request-id", item.request_id),
        ("content-type", ACTIVITY_JSON),
    )


def test_every_permission_the_server_grants_is_stored_by_its_index() -> None:
    # A caller's permission names were a fifth of a record; stored records keep the indexes.
    granted = APPLICATION_PERMISSIONS | DELEGATED_PERMISSIONS
    item = captured(caller=Caller(kind="application", app_id="app-1", permissions=tuple(sorted(granted))))

    record = compact_record(item) or b""

    assert granted <= set(PERMISSIONS)
    assert not any(name.encode() in record for name in granted)
    assert decode_record(1, record).caller == item.caller


def test_a_record_of_the_earlier_compact_layout_reads_back_as_its_entry() -> None:
    # Journal files written before the current layout hold records of layout 2: the answer's headers whole.
    item = captured(client_request_id="client-1", extra_headers=(("Location", "https://x/v1.0/a-2"),))
    entry = item()
    earlier = msgspec.msgpack.encode(
        (
            2,
            entry.at,
            entry.tenant_id,
            entry.caller,
            entry.method,
            entry.url,
            entry.status,
            entry.duration_ms,
            entry.request_id,
            entry.decision,
            entry.route,
            entry.operation,
            entry.client_request_id,
            (("host", "127.0.0.1"), ("authorization", f"Bearer {REDACTED}")),
            item.request_body,
            entry.response_headers,
            item.response_body,
            entry.batch_request_id,
        )
    )

    assert decode_record(5, earlier) == decode_record(5, compact_record(item) or b"")


def test_a_record_of_layout_3_reads_back_as_its_entry() -> None:
    # Layout 3 stored the start as a time and the decision whole; layout 4 stores seconds and the rule alone.
    moment = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    item = captured(started_at=moment.timestamp(), client_request_id="client-1")
    entry = item()
    layout_3 = msgspec.msgpack.encode(
        (
            3,
            moment,
            entry.tenant_id,
            entry.caller,
            entry.method,
            entry.url,
            entry.status,
            entry.duration_ms,
            entry.request_id,
            entry.decision,
            entry.route,
            entry.operation,
            entry.client_request_id,
            (("host", "127.0.0.1"), ("authorization", f"Bearer {REDACTED}")),
            item.request_body,
            0,
            (),
            item.response_body,
            entry.batch_request_id,
        )
    )

    assert decode_record(5, layout_3) == decode_record(5, compact_record(item) or b"")


def test_a_jwt_sent_as_the_client_request_id_is_redacted_in_the_entry_and_its_answer_headers(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    response = tenant.app([CONTENT_READ_ALL]).get(
        tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents?$top=1"),
        headers={"client-request-id": f"id-{JWT}"},
    )

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert response.status_code == 200
    assert entry.client_request_id == f"id-{REDACTED}"
    assert dict(entry.response_headers)["client-request-id"] == f"id-{REDACTED}"


def test_an_entrys_time_is_when_its_request_started(
    tenant: Tenant, database: Database, catalogue: Catalogue
) -> None:
    before = datetime.now(UTC)
    response = tenant.app([CONTENT_READ_ALL]).get(
        tenant.url(f"{PROVIDERS}/{catalogue.provider_id}/learningContents?$top=1")
    )
    after = datetime.now(UTC)

    entry = recorded(database, tenant.tenant_id, response.headers["request-id"])
    assert before <= entry.at <= after
    assert entry.at.tzinfo is not None and entry.at.utcoffset() == timedelta(0)
    assert entry.at + timedelta(milliseconds=entry.duration_ms) <= after


def test_a_start_given_in_seconds_since_the_epoch_is_stored_as_that_time(journal_database: Database) -> None:
    moment = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    item = captured(started_at=moment.timestamp())

    row = JournalStore(journal_database).row_of(item)

    assert row[2] == datetime_to_stored(moment)
    assert decode_record(1, row[-1]).at == moment


@pytest.mark.parametrize(
    "seconds",
    [
        1_795_000_000.0,
        1_795_000_000.25,
        1_795_000_000.0000005,
        1_795_000_000.9999996,
        1.5e-6,
        4e9 + 0.1,
        -1.2500004,
        -0.0000006,
    ],
)
def test_the_time_column_of_a_start_in_seconds_is_that_of_its_time(
    journal_database: Database, seconds: float
) -> None:
    # The column is formatted from the seconds, rounded to microseconds as the entry's time is (half to even).
    row = JournalStore(journal_database).row_of(captured(started_at=seconds))

    assert row[2] == datetime_to_stored(datetime.fromtimestamp(seconds, UTC))


def test_an_applications_compact_row_is_stored_without_a_user_and_found_by_its_app(
    journal_database: Database,
) -> None:
    store = JournalStore(journal_database)
    item = captured()

    store.append_rows([store.row_of(item)])

    with journal_database.snapshot() as conn:
        stored = [row[3:5] for row in stored_entries(conn)]
    assert stored == [("app-1", None)]
    assert [
        entry.request_id for entry in search(journal_database, JournalFilter("tenant-a", app_id="app-1"))
    ] == [item.request_id]
