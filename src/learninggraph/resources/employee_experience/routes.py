"""HTTP reads of the containers: ``/employeeExperience``, ``/users/{id}/employeeExperience`` and ``/me/…``.

Neither container stores anything: the singleton has no structural property, a user's container has the user's
id. Reading them needs a learning permission; another user's container needs a tenant-wide learner read.
"""

from __future__ import annotations

from learninggraph.domain.errors import ME_NEEDS_DELEGATION, NO_ACCESS, BadRequest, Forbidden
from learninggraph.domain.permissions import (
    APPLICATION_PERMISSIONS,
    DELEGATED_PERMISSIONS,
    READ_OTHER_LEARNERS,
)
from learninggraph.domain.principal import Permissions, Principal
from learninggraph.http.access import caller_of, require
from learninggraph.http.messages import Request, Response
from learninggraph.http.odata_json import Renderer, context_url, entity_response, quote_key
from learninggraph.http.routing import Param, Params, Route
from learninggraph.identity.directory import get_user, user_not_found
from learninggraph.odata.options import parse_query_options
from learninggraph.resources.employee_experience.entity import (
    EMPLOYEE_EXPERIENCE,
    EMPLOYEE_EXPERIENCE_USER,
)
from learninggraph.resources.employee_experience.records import UserContainerRecord
from learninggraph.storage.database import Database

ITEM_OPTIONS = frozenset({"$select"})
# Any learning permission of the caller's kind admits the containers.
READ_CONTAINER = Permissions(application=APPLICATION_PERMISSIONS, delegated=DELEGATED_PERMISSIONS)


def routes(database: Database, *, max_page_size: int) -> list[Route]:
    render_user = Renderer(EMPLOYEE_EXPERIENCE_USER, with_odata_type=False).render

    def get_tenant_container(request: Request, params: Params) -> Response:
        require(request, READ_CONTAINER)
        options = parse_query_options(
            request.query, EMPLOYEE_EXPERIENCE, max_top=max_page_size, allowed=ITEM_OPTIONS
        )
        return entity_response(
            request, context_url(request, "employeeExperience", select=options.select, entity=False), {}
        )

    def user_container(request: Request, user_id: str) -> Response:
        options = parse_query_options(
            request.query, EMPLOYEE_EXPERIENCE_USER, max_top=max_page_size, allowed=ITEM_OPTIONS
        )
        return entity_response(
            request,
            context_url(
                request,
                f"users('{quote_key(user_id)}')/employeeExperience",
                select=options.select,
                entity=True,
            ),
            render_user(UserContainerRecord(user_id), select=options.select),
        )

    def get_user_container(request: Request, params: Params) -> Response:
        caller = require(request, READ_CONTAINER)
        _require_user(database, caller, params["user"])
        return user_container(request, params["user"])

    def get_my_container(request: Request, params: Params) -> Response:
        # As on every /me path, an application is told so before its permissions are looked at.
        user_id = caller_of(request).user_id
        if user_id is None:
            raise BadRequest(ME_NEEDS_DELEGATION)
        require(request, READ_CONTAINER)
        return user_container(request, user_id)

    return [
        Route(("employeeExperience",), {"GET": get_tenant_container}),
        Route(("users", Param("user"), "employeeExperience"), {"GET": get_user_container}),
        Route(("me", "employeeExperience"), {"GET": get_my_container}),
    ]


def _require_user(database: Database, caller: Principal, user_id: str) -> None:
    """Another user's container: tenant-wide readers only (checked first, so it reveals nothing), then 404."""
    if user_id == caller.user_id:
        return
    if not caller.is_application and not caller.holds_any(READ_OTHER_LEARNERS):
        raise Forbidden(NO_ACCESS)
    with database.snapshot() as conn:
        if get_user(conn, caller.tenant_id, user_id) is None:
            raise user_not_found(user_id)
