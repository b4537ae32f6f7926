"""HTTP operations on /employeeExperience/learningNotes: list the tenant's notes, add one.

Reading needs a learning-content read permission, writing the content write permission (Graph's names: the
token service accepts no others).
"""

from __future__ import annotations

from learninggraph.domain.errors import BadRequest
from learninggraph.domain.ids import new_id
from learninggraph.domain.permissions import READ_CONTENTS, WRITE_CONTENTS
from learninggraph.http.access import require
from learninggraph.http.messages import Request, Response
from learninggraph.http.odata_json import collection_response, context_url, entity_response
from learninggraph.http.routing import Params, Route
from learninggraph.storage.database import Database
from tests.architecture.example_resource.entity import TEXT_LENGTH

COLLECTION = "employeeExperience/learningNotes"


def routes(database: Database) -> list[Route]:
    def list_notes(request: Request, _: Params) -> Response:
        caller = require(request, READ_CONTENTS)
        with database.snapshot() as conn:
            rows = conn.fetch_all(
                "SELECT id, text FROM example_learning_notes WHERE tenant_id = ? ORDER BY id",
                (caller.tenant_id,),
            )
        items = [{"id": note_id, "text": text} for note_id, text in rows]
        context = context_url(request, COLLECTION, entity=False)
        return collection_response(request, context, items, next_token=None, count=None)

    def create_note(request: Request, _: Params) -> Response:
        caller = require(request, WRITE_CONTENTS)
        body = request.json_body()
        text = body.get("text")
        if set(body) != {"text"} or not isinstance(text, str) or not text.strip() or len(text) > TEXT_LENGTH:
            raise BadRequest(f"A note is a body of one property, text: 1 to {TEXT_LENGTH} characters.")
        note = {"id": new_id(), "text": text}
        with database.transaction() as conn:
            conn.execute(
                "INSERT INTO example_learning_notes (tenant_id, id, text) VALUES (?, ?, ?)",
                (caller.tenant_id, note["id"], text),
            )
        context = context_url(request, COLLECTION, entity=True)
        return entity_response(request, context, note, status=201)

    return [Route(("employeeExperience", "learningNotes"), {"GET": list_notes, "POST": create_note})]
