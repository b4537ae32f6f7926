"""Creating a course activity does the least work the rules allow: one INSERT whose WHERE holds the checks on
its provider, content and learner (a bulk ``$batch``'s creates: all of theirs read in one statement), the record
answered as inserted rather than read back; and still answered as a read returns it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from learninggraph.domain.errors import BadRequest
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.http.batch_requests import Siblings
from learninggraph.resources.learning_course_activities.service import LearningCourseActivityService
from learninggraph.storage.database import Connection, Database
from tests.builders import Catalogue

WRITE = frozenset({"LearningAssignedCourse.ReadWrite.All", "LearningSelfInitiatedCourse.ReadWrite.All"})


class _Counting:
    """The transaction's connection, counting the statements sent through it."""

    def __init__(self, conn: Connection, sent: list[str]) -> None:
        self._conn = conn
        self._sent = sent

    def fetch_one(self, sql: str, params: Any = (), **options: Any) -> Any:
        self._sent.append(sql)
        return self._conn.fetch_one(sql, params, **options)

    def fetch_all(self, sql: str, params: Any = (), **options: Any) -> Any:
        self._sent.append(sql)
        return self._conn.fetch_all(sql, params, **options)

    def execute(self, sql: str, params: Any = (), **options: Any) -> Any:
        self._sent.append(sql)
        return self._conn.execute(sql, params, **options)


class _CountingDatabase:
    """The session's database, each write transaction's statements recorded in ``sent``."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.sent: list[str] = []

    @contextmanager
    def transaction(self) -> Iterator[_Counting]:
        with self._database.transaction() as conn:
            yield _Counting(conn, self.sent)

    @contextmanager
    def single_write(self) -> Iterator[_Counting]:
        with self._database.single_write() as conn:
            yield _Counting(conn, self.sent)

    @contextmanager
    def unlocked_write(self) -> Iterator[_Counting]:
        with self._database.unlocked_write() as conn:
            yield _Counting(conn, self.sent)


@pytest.fixture
def counted(database: Database) -> _CountingDatabase:
    return _CountingDatabase(database)


def _create(
    counted: _CountingDatabase, catalogue: Catalogue, body: dict[str, Any], siblings: Siblings | None = None
) -> Any:
    service = LearningCourseActivityService(counted)  # type: ignore[arg-type]
    caller = Principal(catalogue.tenant.tenant_id, "bulk-test", CallerKind.APPLICATION, WRITE)
    return service.create(
        caller,
        body,
        provider_id=catalogue.provider_id,
        version="v1.0",
        include_unknown_enum_members=False,
        siblings=siblings,
    )


def test_creating_an_activity_sends_one_insert(counted: _CountingDatabase, catalogue: Catalogue) -> None:
    body = catalogue.tenant.assignment_body(catalogue.content_id)

    _create(counted, catalogue, body)

    assert [sql.split()[0].upper() for sql in counted.sent] == ["INSERT"]


def test_an_unknown_learner_is_refused_by_the_read_after_the_insert_that_stored_nothing(
    counted: _CountingDatabase, catalogue: Catalogue, database: Database
) -> None:
    body = catalogue.tenant.assignment_body(catalogue.content_id, learnerUserId="no-such-learner")

    with pytest.raises(BadRequest, match="learnerUserId"):
        _create(counted, catalogue, body)

    assert [sql.split()[0].upper() for sql in counted.sent] == ["INSERT", "SELECT"]
    with database.read() as conn:
        stored = conn.fetch_one(
            "SELECT COUNT(*) FROM learning_course_activities WHERE learner_user_id = ?", ("no-such-learner",)
        )
    assert stored == (0,)


@pytest.mark.parametrize("kind", ["assignment", "self_initiated"])
def test_a_created_activity_is_answered_exactly_as_reading_it_back_answers(
    catalogue: Catalogue, kind: str
) -> None:
    tenant = catalogue.tenant
    if kind == "assignment":
        body = tenant.assignment_body(catalogue.content_id, completionPercentage=40)
    else:
        body = tenant.self_initiated_body(catalogue.content_id, completionPercentage=40)
    app = tenant.app()

    created = app.post(catalogue.activities_url, json=body)
    read = app.get(f"{catalogue.activities_url}/{created.json()['id']}")

    assert created.status_code == 201, created.text
    assert read.status_code == 200
    without_context = {k: v for k, v in created.json().items() if k != "@odata.context"}
    assert without_context == {k: v for k, v in read.json().items() if k != "@odata.context"}


def test_the_creates_of_a_bulk_batch_read_all_their_contexts_in_one_statement(
    counted: _CountingDatabase, catalogue: Catalogue
) -> None:
    tenant = catalogue.tenant
    bodies = [
        tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId=f"bulk-{n}")
        for n in range(3)
    ]
    siblings = Siblings(bodies)

    created = [_create(counted, catalogue, body, siblings) for body in bodies]

    assert [sql.split()[0].upper() for sql in counted.sent] == ["WITH", "INSERT", "INSERT", "INSERT"]
    assert [record.external_id for record in created] == ["bulk-0", "bulk-1", "bulk-2"]


def test_each_create_of_a_bulk_batch_is_judged_on_its_own_provider_content_and_learner(
    catalogue: Catalogue,
) -> None:
    tenant = catalogue.tenant
    unlicensed = tenant.new_user(licensed=False)
    foreign = tenant.content(tenant.provider()["id"])
    bodies = [
        tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId="judged-1"),
        tenant.self_initiated_body("no-such-content", externalcourseActivityId="judged-2"),
        tenant.self_initiated_body(catalogue.content_id, learnerUserId="no-such-learner"),
        tenant.self_initiated_body(catalogue.content_id, learnerUserId=unlicensed.id),
        tenant.self_initiated_body(foreign["id"], externalcourseActivityId="judged-5"),
        tenant.self_initiated_body(catalogue.content_id, externalcourseActivityId="judged-6"),
    ]
    url = f"/employeeExperience/learningProviders/{catalogue.provider_id}/learningCourseActivities"
    requests = [
        {
            "id": str(n),
            "method": "POST",
            "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": b,
        }
        for n, b in enumerate(bodies)
    ]

    response = tenant.app().post(tenant.url("/$batch"), json={"requests": requests})

    answers = response.json()["responses"]
    alone = [tenant.app().post(catalogue.activities_url, json=b) for b in bodies[1:5]]
    assert [a["status"] for a in answers] == [201, 400, 400, 403, 403, 201]
    assert [a["status"] for a in answers[1:5]] == [r.status_code for r in alone]
    errors = [(e["code"], e["message"]) for e in (a["body"]["error"] for a in answers[1:5])]
    assert errors == [(r.json()["error"]["code"], r.json()["error"]["message"]) for r in alone]
