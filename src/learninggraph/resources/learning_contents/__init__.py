"""learningContent: a provider's catalogue entry, upserted by the provider's own externalId.

``RESOURCE`` describes the folder to ``resources.registry``: its entity, routes, ``$metadata`` and OpenAPI parts.
"""

from __future__ import annotations

from collections.abc import Sequence

from learninggraph.domain.values import LEVEL
from learninggraph.http.routing import Operation
from learninggraph.resources.descriptor import OpenApiParts, Resource, Wiring
from learninggraph.resources.learning_contents import routes
from learninggraph.resources.learning_contents.bodies import content_body
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.service import LearningContentService
from learninggraph.resources.metadata import ENTITY_ID, CsdlParts, Declared, collection_of, own


def _routes(wiring: Wiring) -> Sequence[Operation]:
    return routes.routes(LearningContentService(wiring.database), page_size=wiring.page_size)


RESOURCE = Resource(
    name="learningContents",
    entities=(LEARNING_CONTENT,),
    routes=_routes,
    csdl=CsdlParts(
        types=(
            Declared(
                LEARNING_CONTENT.name,
                own(LEARNING_CONTENT, (ENTITY_ID,)),
                base="entity",
                alternate_key="externalId",
            ),
        ),
        members=(
            ("learningProvider", collection_of("learningContents", LEARNING_CONTENT.name, contained=True)),
        ),
        enums=(LEVEL,),
    ),
    openapi=OpenApiParts(
        collections={"learningcontents": (LEARNING_CONTENT,)},
        key_names={"externalid": "externalId"},
        request_body=content_body,
        upsert=True,
    ),
    tables=("learning_contents",),
)
