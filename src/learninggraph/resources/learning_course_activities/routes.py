"""HTTP operations on learningCourseActivities: under a provider, the tenant, a user and /me."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from learninggraph.domain.errors import ME_NEEDS_DELEGATION, BadRequest
from learninggraph.http.access import caller_of
from learninggraph.http.messages import Request, Response
from learninggraph.http.odata_json import (
    PolymorphicRenderer,
    collection_response,
    context_url,
    count_response,
    entity_response,
    no_content,
    quote_key,
)
from learninggraph.http.routing import Handler, Key, Param, Params, Route
from learninggraph.odata.filter import FilterCache
from learninggraph.odata.options import parse_query_options
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.records import ActivityRecord
from learninggraph.resources.learning_course_activities.service import (
    ActivityKey,
    LearningCourseActivityService,
)

ITEM_OPTIONS = frozenset({"$select"})
COUNT_OPTIONS = frozenset({"$filter"})
EXTERNAL_KEY_NAMES = ("externalcourseactivityid",)


def _scope(request: Request, params: Params) -> tuple[str, str | None, str | None]:
    """The context fragment, provider id and learner id of the collection a request names."""
    if "provider" in params:
        provider = params["provider"]
        return (
            f"employeeExperience/learningProviders('{quote_key(provider)}')/learningCourseActivities",
            provider,
            None,
        )
    if "user" in params:
        user = params["user"]
        return f"users('{quote_key(user)}')/employeeExperience/learningCourseActivities", None, user
    if params.get("me") == "me":
        caller = caller_of(request)
        if caller.user_id is None:
            raise BadRequest(ME_NEEDS_DELEGATION)
        return (
            f"users('{quote_key(caller.user_id)}')/employeeExperience/learningCourseActivities",
            None,
            caller.user_id,
        )
    return "employeeExperience/learningCourseActivities", None, None


def _key(request: Request, params: Params) -> tuple[str, ActivityKey]:
    context, provider, learner = _scope(request, params)
    key = ActivityKey(
        activity_id=params.get("activity"),
        external_id=params.get("external"),
        provider_id=provider,
        learner_id=learner,
    )
    return context, key


def routes(
    service: LearningCourseActivityService,
    *,
    page_size: int,
    max_page_size: int,
    filters: FilterCache | None = None,
) -> list[Route]:
    renderer = PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE)

    def render(record: ActivityRecord, request: Request, select: Any = ()) -> dict[str, Any]:
        return renderer.render(record, select=select, include_unknown=request.includes_unknown_enum_members)

    def list_activities(request: Request, params: Params) -> Response:
        context, provider, learner = _scope(request, params)
        options = parse_query_options(
            request.query, LEARNING_COURSE_ACTIVITY, max_top=max_page_size, filters=filters
        )
        page = service.list(
            caller_of(request), options, provider_id=provider, learner_id=learner, page_size=page_size
        )
        items = [render(row, request, options.select) for row in page.records]
        return collection_response(
            request,
            context_url(request, context, select=options.select, entity=False),
            items,
            next_token=page.next_token,
            count=page.count,
        )

    def count_activities(request: Request, params: Params) -> Response:
        _, provider, learner = _scope(request, params)
        options = parse_query_options(
            request.query,
            LEARNING_COURSE_ACTIVITY,
            max_top=max_page_size,
            filters=filters,
            allowed=COUNT_OPTIONS,
        )
        return count_response(
            service.count(caller_of(request), options, provider_id=provider, learner_id=learner)
        )

    def create_activity(request: Request, params: Params) -> Response:
        context, provider, _ = _scope(request, params)
        row = service.create(
            caller_of(request),
            request.json_body(),
            provider_id=provider,
            version=request.version,
            include_unknown_enum_members=request.includes_unknown_enum_members,
        )
        item = render(row, request)
        location = f"{request.base_url}/{request.version}/employeeExperience/learningCourseActivities/{quote_key(item['id'])}"
        return entity_response(
            request,
            context_url(request, context, entity=True),
            item,
            status=201,
            headers=[("Location", location)],
        )

    def get_activity(request: Request, params: Params) -> Response:
        context, key = _key(request, params)
        options = parse_query_options(
            request.query,
            LEARNING_COURSE_ACTIVITY,
            max_top=max_page_size,
            filters=filters,
            allowed=ITEM_OPTIONS,
        )
        row = service.get(caller_of(request), key)
        return entity_response(
            request,
            context_url(request, context, select=options.select, entity=True),
            render(row, request, options.select),
        )

    def update_activity(request: Request, params: Params) -> Response:
        context, key = _key(request, params)
        row = service.update(
            caller_of(request),
            key,
            request.json_body(),
            version=request.version,
            read_back=request.wants_representation,
            include_unknown_enum_members=request.includes_unknown_enum_members,
        )
        if row is not None:
            return entity_response(
                request,
                context_url(request, context, entity=True),
                render(row, request),
                headers=[("Preference-Applied", "return=representation")],
            )
        return no_content()

    def delete_activity(request: Request, params: Params) -> Response:
        _, key = _key(request, params)
        service.delete(caller_of(request), key)
        return no_content()

    def me(handler: Handler) -> Handler:
        def with_me(request: Request, params: Params) -> Response:
            return handler(request, {**params, "me": "me"})

        return with_me

    writable: dict[str, Handler] = {"GET": get_activity, "PATCH": update_activity, "DELETE": delete_activity}
    read_only: dict[str, Handler] = {"GET": get_activity}
    table: list[Route] = []

    def add(
        base: tuple[Any, ...],
        collection: dict[str, Handler],
        item: dict[str, Handler],
        wrap: Callable[[Handler], Handler] | None = None,
    ) -> None:
        def wrapped(methods: dict[str, Handler]) -> dict[str, Handler]:
            return methods if wrap is None else {m: wrap(h) for m, h in methods.items()}

        table.append(Route(base, wrapped(collection)))
        table.append(Route((*base, "$count"), wrapped({"GET": count_activities})))
        table.append(Route((*base, Param("activity")), wrapped(item)))
        table.append(
            Route(
                (*base[:-1], Key("learningCourseActivities", EXTERNAL_KEY_NAMES, "external")), wrapped(item)
            )
        )

    add(
        ("employeeExperience", "learningProviders", Param("provider"), "learningCourseActivities"),
        {"GET": list_activities, "POST": create_activity},
        writable,
    )
    add(
        ("employeeExperience", "learningCourseActivities"),
        {"GET": list_activities, "POST": create_activity},
        writable,
    )
    add(
        ("users", Param("user"), "employeeExperience", "learningCourseActivities"),
        {"GET": list_activities},
        read_only,
    )
    add(("me", "employeeExperience", "learningCourseActivities"), {"GET": list_activities}, read_only, me)
    return table
