"""HTTP operations on learningCourseActivities under a provider, the tenant, a user and /me.

Each view of the collection declares the same operations; ``View`` tells a handler which parent the path
named. The routes declare the union of the assignment and self-initiated permissions: which of the two
applies depends on the activity's stored type, so the service checks that one once it has read the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

import msgspec

from learninggraph.domain.permissions import READ_ANY_ACTIVITY, WRITE_ANY_ACTIVITY
from learninggraph.http.batch_requests import ItemRequest
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.http.odata_json import (
    PolymorphicRenderer,
    collection_response,
    context_url,
    count_response,
    entity_body_response,
    no_content,
    quote_key,
)
from learninggraph.http.routing import Key, Operation, Param, Part
from learninggraph.odata.options import COLLECTION_OPTIONS, COUNT_OPTIONS, ITEM_OPTIONS
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.records import ACTIVITY, ActivityRecord
from learninggraph.resources.learning_course_activities.service import (
    ActivityKey,
    LearningCourseActivityService,
)

EXTERNAL_KEY_NAMES = ("externalcourseactivityid",)
ACTIVITIES = "learningCourseActivities"


class View(Enum):
    """Which parent a path names the collection under."""

    PROVIDER = "learningProviders.learningCourseActivities"
    TENANT = "learningCourseActivities"
    USER = "users.learningCourseActivities"
    ME = "me.learningCourseActivities"


_PROVIDER, _USER, _ME = View.PROVIDER, View.USER, View.ME


@dataclass(frozen=True, slots=True)
class Activities:
    """What the handlers work with: the service, the renderer of both activity types and the default page size."""

    service: LearningCourseActivityService
    renderer: PolymorphicRenderer
    page_size: int

    def render(self, record: ActivityRecord, context: RequestContext, select: Any = ()) -> dict[str, Any]:
        include_unknown = context.request.includes_unknown_enum_members
        return self.renderer.render(record, select=select, include_unknown=include_unknown)

    def render_entity(
        self, record: ActivityRecord, context: RequestContext, url: str, select: Any = ()
    ) -> msgspec.Struct:
        """The body of an entity answer: ``@odata.context`` (``url``) first, then the record's object."""
        include_unknown = context.request.includes_unknown_enum_members
        return self.renderer.render_entity(record, url, select=select, include_unknown=include_unknown)


def _scope(view: View, context: RequestContext) -> tuple[str, str | None, str | None]:
    """The context fragment, provider id and learner id of the collection the path names."""
    # Module constants: an enum member read through its class runs a descriptor in Python.
    if view is _PROVIDER:
        provider = context.params["provider"]
        return f"employeeExperience/learningProviders('{quote_key(provider)}')/{ACTIVITIES}", provider, None
    if view is _USER:
        user = context.params["user"]
        return f"users('{quote_key(user)}')/employeeExperience/{ACTIVITIES}", None, user
    if view is _ME:
        user_id = context.caller.user_id  # a signed-in user: the route is declared so
        assert user_id is not None
        return f"users('{quote_key(user_id)}')/employeeExperience/{ACTIVITIES}", None, user_id
    return f"employeeExperience/{ACTIVITIES}", None, None


def _key(view: View, context: RequestContext) -> tuple[str, ActivityKey]:
    fragment, provider, learner = _scope(view, context)
    params = context.params
    # By position: activity id, external id, provider, learner.
    return fragment, ActivityKey(params.get("activity"), params.get("external"), provider, learner)


def list_activities(activities: Activities, view: View, context: RequestContext) -> Response:
    fragment, provider, learner = _scope(view, context)
    options = context.options
    page = activities.service.list_rows(
        context.caller, options, provider_id=provider, learner_id=learner, page_size=activities.page_size
    )
    include_unknown = context.request.includes_unknown_enum_members
    items = activities.renderer.render_rows(
        page.records, select=options.select, include_unknown=include_unknown
    )
    url = context_url(context, fragment, select=options.select, entity=False)
    return collection_response(context.request, url, items, next_token=page.next_token, count=page.count)


def count_activities(activities: Activities, view: View, context: RequestContext) -> Response:
    _, provider, learner = _scope(view, context)
    return count_response(
        activities.service.count(context.caller, context.options, provider_id=provider, learner_id=learner)
    )


def create_activity(activities: Activities, view: View, context: RequestContext) -> Response:
    fragment, provider, _ = _scope(view, context)
    request = context.request
    row = activities.service.create(
        context.caller,
        request.json_body(),
        provider_id=provider,
        version=context.version,
        include_unknown_enum_members=request.includes_unknown_enum_members,
        siblings=request.siblings if isinstance(request, ItemRequest) else None,
    )
    body = activities.render_entity(row, context, context_url(context, fragment, entity=True))
    location = f"{context.base_url}/{context.version}/employeeExperience/{ACTIVITIES}/{quote_key(row.id)}"
    return entity_body_response(body, status=201, headers=[("Location", location)])


def get_activity(activities: Activities, view: View, context: RequestContext) -> Response:
    fragment, key = _key(view, context)
    select = context.options.select
    row = activities.service.get(context.caller, key)
    url = context_url(context, fragment, select=select, entity=True)
    include_unknown = context.request.includes_unknown_enum_members
    return entity_body_response(
        activities.renderer.render_entity(row, url, select=select, include_unknown=include_unknown)
    )


def update_activity(activities: Activities, view: View, context: RequestContext) -> Response:
    fragment, key = _key(view, context)
    request = context.request
    row = activities.service.update(
        context.caller,
        key,
        request.json_body(),
        version=context.version,
        read_back=request.wants_representation,
        include_unknown_enum_members=request.includes_unknown_enum_members,
    )
    if row is None:
        return no_content()
    body = activities.render_entity(row, context, context_url(context, fragment, entity=True))
    return entity_body_response(body, headers=[("Preference-Applied", "return=representation")])


def delete_activity(activities: Activities, view: View, context: RequestContext) -> Response:
    _, key = _key(view, context)
    activities.service.delete(context.caller, key)
    return no_content()


def _view_operations(a: Activities, view: View, base: tuple[Part, ...], *, writable: bool) -> list[Operation]:
    """One view's declarations: list, count and get (by id or external id); create, update and delete
    where the view is writable. Reads accept either type's read permission, writes either type's write
    permission: the service then requires the one of the activity's own type."""
    name, me, entity = view.value, view is View.ME, LEARNING_COURSE_ACTIVITY
    by_id = (*base, Param("activity"))
    by_external_id = (*base[:-1], Key(ACTIVITIES, EXTERNAL_KEY_NAMES, "external"))
    read, write = READ_ANY_ACTIVITY, WRITE_ANY_ACTIVITY
    get = partial(get_activity, a, view)
    operations = [
        Operation(
            f"{name}.list", "GET", base, partial(list_activities, a, view), read, me,
            entity=entity, options=COLLECTION_OPTIONS,
        ),
        Operation(
            f"{name}.count", "GET", (*base, "$count"), partial(count_activities, a, view), read, me,
            entity=entity, options=COUNT_OPTIONS,
        ),
        Operation(f"{name}.get", "GET", by_id, get, read, me, entity=entity, options=ITEM_OPTIONS),
        Operation(
            f"{name}.getByExternalId", "GET", by_external_id, get, read, me,
            entity=entity, options=ITEM_OPTIONS,
        ),
    ]  # fmt: skip
    if writable:
        update, delete = partial(update_activity, a, view), partial(delete_activity, a, view)
        operations += [
            Operation(f"{name}.create", "POST", base, partial(create_activity, a, view), write),
            Operation(f"{name}.update", "PATCH", by_id, update, write),
            Operation(f"{name}.delete", "DELETE", by_id, delete, write),
            Operation(f"{name}.updateByExternalId", "PATCH", by_external_id, update, write),
            Operation(f"{name}.deleteByExternalId", "DELETE", by_external_id, delete, write),
        ]
    return operations


def routes(service: LearningCourseActivityService, *, page_size: int) -> list[Operation]:
    """The declarations of every view, bound to the service; the names are stable (the journal records them)."""
    a = Activities(
        service,
        PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, row_fields=ACTIVITY.fields),
        page_size,
    )
    providers = ("employeeExperience", "learningProviders", Param("provider"), ACTIVITIES)
    return [
        *_view_operations(a, View.PROVIDER, providers, writable=True),
        *_view_operations(a, View.TENANT, ("employeeExperience", ACTIVITIES), writable=True),
        *_view_operations(
            a, View.USER, ("users", Param("user"), "employeeExperience", ACTIVITIES), writable=False
        ),
        *_view_operations(a, View.ME, ("me", "employeeExperience", ACTIVITIES), writable=False),
    ]
