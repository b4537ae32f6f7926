"""HTTP operations on /employeeExperience/learningProviders: the route declarations and their handlers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from learninggraph.domain.permissions import READ_PROVIDERS, WRITE_PROVIDERS
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.http.odata_json import (
    Renderer,
    collection_response,
    context_url,
    count_response,
    entity_body_response,
    entity_response,
    no_content,
)
from learninggraph.http.routing import Operation, Param
from learninggraph.odata.options import COLLECTION_OPTIONS, COUNT_OPTIONS, ITEM_OPTIONS
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.service import LearningProviderService

COLLECTION = "employeeExperience/learningProviders"


@dataclass(frozen=True, slots=True)
class Providers:
    """What the handlers work with: the service, the renderer and the default page size."""

    service: LearningProviderService
    renderer: Renderer
    page_size: int


def list_providers(providers: Providers, context: RequestContext) -> Response:
    options = context.options
    page = providers.service.list(context.caller, options, page_size=providers.page_size)
    items = providers.renderer.render_all(page.records, select=options.select)
    url = context_url(context, COLLECTION, select=options.select, entity=False)
    return collection_response(context.request, url, items, next_token=page.next_token, count=page.count)


def count_providers(providers: Providers, context: RequestContext) -> Response:
    return count_response(providers.service.count(context.caller, context.options))


def create_provider(providers: Providers, context: RequestContext) -> Response:
    row = providers.service.create(context.caller, context.request.json_body())
    item = providers.renderer.render(row)
    location = f"{context.base_url}/{context.version}/{COLLECTION}/{item['id']}"
    url = context_url(context, COLLECTION, entity=True)
    return entity_response(url, item, status=201, headers=[("Location", location)])


def get_provider(providers: Providers, context: RequestContext) -> Response:
    select = context.options.select
    row = providers.service.get(context.caller, context.params["provider"])
    url = context_url(context, COLLECTION, select=select, entity=True)
    return entity_body_response(providers.renderer.render_entity(row, url, select=select))


def update_provider(providers: Providers, context: RequestContext) -> Response:
    request = context.request
    row = providers.service.update(context.caller, context.params["provider"], request.json_body())
    if request.wants_representation:
        url = context_url(context, COLLECTION, entity=True)
        return entity_response(
            url, providers.renderer.render(row), headers=[("Preference-Applied", "return=representation")]
        )
    return no_content()


def delete_provider(providers: Providers, context: RequestContext) -> Response:
    providers.service.delete(context.caller, context.params["provider"])
    return no_content()


def routes(service: LearningProviderService, *, page_size: int) -> list[Operation]:
    """The declarations, bound to the service; the names are stable (logs and the journal record them)."""
    p = Providers(service, Renderer(LEARNING_PROVIDER, with_odata_type=False), page_size)
    base = ("employeeExperience", "learningProviders")
    item = (*base, Param("provider"))
    read, write, entity = READ_PROVIDERS, WRITE_PROVIDERS, LEARNING_PROVIDER
    return [
        Operation(
            "learningProviders.list", "GET", base, partial(list_providers, p), read,
            entity=entity, options=COLLECTION_OPTIONS,
        ),
        Operation("learningProviders.create", "POST", base, partial(create_provider, p), write),
        Operation(
            "learningProviders.count", "GET", (*base, "$count"), partial(count_providers, p), read,
            entity=entity, options=COUNT_OPTIONS,
        ),
        Operation(
            "learningProviders.get", "GET", item, partial(get_provider, p), read,
            entity=entity, options=ITEM_OPTIONS,
        ),
        Operation("learningProviders.update", "PATCH", item, partial(update_provider, p), write),
        Operation("learningProviders.delete", "DELETE", item, partial(delete_provider, p), write),
        Operation(
            "learningProviders.deleteRef", "DELETE", (*item, "$ref"), partial(delete_provider, p), write
        ),
    ]  # fmt: skip
