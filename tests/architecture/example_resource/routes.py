"""HTTP operations on /employeeExperience/learningNotes: list the tenant's notes, add one.

Each operation is declared with the permissions it accepts (Graph's names: the token service grants no
others); the edge checks them before a handler runs. Reading needs a learning-content read permission,
writing the content write permission.
"""

from __future__ import annotations

from functools import partial

from learninggraph.domain.errors import BadRequest
from learninggraph.domain.ids import new_id
from learninggraph.domain.permissions import READ_CONTENTS, WRITE_CONTENTS
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.http.odata_json import collection_response, context_url, entity_response
from learninggraph.http.routing import Operation
from learninggraph.storage.database import Database
from tests.architecture.example_resource.entity import TEXT_LENGTH

COLLECTION = "employeeExperience/learningNotes"


def list_notes(database: Database, context: RequestContext) -> Response:
    with database.snapshot() as conn:
        rows = conn.fetch_all(
            "SELECT id, text FROM example_learning_notes WHERE tenant_id = ? ORDER BY id",
            (context.caller.tenant_id,),
        )
    items = [{"id": note_id, "text": text} for note_id, text in rows]
    url = context_url(context, COLLECTION, entity=False)
    return collection_response(context.request, url, items, next_token=None, count=None)


def create_note(database: Database, context: RequestContext) -> Response:
    body = context.request.json_body()
    text = body.get("text")
    if set(body) != {"text"} or not isinstance(text, str) or not text.strip() or len(text) > TEXT_LENGTH:
        raise BadRequest(f"A note is a body of one property, text: 1 to {TEXT_LENGTH} characters.")
    note = {"id": new_id(), "text": text}
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO example_learning_notes (tenant_id, id, text) VALUES (?, ?, ?)",
            (context.caller.tenant_id, note["id"], text),
        )
    return entity_response(context_url(context, COLLECTION, entity=True), note, status=201)


def routes(database: Database) -> list[Operation]:
    """The declarations, bound to the database."""
    base = ("employeeExperience", "learningNotes")
    return [
        Operation("learningNotes.list", "GET", base, partial(list_notes, database), READ_CONTENTS),
        Operation("learningNotes.create", "POST", base, partial(create_note, database), WRITE_CONTENTS),
    ]
