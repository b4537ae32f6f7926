"""learningProvider: a provider registered in the tenant, parent of its contents and activities.

``RESOURCE`` describes the folder to ``resources.registry``: its entity, routes, ``$metadata`` and OpenAPI parts.
"""

from __future__ import annotations

from collections.abc import Sequence

from learninggraph.http.routing import Operation
from learninggraph.resources.descriptor import OpenApiParts, Resource, Wiring
from learninggraph.resources.learning_providers import routes
from learninggraph.resources.learning_providers.bodies import provider_body
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.service import LearningProviderService
from learninggraph.resources.metadata import ENTITY_ID, CsdlParts, Declared, collection_of, own


def _routes(wiring: Wiring) -> Sequence[Operation]:
    return routes.routes(LearningProviderService(wiring.database), page_size=wiring.page_size)


RESOURCE = Resource(
    name="learningProviders",
    entities=(LEARNING_PROVIDER,),
    routes=_routes,
    csdl=CsdlParts(
        types=(Declared(LEARNING_PROVIDER.name, own(LEARNING_PROVIDER, (ENTITY_ID,)), base="entity"),),
        members=(
            (
                "employeeExperience",
                collection_of("learningProviders", LEARNING_PROVIDER.name, contained=True),
            ),
        ),
    ),
    openapi=OpenApiParts(collections={"learningproviders": (LEARNING_PROVIDER,)}, request_body=provider_body),
    tables=("learning_providers",),
)
