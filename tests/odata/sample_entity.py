"""A small entity type with one property of every kind the query options treat differently."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import COURSE_STATUS

ID = Property("id", Kind.STRING, "id", nullable=False)
NAME = Property("displayName", Kind.STRING, "display_name", aliases=("title",))
PERCENT = Property("completionPercentage", Kind.INT32, "completion_percentage")
ACTIVE = Property("isActive", Kind.BOOLEAN, "is_active")
STATUS = Property("status", Kind.ENUM, "status", enum=COURSE_STATUS)
COMPLETED = Property("completedDateTime", Kind.DATETIME, "completed_date_time")
TAGS = Property("tags", Kind.STRING_LIST, "tags")
NOTES = Property("notes", Kind.ITEM_BODY, "notes")
ACTIVITY = EntityType("learningCourseActivity", (ID, NAME, PERCENT, ACTIVE, STATUS, COMPLETED, TAGS, NOTES))
