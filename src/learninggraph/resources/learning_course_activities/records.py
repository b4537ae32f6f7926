"""The stored learningCourseActivity as services and the renderer read it: one typed field per column.

One record type serves both derived types: ``odata_type`` names which one a record is, and the other
type's columns are None.
"""

from __future__ import annotations

from learninggraph.resources.learning_course_activities.entity import LEARNING_COURSE_ACTIVITY
from learninggraph.storage.rows import Record, Selection


class ActivityRecord(Record, frozen=True):
    """Date-times are the stored UTC text; dueDateTime and notes their stored JSON text."""

    odata_type: str
    completed_date_time: str | None
    completion_percentage: int | None
    external_id: str | None
    learner_user_id: str
    learning_content_id: str
    provider_id: str
    status: str | None
    # learningAssignment only
    assigned_date_time: str | None
    assigner_user_id: str | None
    assignment_type: str | None
    due_date_time: str | None
    notes: str | None
    # learningSelfInitiatedCourse only
    started_date_time: str | None


class ActivityInContext(ActivityRecord, frozen=True):
    """The activity with what its writes and reads one by one check, read in the same statement."""

    # The provider's isCourseActivitySyncEnabled (None: the provider is gone) and the learner's licence (None:
    # the learner is no longer in the directory), as stored: 1 or 0, read as they are (rows.Selection builds
    # a record of text and integers by position, without a conversion).
    provider_sync_enabled: int | None
    learner_licensed: int | None


ACTIVITY = Selection(ActivityRecord, covers=(p.column for p in LEARNING_COURSE_ACTIVITY.properties))
