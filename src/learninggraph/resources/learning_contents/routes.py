"""HTTP operations on /employeeExperience/learningProviders/{id}/learningContents: declarations and handlers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from learninggraph.domain.permissions import READ_CONTENTS, WRITE_CONTENTS
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
    quote_key,
)
from learninggraph.http.routing import Key, Operation, Param
from learninggraph.odata.options import COLLECTION_OPTIONS, COUNT_OPTIONS, ITEM_OPTIONS
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.service import ContentKey, LearningContentService


@dataclass(frozen=True, slots=True)
class Contents:
    """What the handlers work with: the service, the renderer and the default page size."""

    service: LearningContentService
    renderer: Renderer
    page_size: int


def _collection(provider_id: str) -> str:
    return f"employeeExperience/learningProviders('{quote_key(provider_id)}')/learningContents"


def _key(context: RequestContext) -> ContentKey:
    params = context.params
    return ContentKey(
        params["provider"], content_id=params.get("content"), external_id=params.get("external")
    )


def list_contents(contents: Contents, context: RequestContext) -> Response:
    options, provider = context.options, context.params["provider"]
    page = contents.service.list(context.caller, provider, options, page_size=contents.page_size)
    items = contents.renderer.render_all(page.records, select=options.select)
    url = context_url(context, _collection(provider), select=options.select, entity=False)
    return collection_response(context.request, url, items, next_token=page.next_token, count=page.count)


def count_contents(contents: Contents, context: RequestContext) -> Response:
    return count_response(contents.service.count(context.caller, context.params["provider"], context.options))


def get_content(contents: Contents, context: RequestContext) -> Response:
    select = context.options.select
    row = contents.service.get(context.caller, _key(context))
    url = context_url(context, _collection(context.params["provider"]), select=select, entity=True)
    return entity_body_response(contents.renderer.render_entity(row, url, select=select))


def create_content(contents: Contents, context: RequestContext) -> Response:
    provider = context.params["provider"]
    row = contents.service.create(context.caller, provider, context.request.json_body())
    item = contents.renderer.render(row)
    url = context_url(context, _collection(provider), entity=True)
    location = f"{context.base_url}/{context.version}/{_collection(provider)}/{item['id']}"
    return entity_response(url, item, status=201, headers=[("Location", location)])


def upsert_content(contents: Contents, context: RequestContext) -> Response:
    row = contents.service.upsert(context.caller, _key(context), context.request.json_body())
    url = context_url(context, _collection(context.params["provider"]), entity=True)
    return entity_response(url, contents.renderer.render(row), status=202)


def delete_content(contents: Contents, context: RequestContext) -> Response:
    contents.service.delete(context.caller, _key(context))
    return no_content()


def routes(service: LearningContentService, *, page_size: int) -> list[Operation]:
    """The declarations, bound to the service; the names are stable (logs and the journal record them)."""
    c = Contents(service, Renderer(LEARNING_CONTENT, with_odata_type=False), page_size)
    base = ("employeeExperience", "learningProviders", Param("provider"), "learningContents")
    by_id = (*base, Param("content"))
    by_external_id = (*base[:-1], Key("learningContents", ("externalid",), "external"))
    read, write, entity = READ_CONTENTS, WRITE_CONTENTS, LEARNING_CONTENT
    get, upsert, delete = partial(get_content, c), partial(upsert_content, c), partial(delete_content, c)
    return [
        Operation(
            "learningContents.list", "GET", base, partial(list_contents, c), read,
            entity=entity, options=COLLECTION_OPTIONS,
        ),
        Operation("learningContents.create", "POST", base, partial(create_content, c), write),
        Operation(
            "learningContents.count", "GET", (*base, "$count"), partial(count_contents, c), read,
            entity=entity, options=COUNT_OPTIONS,
        ),
        Operation("learningContents.get", "GET", by_id, get, read, entity=entity, options=ITEM_OPTIONS),
        Operation("learningContents.update", "PATCH", by_id, upsert, write),
        Operation("learningContents.delete", "DELETE", by_id, delete, write),
        Operation(
            "learningContents.getByExternalId", "GET", by_external_id, get, read,
            entity=entity, options=ITEM_OPTIONS,
        ),
        Operation("learningContents.upsertByExternalId", "PATCH", by_external_id, upsert, write),
        Operation("learningContents.deleteByExternalId", "DELETE", by_external_id, delete, write),
        Operation("learningContents.deleteRef", "DELETE", (*by_id, "$ref"), delete, write),
        Operation("learningContents.deleteRefByExternalId", "DELETE", (*by_external_id, "$ref"), delete, write),
    ]  # fmt: skip
