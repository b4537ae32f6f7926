"""The floor of a Graph-faithful GET by id: the least any server answering it as Graph does must do, hand-written.

``bench/ceiling.py``'s minimal GET has no caller: no token, no permission, no Graph headers, no ``@odata``
annotations. The issue's targets are ratios to it, so this floor measures how much of that ratio the Graph
contract itself spends before any code of ours: the same request our server gets (the 1.5 KB bearer token, the
same path), answered with the same status, headers and body bytes, doing only what that answer needs:

- the bearer token found in a dict of verified tokens (the first sight of each is verified by our own
  ``TokenVerifier`` and not counted: the benchmarks warm up first) and its expiry checked;
- the path's version and segments checked;
- the tenant's Viva Learning plan checked (as the token check found it);
- the activity and its provider's sync flag read by one SELECT, its type checked against the caller's permissions
  (an application reads an assignment only with an assigned-course permission, a self-initiated course only with
  a self-initiated one);
- the entity rendered with its ``@odata.context`` and ``@odata.type``, date-times in Graph's form;
- a request-id made, and Graph's headers sent.

No journal, no throttling, no faults, no routing table, no ``$select``, no error envelope beyond a bare 404.
Used by ``bench/instructions.py --floor`` and ``bench/path_cost.py --floor`` (served by ``bench/ceiling.py``
with ``CEILING_APP=floor``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from learninggraph.domain import permissions as granted
from learninggraph.domain.errors import GraphError
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenVerifier
from learninggraph.settings import Settings
from learninggraph.storage.database import Database

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

COMMON = (
    "id, odata_type, completed_date_time, completion_percentage, external_id, learner_user_id,"
    " learning_content_id, provider_id, status, assigned_date_time, assigner_user_id, assignment_type,"
    " due_date_time, notes, started_date_time"
)
# The activity's provider's sync flag, read in the same statement (ours refuses an activity of a provider whose
# sync is off).
SYNC = (
    "(SELECT p.is_course_activity_sync_enabled FROM learning_providers p"
    " WHERE p.tenant_id = a.tenant_id AND p.id = a.provider_id)"
)
READERS = {
    "learningAssignment": frozenset({granted.ASSIGNED_READ_ALL, granted.ASSIGNED_READ_WRITE_ALL}),
    "learningSelfInitiatedCourse": frozenset(
        {granted.SELF_INITIATED_READ_ALL, granted.SELF_INITIATED_READ_WRITE_ALL}
    ),
}
CONTENT_TYPE = (
    b"content-type",
    b"application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
)
FIXED = [(b"odata-version", b"4.0"), (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]


def _when(value: str | None) -> str | None:
    """A stored date-time in Graph's form: whole seconds without their fraction."""
    if value is not None and value.endswith(".000000Z"):
        return value[:-8] + "Z"
    return value


def make_floor(database_url: str, public_url: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The floor's app; ``public_url``: the issuer our tokens were signed as (``--public-url``)."""
    database = Database(database_url)
    verifier = TokenVerifier(
        keys=SigningKeys.load_or_create(database),
        directory=Directory(database),
        settings=Settings(database_url=database_url, public_url=public_url),
    )
    verified: dict[bytes, tuple[str, frozenset[str], float]] = {}
    encode = msgspec.json.encode
    contexts: dict[tuple[str, bytes], str] = {}  # by the scheme and Host the request names, as ours

    def caller(authorization: bytes) -> tuple[str, frozenset[str], float]:
        try:
            principal = verifier.authenticate(authorization.decode())
        except GraphError:
            return ("", frozenset(), 0.0)  # refused: answered 404 below (the floor has no error envelope)
        # A tenant without the Viva Learning plan is refused (as its token is expired here).
        expires_at = time.time() + 3000 if principal.has_learning_plan else 0.0
        found = (principal.tenant_id, principal.permissions, expires_at)
        verified[authorization] = found
        return found

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        authorization = b""
        client_request_id = b""
        host = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"client-request-id":
                client_request_id = value
            elif name == b"host":
                host = value
        found = verified.get(authorization) or caller(authorization)
        tenant_id, holds, expires_at = found
        status, body = 404, b""
        if scope["path"] == "/hello":  # what the benchmarks wait for before they start
            status, body = 200, b"{}"
        parts = scope["path"].split("/")
        if (
            time.time() < expires_at
            and len(parts) == 5
            and parts[1] == "v1.0"
            and parts[2] == "employeeExperience"
            and parts[3] == "learningCourseActivities"
        ):
            with database.read() as conn:
                row = conn.fetch_one(
                    f"SELECT {COMMON}, {SYNC} FROM learning_course_activities a WHERE tenant_id = ? AND id = ?",
                    (tenant_id, parts[4]),
                )
            if row is not None and row[15] and not holds.isdisjoint(READERS[row[1]]):
                where = (scope["scheme"], host)
                context = contexts.get(where)
                if context is None:
                    context = contexts[where] = (
                        f"{where[0]}://{host.decode()}/v1.0/$metadata"
                        "#employeeExperience/learningCourseActivities/$entity"
                    )
                entity = {
                    "@odata.context": context,
                    "@odata.type": "#microsoft.graph." + row[1],
                    "id": row[0],
                    "completedDateTime": _when(row[2]),
                    "completionPercentage": row[3],
                    "externalcourseActivityId": row[4],
                    "learnerUserId": row[5],
                    "learningContentId": row[6],
                    "learningProviderId": row[7],
                    "status": row[8],
                }
                if row[1] == "learningAssignment":
                    entity["assignedDateTime"] = _when(row[9])
                    entity["assignerUserId"] = row[10]
                    entity["assignmentType"] = row[11]
                    # Stored as JSON text (a dateTimeTimeZone and an itemBody), rendered as JSON.
                    entity["dueDateTime"] = None if row[12] is None else msgspec.Raw(row[12])
                    entity["notes"] = None if row[13] is None else msgspec.Raw(row[13])
                else:
                    entity["startedDateTime"] = _when(row[14])
                status, body = 200, encode(entity)
        request_id = str(uuid.uuid4()).encode()
        headers = [
            (b"request-id", request_id),
            (b"client-request-id", client_request_id or request_id),
            *FIXED,
            (b"content-length", str(len(body)).encode()),
            CONTENT_TYPE,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
