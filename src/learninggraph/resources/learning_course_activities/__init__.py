"""learningCourseActivity: a learner's assignment or self-initiated course, synced by its provider.

``RESOURCE`` describes the folder to ``resources.registry``: its entities, routes, ``$metadata`` and OpenAPI parts.
"""

from __future__ import annotations

from collections.abc import Sequence

from learninggraph.domain.values import ASSIGNMENT_TYPE, COURSE_STATUS
from learninggraph.http.routing import Operation
from learninggraph.resources.descriptor import OpenApiParts, Resource, Wiring
from learninggraph.resources.learning_course_activities import routes
from learninggraph.resources.learning_course_activities.bodies import activity_body
from learninggraph.resources.learning_course_activities.entity import (
    BASE,
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.service import LearningCourseActivityService
from learninggraph.resources.metadata import ENTITY_ID, CsdlParts, Declared, collection_of, own, structural

_ACTIVITY = "learningCourseActivity"


def _routes(wiring: Wiring) -> Sequence[Operation]:
    return routes.routes(LearningCourseActivityService(wiring.database), page_size=wiring.page_size)


RESOURCE = Resource(
    name="learningCourseActivities",
    entities=(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE),
    routes=_routes,
    csdl=CsdlParts(
        types=(
            Declared(
                _ACTIVITY,
                tuple(structural(p) for p in BASE if p.name != ENTITY_ID.name),
                base="entity",
                alternate_key="externalcourseActivityId",
            ),
            Declared(LEARNING_ASSIGNMENT.name, own(LEARNING_ASSIGNMENT, BASE), base=_ACTIVITY),
            Declared(
                LEARNING_SELF_INITIATED_COURSE.name, own(LEARNING_SELF_INITIATED_COURSE, BASE), base=_ACTIVITY
            ),
        ),
        members=(
            ("employeeExperience", collection_of("learningCourseActivities", _ACTIVITY, contained=True)),
            ("employeeExperienceUser", collection_of("learningCourseActivities", _ACTIVITY, contained=False)),
            ("learningProvider", collection_of("learningCourseActivities", _ACTIVITY, contained=True)),
        ),
        enums=(COURSE_STATUS, ASSIGNMENT_TYPE),
    ),
    openapi=OpenApiParts(
        collections={"learningcourseactivities": (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE)},
        key_names={"externalcourseactivityid": "externalcourseActivityId"},
        request_body=activity_body,
    ),
    tables=("learning_course_activities",),
)
