"""The employeeExperience containers: the tenant's singleton and each user's employeeExperienceUser.

``RESOURCE`` describes the folder to ``resources.registry``: the root every learning resource hangs under, with
the service's entity container (the ``users`` set and the ``employeeExperience`` singleton).
"""

from __future__ import annotations

from collections.abc import Sequence

from learninggraph.domain.entity import EntityType
from learninggraph.http.routing import Operation
from learninggraph.resources.descriptor import OpenApiParts, Resource, Wiring
from learninggraph.resources.employee_experience import routes
from learninggraph.resources.employee_experience.entity import EMPLOYEE_EXPERIENCE, EMPLOYEE_EXPERIENCE_USER
from learninggraph.resources.metadata import ALIAS, ContainerEntry, CsdlParts, Declared, Member

_ACTIVITIES = "employeeExperience/learningCourseActivities"


def _routes(wiring: Wiring) -> Sequence[Operation]:
    return routes.routes(wiring.database)


def _container_at(segments: Sequence[str]) -> tuple[EntityType, ...] | None:
    """The tenant's singleton, or a user's container under ``users/{id}`` and ``me``."""
    if segments[-1] != EMPLOYEE_EXPERIENCE.name:
        return None
    return (EMPLOYEE_EXPERIENCE_USER,) if segments[0] in ("users", "me") else (EMPLOYEE_EXPERIENCE,)


RESOURCE = Resource(
    name="employeeExperience",
    entities=(EMPLOYEE_EXPERIENCE, EMPLOYEE_EXPERIENCE_USER),
    routes=_routes,
    csdl=CsdlParts(
        types=(
            Declared(EMPLOYEE_EXPERIENCE.name, ()),
            Declared(EMPLOYEE_EXPERIENCE_USER.name, (), base="entity"),
        ),
        members=(
            (
                "user",
                Member(
                    EMPLOYEE_EXPERIENCE.name,
                    f"{ALIAS}.{EMPLOYEE_EXPERIENCE_USER.name}",
                    navigation=True,
                    contained=True,
                ),
            ),
        ),
        container=(
            ContainerEntry("users", "user", bindings=((_ACTIVITIES, _ACTIVITIES),)),
            ContainerEntry(EMPLOYEE_EXPERIENCE.name, EMPLOYEE_EXPERIENCE.name, singleton=True),
        ),
    ),
    openapi=OpenApiParts(singletons=_container_at),
)
