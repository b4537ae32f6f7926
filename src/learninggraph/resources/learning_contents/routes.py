"""HTTP operations on /employeeExperience/learningProviders/{id}/learningContents."""

from __future__ import annotations

from learninggraph.domain.permissions import READ_CONTENTS, WRITE_CONTENTS
from learninggraph.http.access import require
from learninggraph.http.messages import Request, Response
from learninggraph.http.odata_json import (
    Renderer,
    collection_response,
    context_url,
    count_response,
    entity_response,
    no_content,
    quote_key,
)
from learninggraph.http.routing import Key, Param, Params, Route
from learninggraph.odata.filter import FilterCache
from learninggraph.odata.options import parse_query_options
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.service import ContentKey, LearningContentService

ITEM_OPTIONS = frozenset({"$select"})
COUNT_OPTIONS = frozenset({"$filter"})


def _collection(provider_id: str) -> str:
    return f"employeeExperience/learningProviders('{quote_key(provider_id)}')/learningContents"


def _key(params: Params) -> ContentKey:
    return ContentKey(
        params["provider"], content_id=params.get("content"), external_id=params.get("external")
    )


def routes(
    service: LearningContentService, *, page_size: int, max_page_size: int, filters: FilterCache | None = None
) -> list[Route]:
    render = Renderer(LEARNING_CONTENT, with_odata_type=False).render

    def list_contents(request: Request, params: Params) -> Response:
        caller = require(request, READ_CONTENTS)
        options = parse_query_options(request.query, LEARNING_CONTENT, max_top=max_page_size, filters=filters)
        page = service.list(caller, params["provider"], options, page_size=page_size)
        items = [render(row, select=options.select) for row in page.records]
        context = context_url(request, _collection(params["provider"]), select=options.select, entity=False)
        return collection_response(request, context, items, next_token=page.next_token, count=page.count)

    def count_contents(request: Request, params: Params) -> Response:
        caller = require(request, READ_CONTENTS)
        options = parse_query_options(
            request.query, LEARNING_CONTENT, max_top=max_page_size, filters=filters, allowed=COUNT_OPTIONS
        )
        return count_response(service.count(caller, params["provider"], options))

    def get_content(request: Request, params: Params) -> Response:
        caller = require(request, READ_CONTENTS)
        options = parse_query_options(
            request.query, LEARNING_CONTENT, max_top=max_page_size, filters=filters, allowed=ITEM_OPTIONS
        )
        row = service.get(caller, _key(params))
        context = context_url(request, _collection(params["provider"]), select=options.select, entity=True)
        return entity_response(request, context, render(row, select=options.select))

    def create_content(request: Request, params: Params) -> Response:
        caller = require(request, WRITE_CONTENTS)
        row = service.create(caller, params["provider"], request.json_body())
        item = render(row)
        context = context_url(request, _collection(params["provider"]), entity=True)
        location = f"{request.base_url}/{request.version}/{_collection(params['provider'])}/{item['id']}"
        return entity_response(request, context, item, status=201, headers=[("Location", location)])

    def upsert_content(request: Request, params: Params) -> Response:
        caller = require(request, WRITE_CONTENTS)
        row = service.upsert(caller, _key(params), request.json_body())
        context = context_url(request, _collection(params["provider"]), entity=True)
        return entity_response(request, context, render(row), status=202)

    def delete_content(request: Request, params: Params) -> Response:
        caller = require(request, WRITE_CONTENTS)
        service.delete(caller, _key(params))
        return no_content()

    base = ("employeeExperience", "learningProviders", Param("provider"), "learningContents")
    by_id = (*base[:-1], "learningContents", Param("content"))
    by_external_id = (*base[:-1], Key("learningContents", ("externalid",), "external"))
    item_methods = {"GET": get_content, "PATCH": upsert_content, "DELETE": delete_content}
    return [
        Route(base, {"GET": list_contents, "POST": create_content}),
        Route((*base, "$count"), {"GET": count_contents}),
        Route(by_id, item_methods),
        Route(by_external_id, item_methods),
        Route((*by_id, "$ref"), {"DELETE": delete_content}),
        Route((*by_external_id, "$ref"), {"DELETE": delete_content}),
    ]
