"""An example resource, served only by the tests that pass it to ``create_app``: the worked example of
docs/architecture.md's "How to add a resource".

Its folder holds what any resource's does: the entity (``entity.py``), its table and migration (``tables.py``),
its routes (``routes.py``) and this descriptor, which the registry assembles into the route table,
``$metadata``, ``/openapi.json`` and the migrations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from learninggraph.http.routing import Operation
from learninggraph.resources.descriptor import OpenApiParts, Resource, Wiring
from learninggraph.resources.metadata import ENTITY_ID, CsdlParts, Declared, collection_of, own
from learninggraph.resources.openapi_requests import closed
from tests.architecture.example_resource import routes
from tests.architecture.example_resource.entity import LEARNING_NOTE
from tests.architecture.example_resource.tables import MIGRATION


def _routes(wiring: Wiring) -> Sequence[Operation]:
    return routes.routes(wiring.database)


def _body(api_version: str, path: str, create: bool) -> dict[str, Any]:
    return closed(LEARNING_NOTE, {"text"}, ("text",))


RESOURCE = Resource(
    name="learningNotes",
    entities=(LEARNING_NOTE,),
    routes=_routes,
    csdl=CsdlParts(
        types=(Declared(LEARNING_NOTE.name, own(LEARNING_NOTE, (ENTITY_ID,)), base="entity"),),
        members=(("employeeExperience", collection_of("learningNotes", LEARNING_NOTE.name, contained=True)),),
    ),
    openapi=OpenApiParts(collections={"learningnotes": (LEARNING_NOTE,)}, request_body=_body),
    tables=("example_learning_notes",),
    migrations=(MIGRATION,),
)
