"""HTTP reads of the containers: ``/employeeExperience``, ``/users/{id}/employeeExperience`` and ``/me/…``.

Neither container stores anything: the singleton has no structural property, a user's container has the user's
id. Reading them needs a learning permission; another user's container needs a tenant-wide learner read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from learninggraph.domain.errors import NO_ACCESS, Forbidden
from learninggraph.domain.permissions import (
    APPLICATION_PERMISSIONS,
    DELEGATED_PERMISSIONS,
    READ_OTHER_LEARNERS,
)
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.http.odata_json import Renderer, context_url, entity_response, quote_key
from learninggraph.http.routing import Operation, Param
from learninggraph.identity.directory import get_user, user_not_found
from learninggraph.odata.options import ITEM_OPTIONS
from learninggraph.resources.employee_experience.entity import (
    EMPLOYEE_EXPERIENCE,
    EMPLOYEE_EXPERIENCE_USER,
)
from learninggraph.resources.employee_experience.records import UserContainerRecord
from learninggraph.storage.database import Database

# Any learning permission of the caller's kind admits the containers.
READ_CONTAINER = Permissions(application=APPLICATION_PERMISSIONS, delegated=DELEGATED_PERMISSIONS)


@dataclass(frozen=True, slots=True)
class Containers:
    """What the handlers work with: the database (to find other users) and the user container's renderer."""

    database: Database
    renderer: Renderer


def get_tenant_container(context: RequestContext) -> Response:
    url = context_url(context, "employeeExperience", select=context.options.select, entity=False)
    return entity_response(url, {})


def get_user_container(containers: Containers, context: RequestContext) -> Response:
    user_id = context.params["user"]
    _require_user(containers.database, context.caller, user_id)
    return _user_container(containers, context, user_id)


def get_my_container(containers: Containers, context: RequestContext) -> Response:
    user_id = context.caller.user_id  # a signed-in user: the route is declared so
    assert user_id is not None
    return _user_container(containers, context, user_id)


def _user_container(containers: Containers, context: RequestContext, user_id: str) -> Response:
    select = context.options.select
    fragment = f"users('{quote_key(user_id)}')/employeeExperience"
    url = context_url(context, fragment, select=select, entity=True)
    return entity_response(url, containers.renderer.render(UserContainerRecord(user_id), select=select))


def routes(database: Database) -> list[Operation]:
    """The declarations, bound to the database; the names are stable (logs and the journal record them)."""
    c = Containers(database, Renderer(EMPLOYEE_EXPERIENCE_USER, with_odata_type=False))
    read, user = READ_CONTAINER, EMPLOYEE_EXPERIENCE_USER
    return [
        Operation(
            "employeeExperience.get", "GET", ("employeeExperience",), get_tenant_container, read,
            entity=EMPLOYEE_EXPERIENCE, options=ITEM_OPTIONS,
        ),
        Operation(
            "users.employeeExperience.get", "GET", ("users", Param("user"), "employeeExperience"),
            partial(get_user_container, c), read, entity=user, options=ITEM_OPTIONS,
        ),
        Operation(
            "me.employeeExperience.get", "GET", ("me", "employeeExperience"), partial(get_my_container, c),
            read, signed_in_user=True, entity=user, options=ITEM_OPTIONS,
        ),
    ]  # fmt: skip


def _require_user(database: Database, caller: Principal, user_id: str) -> None:
    """Another user's container: tenant-wide readers only (checked first, so it reveals nothing), then 404."""
    if user_id == caller.user_id:
        return
    if not caller.is_application and not caller.holds_any(READ_OTHER_LEARNERS):
        raise Forbidden(NO_ACCESS)
    with database.snapshot() as conn:
        if get_user(conn, caller.tenant_id, user_id) is None:
            raise user_not_found(user_id)
