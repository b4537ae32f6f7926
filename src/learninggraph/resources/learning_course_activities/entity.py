"""The learningCourseActivity types: learningAssignment and learningSelfInitiatedCourse."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property, union_of
from learninggraph.domain.values import ASSIGNMENT_TYPE, COURSE_STATUS

ID = Property("id", Kind.STRING, "id", nullable=False)
COMPLETED = Property("completedDateTime", Kind.DATETIME, "completed_date_time")
PERCENTAGE = Property("completionPercentage", Kind.INT32, "completion_percentage")
# The metadata spells it with a lower-case "c"; most documentation pages with an upper-case one.
EXTERNAL_ID = Property(
    "externalcourseActivityId",
    Kind.STRING,
    "external_id",
    aliases=("externalCourseActivityId",),
    max_length=256,
)
LEARNER = Property("learnerUserId", Kind.STRING, "learner_user_id", nullable=False, max_length=256)
CONTENT = Property("learningContentId", Kind.STRING, "learning_content_id", nullable=False, max_length=256)
PROVIDER = Property("learningProviderId", Kind.STRING, "provider_id", max_length=256)
STATUS = Property("status", Kind.ENUM, "status", enum=COURSE_STATUS)
ASSIGNED = Property("assignedDateTime", Kind.DATETIME, "assigned_date_time")
ASSIGNER = Property("assignerUserId", Kind.STRING, "assigner_user_id", max_length=256)
ASSIGNMENT_TYPE_PROPERTY = Property(
    "assignmentType", Kind.ENUM, "assignment_type", nullable=False, enum=ASSIGNMENT_TYPE
)
DUE = Property("dueDateTime", Kind.DATETIME_TIME_ZONE, "due_date_time")
NOTES = Property("notes", Kind.ITEM_BODY, "notes")
STARTED = Property("startedDateTime", Kind.DATETIME, "started_date_time")

BASE = (ID, COMPLETED, PERCENTAGE, EXTERNAL_ID, LEARNER, CONTENT, PROVIDER, STATUS)

LEARNING_ASSIGNMENT = EntityType(
    name="learningAssignment",
    base="learningCourseActivity",
    properties=(*BASE, ASSIGNED, ASSIGNER, ASSIGNMENT_TYPE_PROPERTY, DUE, NOTES),
)
LEARNING_SELF_INITIATED_COURSE = EntityType(
    name="learningSelfInitiatedCourse",
    base="learningCourseActivity",
    properties=(*BASE, STARTED),
)
# Queries over the collection see every property of both types.
LEARNING_COURSE_ACTIVITY = union_of(
    "learningCourseActivity", LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE
)

TYPES_BY_NAME = {
    "learningassignment": LEARNING_ASSIGNMENT,
    "learningselfinitiatedcourse": LEARNING_SELF_INITIATED_COURSE,
    # The documentation's prose name for the type.
    "learningselfinitiated": LEARNING_SELF_INITIATED_COURSE,
}


def type_named(odata_type: object) -> EntityType | None:
    """``#microsoft.graph.learningAssignment`` in any letter case, with or without ``#``."""
    if not isinstance(odata_type, str):
        return None
    name = odata_type.strip().removeprefix("#").casefold()
    name = name.removeprefix("microsoft.graph.")
    return TYPES_BY_NAME.get(name)


# What a provider sends when it creates an activity of each type.
CREATABLE = {
    LEARNING_ASSIGNMENT.name: frozenset(p.name for p in LEARNING_ASSIGNMENT.properties if p is not ID),
    LEARNING_SELF_INITIATED_COURSE.name: frozenset(
        p.name for p in LEARNING_SELF_INITIATED_COURSE.properties if p is not ID
    ),
}
REQUIRED_ON_CREATE = {
    LEARNING_ASSIGNMENT.name: ("learnerUserId", "learningContentId", "status", "assignmentType"),
    LEARNING_SELF_INITIATED_COURSE.name: ("learnerUserId", "learningContentId", "status"),
}
# What an update may change: seed 001's tables, with assignmentType and assignerUserId, which the other
# update pages (seeds 000 and 002) list and seed 001's own example sends...
UPDATABLE = {
    LEARNING_ASSIGNMENT.name: frozenset(
        {
            "assignedDateTime",
            "assignerUserId",
            "assignmentType",
            "completedDateTime",
            "completionPercentage",
            "dueDateTime",
            "notes",
            "status",
        }
    ),
    LEARNING_SELF_INITIATED_COURSE.name: frozenset(
        {"completedDateTime", "completionPercentage", "startedDateTime", "status"}
    ),
}
# ...and what identifies the activity: it may be resent unchanged, as the documentation's examples do.
IDENTIFYING = frozenset(
    {
        "learnerUserId",
        "learningContentId",
        "learningProviderId",
        "externalcourseActivityId",
    }
)
SELF_INITIATED_STATUSES_V1 = frozenset({"inProgress", "completed"})
