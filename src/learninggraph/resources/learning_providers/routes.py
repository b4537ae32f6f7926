"""HTTP operations on /employeeExperience/learningProviders."""

from __future__ import annotations

from learninggraph.domain.permissions import READ_PROVIDERS, WRITE_PROVIDERS
from learninggraph.http.access import require
from learninggraph.http.messages import Request, Response
from learninggraph.http.odata_json import (
    Renderer,
    collection_response,
    context_url,
    count_response,
    entity_response,
    no_content,
)
from learninggraph.http.routing import Param, Params, Route
from learninggraph.odata.filter import FilterCache
from learninggraph.odata.options import parse_query_options
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.service import LearningProviderService

COLLECTION = "employeeExperience/learningProviders"
ITEM_OPTIONS = frozenset({"$select"})
COUNT_OPTIONS = frozenset({"$filter"})


def routes(
    service: LearningProviderService,
    *,
    page_size: int,
    max_page_size: int,
    filters: FilterCache | None = None,
) -> list[Route]:
    render = Renderer(LEARNING_PROVIDER, with_odata_type=False).render

    def list_providers(request: Request, _: Params) -> Response:
        caller = require(request, READ_PROVIDERS)
        options = parse_query_options(
            request.query, LEARNING_PROVIDER, max_top=max_page_size, filters=filters
        )
        page = service.list(caller, options, page_size=page_size)
        items = [render(row, select=options.select) for row in page.records]
        context = context_url(request, COLLECTION, select=options.select, entity=False)
        return collection_response(request, context, items, next_token=page.next_token, count=page.count)

    def count_providers(request: Request, _: Params) -> Response:
        caller = require(request, READ_PROVIDERS)
        options = parse_query_options(
            request.query, LEARNING_PROVIDER, max_top=max_page_size, filters=filters, allowed=COUNT_OPTIONS
        )
        return count_response(service.count(caller, options))

    def create_provider(request: Request, _: Params) -> Response:
        caller = require(request, WRITE_PROVIDERS)
        row = service.create(caller, request.json_body())
        item = render(row)
        location = f"{request.base_url}/{request.version}/{COLLECTION}/{item['id']}"
        context = context_url(request, COLLECTION, entity=True)
        return entity_response(request, context, item, status=201, headers=[("Location", location)])

    def get_provider(request: Request, params: Params) -> Response:
        caller = require(request, READ_PROVIDERS)
        options = parse_query_options(
            request.query, LEARNING_PROVIDER, max_top=max_page_size, filters=filters, allowed=ITEM_OPTIONS
        )
        row = service.get(caller, params["provider"])
        context = context_url(request, COLLECTION, select=options.select, entity=True)
        return entity_response(request, context, render(row, select=options.select))

    def update_provider(request: Request, params: Params) -> Response:
        caller = require(request, WRITE_PROVIDERS)
        row = service.update(caller, params["provider"], request.json_body())
        if request.wants_representation:
            context = context_url(request, COLLECTION, entity=True)
            return entity_response(
                request, context, render(row), headers=[("Preference-Applied", "return=representation")]
            )
        return no_content()

    def delete_provider(request: Request, params: Params) -> Response:
        caller = require(request, WRITE_PROVIDERS)
        service.delete(caller, params["provider"])
        return no_content()

    provider = Param("provider")
    return [
        Route(("employeeExperience", "learningProviders"), {"GET": list_providers, "POST": create_provider}),
        Route(("employeeExperience", "learningProviders", "$count"), {"GET": count_providers}),
        Route(
            ("employeeExperience", "learningProviders", provider),
            {"GET": get_provider, "PATCH": update_provider, "DELETE": delete_provider},
        ),
        Route(("employeeExperience", "learningProviders", provider, "$ref"), {"DELETE": delete_provider}),
    ]
